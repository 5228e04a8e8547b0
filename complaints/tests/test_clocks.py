"""The clocks of §3 on the working-day calendar; reminders and escalation (department manager, then MR)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from complaints.models import Clock, ComplaintStatus
from complaints.services import complaints as service
from complaints.tests import factories
from qms import Refused, deadlines
from qms.deadlines import Deadline
from qms.notifications import Notification, deliver_pending_emails
from qms.registry import my_work

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def due_times(complaint):
    return {d.kind: d.due_at for d in deadlines.deadlines_for(complaint)}


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """E-mails are sent by the worker: here ``deliver_pending_emails`` plays the worker."""
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


def test_clocks_run_across_the_national_day_holiday(people):
    # Wed 30 Sept 15:00; 1–7 Oct are the National Day holiday; Sat 10 Oct is an adjusted working day.
    with time_machine.travel(at(2026, 9, 30, 15, 0), tick=False):
        complaint = factories.received(people, requires_on_site=True)
    assert due_times(complaint) == {
        # 8 office hours: 15:00–17:30 on 30 Sept, then 08:30–12:00 and 13:00–15:00 on 8 Oct
        Clock.FIRST_REPLY: at(2026, 10, 8, 15, 0),
        Clock.ON_SITE: at(2026, 10, 8, 15, 0),
        Clock.INVESTIGATION: at(2026, 10, 8, 15, 0),
        Clock.ACCEPTED_REPLY: at(2026, 10, 9, 15, 0),
        # five working days: 8, 9, 10 (Saturday worked), 12, 13 October
        Clock.WRITTEN_REPLY: at(2026, 10, 13, 15, 0),
    }


def test_clocks_run_across_a_weekend_and_the_dragon_boat_festival(people):
    # Fri 12 June 16:00; Fri 19 June is the Dragon Boat Festival.
    with time_machine.travel(at(2026, 6, 12, 16, 0), tick=False):
        complaint = factories.received(people)
    assert due_times(complaint) == {
        Clock.FIRST_REPLY: at(2026, 6, 15, 16, 0),  # 1.5 h on Friday, 6.5 h on Monday
        Clock.INVESTIGATION: at(2026, 6, 15, 16, 0),
        Clock.ACCEPTED_REPLY: at(2026, 6, 16, 16, 0),
        Clock.WRITTEN_REPLY: at(2026, 6, 22, 16, 0),  # 15, 16, 17, 18 and (after the holiday) 22 June
    }
    assert Clock.ON_SITE not in due_times(complaint)  # only when an on-site visit is needed


def test_feedback_that_is_not_a_complaint_has_the_first_reply_clock_only(people):
    with time_machine.travel(at(2026, 6, 10, 9, 0), tick=False):
        suggestion = factories.received(people, type="suggestion", description="建议包装上增加二维码")
    assert list(due_times(suggestion)) == [Clock.FIRST_REPLY]
    assert suggestion.number.startswith("FK-2026-")


def test_each_clock_is_met_by_its_action_and_the_investigation_by_starting_it(people):
    with time_machine.travel(at(2026, 6, 12, 16, 0), tick=False):
        complaint = factories.received(people, requires_on_site=True)
    with time_machine.travel(at(2026, 6, 15, 9, 0), tick=False):
        service.record_clock(complaint, Clock.FIRST_REPLY, people["sales2"], note="电话答复客户已受理")
        service.record_clock(complaint, Clock.ON_SITE, people["sales2"])
    with time_machine.travel(at(2026, 6, 15, 10, 0), tick=False):
        factories.investigating(people, complaint)
    with time_machine.travel(at(2026, 6, 17, 10, 0), tick=False):
        service.record_clock(complaint, Clock.ACCEPTED_REPLY, people["quality"])
        with pytest.raises(Refused, match="请填写书面答复"):
            service.record_clock(complaint, Clock.WRITTEN_REPLY, people["quality"])
        service.record_clock(complaint, Clock.WRITTEN_REPLY, people["quality"], written_reply="整批换货，原因见附件")
    states = {d.kind: d.state for d in deadlines.deadlines_for(complaint)}
    assert set(states.values()) == {Deadline.State.MET}
    complaint.refresh_from_db()
    assert complaint.investigation_started_at == at(2026, 6, 15, 10, 0)
    rows = {row["clock"]: row["state"] for row in service.clock_rows(complaint)}
    assert rows[Clock.FIRST_REPLY] == "按时完成"
    assert rows[Clock.ACCEPTED_REPLY] == "超时完成"  # due 16 June 16:00, recorded on the 17th
    with pytest.raises(Refused, match="已于 2026-06-15 09:00 登记"):
        service.record_clock(complaint, Clock.FIRST_REPLY, people["quality"])


def test_the_receiver_owns_the_clocks_until_the_hand_over(people):
    with time_machine.travel(at(2026, 6, 10, 9, 0), tick=False):
        complaint = factories.received(people, by="sales2")
        assert {d.responsible.username for d in deadlines.deadlines_for(complaint)} == {"sales2"}
        assert [i.title for i in my_work(people["sales2"]) if i.category == "客户投诉"] == [
            f"受理分派：{complaint.number} 杭州仁和医院"]
        factories.assigned(people, complaint, handler="quality")
        assert {d.responsible.username for d in deadlines.deadlines_for(complaint)} == {"quality"}
        assert [i for i in my_work(people["sales2"]) if i.category == "客户投诉"] == []
        work = [i for i in my_work(people["quality"]) if i.category == "客户投诉"]
        assert [i.title for i in work] == [f"开始调查：{complaint.number} 杭州仁和医院"]
        assert work[0].due == at(2026, 6, 11, 9, 0)  # its earliest open clock (first reply: 7.5 h + 0.5 h)
        # the line leads to the complaint and names its status (and its key account, when it is one)
        assert work[0].url == complaint.get_absolute_url()
        assert work[0].detail.startswith(("大客户 · " if complaint.is_key_account else "") + "已分派；")  # then its clocks
        assert work[0].priority == complaint.is_key_account


def test_an_overdue_clock_reminds_then_escalates_to_the_manager_then_the_mr_in_portal_and_email(people):
    # Received on Wed 30 Sept 10:00 by a salesperson and left unassigned over the National Day holiday.
    with time_machine.travel(at(2026, 9, 30, 10, 0), tick=False):
        complaint = factories.received(people, by="sales2")
    first_reply = f"首次答复客户：{complaint}"

    def about_first_reply(user):
        return [title for title in titles(user) if title.endswith(first_reply)]

    with time_machine.travel(at(2026, 10, 7, 23, 0), tick=False):
        deadlines.tick()  # the holiday passes without a notice: nothing is due yet
    assert titles(people["sales2"]) == []
    with time_machine.travel(at(2026, 10, 8, 8, 25), tick=False):
        deadlines.tick()
    assert titles(people["sales2"]) == []  # both clocks are due 10:00; their reminders wait for office hours
    with time_machine.travel(at(2026, 10, 8, 8, 35), tick=False):
        deadlines.tick()
    # the investigation clock reminds 4 h ahead (06:00), the first reply 2 h ahead (08:00): both at 08:30
    assert sorted(titles(people["sales2"])) == sorted([f"即将到期：开始调查：{complaint}", f"即将到期：{first_reply}"])
    with time_machine.travel(at(2026, 10, 8, 10, 5), tick=False):
        deadlines.tick()
    assert about_first_reply(people["sales2"])[-1] == f"已逾期：{first_reply}"
    assert about_first_reply(people["sales"]) == []
    with time_machine.travel(at(2026, 10, 8, 14, 5), tick=False):  # 4 h overdue: the department manager
        deadlines.tick()
    assert about_first_reply(people["sales"]) == [f"逾期升级：{first_reply}"]
    assert about_first_reply(people["mr"]) == []
    with time_machine.travel(at(2026, 10, 8, 18, 5), tick=False):  # 8 h overdue, but after office hours
        deadlines.tick()
    assert about_first_reply(people["mr"]) == []
    with time_machine.travel(at(2026, 10, 9, 8, 35), tick=False):  # the next morning: the MR (not the GM)
        deadlines.tick()
    assert about_first_reply(people["mr"]) == [f"逾期升级：{first_reply}"]
    assert about_first_reply(people["gm"]) == []
    deliver_pending_emails()
    sent = {(m.to[0], m.subject) for m in mail.outbox}
    assert ("sales2@example.com", f"[QMS Portal] 即将到期：{first_reply}") in sent
    assert ("sales2@example.com", f"[QMS Portal] 已逾期：{first_reply}") in sent
    assert ("sales@example.com", f"[QMS Portal] 逾期升级：{first_reply}") in sent
    assert ("mr@example.com", f"[QMS Portal] 逾期升级：{first_reply}") in sent
    # the escalated deadline is in the manager's and the MR's 我的待办 too
    assert first_reply in [item.title for item in my_work(people["mr"])]


def test_after_assignment_escalation_goes_to_the_responsible_departments_manager(people):
    from qms.people import Department

    production = Department.objects.get(code="production")
    with time_machine.travel(at(2026, 6, 10, 9, 0), tick=False):
        complaint = factories.received(people, by="service")
        service.advance(complaint, ComplaintStatus.ASSIGNED, people["service"],
                        data={"responsible_department": production, "responsible": people["pmc"]})
    with time_machine.travel(at(2026, 6, 11, 14, 0), tick=False):  # investigation due 11 June 09:00
        deadlines.tick()
    assert f"逾期升级：开始调查：{complaint}" not in titles(people["production"])
    with time_machine.travel(at(2026, 6, 12, 9, 5), tick=False):
        deadlines.tick()
    assert f"逾期升级：开始调查：{complaint}" in titles(people["production"])
    assert f"已逾期：开始调查：{complaint}" in titles(people["pmc"])


def test_closing_cancels_the_clocks_not_met(people):
    with time_machine.travel(at(2026, 6, 10, 9, 0), tick=False):
        complaint = factories.closed(people)
    states = {d.kind: d.state for d in deadlines.deadlines_for(complaint)}
    assert states[Clock.INVESTIGATION] == Deadline.State.MET
    assert states[Clock.WRITTEN_REPLY] == Deadline.State.CANCELLED
    assert not Deadline.objects.filter(object_id=complaint.pk, state=Deadline.State.OPEN,
                                       kind__in=Clock.values).exists()


def test_when_the_handler_is_the_department_manager_the_mr_gets_one_escalation_not_two(people):
    from qms.people import Department

    production = Department.objects.get(code="production")
    assert production.manager == people["production"]
    with time_machine.travel(at(2026, 6, 10, 9, 0), tick=False):
        complaint = factories.received(people, by="service")
        service.advance(complaint, ComplaintStatus.ASSIGNED, people["service"],
                        data={"responsible_department": production, "responsible": people["production"]})
    escalation = f"逾期升级：开始调查：{complaint}"  # investigation due 11 June 09:00, escalates a day later each
    with time_machine.travel(at(2026, 6, 12, 9, 5), tick=False):
        deadlines.tick()  # escalation 1: the manager is the handler himself, so it goes one level up, to the MR
    assert titles(people["mr"]).count(escalation) == 1
    assert escalation not in titles(people["production"])
    with time_machine.travel(at(2026, 6, 16, 9, 5), tick=False):
        deadlines.tick()  # escalation 2 would be the MR again: recorded, not sent twice
    assert titles(people["mr"]).count(escalation) == 1
    notices = Deadline.objects.get(object_id=complaint.pk, kind=Clock.INVESTIGATION).notices
    assert notices.get(stage=deadlines.Stage.ESCALATION_2).skipped
