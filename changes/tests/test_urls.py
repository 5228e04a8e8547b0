"""Every URL of change control answers anonymous → login, a user who may not see the change (a salesperson of a
department the change does not touch) → 404, the MR → 200."""
import pytest

from changes.models import CustomerNotification
from changes.tests import factories
from customers.tests.factories import make_customer
from qms import countersign
from qms.demo import DEMO_PASSWORD as PASSWORD
from qms.tests.cases import RecordUrls, UrlWalk


def full_change(people):
    """An implementing change with a risk, an opinion, a task, a notice and a customer notification."""
    customer = make_customer(people["sales"], name="上海浦江医疗器械有限公司")
    change = factories.to_implementing(people, factories.change(people, customers=[customer]))
    factories.tasks(people, change)
    from django.utils import timezone
    CustomerNotification.objects.create(change=change, customer=customer, notified_at=timezone.now(), means="函件",
                                        approval_required=True, recorded_by=people["mr"])
    return change


def disputed_change(people):
    """A change in evaluation whose first opinion disagrees (to be resolved by the MR)."""
    change = factories.to_evaluation(people, factories.change(people))
    opinion = countersign.opinions_for(change)[0]
    countersign.give_opinion(opinion, opinion.responsible, verdict="disagree", text="产能不足", password=PASSWORD)
    return change


def first_reviewer(people, change):
    return countersign.opinions_for(change)[0].responsible


def kwargs(change):
    return {"pk": change.pk, "task": change.tasks.first().pk, "risk": change.risks.first().pk,
            "notice": change.notices.first().pk, "opinion": countersign.opinions_for(change)[0].pk,
            "customer": change.customers.first().pk, "notification": change.customer_notifications.first().pk}


def opinion_kwargs(change):
    return {"pk": change.pk, "opinion": countersign.opinions_for(change)[0].pk}


WALK = UrlWalk(
    "changes",
    pages=("list", "export", "create"),
    records=[
        RecordUrls(make=full_change, insider="mr", outsider="sales2", kwargs=kwargs,
                   pages=("detail", "pdf", "letter", "evidence", "set_class", "risk_add", "meeting", "coordinator", "task_add", "task_slip", "task_done", "notify_customer",
                          "customer_approval", "announce", "spec_issue", "capa"),
                   actions=("risk_withdraw", "acknowledge")),
        RecordUrls(make=disputed_change, insider=first_reviewer, outsider="sales2", kwargs=opinion_kwargs,
                   pages=("opinion",)),
        RecordUrls(make=disputed_change, insider="mr", outsider="sales2", kwargs=opinion_kwargs, pages=("resolve",)),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    WALK.assert_complete()
