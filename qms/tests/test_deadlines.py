"""Deadlines: reminders, overdue notices and escalation, each exactly once; my work; the tick's cost."""
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.urls import reverse

from qms import deadlines
from qms.deadlines import Deadline, DeadlineNotice, Stage
from qms.notifications import Notification
from qms.registry import my_work
from qms.tests.cases import assert_queries_at_most

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DUE = dt.datetime(2026, 11, 24, 17, 30, tzinfo=SH)


@pytest.fixture
def deadline(people):
    # Any record will do as the deadline's subject; a user row is a real record of the portal.
    return deadlines.open_deadline(people["sales2"], "followup", "回访大客户 北京信息科技", people["sales2"], DUE,
                                   remind_before=dt.timedelta(hours=4), escalate_after=dt.timedelta(days=1))


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def test_reminder_overdue_and_two_escalations_each_exactly_once(people, deadline):
    with time_machine.travel(DUE - dt.timedelta(hours=5), tick=False):
        assert deadlines.tick() == 0
    with time_machine.travel(DUE - dt.timedelta(hours=3), tick=False):
        assert deadlines.tick() == 1
        assert deadlines.tick() == 0
    assert titles(people["sales2"]) == ["即将到期：回访大客户 北京信息科技"]
    with time_machine.travel(DUE + dt.timedelta(minutes=5), tick=False):
        deadlines.tick()
    assert titles(people["sales2"])[-1] == "已逾期：回访大客户 北京信息科技"
    with time_machine.travel(DUE + dt.timedelta(days=1, minutes=5), tick=False):
        assert deadlines.tick() == 0  # 17:35, after office hours: the escalation waits for the morning
    with time_machine.travel(dt.datetime(2026, 11, 26, 8, 31, tzinfo=SH), tick=False):
        deadlines.tick()
        deadlines.tick()
    assert titles(people["sales"]) == ["逾期升级：回访大客户 北京信息科技"]  # the sales manager
    with time_machine.travel(dt.datetime(2026, 11, 27, 8, 31, tzinfo=SH), tick=False):
        deadlines.tick()
    assert titles(people["gm"]) == ["逾期升级：回访大客户 北京信息科技"]  # one level up
    assert DeadlineNotice.objects.filter(deadline=deadline).count() == 4
    deadline.refresh_from_db()
    assert deadline.escalation_level == 2 and deadline.next_action_at is None


def test_a_late_tick_sends_only_the_current_stage_once(people, deadline):
    with time_machine.travel(DUE + dt.timedelta(days=5), tick=False):
        assert deadlines.tick() == 1
        assert deadlines.tick() == 0
    assert sorted(DeadlineNotice.objects.values_list("stage", flat=True)) == sorted(Stage.values)
    assert list(DeadlineNotice.objects.filter(skipped=False).values_list("stage", flat=True)) == [Stage.ESCALATION_2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_each_notice_once(people):
    for i in range(20):
        deadlines.open_deadline(people["sales2"], f"k{i}", f"事项{i}", people["sales2"], DUE)
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            deadlines.tick(now=DUE + dt.timedelta(minutes=1))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert DeadlineNotice.objects.count() == 40  # reminder + overdue for each of 20
    # both had come at 17:31: only the current stage (overdue) is sent, the reminder is recorded as skipped
    assert Notification.objects.filter(recipient=people["sales2"]).count() == 20


def test_closing_stops_the_reminders(people, deadline):
    deadlines.close_deadlines(people["sales2"], ["followup"])
    with time_machine.travel(DUE + dt.timedelta(days=5), tick=False):
        assert deadlines.tick() == 0
    assert Deadline.objects.get(pk=deadline.pk).state == Deadline.State.MET


def test_moving_the_due_time_sends_a_fresh_reminder(people, deadline):
    with time_machine.travel(DUE - dt.timedelta(hours=1), tick=False):
        deadlines.tick()
        deadlines.open_deadline(people["sales2"], "followup", "回访大客户 北京信息科技", people["sales2"],
                                DUE + dt.timedelta(days=7))
    with time_machine.travel(DUE + dt.timedelta(days=7, hours=-1), tick=False):
        deadlines.tick()
    assert titles(people["sales2"]).count("即将到期：回访大客户 北京信息科技") == 2


def test_open_deadlines_feed_my_work_and_escalations_reach_the_manager(people, deadline, login):
    assert [item.title for item in my_work(people["sales2"])] == ["回访大客户 北京信息科技"]
    with time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=SH), tick=False):
        deadlines.tick()  # escalation 1 (due 25 Nov 17:30, after office hours) goes out the next morning
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=SH), tick=False):
        deadlines.tick()  # escalation 2
        items = my_work(people["sales"])
        assert [(i.title, i.is_overdue) for i in items] == [("回访大客户 北京信息科技", True)]
        assert [i.title for i in my_work(people["gm"])] == ["回访大客户 北京信息科技"]
        page = login(people["sales"]).get(reverse("home")).content.decode()
    assert "逾期升级" in page and "责任人：钱销售" in page


