"""The working-day calendar (工作日历): Chinese statutory holidays (法定节假日) and adjusted working days (调休上班).

Data
  ``CalendarDay``  one row per day that differs from the Mon–Fri rule: a holiday, or a weekend day worked.
  ``CalendarYear`` one row per year whose calendar is known, with who vouches for it: the ``chinesecalendar``
                   library, or an administrator (``confirmed_by``).
  ``UnknownCalendarYear`` one row per year a computation needed but nobody had maintained.

Where the days come from
  ``sync_holidays()`` copies every year the installed ``chinesecalendar`` knows. It runs on ``post_migrate``
  (every ``migrate``, and every ``flush``), so upgrading the library and migrating brings in the new year
  without anyone remembering a command; a data migration would run once and freeze the library's data of
  that day. It is also the management command ``sync_holidays``. It is idempotent and leaves alone what an
  administrator owns: a day saved in the admin (``source = admin``) and every day of a year an administrator
  confirmed. Deleting a library day in the admin hands that year over to the administrator, so that the
  next sync does not bring the day back.

Computing
  ``is_working_day``, ``add_working_days``, ``working_days_between``, ``add_working_hours`` read the table
  (one snapshot per call, each year loaded once; use ``WorkingCalendar()`` directly to share one snapshot
  across many computations). Office hours come from the settings ``QMS_OFFICE_HOURS_START``,
  ``QMS_OFFICE_HOURS_END`` and ``QMS_LUNCH_BREAK``; all times are Asia/Shanghai (``TIME_ZONE``).

Provisional results
  A computation that crossed a day of a year nobody confirmed is a guess. Each ``WorkingCalendar`` exposes the
  years it consulted (``years_used``) and those of them not confirmed (``unconfirmed_years_used``); and
  ``tracking()`` collects the same over every calendar used inside a block, so that a deadline computed by any
  rule can be stored with its ``provisional`` flag and the years it depends on (``qms.deadlines``). Confirming
  a year or changing a day re-computes the open deadlines that depend on it (``qms.deadlines.recompute``).

Quiet hours
  ``next_working_moment(at)`` is ``at`` when it falls in an office period of a working day, else the start of
  the next office period: reminders and escalations are sent then, not on a public holiday or at 05:00.

A year nobody maintained is never silently guessed
  Such a year is computed by the Mon–Fri rule (plus any day an administrator already entered), and reported:
  the first computation that needs it inserts its ``UnknownCalendarYear`` row and, in the same savepoint,
  notifies every administrator (superusers and the 文管中心 role) in the portal and by e-mail. The unique row
  makes this exactly once, also under concurrency; if the caller's transaction rolls back, row and
  notifications go together and the next computation reports again. Until the year is confirmed
  (``confirm_year``, or adding it under 已维护年份 in the admin) each administrator has the task
  "请维护 YYYY 年节假日" in 我的待办, linking to the admin's day list for that year.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms.people import Role
from qms.registry import WorkItem

logger = logging.getLogger(__name__)

# The library names its holidays in English; the calendar shows the official Chinese names.
LIBRARY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    WORKDAY = "workday", _("调休上班")


class CalendarSource(models.TextChoices):
    LIBRARY = "library", _("chinesecalendar 库")
    ADMIN = "admin", _("管理员维护")


class CalendarDay(models.Model):
    """A day that differs from the Mon–Fri rule."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=DayKind.choices)
    name = models.CharField(_("节日名称"), max_length=50, help_text=_("例如：国庆节"))
    source = models.CharField(_("来源"), max_length=20, choices=CalendarSource.choices,
                              default=CalendarSource.ADMIN)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("维护人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("维护时间"), default=timezone.now)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["-date"]
        indexes = [models.Index(fields=["kind", "date"], name="calendarday_kind_date")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}（{self.get_kind_display()}）"


class CalendarYear(models.Model):
    """A year whose calendar is known: computations in it use the table without a warning."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=CalendarSource.choices,
                              default=CalendarSource.ADMIN)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已维护年份")
        verbose_name_plural = _("已维护年份")
        ordering = ["-year"]

    def __str__(self):
        return gettext("%(year)d 年") % {"year": self.year}


class UnknownCalendarYear(models.Model):
    """A year a computation needed before anyone maintained it; its administrators were told once."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    first_needed_at = models.DateTimeField(_("首次用到时间"), default=timezone.now)

    class Meta:
        verbose_name = _("未维护年份")
        verbose_name_plural = _("未维护年份")
        ordering = ["-year"]

    def __str__(self):
        return gettext("%(year)d 年") % {"year": self.year}




def is_calendar_administrator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.has_role(Role.DOCUMENT_CONTROL)))


def calendar_administrators():
    from qms.people import User

    return (User.objects.filter(Q(is_superuser=True) | Q(groups__name=Role.DOCUMENT_CONTROL), is_active=True)
            .distinct().order_by("pk"))


