"""装修管理看板: applications by state, reviews overdue, active sites and today's inspection coverage, violations per
month by kind, deposits held per payer — one grouped query per figure, whatever the number of applications."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from renovation.models import (REVIEW_STATES, Application, ApplicationStatus, EntryKind, LedgerEntry, Payer,
                               Violation, ViolationKind, ViolationStatus)
from qms.deadlines import overdue_q
from renovation.services.applications import REVIEW_DEADLINE
from renovation.services.fees import ZERO, of_kind
from renovation.services.site import active_sites, inspected_on

MONTHS = 12


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(dt.date(year, month + 1, 1))
    return starts


@dataclass
class RenovationDashboard:
    by_state: list[dict] = field(default_factory=list)
    reviews_overdue: int = 0
    active_sites: int = 0
    inspected_today: int = 0
    open_violations: int = 0
    months: list[dt.date] = field(default_factory=list)
    violations_per_month: list[dict] = field(default_factory=list)  # [{label, values}] per kind
    deposits: list[dict] = field(default_factory=list)

    @property
    def coverage(self) -> int | None:
        return round(100 * self.inspected_today / self.active_sites) if self.active_sites else None

    def chart_data(self) -> dict:
        return {"months": [m.strftime("%Y-%m") for m in self.months],
                "violations": [{"label": str(row["label"]), "values": row["values"]}
                               for row in self.violations_per_month]}


def renovation_dashboard(now: dt.datetime | None = None) -> RenovationDashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    board = RenovationDashboard()
    counts = dict(Application.objects.order_by().values_list("status").annotate(n=Count("pk")))
    board.by_state = [{"status": value, "label": label, "count": counts.get(value, 0)}
                      for value, label in ApplicationStatus.choices]
    # overdue from the review deadlines themselves (one EXISTS on the deadline rows)
    board.reviews_overdue = Application.objects.filter(
        overdue_q(Application, REVIEW_DEADLINE.kind, now=now), status__in=REVIEW_STATES).count()
    board.active_sites = active_sites().count()
    board.inspected_today = active_sites().filter(Exists(inspected_on(today))).count()
    board.open_violations = Violation.objects.filter(status=ViolationStatus.OPEN).count()
    board.months = _month_starts(today, MONTHS)
    start = timezone.make_aware(dt.datetime.combine(board.months[0], dt.time.min))
    rows = (Violation.objects.filter(found_at__gte=start).annotate(month=TruncMonth("found_at")).order_by()
            .values("month", "kind").annotate(n=Count("pk")))
    found = {(timezone.localtime(row["month"]).date() if isinstance(row["month"], dt.datetime) else row["month"],
              row["kind"]): row["n"] for row in rows}
    board.violations_per_month = [
        {"kind": kind, "label": label, "values": [found.get((month, kind), 0) for month in board.months]}
        for kind, label in ViolationKind.choices]
    held = (LedgerEntry.objects.filter(fee_item__is_deposit=True).order_by().values("payer").annotate(
        paid=Sum("amount", filter=of_kind(EntryKind.PAYMENT), default=ZERO),
        out=Sum("amount", filter=of_kind(EntryKind.DEDUCTION, EntryKind.REFUND), default=ZERO)))
    by_payer = {row["payer"]: row for row in held}
    board.deposits = [{"payer": payer, "label": label,
                       "held": by_payer.get(payer, {}).get("paid", ZERO) - by_payer.get(payer, {}).get("out", ZERO)}
                      for payer, label in Payer.choices]
    return board
