"""The working-day calendar: 国庆 and 春节 2026 from chinesecalendar, office hours, unknown years, admin edits."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from qms import workdays
from qms.notifications import Notification, deliver_pending_emails
from qms.registry import my_work
from qms.workdays import (CalendarDay, CalendarYear, UnknownCalendarYear, add_working_days, add_working_hours,
                          is_working_day, working_days_between)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


# --- the calendar the library gives ---------------------------------------------------------------------
def test_every_year_the_library_knows_is_loaded_as_known():
    import chinese_calendar

    library_years = {day.year for day in chinese_calendar.holidays}
    assert set(CalendarYear.objects.filter(source="library").values_list("year", flat=True)) == library_years
    assert {2004, 2026} <= library_years
    national_day = CalendarDay.objects.get(date=D(2026, 10, 1))
    assert (national_day.kind, national_day.name, national_day.source) == ("holiday", "国庆节", "library")


def test_national_day_2026_follows_the_official_schedule():
    # 国务院办公厅 2026 schedule as chinesecalendar has it: 10-01..10-07 off; 09-20 (Sun) and 10-10 (Sat)
    # worked for 国庆; 中秋 09-25..09-27 off.
    assert not any(is_working_day(D(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(D(2026, 10, 8))
    assert is_working_day(D(2026, 9, 20)) and is_working_day(D(2026, 10, 10))
    assert not is_working_day(D(2026, 10, 11))  # an ordinary Sunday
    assert not is_working_day(D(2026, 9, 25))  # 中秋, a Friday
    assert CalendarDay.objects.get(date=D(2026, 9, 20)).get_kind_display() == "调休上班"
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_working_days(D(2026, 9, 19), 1) == D(2026, 9, 20)
    assert add_working_days(D(2026, 9, 24), 1) == D(2026, 9, 28)


def test_spring_festival_2026_follows_the_official_schedule():
    assert [is_working_day(D(2026, 2, day)) for day in range(14, 25)] == [
        True,  # 02-14 Sat: adjusted working day
        False, False, False, False, False, False, False, False, False,  # 02-15 .. 02-23
        True,  # 02-24
    ]
    assert is_working_day(D(2026, 2, 28))  # Sat: adjusted working day
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # 02-14, 02-24, 02-25, 02-26, 02-27, 02-28
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6


def test_working_days_between_counts_after_the_first_day_up_to_the_last():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2
    assert working_days_between(D(2026, 10, 9), D(2026, 9, 30)) == -2
    assert working_days_between(D(2026, 9, 30), D(2026, 9, 30)) == 0
    start = D(2026, 9, 18)
    assert working_days_between(start, add_working_days(start, 7)) == 7


def test_a_datetime_keeps_its_time_of_day_in_shanghai():
    assert add_working_days(at(2026, 9, 30, 10, 0), 2) == at(2026, 10, 9, 10, 0)
    # 2026-09-30 23:30 UTC is already 10-01 07:30 in Shanghai: counted from the holiday, not from 09-30.
    result = add_working_days(dt.datetime(2026, 9, 30, 23, 30, tzinfo=dt.UTC), 1)
    assert result == at(2026, 10, 8, 7, 30)
    assert result.utcoffset() == dt.timedelta(hours=8)
    assert add_working_days(dt.datetime(2026, 9, 30, 10, 0), 1) == dt.datetime(2026, 10, 8, 10, 0)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 9, 30), -1)


# --- office hours ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("start, hours, expected", [
    (at(2026, 9, 17, 16, 30), 2, at(2026, 9, 18, 9, 30)),  # across a night
    (at(2026, 9, 17, 11, 30), 1, at(2026, 9, 17, 13, 30)),  # across the lunch break
    (at(2026, 9, 11, 17, 0), 1, at(2026, 9, 14, 9, 0)),  # across an ordinary weekend
    (at(2026, 9, 18, 17, 0), 1, at(2026, 9, 20, 9, 0)),  # Sat off, Sun 09-20 is a 国庆 adjusted working day
    (at(2026, 9, 30, 16, 30), 4, at(2026, 10, 8, 11, 30)),  # across 国庆
    (at(2026, 10, 8, 8, 30), 8, at(2026, 10, 8, 17, 30)),  # a full day ends at 17:30, not the next morning
    (at(2026, 10, 8, 7, 0), 1, at(2026, 10, 8, 9, 30)),  # before office hours
    (at(2026, 10, 8, 12, 30), 0.5, at(2026, 10, 8, 13, 30)),  # in the lunch break
    (at(2026, 10, 3, 10, 0), 1, at(2026, 10, 8, 9, 30)),  # on a holiday
    (at(2026, 2, 13, 17, 0), 9, at(2026, 2, 24, 9, 0)),  # Fri 0.5 h, Sat 02-14 worked 8 h, 春节, then 02-24
])
def test_working_hours_count_only_office_hours_of_working_days(start, hours, expected):
    assert add_working_hours(start, hours) == expected


def test_working_hours_follow_the_office_hours_setting(settings):
    settings.QMS_OFFICE_HOURS_START = "09:00"
    settings.QMS_OFFICE_HOURS_END = "18:00"
    settings.QMS_LUNCH_BREAK = ()
    assert add_working_hours(at(2026, 10, 8, 17, 0), 2) == at(2026, 10, 9, 10, 0)


def test_working_hours_start_from_an_aware_time_only():
    with pytest.raises(ValueError):
        add_working_hours(dt.datetime(2026, 10, 8, 9, 0), 1)


# --- a year nobody maintained -----------------------------------------------------------------------------
def test_an_unknown_year_is_computed_mon_to_fri_and_administrators_are_told_once(
        people, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)
    with django_capture_on_commit_callbacks(execute=True):
        # 2035-01-01 is a Monday: New Year's Day is not guessed.
        assert is_working_day(D(2035, 1, 1))
        assert add_working_days(D(2035, 1, 4), 1) == D(2035, 1, 5)
        assert add_working_days(D(2035, 1, 5), 1) == D(2035, 1, 8)
    assert list(UnknownCalendarYear.objects.values_list("year", flat=True)) == [2035]
    told = Notification.objects.filter(title="工作日历缺少 2035 年的节假日")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["admin", "doccontrol"]
    assert told.first().link == "/admin/qms/calendarday/?year=2035"
    assert deliver_pending_emails() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["admin@example.com", "doccontrol@example.com"]


def test_administrators_have_a_maintenance_task_until_the_year_is_confirmed(people):
    add_working_days(D(2035, 3, 1), 1)
    for code in ("admin", "doccontrol"):
        items = [item for item in my_work(people[code]) if item.category == "工作日历"]
        assert [(item.title, item.url) for item in items] == [("请维护 2035 年节假日", "/admin/qms/calendarday/?year=2035")]
    assert not [item for item in my_work(people["gm"]) if item.category == "工作日历"]
    workdays.confirm_year(2035, people["doccontrol"])
    assert not [item for item in my_work(people["admin"]) if item.category == "工作日历"]
    assert CalendarYear.objects.get(year=2035).confirmed_by == people["doccontrol"]


def test_a_computation_spanning_into_an_unknown_year_reports_it(people):
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)  # Friday; 2027's 元旦 is unknown
    assert list(UnknownCalendarYear.objects.values_list("year", flat=True)) == [2027]
    assert not UnknownCalendarYear.objects.filter(year=2026).exists()


# --- the admin and the sync -------------------------------------------------------------------------------
def test_a_day_added_in_the_admin_changes_the_result_and_survives_the_sync(client, people):
    client.force_login(people["admin"])
    response = client.post(reverse("admin:qms_calendarday_add"),
                           {"date": "2026-10-08", "kind": "holiday", "name": "国庆节（公司延长）"})
    assert response.status_code == 302
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 9)
    day = CalendarDay.objects.get(date=D(2026, 10, 8))
    assert (day.source, day.updated_by) == ("admin", people["admin"])
    call_command("sync_holidays", stdout=open("/dev/null", "w"))
    assert not is_working_day(D(2026, 10, 8))


def test_a_library_day_edited_in_the_admin_is_not_overwritten_by_the_sync(client, people):
    people["doccontrol"].is_staff = True
    people["doccontrol"].save()
    client.force_login(people["doccontrol"])
    day = CalendarDay.objects.get(date=D(2026, 10, 10))
    url = reverse("admin:qms_calendarday_change", args=[day.pk])
    response = client.post(url, {"date": "2026-10-10", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302
    assert add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 12)
    call_command("sync_holidays", stdout=open("/dev/null", "w"))
    day.refresh_from_db()
    assert (day.kind, day.source, day.updated_by) == ("holiday", "admin", people["doccontrol"])


def test_deleting_a_library_day_in_the_admin_hands_the_year_to_the_administrator(client, people):
    client.force_login(people["admin"])
    day = CalendarDay.objects.get(date=D(2026, 10, 10))
    response = client.post(reverse("admin:qms_calendarday_delete", args=[day.pk]), {"post": "yes"})
    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2026)
    assert (year.source, year.confirmed_by) == ("admin", people["admin"])
    call_command("sync_holidays", stdout=open("/dev/null", "w"))
    assert not CalendarDay.objects.filter(date=D(2026, 10, 10)).exists()
    assert not is_working_day(D(2026, 10, 10))


def test_the_sync_is_idempotent_and_repairs_library_rows():
    before = CalendarDay.objects.count()
    result = workdays.sync_holidays()
    assert (result.created, result.updated, result.deleted, result.years_added) == (0, 0, 0, 0)
    CalendarDay.objects.filter(date=D(2026, 10, 1)).delete()
    CalendarDay.objects.filter(date=D(2026, 10, 2)).update(name="改错的名字")
    CalendarDay.objects.create(date=D(2026, 10, 12), kind="holiday", name="不存在的假日", source="library")
    result = workdays.sync_holidays()
    assert (result.created, result.updated, result.deleted) == (1, 1, 1)
    assert CalendarDay.objects.count() == before
    assert CalendarDay.objects.get(date=D(2026, 10, 2)).name == "国庆节"


def test_the_admin_lists_days_by_year_kind_and_name(client, people):
    people["doccontrol"].is_staff = True
    people["doccontrol"].save()
    client.force_login(people["doccontrol"])
    response = client.get(reverse("admin:qms_calendarday_changelist"), {"year": "2026", "kind": "workday"})
    assert response.status_code == 200
    shown = {day.date for day in response.context["cl"].result_list}
    assert shown == {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)}
    response = client.get(reverse("admin:qms_calendarday_changelist"), {"year": "2026", "q": "中秋"})
    assert {day.date for day in response.context["cl"].result_list} == {D(2026, 9, 25), D(2026, 9, 26),
                                                                     D(2026, 9, 27)}
    years = client.get(reverse("admin:qms_calendaryear_changelist")).context["cl"].result_list
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:qms_calendarday_changelist") in index and reverse("admin:qms_documenttype_changelist") in index
    assert reverse("admin:qms_user_changelist") not in index
    year_2026 = next(year for year in years if year.year == 2026)
    assert (year_2026.holiday_count, year_2026.workday_count) == (33, 6)


def test_other_staff_cannot_edit_the_calendar(client, people):
    client.force_login(people["gm"])  # staff, but not an administrator of the calendar
    assert client.get(reverse("admin:qms_calendarday_changelist")).status_code == 403


def test_adding_a_year_in_the_admin_confirms_it_and_closes_the_task(client, people):
    add_working_days(D(2035, 3, 1), 1)
    client.force_login(people["admin"])
    response = client.post(reverse("admin:qms_calendaryear_add"), {"year": "2035"})
    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2035)
    assert (year.source, year.confirmed_by) == ("admin", people["admin"])
    assert not [item for item in my_work(people["admin"]) if item.category == "工作日历"]
    unknown = client.get(reverse("admin:qms_unknowncalendaryear_changelist")).context["cl"].result_list
    assert [(row.year, row.known) for row in unknown] == [(2035, True)]


@pytest.mark.parametrize("url_name", ["admin:qms_calendarday_changelist", "admin:qms_calendarday_add",
                                      "admin:qms_calendaryear_changelist", "admin:qms_calendaryear_add",
                                      "admin:qms_unknowncalendaryear_changelist"])
def test_the_calendar_admin_pages_open_in_chinese(client, people, url_name):
    client.force_login(people["admin"])
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "年份" in response.content.decode() or "日期" in response.content.decode()