def admin_url_for_year(year: int) -> str:
    return f"{reverse('admin:qms_calendarday_changelist')}?year={year}"


# --- office hours ---------------------------------------------------------------------------------------
def _parse_time(value, setting: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"{setting}: {value!r} is not a time like 08:30") from error


def office_periods() -> tuple[tuple[dt.time, dt.time], ...]:
    """The day's working periods from the settings, e.g. ((08:30, 12:00), (13:00, 17:30))."""
    start = _parse_time(settings.QMS_OFFICE_HOURS_START, "QMS_OFFICE_HOURS_START")
    end = _parse_time(settings.QMS_OFFICE_HOURS_END, "QMS_OFFICE_HOURS_END")
    if not start < end:
        raise ImproperlyConfigured("QMS_OFFICE_HOURS_START must be before QMS_OFFICE_HOURS_END")
    lunch = tuple(getattr(settings, "QMS_LUNCH_BREAK", ()) or ())
    if not lunch:
        return ((start, end),)
    if len(lunch) != 2:
        raise ImproperlyConfigured("QMS_LUNCH_BREAK must be a pair of times, e.g. ('12:00', '13:00')")
    lunch_start = _parse_time(lunch[0], "QMS_LUNCH_BREAK")
    lunch_end = _parse_time(lunch[1], "QMS_LUNCH_BREAK")
    if not start < lunch_start < lunch_end < end:
        raise ImproperlyConfigured("QMS_LUNCH_BREAK must lie inside the office hours")
    return ((start, lunch_start), (lunch_end, end))


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            return value.astimezone(timezone.get_default_timezone()).date()
        return value.date()
    return value


# --- computing ------------------------------------------------------------------------------------------
@dataclass
class CalendarUsage:
    """The years a computation consulted, and those of them nobody has confirmed (its result is a guess)."""

    years: set[int] = field(default_factory=set)
    unconfirmed: set[int] = field(default_factory=set)

    @property
    def provisional(self) -> bool:
        return bool(self.unconfirmed)


_usages: contextvars.ContextVar[tuple[CalendarUsage, ...]] = contextvars.ContextVar("calendar_usages", default=())


@contextlib.contextmanager
def tracking():
    """Collect the years every calendar computation inside the block consulted::

        with workdays.tracking() as usage:
            due = rule.due(record, now)
        usage.provisional, usage.unconfirmed
    """
    usage = CalendarUsage()
    token = _usages.set((*_usages.get(), usage))
    try:
        yield usage
    finally:
        _usages.reset(token)


