"""Visits, phone contacts and service return visits (PROCEDURES.md §1 "Visits"): the monthly plan per grade and
policy, the return-visit cadence, arranging and recording on the holiday calendar, deadlines and escalation,
the follow-up it creates, late records, cancelling, visibility, the list and the beat schedule."""
import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerPolicy, FollowUp, FollowUpKind, Visit, VisitKind, VisitStatus
from customers.services import visits as service
from customers.services.records import create_customer
from customers.tests.factories import make_contact
from qms import audit
from qms.deadlines import Deadline, DeadlineNotice, Stage, overdue_q, tick
from qms.refusals import Refused
from qms.tests.cases import assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MAY = dt.date(2026, 5, 1)
CANCEL_REFUSED = "只有负责人的部门经理、总经理或管理者代表可以取消回访计划。"


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def customer(owner, grade="A", *, name=None, since=dt.date(2020, 1, 1), to_pool=False):
    """A customer whose relationship started long ago (quarterly return visits) unless ``since`` says otherwise."""
    name = name or f"回访测试{grade}{Customer.all_objects.count() + 1}号有限公司"
    return create_customer(by=owner, owner=owner, to_pool=to_pool, name=name, grade=grade,
                           relationship_started_on=since)


def kinds(c, month=None):
    qs = Visit.objects.filter(customer=c)
    if month:
        first, last = service.month_bounds(month)
        qs = qs.filter(period_start__gte=first, period_start__lte=last)
    return sorted(qs.values_list("kind", flat=True))


def deadline_of(visit, kind):
    return Deadline.objects.get(content_type__model="visit", object_id=visit.pk, kind=kind)


def planned_visit(owner, grade="A", month=MAY, kind=VisitKind.VISIT, **kwargs):
    c = customer(owner, grade, **kwargs)
    service.generate_visit_plans(month, customers=[c])
    return Visit.objects.filter(customer=c, kind=kind).select_related("customer", "owner").first()


# --- the monthly plan -----------------------------------------------------------------------------------
def test_the_plan_gives_each_grade_its_visits_and_c_a_phone_contact_each_week(people):
    a, b, c = (customer(people["sales2"], grade) for grade in "ABC")
    pooled = customer(people["sales2"], "A", to_pool=True)
    binned = customer(people["sales2"], "A")
    Customer.objects.filter(pk=binned.pk).update(deleted_at=timezone.now())

    result = service.generate_visit_plans(MAY)

    assert kinds(a) == [VisitKind.VISIT, VisitKind.VISIT]  # policy default: A 2 a month
    assert kinds(b) == [VisitKind.VISIT]
    # May 2026 touches five ISO weeks (27 Apr–3 May … 25–31 May), but 1–3 May are Labour Day holidays: no one
    # is called at work then; C has no visit by default
    assert kinds(c) == [VisitKind.PHONE] * 4
    assert not Visit.objects.filter(customer=c, period_start=dt.date(2026, 5, 1)).exists()
    assert kinds(pooled) == [] and kinds(binned) == []
    assert (result.visits, result.phones, result.return_visits) == (3, 4, 0)
    visit = Visit.objects.filter(customer=a).first()
    assert (visit.owner, visit.status, visit.period_start, visit.period_end) == (
        people["sales2"], VisitStatus.PLANNED, dt.date(2026, 5, 1), dt.date(2026, 5, 31))


def test_the_plan_follows_the_numbers_the_administrator_sets(people):
    a, c = customer(people["sales2"], "A"), customer(people["sales2"], "C")
    policy = CustomerPolicy.current()
    policy.visits_per_month_a, policy.visits_per_month_c, policy.weekly_phone_for_c = 3, 1, False
    policy.save()

    service.generate_visit_plans(dt.date(2026, 6, 15))  # any day of the month

    assert kinds(a) == [VisitKind.VISIT] * 3
    assert kinds(c) == [VisitKind.VISIT]