def test_my_own_work_comes_first_and_my_peoples_escalated_clocks_follow_one_line_per_record(people, deadline, login):
    from qms.deadlines import open_deadline

    # a second clock of the same record, and the sales manager's own task
    second = open_deadline(people["sales2"], "visit_report", "提交拜访记录 北京信息科技", people["sales2"], DUE)
    own = open_deadline(people["gm"], "own_task", "审批转移申请", people["sales"], DUE + dt.timedelta(days=30))
    assert second.link == deadline.link != own.link
    with time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=SH), tick=False):
        deadlines.tick()  # both of sales2's clocks escalate to her manager, the sales manager
        response = login(people["sales"]).get(reverse("home"))
    own_items, escalated = response.context["items"], response.context["escalations"]
    assert [item.title for item in own_items] == ["审批转移申请"]
    assert len(escalated) == 1 and escalated[0].title == "回访大客户 北京信息科技"
    assert "提交拜访记录 北京信息科技" in escalated[0].detail and "责任人：钱销售" in escalated[0].detail
    # the deadlines' lines, escalated ones with their responsible's name, come from one query
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        lines = deadlines.open_deadlines_as_work(people["sales"])
    assert len(lines) == 3 and len(queries) == 1
    assert {line.detail for line in lines if line.escalated} == {"责任人：钱销售"}
    page = response.content.decode()
    assert page.index('id="my-work"') < page.index('id="escalated-work"')
    assert "下属的逾期事项（已升级给您）" in page


def test_tick_queries_do_not_grow_with_deadlines_not_yet_due(people):
    far = DUE + dt.timedelta(days=300)
    for i in range(3):
        deadlines.open_deadline(people["sales2"], f"far{i}", f"远期{i}", people["sales2"], far)
    with time_machine.travel(DUE, tick=False):
        with assert_queries_at_most(2) as few:
            deadlines.tick()
        for i in range(30):
            deadlines.open_deadline(people["sales2"], f"far-more{i}", f"远期更多{i}", people["sales2"], far)
        with assert_queries_at_most(len(few)):
            deadlines.tick()


def test_run_tick_command_for_cron_sites(people, deadline, capsys):
    with time_machine.travel(DUE + dt.timedelta(minutes=1), tick=False):
        call_command("run_tick")
    assert "已发送 1 条提醒" in capsys.readouterr().out  # the overdue notice; the reminder is passed over


def test_the_beat_schedule_is_editable_in_the_admin(people, login):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="qms.tasks.deadline_tick")
    assert task.interval.every == 5 and task.enabled
    response = login(people["admin"]).get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]))
    assert response.status_code == 200


