"""客户等级 ABC (PROCEDURES.md §1): the grade suggested by the customers' revenue, confirmed by a manager.

Pareto on the revenue (``BusinessRecord``) of the chosen period: customers sorted by revenue, best first; those
up to ``CustomerPolicy.abc_a_share`` % of the cumulative revenue are A — the customer whose revenue crosses the
threshold included — then B up to ``abc_b_share`` %, the rest C; a customer without revenue in the period is C.
Shares are compared exactly (Decimal) and only rounded for display.

``confirm_grades`` applies the grades a manager ticked, in bulk, audited with the manager's reason.
Permission ``customers.confirm_grade``: GM and MR for every customer; a sales manager for the customers of
the department they manage (not the pool's).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from customers.models import BusinessRecord, Customer, CustomerPolicy, Grade
from qms import audit
from qms.refusals import Refused

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO.quantize(CENT)
    return (part * HUNDRED / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 12 months, today included."""
    today = today or timezone.localdate()
    return today - relativedelta(months=12) + dt.timedelta(days=1), today


@dataclass
class GradeRow:
    customer: Customer
    revenue: Decimal
    share: Decimal  # % of the period's revenue, 2 decimals
    cumulative_share: Decimal
    current: str
    suggested: str

    @property
    def differs(self) -> bool:
        return self.current != self.suggested

    @property
    def current_label(self) -> str:
        return Grade(self.current).label

    @property
    def suggested_label(self) -> str:
        return Grade(self.suggested).label


@dataclass
class GradeSummary:
    grade: str
    label: str
    customers: int = 0  # with the suggested grade
    revenue: Decimal = ZERO
    share: Decimal = ZERO
    current_customers: int = 0  # with this grade now


@dataclass
class Grading:
    period_start: dt.date
    period_end: dt.date
    a_share: int
    b_share: int
    total_revenue: Decimal
    # customers with revenue (best first), then those without whose grade is not C yet
    rows: list[GradeRow] = field(default_factory=list)
    summary: list[GradeSummary] = field(default_factory=list)
    total_customers: int = 0
    unchanged_without_revenue: int = 0  # C already and no revenue: not listed

    @property
    def changes(self) -> int:
        return sum(row.differs for row in self.rows)


def _grade_for(before: Decimal, total: Decimal, a_share: int, b_share: int) -> str:
    """The grade of a customer whose better-ranked customers make ``before`` of ``total``: A while the
    cumulative revenue before it is below the A share (so the customer crossing it is A), then B."""
    if before * HUNDRED < total * a_share:
        return Grade.A
    if before * HUNDRED < total * b_share:
        return Grade.B
    return Grade.C


def suggest_grades(period_start: dt.date, period_end: dt.date, customers) -> Grading:
    """The suggested grade of each of ``customers`` (a queryset: those the user may see) by the revenue
    between ``period_start`` and ``period_end`` (both included). Four queries whatever the number."""
    policy = CustomerPolicy.current()
    in_period = Q(business_records__occurred_on__gte=period_start, business_records__occurred_on__lte=period_end)
    with_revenue = list(
        customers.filter(in_period).annotate(revenue=Sum("business_records__amount"))
        .filter(revenue__gt=0).select_related("owner__department").order_by("-revenue", "pk"))
    total = sum((c.revenue for c in with_revenue), ZERO)
    grading = Grading(period_start, period_end, policy.abc_a_share, policy.abc_b_share, total)
    summary = {grade: GradeSummary(grade, str(label)) for grade, label in Grade.choices}

    cumulative = ZERO
    for customer in with_revenue:
        suggested = _grade_for(cumulative, total, policy.abc_a_share, policy.abc_b_share)
        cumulative += customer.revenue
        grading.rows.append(GradeRow(customer, customer.revenue, percent(customer.revenue, total),
                                     percent(cumulative, total), customer.grade, suggested))
        summary[suggested].customers += 1
        summary[suggested].revenue += customer.revenue

    earning = (BusinessRecord.objects.filter(occurred_on__gte=period_start, occurred_on__lte=period_end)
               .values("customer").annotate(total=Sum("amount")).filter(total__gt=0).values("customer"))
    without_revenue = customers.exclude(pk__in=earning)
    for customer in without_revenue.exclude(grade=Grade.C).select_related("owner__department").order_by("name", "pk"):
        grading.rows.append(GradeRow(customer, ZERO, ZERO.quantize(CENT), percent(total, total) if total else
                                     ZERO.quantize(CENT), customer.grade, Grade.C))

    current = dict(customers.order_by().values_list("grade").annotate(n=Count("pk")))
    grading.total_customers = sum(current.values())
    summary[Grade.C].customers += grading.total_customers - len(with_revenue)
    grading.unchanged_without_revenue = grading.total_customers - len(grading.rows)
    for grade, line in summary.items():
        line.share = percent(line.revenue, total)
        line.current_customers = current.get(grade, 0)
    grading.summary = list(summary.values())
    return grading


def confirm_grades(changes: dict, *, by, reason: str) -> int:
    """Give each customer of ``changes`` ({customer: grade}) its grade, in one audited transaction; refused as
    a whole if the reason is missing or ``by`` may not confirm one of them. Returns how many changed."""
    reason = (reason or "").strip()
    if not by.has_perm("customers.confirm_grade"):
        raise Refused(gettext("您没有确认客户等级的权限。"))
    if not reason:
        raise Refused(gettext("请填写确认理由。"))
    if not changes:
        raise Refused(gettext("请至少勾选一个客户。"))
    wanted = {getattr(customer, "pk", customer): grade for customer, grade in changes.items()}
    if any(grade not in Grade.values for grade in wanted.values()):
        raise Refused(gettext("客户等级只能是 A、B 或 C。"))
    now = timezone.now()
    with transaction.atomic():
        customers = list(Customer.objects.select_for_update(of=("self",)).select_related("owner__department")
                         .filter(pk__in=list(wanted)).order_by("pk"))
        refused = [c.name for c in customers if not by.has_perm("customers.confirm_grade", c)]
        if refused:
            raise Refused(gettext("您没有确认以下客户等级的权限：%(names)s。") % {"names": "、".join(refused[:20])})
        if len(customers) != len(wanted):
            raise Refused(gettext("有客户已被删除，请刷新页面后重试。"))
        by_grade: dict[str, list[int]] = {}
        for customer in customers:
            if customer.grade != wanted[customer.pk]:
                by_grade.setdefault(wanted[customer.pk], []).append(customer.pk)
        changed = 0
        with audit.context(user=by, reason=reason):
            for grade, ids in by_grade.items():
                changed += Customer.objects.filter(pk__in=ids).exclude(grade=grade).update(grade=grade, updated_at=now)
    return changed