def test_running_the_plan_twice_creates_nothing_new_not_even_a_cancelled_plan(people):
    a, c = customer(people["sales2"], "A"), customer(people["sales2"], "C")
    first = service.generate_visit_plans(MAY)
    visit = Visit.objects.filter(customer=a).first()
    service.cancel_visit(visit, by=people["sales"], reason="客户停业装修")

    again = service.generate_visit_plans(MAY)

    assert first.created == 6 and again.created == 0
    assert Visit.objects.filter(customer__in=[a, c]).count() == 6
    assert Deadline.objects.filter(kind=service.PLAN_DEADLINE).count() == 6


def test_c_phone_contacts_are_one_per_iso_week_clipped_to_the_month(people):
    c = customer(people["sales2"], "C")
    service.generate_visit_plans(dt.date(2026, 9, 1))
    periods = list(Visit.objects.filter(customer=c, kind=VisitKind.PHONE).order_by("period_start")
                   .values_list("period_start", "period_end"))
    day = dt.date
    assert periods == [(day(2026, 9, 1), day(2026, 9, 6)), (day(2026, 9, 7), day(2026, 9, 13)),
                       (day(2026, 9, 14), day(2026, 9, 20)), (day(2026, 9, 21), day(2026, 9, 27)),
                       (day(2026, 9, 28), day(2026, 9, 30))]
    # each week is due at 17:30 of its last working day: Sunday 20 September is a 调休 working day, and
    # Friday 25 September is the Mid-Autumn holiday
    due = {v.period_start: deadline_of(v, service.PLAN_DEADLINE).due_at
           for v in Visit.objects.filter(customer=c, kind=VisitKind.PHONE)}
    assert due[day(2026, 9, 14)] == local(2026, 9, 20, 17, 30)
    assert due[day(2026, 9, 21)] == local(2026, 9, 24, 17, 30)
    assert due[day(2026, 9, 7)] == local(2026, 9, 11, 17, 30)


def test_october_phone_weeks_skip_the_national_day_holiday_and_use_the_adjusted_working_day(people):
    c = customer(people["sales2"], "C")
    service.generate_visit_plans(dt.date(2026, 10, 1))
    phones = Visit.objects.filter(customer=c, kind=VisitKind.PHONE).order_by("period_start")
    # 1–4 October are all holidays: no call that fragment; 5–11 October's working days are 8, 9 and Saturday 10
    assert [v.period_start for v in phones][:2] == [dt.date(2026, 10, 5), dt.date(2026, 10, 12)]
    assert deadline_of(phones[0], service.PLAN_DEADLINE).due_at == local(2026, 10, 10, 17, 30)


def test_return_visits_are_monthly_in_the_first_year_then_quarterly(people):
    new = customer(people["sales2"], "B", since=dt.date(2026, 3, 10))
    old = customer(people["sales2"], "B", since=dt.date(2024, 1, 1))
    for month in (5, 6, 7, 8, 9, 10):
        service.generate_visit_plans(dt.date(2026, month, 1))

    def return_periods(c):
        return list(Visit.objects.filter(customer=c, kind=VisitKind.RETURN_VISIT).order_by("period_start")
                    .values_list("period_start", "period_end"))

    day = dt.date
    assert [start.month for start, _end in return_periods(new)] == [5, 6, 7, 8, 9, 10]
    assert return_periods(new)[0] == (day(2026, 5, 1), day(2026, 5, 31))
    # after the first year: one per calendar quarter, generated in the quarter's first month
    assert return_periods(old) == [(day(2026, 7, 1), day(2026, 9, 30)), (day(2026, 10, 1), day(2026, 12, 31))]


def test_without_a_relationship_date_the_first_year_counts_from_creation(people):
    with time_machine.travel(local(2025, 12, 20, 10, 0), tick=False):
        c = customer(people["sales2"], "B", since=None)
    service.generate_visit_plans(dt.date(2026, 11, 1))  # within a year of 20 Dec 2025: monthly
    service.generate_visit_plans(dt.date(2027, 2, 1))  # after it, but not a quarter's first month
    service.generate_visit_plans(dt.date(2027, 4, 1))
    assert [v.period_start for v in Visit.objects.filter(customer=c, kind=VisitKind.RETURN_VISIT)
            .order_by("period_start")] == [dt.date(2026, 11, 1), dt.date(2027, 4, 1)]


