"""Each action page of renovation opens for a role that may take it (the form on its own page), answers 404 to a
user who may not see the record, and 403 to one who sees it but may not act."""
import pytest
from django.urls import reverse

from qms.workflow import perform
from renovation.models import ApplicationStatus as S
from renovation.models import ViolationKind
from renovation.services import site
from renovation.tests import factories
from renovation.tests.test_completion import permitted, worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_action_pages_open_for_who_may_and_are_hidden_from_who_may_not_see(people, login):
    application = permitted(people)
    violation = site.report_violation(application, people["propassistant"], kind=ViolationKind.OTHER,
                                      description="占用消防通道")
    returned = factories.submit(people, factories.unit("102"))
    perform(returned, S.RETURNED, people["engsupervisor"], reason="缺少图纸")
    pages = [
        (reverse("renovation:edit", args=[returned.pk]), "propassistant"),
        (reverse("renovation:worker_create", args=[application.pk]), "propassistant"),
        (reverse("renovation:claim_create", args=[application.pk]), "engsupervisor"),
        (reverse("renovation:site_inspection_create", args=[application.pk]), "security"),
        (reverse("renovation:baseline_photos_add", args=[application.pk]), "propassistant"),
        (reverse("renovation:violation_action", args=[violation.pk]), "propassistant"),
        (reverse("renovation:violation_close", args=[violation.pk]), "engsupervisor"),
    ]
    for url, role in pages:
        page = login(people[role]).get(url)
        assert page.status_code == 200, url
        assert 'name="csrfmiddlewaretoken"' in page.content.decode(), url
        assert login(people["sales"]).get(url).status_code == 404, url
    claim_url = reverse("renovation:claim_create", args=[application.pk])
    assert login(people["financeclerk"]).get(claim_url).status_code == 403  # sees renovations, records no claims
    # a worker's buttons: the worker of an application the user cannot see is not found either
    out = worker(people, application)
    url = reverse("renovation:worker_return", args=[application.pk, out.pk])
    assert login(people["sales"]).post(url).status_code == 404
    assert login(people["financeclerk"]).post(url).status_code == 403
    response = login(people["security"]).post(url)
    assert response.status_code == 302 and response["Location"].endswith("?tab=workers")
    out.refresh_from_db()
    assert out.pass_status == "returned"
    # a step that cannot be taken now says why and goes back
    response = login(people["propassistant"]).get(reverse("renovation:refund", args=[application.pk]))
    assert response.status_code == 403  # the desk does not pay refunds
    response = login(people["financeclerk"]).get(reverse("renovation:refund", args=[application.pk]))
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == ["退款经物业经理批准后才能办理。"]
