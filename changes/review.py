"""Change control's input to the management review (PROCEDURES.md §5, seed 000 第四篇 4.2 "可能影响质量管理体系的
变更"): the changes requested in the period by kind and class, how they ended, what is still open, and the
implementation tasks that slipped. Registered in ``ChangesConfig.ready`` with ``qms.registry.register_review_input``."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from changes.models import OPEN_STATUSES, ChangeRequest, ChangeStatus, Kind, ProcessClass, TaskSlip
from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar

LABEL = _("变更控制")


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_default_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def figures(start: dt.date, end: dt.date) -> ReviewSection:
    """Three queries: the period's requests grouped by kind, class and status; the changes open at the end of the
    period; the slip reports written in the period (and the changes they belong to)."""
    since, until = _bounds(start, end)
    rows = (ChangeRequest.objects.filter(created_at__gte=since, created_at__lt=until)
            .values("kind", "process_class", "status").annotate(n=Count("pk")))
    by_kind, by_class, by_status, total = {}, {}, {}, 0
    for row in rows:
        total += row["n"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
        if row["process_class"]:
            by_class[row["process_class"]] = by_class.get(row["process_class"], 0) + row["n"]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
    still_open = ChangeRequest.objects.filter(created_at__lt=until, status__in=OPEN_STATUSES).count()
    slips = TaskSlip.objects.filter(reported_at__gte=since, reported_at__lt=until).aggregate(
        reports=Count("pk"), changes=Count("task__change", distinct=True))
    kinds = dict(Kind.choices)
    classes = dict(ProcessClass.choices)
    return ReviewSection(
        figures=[
            ReviewFigure(gettext("期间提出的变更"), total,
                         "、".join(f"{kinds[k]} {n}" for k, n in sorted(by_kind.items()) if k in kinds)),
            ReviewFigure(gettext("过程变更按等级"),
                         "、".join(f"{classes[c]} {by_class[c]}" for c in classes if by_class.get(c)) or "—"),
            ReviewFigure(gettext("已确认完成"), by_status.get(ChangeStatus.CONFIRMED, 0),
                         gettext("驳回 %(rejected)d，取消 %(cancelled)d") % {
                             "rejected": by_status.get(ChangeStatus.REJECTED, 0),
                             "cancelled": by_status.get(ChangeStatus.CANCELLED, 0)}),
            ReviewFigure(gettext("期末未关闭的变更"), still_open),
            ReviewFigure(gettext("实施延期"), slips["reports"],
                         gettext("涉及 %(n)d 项变更") % {"n": slips["changes"]} if slips["reports"] else ""),
        ],
        charts=[bar(gettext("变更类别"), list(kinds.values()), (gettext("数量"), [by_kind.get(k, 0) for k in kinds]))],
    )