def test_the_monthly_task_plans_the_current_month_in_shanghai(people):
    from customers.visit_tasks import generate_monthly_visit_plans

    c = customer(people["sales2"], "A")
    # 1 May 01:00 in Shanghai is still 30 April in UTC
    with time_machine.travel(local(2026, 5, 1, 1, 0), tick=False):
        assert generate_monthly_visit_plans.apply().get() == 2
        assert generate_monthly_visit_plans.apply().get() == 0
    assert {v.period_start for v in Visit.objects.filter(customer=c)} == {MAY}


def test_the_beat_schedule_row_exists_after_migrate():
    from django_celery_beat.models import PeriodicTask

    from customers.visit_tasks import TASK

    task = PeriodicTask.objects.select_related("crontab").get(task=TASK)
    assert task.enabled
    cron = task.crontab
    # the 1st of each month at 01:00 Asia/Shanghai
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week) == (
        "0", "1", "1", "*", "*")
    assert str(cron.timezone) == "Asia/Shanghai"


# --- the record's due time on the holiday calendar -----------------------------------------------------
@pytest.mark.parametrize("visit_time, due", [
    (local(2026, 5, 14, 15, 0), local(2026, 5, 15, 12, 0)),  # Thursday → Friday noon
    (local(2026, 5, 15, 15, 0), local(2026, 5, 18, 12, 0)),  # Friday → Monday noon
    # 国庆 2026: 1–7 October off, Thursday 8 October is the next working day (checked against chinese_calendar)
    (local(2026, 9, 30, 15, 0), local(2026, 10, 8, 12, 0)),
    (local(2026, 10, 9, 15, 0), local(2026, 10, 10, 12, 0)),  # Saturday 10 October is a 调休 working day
])
def test_the_record_is_due_by_noon_of_the_next_working_day(visit_time, due):
    assert service.record_due(visit_time) == due


def test_arranging_on_30_september_makes_the_record_due_after_the_national_day_holiday(people):
    visit = planned_visit(people["sales2"], month=dt.date(2026, 9, 1))
    with time_machine.travel(local(2026, 9, 28, 9, 0), tick=False):
        service.arrange_visit(visit, by=people["sales2"], arranged_at=local(2026, 9, 30, 14, 0))

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ARRANGED
    assert service.record_due_at(visit) == local(2026, 10, 8, 12, 0)
    deadline = deadline_of(visit, service.RECORD_DEADLINE)
    assert (deadline.state, deadline.responsible, deadline.due_at) == (
        Deadline.State.OPEN, people["sales2"], local(2026, 10, 8, 12, 0))
    assert deadline.link == reverse("customers:visit_detail", args=[visit.pk])


# --- deadlines ------------------------------------------------------------------------------------------
def test_the_plan_deadline_is_opened_then_both_deadlines_close_when_recorded(people):
    visit = planned_visit(people["sales2"])
    plan = deadline_of(visit, service.PLAN_DEADLINE)
    # the period ends on Sunday 31 May: due on its last working day, Friday 29 May, at 17:30
    assert (plan.state, plan.responsible, plan.due_at) == (Deadline.State.OPEN, people["sales2"],
                                                           local(2026, 5, 29, 17, 30))
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        service.arrange_visit(visit, by=people["sales2"], arranged_at=local(2026, 5, 14, 10, 0))
        assert deadline_of(visit, service.RECORD_DEADLINE).state == Deadline.State.OPEN
    with time_machine.travel(local(2026, 5, 14, 16, 0), tick=False):
        service.record_visit(visit, by=people["sales2"], visited_at=local(2026, 5, 14, 10, 0), content="已拜访。")

    assert deadline_of(visit, service.PLAN_DEADLINE).state == Deadline.State.MET
    assert deadline_of(visit, service.RECORD_DEADLINE).state == Deadline.State.MET


