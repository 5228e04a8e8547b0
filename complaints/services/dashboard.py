"""投诉统计 (issue 7 dashboard; PROCEDURES.md §3 "analysis of complaints" and §8 on-time clocks).

Every figure is computed over the complaints the user may see (``qms.people.visible_to``) and aggregated in
PostgreSQL: one grouped query per figure, so the page costs the same number of queries for 30 complaints as
for 100,000.

- complaints (and other feedback) per month and type, the last 12 calendar months;
- on-time rate per clock: the shared deadlines of the ``Clock`` kinds of the complaints received in the
  chosen period, each met on time, met late, open and overdue, closed unmet after its due time (the complaint
  was closed or declared invalid with the clock still running: missed) or still running;
- open complaints now, by responsible department (those not yet handed over stay with their receiver,
  首问负责制), with how many have an overdue clock and how many are key accounts;
- repeat complaints: a complaint whose customer had complained about the same product within the previous
  90 days (a window function over customer and product), grouped by customer and product, the most
  repeated first, with links to the list of those complaints and to the latest one;
- top causes: responsibility (责任归属) and correction kind (处理方式) of the period's complaints, and the
  products most complained about.

The chosen period (this month / last 3 / last 12 months, as on 客户分析) applies to the summary, the clocks,
the repeats and the causes; the monthly figure always covers 12 months and the open complaints are those
open now.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, F, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Clock, Complaint, ComplaintStatus, CorrectionKind, FeedbackType, Responsibility
from complaints.services.complaints import OPEN_STATUSES
from customers.services.analysis import PERIODS, add_months, month_start
from qms.deadlines import Deadline, overdue_q
from qms.people import Role, visible_to

DEFAULT_PERIOD = "month"
REPEAT_DAYS = 90  # "same customer and product within 90 days"
REPEATS_SHOWN = 20
TOP_PRODUCTS = 10

# Who may open the dashboard (complaints.rules): customer service, quality, the MR, the GM and every department manager (each
# sees the figures of the complaints they may see).
DASHBOARD_ROLES = (Role.CUSTOMER_SERVICE, Role.QUALITY, Role.MR, Role.GM)


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _percent(part, whole) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


def _raw(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Summary:
    received: int  # every feedback received in the period
    complaints: int  # of which complaints
    key_accounts: int  # complaints from key accounts
    closed: int  # complaints closed in the period
    invalid: int  # declared invalid in the period


@dataclass
class MonthRow:
    month: dt.date
    counts: dict[str, int]  # feedback type → number received

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ClockRate:
    clock: str
    label: str
    on_time: int = 0  # met by its due time
    late: int = 0  # met after its due time
    overdue: int = 0  # still open, past its due time
    missed: int = 0  # closed unmet after its due time (the complaint was closed with the clock running)
    running: int = 0  # open, not yet due

    @property
    def decided(self) -> int:
        """Clocks whose outcome is known: met, or past their due time."""
        return self.on_time + self.late + self.overdue + self.missed

    @property
    def rate(self) -> float | None:
        return _percent(self.on_time, self.decided)


@dataclass
class DepartmentRow:
    department_id: int | None
    name: str
    open: int
    overdue: int
    key_accounts: int
    oldest: dt.datetime | None

    @property
    def query(self) -> str:
        """The complaint list's filter for these complaints."""
        params = {"scope": "open"}
        if self.department_id:
            params["responsible_department"] = self.department_id
        else:
            params["status"] = ComplaintStatus.RECEIVED  # not yet handed over to a department
        return urlencode(params)


@dataclass
class RepeatRow:
    customer_id: int | None
    customer_name: str
    product: str
    complaints: int  # of this customer and product from 90 days before the period to now
    repeats: int  # of those, received in the period within 90 days of the previous one
    first_at: dt.datetime
    last_at: dt.datetime
    last_id: int
    last_number: str

    @property
    def query(self) -> str:
        return urlencode({"scope": "all", "type": FeedbackType.COMPLAINT, "customer": self.customer_name,
                          "product": self.product})


