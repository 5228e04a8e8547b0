"""The complaints app's part of the management review's input pack (ISO 9001 §9.3.2 c) 1) customer satisfaction and
feedback; registered in ``ComplaintsConfig.ready`` with ``qms.registry.register_review_input``).

Each ``*_figures(start, end)`` covers the records of the period from ``start`` to ``end`` (dates, both included,
Asia/Shanghai), whoever may see them: the review reads the company's figures, not one user's. A constant number
of grouped queries each.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext

from complaints.models import (AdverseSeriousness, Clock, Complaint, ComplaintStatus, FeedbackType, ReturnOrder,
                               ReturnStatus, SurveyAnswer, SurveyResponse)
from complaints.services import adverse
from complaints.services.dashboard import clock_rates
from qms.registry import ReviewFigure


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) as aware local datetimes."""
    tz = timezone.get_default_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def complaint_figures(start: dt.date, end: dt.date) -> list[ReviewFigure]:
    """Complaints and other feedback received in the period: by type, by status now, and the on-time rate of the
    first reply (the clock every feedback runs)."""
    since, until = _bounds(start, end)
    received = Complaint.objects.filter(received_at__gte=since, received_at__lt=until).order_by()
    by_type = dict(received.values_list("type").annotate(n=Count("pk")))
    by_status = dict(received.values_list("status").annotate(n=Count("pk")))
    key_accounts = received.filter(type=FeedbackType.COMPLAINT, is_key_account=True).count()
    figures = [ReviewFigure(gettext("客户投诉/反馈"), sum(by_type.values()))]
    for value, label in FeedbackType.choices:
        note = gettext("其中大客户 %(n)d") % {"n": key_accounts} if value == FeedbackType.COMPLAINT else ""
        figures.append(ReviewFigure(gettext("类型：%(label)s") % {"label": label}, by_type.get(value, 0), note))
    for value, label in ComplaintStatus.choices:
        if by_status.get(value):
            figures.append(ReviewFigure(gettext("状态：%(label)s") % {"label": label}, by_status[value]))
    first_reply = next(rate for rate in clock_rates(received, since, min(until, timezone.now()))
                       if rate.clock == Clock.FIRST_REPLY)
    figures.append(ReviewFigure(
        gettext("按时率：%(clock)s") % {"clock": Clock(Clock.FIRST_REPLY).label},
        f"{first_reply.rate}%" if first_reply.rate is not None else "—",
        gettext("按时 %(on_time)d / 已到期 %(decided)d") % {"on_time": first_reply.on_time,
                                                        "decided": first_reply.decided}))
    return figures


def return_figures(start: dt.date, end: dt.date) -> list[ReviewFigure]:
    """Return orders raised in the period, batch returns among them, and by status now."""
    since, until = _bounds(start, end)
    raised = ReturnOrder.objects.filter(created_at__gte=since, created_at__lt=until).order_by()
    totals = raised.aggregate(n=Count("pk"), batch=Count("pk", filter=Q(is_batch_return=True)))
    by_status = dict(raised.values_list("status").annotate(n=Count("pk")))
    figures = [ReviewFigure(gettext("退货单"), totals["n"], gettext("整批退货 %(n)d") % {"n": totals["batch"]})]
    for value, label in ReturnStatus.choices:
        if by_status.get(value):
            figures.append(ReviewFigure(gettext("状态：%(label)s") % {"label": label}, by_status[value]))
    return figures


def adverse_figures(start: dt.date, end: dt.date) -> list[ReviewFigure]:
    """Suspected adverse events learned of in the period (by consequence), how many were reported to the
    regulator, and how many of those by their due time (read from the report deadlines)."""
    since, until = _bounds(start, end)
    events = adverse.with_report_due(Complaint.objects.filter(
        is_adverse_event=True, received_at__gte=since, received_at__lt=until).order_by())
    by_seriousness = dict(events.values_list("adverse_seriousness").annotate(n=Count("pk")))
    reported = events.aggregate(n=Count("pk", filter=Q(adverse_reported_at__isnull=False)),
                                on_time=Count("pk", filter=Q(adverse_reported_at__lte=F("report_due_at"))))
    figures = [ReviewFigure(gettext("不良事件"), sum(by_seriousness.values()), "；".join(
        f"{label} {by_seriousness.get(value, 0)}" for value, label in AdverseSeriousness.choices))]
    figures.append(ReviewFigure(gettext("已报告"), reported["n"],
                                gettext("按期报告 %(n)d") % {"n": reported["on_time"]}))
    return figures


def satisfaction_figures(start: dt.date, end: dt.date) -> list[ReviewFigure]:
    """Survey answers returned in the period: responses, the average score (1–5) and the satisfaction index
    (the average as a percentage of 5), as the campaign's analysis computes them."""
    since, until = _bounds(start, end)
    responses = SurveyResponse.objects.filter(submitted_at__gte=since, submitted_at__lt=until)
    overall = SurveyAnswer.objects.filter(response__in=responses).aggregate(avg=Avg("score"))
    average = overall["avg"]
    return [
        ReviewFigure(gettext("已回收"), responses.count()),
        ReviewFigure(gettext("平均分"), round(float(average), 2) if average is not None else "—"),
        ReviewFigure(gettext("满意度指数（%）"),
                     round(float(average) * 20, 1) if average is not None else "—"),
    ]