def test_an_unrecorded_visit_escalates_to_the_owners_manager(people):
    visit = planned_visit(people["sales2"])
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        service.arrange_visit(visit, by=people["sales2"], arranged_at=local(2026, 5, 13, 10, 0))

    # due Thursday 14 May 12:00, escalation a day later — in the lunch break, so it goes out at 13:00
    tick(now=local(2026, 5, 15, 13, 1))

    notice = DeadlineNotice.objects.get(deadline=deadline_of(visit, service.RECORD_DEADLINE),
                                        stage=Stage.ESCALATION_1)
    assert notice.recipient == people["sales"]  # the sales department's manager
    assert people["sales2"].manager() == people["sales"]


def test_a_cancelled_plan_cancels_its_deadline_and_keeps_the_reason(people):
    visit = planned_visit(people["sales2"])
    service.cancel_visit(visit, by=people["sales"], reason="客户停业装修")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    assert "客户停业装修" in visit.outcome
    assert deadline_of(visit, service.PLAN_DEADLINE).state == Deadline.State.CANCELLED
    assert any("客户停业装修" in (row.get("reason") or "") for row in audit.history_for(visit))


# --- arranging and recording ------------------------------------------------------------------------------
def test_a_customer_who_cannot_talk_leaves_the_visit_planned_with_the_note(people, login):
    visit = planned_visit(people["sales2"])
    client = login(people["sales2"])
    url = reverse("customers:visit_arrange", args=[visit.pk])

    response = client.post(url, {"arranged_at": "", "arrangement_note": ""})
    assert response.status_code == 400
    assert "请填写与客户约定的时间，或说明客户不便沟通的情况。" in response.content.decode()

    response = client.post(url, {"arranged_at": "", "arrangement_note": "客户在外地开会，下周再约"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.arrangement_note, service.record_due_at(visit)) == (
        VisitStatus.PLANNED, "客户在外地开会，下周再约", None)
    assert not Deadline.objects.filter(object_id=visit.pk, kind=service.RECORD_DEADLINE).exists()


def test_arranging_through_the_page_sets_the_due_time_and_audits_it(people, login):
    visit = planned_visit(people["sales2"])
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        response = login(people["sales2"]).post(reverse("customers:visit_arrange", args=[visit.pk]),
                                                {"arranged_at": "2026-05-15T14:30", "arrangement_note": ""})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ARRANGED
    assert visit.arranged_at == local(2026, 5, 15, 14, 30)
    assert service.record_due_at(visit) == local(2026, 5, 18, 12, 0)  # Friday → Monday noon
    rows = audit.history_for(visit)
    assert any(row["user"] == people["sales2"].display_name and "约定" in (row.get("reason") or "") for row in rows)


def test_recording_creates_the_follow_up_and_resets_the_pool_clock(people):
    visit = planned_visit(people["sales2"])
    contact = make_contact(visit.customer, name="王经理", primary=True)
    with time_machine.travel(local(2026, 5, 20, 16, 0), tick=False):
        service.record_visit(visit, by=people["sales2"], visited_at=local(2026, 5, 20, 10, 0), contact=contact,
                             purpose="季度回访", content="客户对交期满意。", outcome="续签意向", next_step="寄送报价")

    visit.refresh_from_db()
    follow_up = visit.follow_up
    assert visit.status == VisitStatus.RECORDED
    assert (follow_up.kind, follow_up.by, follow_up.contact, follow_up.occurred_at, follow_up.next_step) == (
        FollowUpKind.VISIT, people["sales2"], contact, local(2026, 5, 20, 10, 0), "寄送报价")
    assert "客户对交期满意。" in follow_up.content
    assert Customer.objects.get(pk=visit.customer_id).last_follow_up_at == local(2026, 5, 20, 10, 0)
    # not arranged beforehand: due from the visit itself, and handed in the same day
    assert service.record_due_at(visit) == local(2026, 5, 21, 12, 0) and not service.is_late(visit)


def test_a_phone_contact_is_recorded_as_a_call(people):
    visit = planned_visit(people["sales2"], grade="C", kind=VisitKind.PHONE)
    with time_machine.travel(local(2026, 5, 6, 16, 0), tick=False):
        service.record_visit(visit, by=people["sales2"], visited_at=local(2026, 5, 6, 15, 0), content="电话沟通。")
    assert FollowUp.objects.get(visit=visit).kind == FollowUpKind.CALL


def test_a_late_record_is_accepted_and_flagged_in_red(people, login):
    late = planned_visit(people["sales2"])
    on_time = Visit.objects.filter(customer=late.customer).exclude(pk=late.pk).first()
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        service.arrange_visit(late, by=people["sales2"], arranged_at=local(2026, 5, 14, 10, 0))
        service.arrange_visit(on_time, by=people["sales2"], arranged_at=local(2026, 5, 14, 14, 0))
    client = login(people["sales2"])
    with time_machine.travel(local(2026, 5, 15, 11, 0), tick=False):
        client.post(reverse("customers:visit_record", args=[on_time.pk]),
                    {"visited_at": "2026-05-14T14:00", "content": "按时提交。"})
    with time_machine.travel(local(2026, 5, 18, 9, 0), tick=False):  # Monday: due was Friday 12:00
        response = client.post(reverse("customers:visit_record", args=[late.pk]),
                               {"visited_at": "2026-05-14T10:00", "content": "周一才补交。"}, follow=True)
        assert "记为迟交" in response.content.decode()
        listing = client.get(reverse("customers:visits"), {"scope": "done"}).content.decode()

    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.status == VisitStatus.RECORDED and service.is_late(late)
    assert on_time.status == VisitStatus.RECORDED and not service.is_late(on_time)
    assert listing.count('late-flag">迟交') == 1
    assert 'class="text-danger fw-bold">2026-05-15 12:00' in listing


def test_the_record_form_keeps_what_was_typed_on_error(people, login):
    visit = planned_visit(people["sales2"])
    response = login(people["sales2"]).post(reverse("customers:visit_record", args=[visit.pk]),
                                            {"visited_at": "2026-05-14T10:00", "purpose": "介绍新产品", "content": ""})
    assert response.status_code == 400
    text = response.content.decode()
    assert "请填写回访内容。" in text and 'value="介绍新产品"' in text
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_a_recorded_visit_cannot_be_recorded_again(people):
    visit = planned_visit(people["sales2"])
    service.record_visit(visit, by=people["sales2"], visited_at=timezone.now(), content="已拜访。")
    with pytest.raises(Refused, match="不能再修改"):
        service.record_visit(visit, by=people["sales2"], visited_at=timezone.now(), content="再次登记。")
    assert FollowUp.objects.filter(customer=visit.customer).count() == 1


def test_every_status_change_of_a_visit_writes_its_status_change_row(people):
    from qms.workflow import status_history

    noted, cancelled = planned_visit(people["sales2"]), None
    cancelled = Visit.objects.filter(customer=noted.customer).exclude(pk=noted.pk).first()
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        service.arrange_visit(noted, by=people["sales2"], note="客户出差")
        service.arrange_visit(noted, by=people["sales2"], arranged_at=local(2026, 5, 14, 10, 0))
        service.record_visit(noted, by=people["sales2"], visited_at=local(2026, 5, 12, 8, 0), content="已拜访。")
        service.cancel_visit(cancelled, by=people["sales"], reason="客户停业装修")

    assert [(row.from_status, row.to_status, row.by) for row in status_history(noted)] == [
        (VisitStatus.PLANNED, VisitStatus.PLANNED, people["sales2"]),
        (VisitStatus.PLANNED, VisitStatus.ARRANGED, people["sales2"]),
        (VisitStatus.ARRANGED, VisitStatus.RECORDED, people["sales2"])]
    [cancel] = status_history(cancelled)
    assert (cancel.to_status, cancel.by) == (VisitStatus.CANCELLED, people["sales"]) and "客户停业装修" in cancel.reason


# --- cancelling -----------------------------------------------------------------------------------------
def test_a_salesperson_may_not_cancel_a_plan(people, login):
    visit = planned_visit(people["sales2"])
    response = login(people["sales2"]).post(reverse("customers:visit_cancel", args=[visit.pk]),
                                            {"reason": "不想去"}, follow=True)
    assert CANCEL_REFUSED in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED
    with pytest.raises(Refused, match=CANCEL_REFUSED):
        service.cancel_visit(visit, by=people["sales2"], reason="不想去")


def test_the_owners_manager_cancels_with_a_reason(people, login):
    visit = planned_visit(people["sales2"])
    client = login(people["sales"])
    response = client.post(reverse("customers:visit_cancel", args=[visit.pk]), {"reason": ""})
    assert response.status_code == 400 and "请填写取消原因。" in response.content.decode()
    response = client.post(reverse("customers:visit_cancel", args=[visit.pk]), {"reason": "客户已迁往外地"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED


# --- visibility -----------------------------------------------------------------------------------------
def test_another_salespersons_visit_is_a_404(people, login):
    visit = planned_visit(people["sales"])  # the sales manager's own customer
    client = login(people["sales2"])
    for name in ("visit_detail", "visit_arrange", "visit_record"):
        assert client.get(reverse(f"customers:{name}", args=[visit.pk])).status_code == 404
    assert client.post(reverse("customers:visit_cancel", args=[visit.pk]), {"reason": "x"}).status_code == 404
    assert login(people["quality"]).get(reverse("customers:visit_detail", args=[visit.pk])).status_code == 404
    assert login(people["gm"]).get(reverse("customers:visit_detail", args=[visit.pk])).status_code == 200


def test_the_manager_sees_the_departments_visits_but_may_not_record_them(people, login):
    visit = planned_visit(people["sales2"])
    client = login(people["sales"])
    assert client.get(reverse("customers:visit_detail", args=[visit.pk])).status_code == 200
    response = client.get(reverse("customers:visit_record", args=[visit.pk]), follow=True)
    assert "只有负责人可以预约和登记此回访。" in response.content.decode()
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        listing = client.get(reverse("customers:visits"))
    assert visit in list(listing.context["table"].data.data)


def test_the_customer_tab_lists_its_visits(people, login):
    visit = planned_visit(people["sales2"])
    response = login(people["sales2"]).get(visit.customer.get_absolute_url(), {"tab": "visits"})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="customer-visits"' in text and reverse("customers:visit_detail", args=[visit.pk]) in text
    assert text.count("待安排") >= 2


# --- the list -------------------------------------------------------------------------------------------
def test_the_list_scopes_month_and_overdue(people, login):
    april = planned_visit(people["sales2"], month=dt.date(2026, 4, 1))
    service.generate_visit_plans(MAY, customers=[april.customer])
    may = Visit.objects.filter(customer=april.customer, period_start=MAY).first()
    client = login(people["sales2"])
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        month = list(client.get(reverse("customers:visits")).context["table"].data.data)
        overdue = list(client.get(reverse("customers:visits"), {"scope": "overdue"}).context["table"].data.data)
    assert may in month and april not in month
    assert april in overdue and may not in overdue
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        text = client.get(reverse("customers:visits"), {"scope": "overdue"}).content.decode()
    assert 'late-flag">计划逾期' in text and "2026-05-12" not in text  # a planned visit has no record due time


def test_the_list_runs_a_constant_number_of_queries(people, login):
    client = login(people["sales"])

    def add(n):
        for _i in range(n):
            c = customer(people["sales2"] if _i % 2 else people["sales"], "B")
            service.generate_visit_plans(MAY, customers=[c])

    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        add(3)
        with count_queries() as few:
            assert client.get(reverse("customers:visits"), {"scope": "all"}).status_code == 200
        add(27)
        with assert_queries_at_most(len(few)):
            response = client.get(reverse("customers:visits"), {"scope": "all"})
    assert response.context["table"].paginator.count == 30


def test_the_list_exports_its_rows(people, login):
    planned_visit(people["sales2"])
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        response = login(people["sales2"]).get(reverse("customers:visits"), {"export": "xlsx"})
    assert response.status_code == 200
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "客户" in rows[0] and "操作" not in rows[0]
    assert any("2026-05-01 ~ 2026-05-31" in row for row in rows[1:])


# --- demo data ------------------------------------------------------------------------------------------
def test_the_demo_seeder_is_idempotent_and_shows_an_escalated_overdue_record(people):
    import io

    from customers.demo import seed_customers
    from customers.demo import seed_visits

    out = io.StringIO()
    seed_customers(people, out)
    seed_visits(people, out)
    count = Visit.objects.count()
    seed_visits(people, out)
    assert Visit.objects.count() == count > 0
    assert Visit.objects.filter(status=VisitStatus.RECORDED).count() == 1
    assert not Visit.objects.filter(status=VisitStatus.PLANNED, period_end__lt=timezone.localdate()).exists()
    overdue = Visit.objects.get(overdue_q(Visit, service.RECORD_DEADLINE), status=VisitStatus.ARRANGED)
    assert DeadlineNotice.objects.filter(deadline__object_id=overdue.pk, deadline__kind=service.RECORD_DEADLINE,
                                         stage=Stage.ESCALATION_1, recipient=people["sales"]).exists()


# --- hand-over -------------------------------------------------------------------------------------------
def test_open_visits_follow_a_transferred_customer_and_are_cancelled_when_it_goes_to_the_pool(people):
    from customers.models import OwnershipKind
    from customers.services.pool import change_owner
    from qms.workflow import status_history

    visit = planned_visit(people["sales2"])
    done = Visit.objects.filter(customer=visit.customer).exclude(pk=visit.pk).first()
    service.record_visit(done, by=people["sales2"], visited_at=timezone.now(), content="已拜访。")
    c = visit.customer
    change_owner(c, people["sales"], kind=OwnershipKind.TRANSFERRED, by=people["sales"], reason="调整分工")

    # change_owner hands the open visits over itself; a second call finds nothing left to move.
    assert service.hand_over_open_visits(c, by=people["sales"]) == 0
    visit.refresh_from_db()
    done.refresh_from_db()
    assert visit.owner == people["sales"] and done.owner == people["sales2"]  # the record stays its author's
    assert deadline_of(visit, service.PLAN_DEADLINE).responsible == people["sales"]

    change_owner(c, None, kind=OwnershipKind.RELEASED, by=people["sales"], reason="放入客户池")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    assert [(row.to_status, row.by) for row in status_history(visit)] == [(VisitStatus.CANCELLED, people["sales"])]
    assert deadline_of(visit, service.PLAN_DEADLINE).state == Deadline.State.CANCELLED


def test_a_day_off_entered_after_the_arrangement_re_dates_the_record_deadline(people, django_capture_on_commit_callbacks,
                                                                              monkeypatch):
    from qms import workdays

    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)
    visit = planned_visit(people["sales2"])
    with time_machine.travel(local(2026, 5, 12, 9, 0), tick=False):
        service.arrange_visit(visit, by=people["sales2"], arranged_at=local(2026, 5, 14, 10, 0))
    assert deadline_of(visit, service.RECORD_DEADLINE).due_at == local(2026, 5, 15, 12, 0)
    with time_machine.travel(local(2026, 5, 13, 9, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # the company closes on Friday 15 May
            workdays.save_day(workdays.CalendarDay(date=dt.date(2026, 5, 15), kind="holiday", name="公司活动日"),
                              people["doccontrol"])
    deadline = deadline_of(visit, service.RECORD_DEADLINE)
    assert deadline.due_at == local(2026, 5, 18, 12, 0)
    assert deadline.shown_title == f"提交回访记录：{visit.customer.name}（走访，约定 05-14 10:00）"