@dataclass
class CountRow:
    key: str
    label: str
    count: int
    share: float | None


@dataclass
class ComplaintDashboard:
    period: str
    period_label: str
    period_start: dt.date
    today: dt.date
    summary: Summary
    per_month: list[MonthRow]
    clocks: list[ClockRate]
    departments: list[DepartmentRow]
    repeats: list[RepeatRow]
    repeat_groups: int  # customer-product pairs with a repeat in the period
    repeat_complaints: int  # repeat complaints received in the period
    responsibilities: list[CountRow]
    corrections: list[CountRow]
    products: list[CountRow]
    types: list[tuple[str, str]] = field(default_factory=lambda: [(k, str(v)) for k, v in FeedbackType.choices])

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.departments)

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue for row in self.departments)

    @property
    def clock_totals(self) -> ClockRate:
        total = ClockRate("", str(_("合计")))
        for row in self.clocks:
            for name in ("on_time", "late", "overdue", "missed", "running"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total

    def month_table(self) -> list[dict]:
        """Rows per type (and a total) with one cell per month, for the table under the chart."""
        rows = [{"label": label, "values": [m.counts.get(key, 0) for m in self.per_month]}
                for key, label in self.types]
        rows.append({"label": str(_("合计")), "values": [m.total for m in self.per_month], "total": True})
        return rows

    def chart_data(self) -> dict:
        """What static/js/complaint_charts.js draws (labels already translated)."""
        return {
            "perMonth": {"labels": [f"{m.month:%Y-%m}" for m in self.per_month],
                         "series": [{"label": label, "values": [m.counts.get(key, 0) for m in self.per_month]}
                                    for key, label in self.types]},
            "clocks": {"labels": [c.label for c in self.clocks],
                       "series": [{"label": str(_("按时完成")), "values": [c.on_time for c in self.clocks]},
                                  {"label": str(_("超时完成")), "values": [c.late for c in self.clocks]},
                                  {"label": str(_("逾期未完成")), "values": [c.overdue for c in self.clocks]},
                                  {"label": str(_("结案时未完成")), "values": [c.missed for c in self.clocks]}],
                       "rates": [c.rate for c in self.clocks], "rateLabel": str(_("按时率（%）"))},
            "departments": {"labels": [d.name for d in self.departments],
                            "series": [{"label": str(_("处理中")), "values": [d.open for d in self.departments]},
                                       {"label": str(_("有逾期时限")),
                                        "values": [d.overdue for d in self.departments]}]},
            "responsibilities": {"labels": [r.label for r in self.responsibilities],
                                 "values": [r.count for r in self.responsibilities]},
            "corrections": {"labels": [r.label for r in self.corrections],
                            "values": [r.count for r in self.corrections]},
            "products": {"label": str(_("投诉数")), "labels": [r.label for r in self.products],
                         "values": [r.count for r in self.products]},
        }


def complaint_dashboard(user, *, period: str = DEFAULT_PERIOD, now: dt.datetime | None = None) -> ComplaintDashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    label, months_back = PERIODS[period]
    period_start = month_start(today, months_back)
    start = _start_of_day(period_start)
    complaints = visible_to(user, Complaint.objects.all()).order_by()
    repeats, groups, repeat_total = _repeats(complaints, start, now)
    responsibilities, corrections, products = _causes(complaints, start, now)
    return ComplaintDashboard(
        period=period, period_label=str(label), period_start=period_start, today=today,
        summary=_summary(complaints, start, now), per_month=_per_month(complaints, today, now),
        clocks=clock_rates(complaints, start, now), departments=_departments(complaints, now),
        repeats=repeats, repeat_groups=groups, repeat_complaints=repeat_total,
        responsibilities=responsibilities, corrections=corrections, products=products,
    )


def _summary(complaints, start: dt.datetime, now: dt.datetime) -> Summary:
    in_period = Q(received_at__gte=start, received_at__lte=now)
    is_complaint = Q(type=FeedbackType.COMPLAINT)
    closed_in_period = Q(closed_at__gte=start, closed_at__lte=now)
    row = complaints.filter(in_period | closed_in_period).aggregate(
        received=Count("id", filter=in_period),
        complaints=Count("id", filter=in_period & is_complaint),
        key_accounts=Count("id", filter=in_period & is_complaint & Q(is_key_account=True)),
        closed=Count("id", filter=closed_in_period & Q(status=ComplaintStatus.CLOSED)),
        invalid=Count("id", filter=closed_in_period & Q(status=ComplaintStatus.INVALID)),
    )
    return Summary(**row)


def _per_month(complaints, today: dt.date, now: dt.datetime) -> list[MonthRow]:
    first = month_start(today, 11)
    rows = (complaints.filter(received_at__gte=_start_of_day(first), received_at__lte=now)
            .annotate(month=TruncMonth("received_at")).values("month", "type").annotate(n=Count("id")))
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for row in rows:
        month = row["month"]
        month = timezone.localtime(month).date() if isinstance(month, dt.datetime) else month
        counts.setdefault((month.year, month.month), {})[row["type"]] = row["n"]
    months = [add_months(first, step) for step in range(12)]
    return [MonthRow(m, counts.get((m.year, m.month), {})) for m in months]


def _clock_deadlines(complaints):
    return Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Complaint),
                                   object_id__in=complaints.values("pk"), kind__in=Clock.values)