# --- when notices go out (issue 13 item 9) -------------------------------------------------------------
def reminders(user):
    return list(Notification.objects.filter(recipient=user, title__startswith="即将到期").values_list("created_at",
                                                                                                 flat=True))


def test_a_reminder_falling_on_national_day_is_sent_at_the_start_of_the_next_working_day(people):
    # due Fri 9 Oct 10:00, reminded 8 days ahead: Thu 1 Oct 10:00, a public holiday (1–7 Oct)
    due = dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH)
    deadlines.open_deadline(people["sales2"], "followup", "回访大客户", people["sales2"], due,
                            remind_before=dt.timedelta(days=8))
    for moment in (dt.datetime(2026, 10, 1, 10, 5, tzinfo=SH), dt.datetime(2026, 10, 7, 23, 0, tzinfo=SH),
                   dt.datetime(2026, 10, 8, 8, 29, tzinfo=SH)):
        with time_machine.travel(moment, tick=False):
            assert deadlines.tick() == 0
    assert reminders(people["sales2"]) == []
    with time_machine.travel(dt.datetime(2026, 10, 8, 8, 30, tzinfo=SH), tick=False):
        assert deadlines.tick() == 1
    assert reminders(people["sales2"]) == [dt.datetime(2026, 10, 8, 8, 30, tzinfo=SH)]


def test_a_reminder_falling_at_five_in_the_morning_is_sent_at_half_past_eight(people):
    due = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SH)  # Tuesday; reminded 4 h ahead: 05:00
    deadline = deadlines.open_deadline(people["sales2"], "followup", "回访大客户", people["sales2"], due)
    assert deadline.next_action_at == dt.datetime(2026, 11, 24, 8, 30, tzinfo=SH)
    with time_machine.travel(dt.datetime(2026, 11, 24, 5, 1, tzinfo=SH), tick=False):
        assert deadlines.tick() == 0
    with time_machine.travel(dt.datetime(2026, 11, 24, 8, 31, tzinfo=SH), tick=False):
        assert deadlines.tick() == 1
    assert titles(people["sales2"]) == ["即将到期：回访大客户"]
    deadline.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 1, tzinfo=SH), tick=False):
        assert deadline.is_overdue  # the overdue mark itself is not deferred
        assert deadlines.tick() == 1
    assert titles(people["sales2"])[-1] == "已逾期：回访大客户"


def test_an_escalation_falling_on_a_public_holiday_waits_for_the_next_working_day(people):
    due = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH)  # escalates a day later: 1 Oct, National Day
    deadlines.open_deadline(people["sales2"], "followup", "回访大客户", people["sales2"], due)
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 1, tzinfo=SH), tick=False):
        deadlines.tick()  # the overdue notice
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, 5, tzinfo=SH), tick=False):
        assert deadlines.tick() == 0
    assert titles(people["sales"]) == []
    with time_machine.travel(dt.datetime(2026, 10, 8, 8, 31, tzinfo=SH), tick=False):
        assert deadlines.tick() == 1  # escalation 2 (due 2 Oct) has come too: only it is sent, to one level up
    assert titles(people["sales"]) == [] and titles(people["gm"]) == ["逾期升级：回访大客户"]


def test_a_back_dated_deadline_sends_one_notice_the_current_stage(people):
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH), tick=False):
        deadline = deadlines.open_deadline(people["sales2"], "followup", "补录的回访", people["sales2"],
                                           dt.datetime(2026, 8, 3, 17, 0, tzinfo=SH))
        assert deadlines.tick() == 1
        assert deadlines.tick() == 0
    sent = Notification.objects.filter(title__endswith="补录的回访")
    assert [(n.recipient, n.title) for n in sent] == [(people["gm"], "逾期升级：补录的回访")]  # escalation 2
    notices = {n.stage: n.skipped for n in deadline.notices.all()}
    assert notices == {Stage.REMINDER: True, Stage.OVERDUE: True, Stage.ESCALATION_1: True,
                       Stage.ESCALATION_2: False}
