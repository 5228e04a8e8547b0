"""大客户分析 (PROCEDURES.md §1 Analysis): development, value (ABC / Pareto), behaviour and churn warning.

Every figure is computed over the customers the user may see (``qms.people.visible_to``) and aggregated in
PostgreSQL: one grouped query per figure, so the page costs the same number of queries for 30 customers
as for 100,000.

- new customers per month, the last 12 calendar months;
- follow-ups per person who made them, over the chosen period (this month / last 3 / last 12 months);
- grade distribution and each grade's share of the last 12 months' revenue, with the Pareto curve
  (customers sorted by revenue, cumulative share of revenue against cumulative share of customers);
- visit compliance per owner: visits planned in the period (not cancelled) against those recorded;
- churn warning (客户流失预警): owned customers with no follow-up for more than half of their grade's
  return days *and* whose last 3 months' revenue fell below half of the 3 months before;
- contract value (§2): the amount of the registered and completed contracts the user may see (``visible_to`` on
  Contract) by their order date, per month over the last 12 calendar months and per owner over the chosen period.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract, ContractStatus
from customers.models import BusinessRecord, Customer, CustomerPolicy, FollowUp, Grade, Visit, VisitStatus
from qms.people import visible_to

PERIODS = {
    "month": (_("本月"), 0),
    "3m": (_("近 3 个月"), 2),
    "12m": (_("近 12 个月"), 11),
}
DEFAULT_PERIOD = "month"
RISK_DROP = Decimal("0.5")  # last 3 months below half of the 3 months before
AT_RISK_SHOWN = 50
PARETO_STEPS = 20  # points of the curve: every 5 % of customers
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=16, decimal_places=2))
# the contracts that are business: accepted into the register (合同台账), or completed
CONTRACT_VALUE_STATUSES = (ContractStatus.REGISTERED, ContractStatus.COMPLETED)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    return add_months(day.replace(day=1), -months_back)


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _person(row: dict, prefix: str) -> str:
    full = row.get(f"{prefix}__full_name") or ""
    return full or row.get(f"{prefix}__username") or "—"


def _percent(part, whole) -> float:
    return round(float(part) * 100 / float(whole), 1) if whole else 0.0


@dataclass
class MonthCount:
    month: dt.date
    count: int


@dataclass
class MonthValue:
    month: dt.date
    count: int
    value: Decimal


@dataclass
class OwnerValue:
    user_id: int
    name: str
    count: int
    value: Decimal


@dataclass
class PersonFollowUps:
    user_id: int
    name: str
    follow_ups: int
    customers: int


@dataclass
class GradeRow:
    grade: str
    label: str
    customers: int
    customer_share: float
    revenue: Decimal
    revenue_share: float


@dataclass
class ParetoPoint:
    customer_share: int  # % of customers, best first
    customers: int
    revenue_share: float  # cumulative % of revenue


@dataclass
class VisitCompliance:
    user_id: int
    name: str
    planned: int
    recorded: int
    overdue: int

    @property
    def rate(self) -> float:
        return _percent(self.recorded, self.planned)


@dataclass
class AtRiskCustomer:
    customer: Customer
    last_contact: dt.datetime
    days_silent: int
    threshold_days: int
    recent: Decimal
    previous: Decimal

    @property
    def change(self) -> float:
        """Revenue change, in %, of the last 3 months against the 3 months before (negative: a drop)."""
        return round(float(self.recent - self.previous) * 100 / float(self.previous), 1)


@dataclass
class CustomerAnalysis:
    period: str
    period_label: str
    period_start: dt.date
    today: dt.date
    revenue_start: dt.date
    total_customers: int
    total_revenue: Decimal
    new_per_month: list[MonthCount]
    follow_ups: list[PersonFollowUps]
    grades: list[GradeRow]
    pareto: list[ParetoPoint]
    customers_for_80: int | None  # how many customers make 80 % of the revenue
    visits: list[VisitCompliance]
    at_risk: list[AtRiskCustomer]
    at_risk_total: int
    risk_thresholds: dict[str, int] = field(default_factory=dict)
    contracts_per_month: list[MonthValue] = field(default_factory=list)
    contracts_per_owner: list[OwnerValue] = field(default_factory=list)

    @property
    def contract_total(self) -> Decimal:
        """The contract value of the last 12 months."""
        return sum((m.value for m in self.contracts_per_month), Decimal("0"))

    @property
    def contract_count(self) -> int:
        return sum(m.count for m in self.contracts_per_month)

    @property
    def share_for_80(self) -> float | None:
        if self.customers_for_80 is None:
            return None
        return _percent(self.customers_for_80, self.total_customers)

    def chart_data(self) -> dict:
        """What static/js/customer_charts.js draws (labels already translated)."""
        return {
            "newPerMonth": {"label": str(_("新增客户")),
                            "labels": [f"{m.month:%Y-%m}" for m in self.new_per_month],
                            "values": [m.count for m in self.new_per_month]},
            "followUps": {"label": str(_("跟进次数")), "labels": [p.name for p in self.follow_ups],
                          "values": [p.follow_ups for p in self.follow_ups]},
            "grades": {"labels": [g.label for g in self.grades],
                       "customers": [g.customers for g in self.grades],
                       "revenueShare": [g.revenue_share for g in self.grades],
                       "customersLabel": str(_("客户数")), "revenueLabel": str(_("营业额占比（%）"))},
            "pareto": {"label": str(_("累计营业额占比（%）")), "xLabel": str(_("累计客户占比（%）")),
                       "labels": [p.customer_share for p in self.pareto],
                       "values": [p.revenue_share for p in self.pareto]},
            "visits": {"labels": [v.name for v in self.visits],
                       "planned": [v.planned for v in self.visits], "recorded": [v.recorded for v in self.visits],
                       "plannedLabel": str(_("计划")), "recordedLabel": str(_("已记录"))},
            "contractsPerMonth": {"label": str(_("合同金额（元）")),
                                  "labels": [f"{m.month:%Y-%m}" for m in self.contracts_per_month],
                                  "values": [float(m.value) for m in self.contracts_per_month]},
            "contractsPerOwner": {"label": str(_("合同金额（元）")), "labels": [o.name for o in self.contracts_per_owner],
                                  "values": [float(o.value) for o in self.contracts_per_owner]},
        }


def customer_analysis(user, *, period: str = DEFAULT_PERIOD, now: dt.datetime | None = None) -> CustomerAnalysis:
    now = now or timezone.now()
    today = timezone.localdate(now)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    label, months_back = PERIODS[period]
    period_start = month_start(today, months_back)
    revenue_start = add_months(today, -12)  # revenue of the last 12 months: (revenue_start, today]
    customers = visible_to(user, Customer.objects.all())

    new_per_month = _new_per_month(customers, today)
    follow_ups = _follow_ups_per_person(customers, _start_of_day(period_start), now)
    grades, total_customers, total_revenue, pareto, for_80 = _grades(customers, revenue_start, today)
    visits = _visit_compliance(customers, period_start, today)
    policy = CustomerPolicy.current()
    thresholds = {grade: policy.return_days(grade) // 2 for grade in Grade.values}
    at_risk, at_risk_total = _at_risk(customers, thresholds, now, today)
    contracts = visible_to(user, Contract.objects.filter(status__in=CONTRACT_VALUE_STATUSES))
    return CustomerAnalysis(
        period=period, period_label=str(label), period_start=period_start, today=today, revenue_start=revenue_start,
        total_customers=total_customers, total_revenue=total_revenue, new_per_month=new_per_month,
        follow_ups=follow_ups, grades=grades, pareto=pareto, customers_for_80=for_80, visits=visits,
        at_risk=at_risk, at_risk_total=at_risk_total, risk_thresholds=thresholds,
        contracts_per_month=_contracts_per_month(contracts, today),
        contracts_per_owner=_contracts_per_owner(contracts, period_start, today),
    )


def _contracts_per_month(contracts, today: dt.date) -> list[MonthValue]:
    """Count and value of the contracts by the month of their order date, the last 12 months: one grouped query."""
    first = month_start(today, 11)
    rows = (contracts.filter(ordered_on__gte=first, ordered_on__lte=today).annotate(month=TruncMonth("ordered_on"))
            .values("month").annotate(n=Count("id"), value=Sum("total_amount")).order_by())
    found = {(row["month"].year, row["month"].month): (row["n"], row["value"]) for row in rows}
    months = [month_start(today, back) for back in range(11, -1, -1)]
    return [MonthValue(m, *found.get((m.year, m.month), (0, Decimal("0")))) for m in months]


def _contracts_per_owner(contracts, start: dt.date, today: dt.date) -> list[OwnerValue]:
    """Count and value of the contracts ordered in the period, per owner, largest first: one grouped query."""
    rows = (contracts.filter(ordered_on__gte=start, ordered_on__lte=today)
            .values("owner", "owner__full_name", "owner__username")
            .annotate(n=Count("id"), value=Sum("total_amount")).order_by("-value", "owner__username"))
    return [OwnerValue(row["owner"], _person(row, "owner"), row["n"], row["value"]) for row in rows]


def _new_per_month(customers, today: dt.date) -> list[MonthCount]:
    first = month_start(today, 11)
    rows = (customers.filter(created_at__gte=_start_of_day(first))
            .annotate(month=TruncMonth("created_at")).values("month").annotate(n=Count("id")).order_by())
    counts = {}
    for row in rows:
        month = timezone.localtime(row["month"]).date() if isinstance(row["month"], dt.datetime) else row["month"]
        counts[(month.year, month.month)] = row["n"]
    months = [month_start(today, back) for back in range(11, -1, -1)]
    return [MonthCount(m, counts.get((m.year, m.month), 0)) for m in months]


def _raw(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _follow_ups_per_person(customers, start: dt.datetime, end: dt.datetime) -> list[PersonFollowUps]:
    """Follow-ups and distinct customers per person: grouped by (person, customer) first, then by person —
    two hash aggregates instead of sorting every follow-up of the period for a COUNT(DISTINCT)."""
    pairs = (FollowUp.objects.filter(customer__in=customers, occurred_at__gte=start, occurred_at__lte=end)
             .values("by", "customer").annotate(n=Count("id")).values("by", "customer", "n").order_by())
    inner, params = pairs.query.sql_with_params()
    user_table = FollowUp._meta.get_field("by").related_model._meta.db_table
    rows = _raw(
        f'SELECT p."by", u.full_name, u.username, SUM(p.n) AS n, COUNT(*) AS customers FROM ({inner}) p '
        f'JOIN {connection.ops.quote_name(user_table)} u ON u.id = p."by" '
        "GROUP BY p.\"by\", u.full_name, u.username ORDER BY n DESC, u.username", params)
    return [PersonFollowUps(by, full_name or username, int(n), customers) for by, full_name, username, n, customers in rows]


def _revenue_records(customers, start: dt.date, end: dt.date):
    return BusinessRecord.objects.filter(customer__in=customers, occurred_on__gt=start, occurred_on__lte=end)


def _grades(customers, revenue_start: dt.date, today: dt.date):
    """Customers per grade (one query), then in one more query over each customer's revenue of the last
    12 months: revenue per grade, the Pareto curve (cumulative revenue share at every 5 % of customers, best
    first; customers without revenue count too) and how many customers make 80 % of the revenue."""
    counts = dict(customers.values_list("grade").annotate(n=Count("id")).order_by())
    total_customers = sum(counts.values())
    ranks = sorted({max(1, math.ceil(total_customers * step / PARETO_STEPS)) for step in range(1, PARETO_STEPS + 1)})
    per_customer = (_revenue_records(customers, revenue_start, today).values("customer", "customer__grade")
                    .annotate(revenue=Sum("amount")).values("customer", "customer__grade", "revenue").order_by())
    inner, params = per_customer.query.sql_with_params()
    rows = _raw(
        f"WITH r AS ({inner}), "
        "c AS (SELECT row_number() OVER w AS rn, sum(r.revenue) OVER w AS cum FROM r "
        "      WINDOW w AS (ORDER BY r.revenue DESC, r.customer ROWS UNBOUNDED PRECEDING)) "
        "SELECT 'grade', r.customer__grade, SUM(r.revenue) FROM r GROUP BY r.customer__grade "
        "UNION ALL SELECT 'rank', rn::text, cum FROM c WHERE rn = ANY(%s) "
        "UNION ALL SELECT 'for80', NULL, min(rn)::numeric FROM c WHERE cum >= (SELECT sum(revenue) FROM r) * 0.8",
        [*params, ranks])
    revenue = {key: amount for kind, key, amount in rows if kind == "grade"}
    cumulative = {int(key): amount for kind, key, amount in rows if kind == "rank"}
    for_80 = next((int(amount) for kind, _key, amount in rows if kind == "for80" and amount is not None), None)
    total_revenue = sum(revenue.values(), Decimal("0"))
    grades = [GradeRow(grade, str(label), counts.get(grade, 0), _percent(counts.get(grade, 0), total_customers),
                       revenue.get(grade) or Decimal("0"), _percent(revenue.get(grade) or 0, total_revenue))
              for grade, label in Grade.choices]
    pareto = []
    if total_customers and total_revenue:
        pareto.append(ParetoPoint(0, 0, 0.0))
        reached = Decimal("0")
        for step in range(1, PARETO_STEPS + 1):
            rank = max(1, math.ceil(total_customers * step / PARETO_STEPS))
            # Beyond the customers with revenue in the period the curve stays at 100 %.
            reached = cumulative.get(rank, total_revenue if rank > max(cumulative, default=0) else reached)
            pareto.append(ParetoPoint(step * 100 // PARETO_STEPS, rank, _percent(reached, total_revenue)))
    return grades, total_customers, total_revenue, pareto, (for_80 if pareto else None)


def _visit_compliance(customers, start: dt.date, today: dt.date) -> list[VisitCompliance]:
    rows = (Visit.objects.filter(customer__in=customers, period_start__lte=today, period_end__gte=start)
            .exclude(status=VisitStatus.CANCELLED)
            .values("owner", "owner__full_name", "owner__username")
            .annotate(planned=Count("id"), recorded=Count("id", filter=Q(status=VisitStatus.RECORDED)),
                      overdue=Count("id", filter=~Q(status=VisitStatus.RECORDED) & Q(period_end__lt=today)))
            .order_by("owner__username"))
    return [VisitCompliance(row["owner"], _person(row, "owner"), row["planned"], row["recorded"], row["overdue"])
            for row in rows]


def _at_risk(customers, thresholds: dict[str, int], now: dt.datetime, today: dt.date):
    three_ago, six_ago = add_months(today, -3), add_months(today, -6)
    silent = Q()
    for grade, days in thresholds.items():
        silent |= Q(grade=grade, last_contact__lt=now - dt.timedelta(days=days))
    recent = Q(business_records__occurred_on__gt=three_ago)
    previous = Q(business_records__occurred_on__lte=three_ago)
    queryset = (
        customers.filter(owner__isnull=False)
        .annotate(last_contact=Greatest("last_follow_up_at", "owner_since", "created_at"))
        .filter(silent)
        # The join is restricted to the last 6 months' records before the sums are taken.
        .filter(business_records__occurred_on__gt=six_ago, business_records__occurred_on__lte=today)
        .annotate(recent=Coalesce(Sum("business_records__amount", filter=recent), ZERO),
                  previous=Coalesce(Sum("business_records__amount", filter=previous), ZERO))
        .filter(previous__gt=0, recent__lt=F("previous") * RISK_DROP)
    )
    total = queryset.count()
    shown = queryset.select_related("owner").order_by("last_contact", "pk")[:AT_RISK_SHOWN]
    rows = []
    for customer in shown:
        rows.append(AtRiskCustomer(
            customer=customer, last_contact=customer.last_contact,
            days_silent=(now - customer.last_contact).days, threshold_days=thresholds[customer.grade],
            recent=customer.recent, previous=customer.previous))
    return rows, total
