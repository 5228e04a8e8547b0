"""分派 of ticked complaints from the complaint list (issue 16): each complaint goes through the workflow's 受理分派
move with its data, its checks and its status-change row, and the result reports each one."""
import pytest
from django.urls import reverse

from complaints.models import Complaint, ComplaintStatus
from complaints.tests.factories import assigned, key_account, received
from customers.tests.factories import make_customer
from qms.workflow import Transition

pytestmark = pytest.mark.django_db

LIST = "complaints:list"


def test_bulk_assign_reports_each_complaint(people, login):
    first = received(people, by="service")
    second = received(people, by="service")
    key = received(people, by="service", customer=key_account(people))  # needs a department manager
    done_before = assigned(people)  # no longer 已登记
    quality = people["quality"]
    client = login(people["service"])
    ids = [first.pk, second.pk, key.pk, done_before.pk]

    page = client.post(reverse(LIST), {"bulk": "assign", "ids": ids})
    assert page.status_code == 200 and "responsible_department" in page.context["form"].fields

    before = Transition.objects.count()
    quality.department.manager = people["gm"]  # the handler chosen is not the department's manager
    quality.department.save(update_fields=["manager"])
    response = client.post(reverse(LIST), {
        "bulk": "assign", "ids": ids, "bulk_confirmed": "1",
        "bulk_form-responsible_department": quality.department_id, "bulk_form-responsible": quality.pk})
    assert response.status_code == 200
    outcomes = {o.pk: o for o in response.context["outcomes"]}
    assert outcomes[first.pk].done and outcomes[second.pk].done
    assert not outcomes[key.pk].done and "大客户投诉须由部门经理" in outcomes[key.pk].reason
    assert not outcomes[done_before.pk].done and outcomes[done_before.pk].reason
    for complaint in (first, second):
        complaint.refresh_from_db()
        assert complaint.status == ComplaintStatus.ASSIGNED and complaint.responsible_id == quality.pk
    key.refresh_from_db()
    assert key.status == ComplaintStatus.RECEIVED and key.responsible_id is None
    assert Transition.objects.count() == before + 2


def test_bulk_assign_is_checked_per_complaint_by_its_move(people, login):
    theirs = received(people, by="service", customer=make_customer(people["sales"], name="甲客户", grade="C"))
    client = login(people["sales"])  # sees it (his customer's) but did not receive it and coordinates nothing
    assert Complaint.objects.filter(pk=theirs.pk).exists()
    response = client.post(reverse(LIST), {
        "bulk": "assign", "ids": [theirs.pk], "bulk_confirmed": "1",
        "bulk_form-responsible_department": people["quality"].department_id,
        "bulk_form-responsible": people["quality"].pk})
    outcome = response.context["outcomes"][0]
    assert not outcome.done and "受理分派" in outcome.reason
    theirs.refresh_from_db()
    assert theirs.status == ComplaintStatus.RECEIVED


def test_the_complaint_list_offers_assign_and_export_selected(people, login):
    received(people, by="service")
    response = login(people["service"]).get(reverse(LIST))
    assert [a.key for a in response.context["table"].list_tools["bulk_actions"]] == ["assign", "export_selected"]
    assert 'name="ids"' in response.content.decode()