class WorkingCalendar:
    """One snapshot of the calendar: each year is read once (two queries) the first time it is needed."""

    def __init__(self):
        self._years: dict[int, dict[dt.date, str]] = {}
        self._confirmed: dict[int, bool] = {}
        self.years_used: set[int] = set()

    @property
    def unconfirmed_years_used(self) -> set[int]:
        """The years this calendar consulted that nobody confirmed: results that crossed them are provisional."""
        return {year for year in self.years_used if not self._confirmed.get(year)}

    def _special_days(self, year: int) -> dict[dt.date, str]:
        days = self._years.get(year)
        if days is None:
            self._confirmed[year] = CalendarYear.objects.filter(year=year).exists()
            if not self._confirmed[year]:
                report_unknown_year(year)
            days = dict(CalendarDay.objects.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)))
                        .values_list("date", "kind"))
            self._years[year] = days
        self.years_used.add(year)
        for usage in _usages.get():
            usage.years.add(year)
            if not self._confirmed[year]:
                usage.unconfirmed.add(year)
        return days

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        day = _local_date(day)
        kind = self._special_days(day.year).get(day)
        if kind == DayKind.HOLIDAY:
            return False
        if kind == DayKind.WORKDAY:
            return True
        return day.weekday() < 5

    def _add_days(self, day: dt.date, n: int) -> dt.date:
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def add_working_days(self, start, n: int):
        """The ``n``-th working day after ``start`` (``start`` itself never counts).

        A date gives a date; a datetime gives a datetime at the same time of day (an aware one in
        Asia/Shanghai: the day is counted in Chinese local time).
        """
        if n < 0:
            raise ValueError("add_working_days counts forward: n must not be negative")
        if isinstance(start, dt.datetime):
            if timezone.is_aware(start):
                local = start.astimezone(timezone.get_default_timezone())
                return dt.datetime.combine(self._add_days(local.date(), n), local.timetz())
            return dt.datetime.combine(self._add_days(start.date(), n), start.time())
        return self._add_days(start, n)

    def working_days_between(self, a, b) -> int:
        """How many working days lie after ``a`` up to and including ``b`` (negative when ``b`` is earlier).

        So ``working_days_between(a, add_working_days(a, n)) == n``.
        """
        first, last = _local_date(a), _local_date(b)
        if last < first:
            return -self.working_days_between(last, first)
        count = 0
        day = first + dt.timedelta(days=1)
        while day <= last:
            count += self.is_working_day(day)
            day += dt.timedelta(days=1)
        return count

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` office hours after ``start``, counting only office hours of working days.

        A start outside office hours counts from the next office period. Work that ends exactly at the end
        of a period ends there (08:30 + 8 h is 17:30 the same day, not 08:30 the next working day).
        """
        if not isinstance(start, dt.datetime) or timezone.is_naive(start):
            raise ValueError("add_working_hours needs an aware datetime")
        if hours < 0:
            raise ValueError("add_working_hours counts forward: hours must not be negative")
        tz = timezone.get_default_timezone()
        current = start.astimezone(tz)
        remaining = dt.timedelta(hours=hours)
        if not remaining:
            return current
        periods = office_periods()
        day = current.date()
        while True:
            if self.is_working_day(day):
                for period_start, period_end in periods:
                    begin = max(dt.datetime.combine(day, period_start, tzinfo=tz), current)
                    end = dt.datetime.combine(day, period_end, tzinfo=tz)
                    if begin >= end:
                        continue
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += dt.timedelta(days=1)

    def next_working_moment(self, at: dt.datetime) -> dt.datetime:
        """``at`` if it falls inside an office period of a working day, else the start of the next office period
        (a reminder due at 05:00 or on a public holiday goes out then)."""
        tz = timezone.get_default_timezone()
        current = at.astimezone(tz)
        day = current.date()
        for _attempt in range(400):  # a year of holidays is the most the table can hold
            if self.is_working_day(day):
                for period_start, period_end in office_periods():
                    begin = dt.datetime.combine(day, period_start, tzinfo=tz)
                    end = dt.datetime.combine(day, period_end, tzinfo=tz)
                    if current < end:
                        return max(begin, current)
            day += dt.timedelta(days=1)
        raise ImproperlyConfigured("the working-day calendar has no working day in a year")


def is_working_day(day: dt.date | dt.datetime) -> bool:
    return WorkingCalendar().is_working_day(day)


def add_working_days(start, n: int):
    """``start`` (date or datetime) plus ``n`` working days; see ``WorkingCalendar.add_working_days``."""
    return WorkingCalendar().add_working_days(start, n)


def working_days_between(a, b) -> int:
    return WorkingCalendar().working_days_between(a, b)


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    return WorkingCalendar().add_working_hours(start, hours)


def next_working_moment(at: dt.datetime) -> dt.datetime:
    return WorkingCalendar().next_working_moment(at)


# --- unknown years ----------------------------------------------------------------------------------------
def report_unknown_year(year: int) -> bool:
    """Record that ``year`` was needed unmaintained and tell the administrators; True the first time only."""
    if UnknownCalendarYear.objects.filter(year=year).exists():
        return False
    from qms.notifications import Notification, notify

    try:
        with transaction.atomic():
            UnknownCalendarYear.objects.create(year=year)
            title = gettext("工作日历缺少 %(year)d 年的节假日") % {"year": year}
            body = gettext(
                "系统在计算工作日时用到了 %(year)d 年，但该年的法定节假日和调休上班日尚未维护，"
                "暂按周一至周五计算。请在后台“节假日与调休”中录入该年的节假日，并确认该年份。"
            ) % {"year": year}
            for admin in calendar_administrators():
                notify(admin, title, body, link=admin_url_for_year(year), level=Notification.Level.WARNING)
    except IntegrityError:
        return False  # another transaction recorded it first
    logger.warning("Working-day calendar: year %s is not maintained; computing Mon-Fri", year)
    return True


def calendar_maintenance_work(user) -> list[WorkItem]:
    """For administrators: each year a computation needed that nobody has confirmed yet."""
    if not is_calendar_administrator(user):
        return []
    years = (UnknownCalendarYear.objects.filter(~Exists(CalendarYear.objects.filter(year=OuterRef("year"))))
             .order_by("year").values_list("year", flat=True))
    tz = timezone.get_default_timezone()
    return [
        WorkItem(
            title=gettext("请维护 %(year)d 年节假日") % {"year": year},
            url=admin_url_for_year(year),
            category=gettext("工作日历"),
            due=dt.datetime(year, 1, 1, tzinfo=tz),
            detail=gettext("该年尚未维护，工作日暂按周一至周五计算"),
        )
        for year in years
    ]


# --- maintenance (the admin and the sync call these) ------------------------------------------------------
# Sent when days of ``years`` change (an edit, a confirmation, a sync), with ``by`` the administrator or None;
# qms.deadlines re-computes the open deadlines computed across them (connected in QmsConfig.ready).
calendar_changed = Signal()


def _calendar_changed(years, by) -> None:
    calendar_changed.send(sender=CalendarDay, years=sorted(set(years)), by=by)


def save_day(day: CalendarDay, by) -> CalendarDay:
    """An administrator's entry or edit of a day: it is theirs from now on, the sync will not touch it."""
    with transaction.atomic():
        years = {day.date.year}
        if day.pk:
            old = CalendarDay.objects.filter(pk=day.pk).values_list("date", flat=True).first()
            if old is not None:
                years.add(old.year)  # the day was moved: the old year's deadlines change too
        day.source = CalendarSource.ADMIN
        day.updated_by = by
        day.updated_at = timezone.now()
        day.save()
        _calendar_changed(years, by)
    return day


def delete_day(day: CalendarDay, by) -> None:
    """An administrator removes a day; a library-maintained year becomes theirs so the sync keeps it removed."""
    with transaction.atomic():
        CalendarYear.objects.filter(year=day.date.year, source=CalendarSource.LIBRARY).update(
            source=CalendarSource.ADMIN, confirmed_by=by, confirmed_at=timezone.now())
        day.delete()
        _calendar_changed({day.date.year}, by)


def confirm_year(year: int, by) -> CalendarYear:
    """An administrator vouches that ``year``'s holidays and adjusted days are complete; the deadlines computed
    across it are no longer provisional and are re-computed with the days now entered."""
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"source": CalendarSource.ADMIN, "confirmed_by": by, "confirmed_at": timezone.now()})
        _calendar_changed({year}, by)
    return calendar_year


def library_calendar() -> dict[int, dict[dt.date, tuple[str, str]]]:
    """What the installed ``chinesecalendar`` knows: {year: {date: (kind, Chinese name)}}."""
    import chinese_calendar

    result: dict[int, dict[dt.date, tuple[str, str]]] = {}
    for source, kind in ((chinese_calendar.holidays, DayKind.HOLIDAY), (chinese_calendar.workdays, DayKind.WORKDAY)):
        for day, name in source.items():
            result.setdefault(day.year, {})[day] = (str(kind), LIBRARY_NAMES.get(name, name))
    return result


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    years_added: int = 0
    years_kept: int = 0  # confirmed by an administrator: not touched


def sync_holidays(using: str = DEFAULT_DB_ALIAS, apps=global_apps) -> SyncResult:
    """Bring the library's years into the table. Idempotent; never changes what an administrator owns.

    ``apps`` lets the ``post_migrate`` hook run with the migration state's models.
    """
    day_model = apps.get_model("qms", "CalendarDay")
    year_model = apps.get_model("qms", "CalendarYear")
    library = library_calendar()
    result = SyncResult()
    library_kind, admin_kind = str(CalendarSource.LIBRARY), str(CalendarSource.ADMIN)
    with transaction.atomic(using=using):
        years = dict(year_model.objects.using(using).filter(year__in=library).values_list("year", "source"))
        managed = {year for year in library if years.get(year) != admin_kind}
        result.years_kept = len(library) - len(managed)
        existing = {row.date: row for row in day_model.objects.using(using).filter(date__year__in=managed)}
        to_create, to_update, to_delete = [], [], []
        for year in managed:
            for day, (kind, name) in library[year].items():
                row = existing.get(day)
                if row is None:
                    to_create.append(day_model(date=day, kind=kind, name=name, source=library_kind))
                elif row.source == library_kind and (row.kind, row.name) != (kind, name):
                    row.kind, row.name = kind, name
                    to_update.append(row)
        for day, row in existing.items():
            if row.source == library_kind and day not in library[day.year]:
                to_delete.append(row.pk)
        # ignore_conflicts: a concurrent sync may have inserted the same day a moment ago.
        result.created = len(day_model.objects.using(using).bulk_create(to_create, ignore_conflicts=True))
        result.updated = day_model.objects.using(using).bulk_update(to_update, ["kind", "name"]) if to_update else 0
        result.deleted = day_model.objects.using(using).filter(pk__in=to_delete).delete()[0] if to_delete else 0
        new_years = [year_model(year=year, source=library_kind) for year in sorted(library) if year not in years]
        year_model.objects.using(using).bulk_create(new_years, ignore_conflicts=True)
        result.years_added = len(new_years)
    return result


def sync_holidays_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, verbosity=1, **kwargs):
    if getattr(sender, "label", None) != "qms":
        return
    try:
        apps.get_model("qms", "CalendarDay")
        apps.get_model("qms", "CalendarYear")
    except LookupError:
        return  # migrated back below the calendar's migration
    result = sync_holidays(using=using, apps=apps)
    if verbosity >= 2:
        print(f"  Working-day calendar: {result.created} days added, {result.updated} updated, "
              f"{result.deleted} removed, {result.years_added} years added")