def clock_rates(complaints, start: dt.datetime, now: dt.datetime) -> list[ClockRate]:
    received = complaints.filter(received_at__gte=start, received_at__lte=now)
    met, open_, cancelled = Deadline.State.MET, Deadline.State.OPEN, Deadline.State.CANCELLED
    rows = (_clock_deadlines(received).values("kind").order_by()
            .annotate(on_time=Count("id", filter=Q(state=met, closed_at__lte=F("due_at"))),
                      late=Count("id", filter=Q(state=met, closed_at__gt=F("due_at"))),
                      overdue=Count("id", filter=Q(state=open_, due_at__lt=now)),
                      missed=Count("id", filter=Q(state=cancelled, closed_at__gt=F("due_at"))),
                      running=Count("id", filter=Q(state=open_, due_at__gte=now))))
    by_kind = {row.pop("kind"): row for row in rows}
    return [ClockRate(clock, str(label), **by_kind.get(clock, {})) for clock, label in Clock.choices]


def _overdue_clock(now: dt.datetime):
    return overdue_q(Complaint, *Clock.values, now=now)


def _departments(complaints, now: dt.datetime) -> list[DepartmentRow]:
    rows = (complaints.filter(status__in=OPEN_STATUSES)
            .values("responsible_department", "responsible_department__name")
            .annotate(open=Count("id"), overdue=Count("id", filter=Q(_overdue_clock(now))),
                      key_accounts=Count("id", filter=Q(is_key_account=True)), oldest=Min("received_at"))
            .order_by("-open", "responsible_department__name"))
    unassigned = str(_("未分派（受理人负责）"))
    return [DepartmentRow(row["responsible_department"], row["responsible_department__name"] or unassigned,
                          row["open"], row["overdue"], row["key_accounts"], row["oldest"]) for row in rows]


