"""Each language says what the other says: 审核 of a signature is a review in English, 审核 of a CAPA's source
an audit; the admin's login-protection section (django-axes) is in Chinese like the rest of the admin."""
import pytest
from django.urls import reverse
from django.utils import translation

from qms.capa.models import CapaSource
from qms.signatures import Meaning


def test_a_reviewers_signature_is_a_review_and_a_capa_from_an_audit_is_an_audit():
    with translation.override("en"):
        assert str(Meaning.REVIEW.label) == "Review"
        assert str(CapaSource.AUDIT.label) == "Audit"
    with translation.override("zh-hans"):
        assert str(Meaning.REVIEW.label) == str(CapaSource.AUDIT.label) == "审核"


@pytest.mark.django_db
def test_the_admins_login_protection_section_is_in_chinese(people, login):
    html = login(people["admin"]).get(reverse("admin:index")).content.decode()
    assert "登录保护" in html and "登录尝试" in html and "登录日志" in html
    for english in (">Axes<", "Access attempts", "Access logs", "Access failures"):
        assert english not in html
    from axes.models import AccessAttempt

    with translation.override("zh-hans"):
        assert str(AccessAttempt._meta.get_field("ip_address").verbose_name) == "IP 地址"


@pytest.mark.django_db
def test_a_signatures_step_is_kept_in_chinese_and_read_in_each_readers_language(people):
    from qms.demo import DEMO_PASSWORD
    from qms.signatures import signatures_for
    from qms.tests.capa_helpers import submitted_capa
    from qms.capa.models import CapaStatus
    from qms.workflow import perform

    capa = submitted_capa(people)
    with translation.override("en"):  # an English-speaking MR approves
        perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment="OK")
        assert signatures_for(capa)[-1]["step"] == "Approve plan"
    assert signatures_for(capa)[-1]["signature"].step == "批准计划"  # stored as the catalogue's key
    with translation.override("zh-hans"):
        assert signatures_for(capa)[-1]["step"] == "批准计划"


@pytest.mark.django_db
def test_the_next_person_is_told_in_his_own_language_whoever_made_the_move(people):
    from qms.notifications import Notification
    from qms.tests.capa_helpers import planned_capa
    from qms.capa.models import CapaStatus
    from qms.workflow import perform

    people["mr"].language = "en"
    people["mr"].save(update_fields=["language"])
    capa = planned_capa(people)
    with translation.override("zh-hans"):  # the responsible works in Chinese
        perform(capa, CapaStatus.PLAN_SUBMITTED, capa.responsible)
    note = Notification.objects.get(recipient=people["mr"], link=capa.get_absolute_url())
    assert note.title.startswith("For you to handle:") and "Submit plan" in note.body


@pytest.mark.django_db
def test_a_deadline_is_read_in_each_readers_language_and_reminds_in_the_recipients(people):
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    from complaints.services import returns
    from qms import deadlines
    from qms.deadlines import Deadline
    from qms.notifications import Notification
    from qms.registry import my_work

    people["sales"].language = "en"  # the sales manager approves returns and reads English
    people["sales"].save(update_fields=["language"])
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False), \
            translation.override("en"):  # entered by an English-speaking clerk: stored in the portal's language
        order = returns.create_return(by=people["sales2"], product="输液器", quantity=5, batch="B1",
                                      reason="破损", customer_name="演示医院")
    deadline = Deadline.objects.get(kind="return_approval", object_id=order.pk)
    assert deadline.title == f"审批退货单：{order}"
    with translation.override("en"):
        assert [i.title for i in my_work(people["sales"]) if order.number in i.title] == [
            f"Approve return form: {order}"]
    with translation.override("zh-hans"):
        assert deadline.shown_title == f"审批退货单：{order}"
    with time_machine.travel(deadline.due_at - dt.timedelta(hours=1), tick=False):  # Friday 09:00, office hours
        deadlines.tick()
    reminder = Notification.objects.filter(recipient=people["sales"], level="reminder").get()
    assert reminder.title == f"Due soon: Approve return form: {order}"


@pytest.mark.django_db
def test_a_notice_from_an_app_is_written_in_the_recipients_language(people):
    from complaints.models import ComplaintStatus
    from complaints.services import complaints as service
    from complaints.tests import factories
    from qms.notifications import Notification

    people["quality"].language = "en"
    people["quality"].save(update_fields=["language"])
    complaint = factories.received(people, by="service")
    with translation.override("zh-hans"):  # customer service works in Chinese and assigns it to quality
        service.advance(complaint, ComplaintStatus.ASSIGNED, people["service"], data={
            "responsible_department": people["quality"].department, "responsible": people["quality"]})
    note = Notification.objects.filter(recipient=people["quality"], link=complaint.get_absolute_url()).latest("pk")
    assert note.title == f"Please handle complaint: {complaint.number} {complaint.customer_name}"
    assert "请处理投诉" not in note.title


@pytest.mark.django_db
def test_a_ledger_note_the_portal_wrote_is_read_in_each_readers_language(people, login):
    from renovation.models import ApplicationStatus as S
    from renovation.tests import factories

    with translation.override("en"):  # approved by someone working in English
        application = factories.advance(people, factories.submit(people, factories.unit()), S.APPROVED)
    notes = set(application.ledger.values_list("note", flat=True))
    assert "按收费一览表计收" in notes  # stored in the portal's language
    people["propmanager"].language = "en"
    people["propmanager"].save(update_fields=["language"])
    page = login(people["propmanager"]).get(application.get_absolute_url() + "?tab=fees").content.decode()
    assert "Charged per the fee schedule" in page and "按收费一览表计收" not in page
