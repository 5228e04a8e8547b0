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

from complaints.models import (AdverseSeriousness, Complaint, ComplaintStatus, FeedbackType, ReturnOrder,
                               ReturnStatus, SurveyAnswer, SurveyResponse)
from complaints.services import adverse, dashboard
from complaints.services.dashboard import clock_rates
from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar, pie


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) as aware local datetimes."""
    tz = timezone.get_default_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def complaint_figures(start: dt.date, end: dt.date) -> ReviewSection:
    """Complaints and other feedback received in the period: by type, by status now, the on-time rate of each
    clock (§3 Clocks), the repeat complaints (same customer and product within 90 days) and the top causes
    (responsibility, correction, the products most complained about) — the 投诉统计 page's own computations."""
    since, until = _bounds(start, end)
    upto = min(until, timezone.now())
    complaints = Complaint.objects.order_by()
    received = complaints.filter(received_at__gte=since, received_at__lt=until)
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
    rates = clock_rates(received, since, upto)
    for rate in rates:
        figures.append(ReviewFigure(
            gettext("按时率：%(clock)s") % {"clock": rate.label},
            f"{rate.rate}%" if rate.rate is not None else "—",
            gettext("按时 %(on_time)d / 已到期 %(decided)d") % {"on_time": rate.on_time, "decided": rate.decided}))
    repeats, groups, repeat_total = dashboard._repeats(complaints, since, upto)
    figures.append(ReviewFigure(gettext("重复投诉"), repeat_total,
                                gettext("涉及 %(n)d 个客户/产品") % {"n": groups}))
    responsibilities, corrections, products = dashboard._causes(complaints, since, upto)
    top = [row for row in responsibilities if row.count]
    top.sort(key=lambda row: -row.count)
    if top:
        figures.append(ReviewFigure(gettext("主要原因"), top[0].label, "；".join(
            f"{row.label} {row.count}" for row in top)))
    if products:
        figures.append(ReviewFigure(gettext("投诉最多的产品"), products[0].label, "；".join(
            f"{row.label} {row.count}" for row in products[:5])))
    charts = [
        bar(gettext("投诉/反馈类型"), [label for _v, label in FeedbackType.choices],
            (gettext("数量"), [by_type.get(value, 0) for value, _l in FeedbackType.choices])),
        bar(gettext("各时限按时率（%）"), [rate.label for rate in rates],
            (gettext("按时率（%）"), [rate.rate for rate in rates])),
        pie(gettext("责任归属"), {row.label: row.count for row in responsibilities}),
    ]
    if products:
        charts.append(bar(gettext("投诉最多的产品"), [row.label for row in products],
                          (gettext("投诉数"), [row.count for row in products])))
    return ReviewSection(figures, charts)


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


def satisfaction_figures(start: dt.date, end: dt.date) -> ReviewSection:
    """Survey answers returned in the period: responses, the average score (1–5) and the satisfaction index
    (the average as a percentage of 5), as the campaign's analysis computes them; then the average per question
    (questions of the same wording across campaigns together) and per customer grade (A/B/C)."""
    from customers.models import Grade

    since, until = _bounds(start, end)
    responses = SurveyResponse.objects.filter(submitted_at__gte=since, submitted_at__lt=until)
    answers = SurveyAnswer.objects.filter(response__in=responses).order_by()
    overall = answers.aggregate(avg=Avg("score"))
    average = overall["avg"]
    per_question = list(answers.values("question__text").annotate(avg=Avg("score"), n=Count("pk"))
                        .order_by("question__text"))
    per_grade = dict((row["response__customer__grade"], row) for row in answers.values(
        "response__customer__grade").annotate(avg=Avg("score"), n=Count("response", distinct=True)))
    figures = [
        ReviewFigure(gettext("已回收"), responses.count()),
        ReviewFigure(gettext("平均分"), round(float(average), 2) if average is not None else "—"),
        ReviewFigure(gettext("满意度指数（%）"),
                     round(float(average) * 20, 1) if average is not None else "—"),
    ]
    for row in per_question:
        figures.append(ReviewFigure(gettext("问题：%(text)s") % {"text": row["question__text"]},
                                    round(float(row["avg"]), 2), gettext("%(n)d 份答卷") % {"n": row["n"]}))
    for grade, label in Grade.choices:
        row = per_grade.get(grade)
        figures.append(ReviewFigure(gettext("%(grade)s客户平均分") % {"grade": label},
                                    round(float(row["avg"]), 2) if row else "—",
                                    gettext("%(n)d 份答卷") % {"n": row["n"]} if row else ""))
    charts = [
        bar(gettext("各问题平均分"), [row["question__text"] for row in per_question],
            (gettext("平均分"), [round(float(row["avg"]), 2) for row in per_question])),
        bar(gettext("各等级客户平均分"), [label for _g, label in Grade.choices],
            (gettext("平均分"), [round(float(per_grade[g]["avg"]), 2) if g in per_grade else None
                                for g, _l in Grade.choices])),
    ]
    return ReviewSection(figures, charts)