def _repeats(complaints, start: dt.datetime, now: dt.datetime) -> tuple[list[RepeatRow], int, int]:
    """Complaints whose customer (the customer record, or the name when none was chosen) complained about
    the same product (case and spaces aside) at most 90 days before: LAG over (customer, product) by time.
    The window reaches 90 days before the period so that a complaint early in the period finds its
    predecessor. Groups with a repeat in the period, most repeats first; plus the totals, in one query."""
    window = dt.timedelta(days=REPEAT_DAYS)
    inner = (complaints.filter(type=FeedbackType.COMPLAINT, received_at__gte=start - window, received_at__lte=now)
             .exclude(product="").values("id", "customer_id", "customer_name", "product", "received_at"))
    sql, params = inner.query.sql_with_params()
    table = connection.ops.quote_name(Complaint._meta.db_table)
    # The keys compare bytewise (COLLATE "C"): only equality matters, and it sorts several times faster.
    # lead() over the same window marks each group's latest complaint without sorting again; the names and
    # number shown are read from that complaint for the rows shown only.
    rows = _raw(
        f"WITH c AS ({sql}), "
        "k AS (SELECT c.id, c.customer_id, c.received_at, "
        "             CASE WHEN c.customer_id IS NULL THEN lower(btrim(c.customer_name)) END COLLATE \"C\" AS who, "
        "             lower(btrim(c.product)) COLLATE \"C\" AS what FROM c), "
        "w AS (SELECT k.*, lag(k.received_at) OVER win AS previous_at, lead(k.id) OVER win IS NULL AS is_last "
        "      FROM k WINDOW win AS (PARTITION BY k.customer_id, k.who, k.what ORDER BY k.received_at, k.id)), "
        "g AS (SELECT count(*) AS n, "
        "             count(*) FILTER (WHERE received_at >= %s AND previous_at >= received_at - %s) AS repeats, "
        "             min(received_at) AS first_at, max(received_at) AS last_at, "
        "             max(id) FILTER (WHERE is_last) AS last_id "
        "      FROM w GROUP BY customer_id, who, what), "
        "top AS (SELECT g.*, count(*) OVER () AS groups, sum(repeats) OVER () AS total FROM g WHERE repeats > 0 "
        "        ORDER BY repeats DESC, last_at DESC, last_id DESC LIMIT %s) "
        "SELECT t.customer_id, t.customer_name, btrim(t.product), top.n, top.repeats, top.first_at, top.last_at, "
        f"       top.last_id, t.number, top.groups, top.total FROM top JOIN {table} t ON t.id = top.last_id "
        "ORDER BY top.repeats DESC, top.last_at DESC, top.last_id DESC",
        [*params, start, window, REPEATS_SHOWN])
    shown = [RepeatRow(*row[:9]) for row in rows]
    groups = rows[0][9] if rows else 0
    total = int(rows[0][10]) if rows else 0
    return shown, groups, total


def _causes(complaints, start: dt.datetime, now: dt.datetime):
    """Responsibility and correction kind of the period's complaints (shares of those where it is recorded),
    and the most complained-of products (shares of all the period's complaints): three groupings over the
    same rows, in one statement."""
    inner = (complaints.filter(type=FeedbackType.COMPLAINT, received_at__gte=start, received_at__lte=now)
             .values("responsibility", "correction_kind", "product"))
    sql, params = inner.query.sql_with_params()
    rows = _raw(
        f"WITH c AS ({sql}) "
        "SELECT 'responsibility', responsibility, count(*) FROM c WHERE responsibility <> '' "
        "GROUP BY responsibility "
        "UNION ALL SELECT 'correction', correction_kind, count(*) FROM c WHERE correction_kind <> '' "
        "GROUP BY correction_kind "
        "UNION ALL SELECT 'total', '', count(*) FROM c "
        "UNION ALL (SELECT 'product', min(btrim(product)), count(*) FROM c WHERE btrim(product) <> '' "
        "           GROUP BY lower(btrim(product)) ORDER BY 3 DESC, 2 LIMIT %s)",
        [*params, TOP_PRODUCTS])
    found: dict[str, dict[str, int]] = {"responsibility": {}, "correction": {}, "product": {}, "total": {}}
    for kind, key, n in rows:
        found[kind][key] = n

    def counted(kind: str, choices) -> list[CountRow]:
        values = found[kind]
        total = sum(values.values())
        return [CountRow(key, str(label), values.get(key, 0), _percent(values.get(key, 0), total))
                for key, label in choices]

    complaints_total = found["total"].get("", 0)
    products = sorted(found["product"].items(), key=lambda item: (-item[1], item[0]))
    return (counted("responsibility", Responsibility.choices), counted("correction", CorrectionKind.choices),
            [CountRow(name, name, n, _percent(n, complaints_total)) for name, n in products])
