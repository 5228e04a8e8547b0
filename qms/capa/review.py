"""CAPA's part of the management review's input pack (PROCEDURES.md §5 inputs: status of corrective and
preventive actions; registered in ``QmsConfig.ready``): raised in the period by source, closed in the period,
open and overdue at the review, and the effectiveness of the verifications made in the period."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.capa.models import Capa, CapaSource, CapaStatus, CapaVerification
from qms.capa.selectors import open_capa_deadlines
from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar, bounds, shown_percent

FINISHED = (CapaStatus.CLOSED, CapaStatus.VOIDED)


def capa_figures(start: dt.date, end: dt.date) -> ReviewSection:
    since, until = bounds(start, end)
    now = min(timezone.now(), until)
    overdue = Exists(open_capa_deadlines().filter(object_id=OuterRef("pk"), due_at__lt=now))
    totals = Capa.objects.order_by().aggregate(
        opened=Count("pk", filter=Q(raised_at__gte=since, raised_at__lt=until)),
        closed=Count("pk", filter=Q(status=CapaStatus.CLOSED, status_changed_at__gte=since,
                                    status_changed_at__lt=until)),
        open=Count("pk", filter=Q(raised_at__lt=until) & ~Q(status__in=FINISHED)),
        overdue=Count("pk", filter=Q(overdue, raised_at__lt=until) & ~Q(status__in=FINISHED)))
    by_source = dict(Capa.objects.filter(raised_at__gte=since, raised_at__lt=until).order_by()
                     .values_list("source").annotate(n=Count("pk")))
    verified = CapaVerification.objects.filter(verified_at__gte=since, verified_at__lt=until).aggregate(
        n=Count("pk"), effective=Count("pk", filter=Q(result=CapaVerification.Result.EFFECTIVE)))
    figures = [
        ReviewFigure(_("期内提出"), totals["opened"], "；".join(
            f"{label} {by_source[value]}" for value, label in CapaSource.choices if by_source.get(value))),
        ReviewFigure(_("期内关闭"), totals["closed"]),
        ReviewFigure(_("未关闭"), totals["open"], _("其中逾期 %(n)d") % {"n": totals["overdue"]}),
        ReviewFigure(_("逾期"), totals["overdue"], _("当前步骤已过期限")),
        ReviewFigure(_("验证有效率"), shown_percent(verified["effective"], verified["n"]),
                     _("有效 %(effective)d / 验证 %(n)d") % verified),
    ]
    charts = [
        bar(_("纠正和预防措施"), [_("期内提出"), _("期内关闭"), _("未关闭"), _("逾期")],
            (_("数量"), [totals["opened"], totals["closed"], totals["open"], totals["overdue"]])),
        bar(_("按来源提出"), [label for _v, label in CapaSource.choices],
            (_("数量"), [by_source.get(value, 0) for value, _l in CapaSource.choices])),
    ]
    return ReviewSection(figures, charts)
