"""Renovation's figures for the management review's input pack (PROCEDURES.md §5 inputs: process performance),
for a period of dates (both included): permits issued, violations found and rectified, acceptances passed at the
first inspection, deposits refunded. Registered by ``RenovationConfig.ready()``; one query per figure."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar
from renovation.models import AcceptanceInspection, Application, EntryKind, InspectionStage, LedgerEntry, Violation
from renovation.services.fees import ZERO, yuan

LABEL = _("装修管理")


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as aware datetimes in the portal's time zone: from ``start`` 00:00 up to the day after ``end``."""
    return (timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
            timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)))


def figures(start: dt.date, end: dt.date) -> ReviewSection:
    since, until = _bounds(start, end)
    permits = Application.objects.filter(permit_issued_at__gte=since, permit_issued_at__lt=until).count()
    violations = Violation.objects.aggregate(
        found=Count("pk", filter=Q(found_at__gte=since, found_at__lt=until)),
        rectified=Count("pk", filter=Q(closed_at__gte=since, closed_at__lt=until)))
    # the first acceptance inspection (初验) of each renovation, when it falls in the period: passed or not
    first = (AcceptanceInspection.objects.filter(application=OuterRef("application"), stage=InspectionStage.ACCEPTANCE)
             .order_by("inspected_at", "pk").values("pk")[:1])
    firsts = (AcceptanceInspection.objects.filter(stage=InspectionStage.ACCEPTANCE, inspected_at__gte=since,
                                                  inspected_at__lt=until, pk=Subquery(first))
              .aggregate(inspected=Count("pk"), passed=Count("pk", filter=Q(passed=True))))
    refunds = LedgerEntry.objects.filter(kind=EntryKind.REFUND, recorded_at__gte=since, recorded_at__lt=until).aggregate(
        amount=Sum("amount", default=ZERO), renovations=Count("application", distinct=True))
    inspected, passed = firsts["inspected"], firsts["passed"]
    figures = [
        ReviewFigure(gettext("发放施工许可证"), permits),
        ReviewFigure(gettext("发现违章"), violations["found"]),
        ReviewFigure(gettext("违章整改关闭"), violations["rectified"]),
        ReviewFigure(gettext("一次验收合格"), f"{passed} / {inspected}",
                     gettext("一次验收合格率 %(rate)d%%") % {"rate": round(100 * passed / inspected)} if inspected
                     else ""),
        ReviewFigure(gettext("退还押金"), yuan(refunds["amount"]),
                     gettext("%(n)d 户装修") % {"n": refunds["renovations"]} if refunds["renovations"] else ""),
    ]
    chart = bar(gettext("装修许可与违章"), [gettext("发放施工许可证"), gettext("发现违章"), gettext("违章整改关闭")],
                (gettext("数量"), [permits, violations["found"], violations["rectified"]]))
    return ReviewSection(figures, [chart])
