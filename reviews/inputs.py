"""The management review's own input (PROCEDURES.md §5 "Follow-up"; seed 5.3.4.1 上次评审内容追踪): the outputs
of earlier reviews, raised as CAPA with the source 管理评审, that are still open at the end of the period — they
reappear in every pack until closed. Registered by ``ReviewsConfig.ready``."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.capa.models import Capa, CapaSource, CapaStatus
from qms.capa.selectors import open_capa_deadlines
from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar, bounds

FINISHED = (CapaStatus.CLOSED, CapaStatus.VOIDED)
LISTED = 20  # the open outputs named one by one in the pack


def open_outputs(until: dt.datetime):
    return (Capa.objects.filter(source=CapaSource.MANAGEMENT_REVIEW, raised_at__lt=until)
            .exclude(status__in=FINISHED))


def previous_outputs_figures(start: dt.date, end: dt.date) -> ReviewSection:
    since, until = bounds(start, end)
    now = min(timezone.now(), until)
    overdue = Exists(open_capa_deadlines().filter(object_id=OuterRef("pk"), due_at__lt=now))
    outputs = open_outputs(until).order_by()
    by_status = dict(outputs.values_list("status").annotate(n=Count("pk")))
    totals = Capa.objects.filter(source=CapaSource.MANAGEMENT_REVIEW).order_by().aggregate(
        closed=Count("pk", filter=Q(status=CapaStatus.CLOSED, status_changed_at__gte=since,
                                    status_changed_at__lt=until)),
        overdue=Count("pk", filter=Q(overdue, raised_at__lt=until) & ~Q(status__in=FINISHED)))
    figures = [ReviewFigure(_("未关闭的评审输出"), sum(by_status.values()),
                            _("其中逾期 %(n)d") % {"n": totals["overdue"]}),
               ReviewFigure(_("期内关闭的评审输出"), totals["closed"])]
    for capa in outputs.select_related("responsible_department").order_by("raised_at", "pk")[:LISTED]:
        figures.append(ReviewFigure(f"{capa.number} {capa.title}", capa.get_status_display(),
                                    f"{capa.responsible_department.name} · {capa.source_reference}".strip(" ·")))
    statuses = [(value, label) for value, label in CapaStatus.choices if value not in FINISHED]
    charts = [bar(_("未关闭的评审输出（按状态）"), [label for _v, label in statuses],
                  (_("数量"), [by_status.get(value, 0) for value, _l in statuses]))]
    return ReviewSection(figures, charts)
