"""Key accounts' part of the management review's input pack (registered in ``CustomersConfig.ready``): the
customers by grade, the period's visits planned, done and late, and the customers that went to the pool.

A period is two dates, both included, in Asia/Shanghai. A visit counts in the period its plan ends in (a
quarter's return visit in the review of the quarter it is due).
"""
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Grade, OwnershipChange, OwnershipKind, Visit, VisitStatus
from customers.services import visits as visit_service
from qms import audit
from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar

OPEN = (VisitStatus.PLANNED, VisitStatus.ARRANGED)


def _moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def key_account_figures(start: dt.date, end: dt.date) -> ReviewSection:
    since, until = _moments(start, end)
    now, today = timezone.now(), timezone.localdate()
    by_grade = dict(Customer.objects.order_by().values_list("grade").annotate(n=Count("pk")))
    figures = [ReviewFigure(_("%(grade)s客户") % {"grade": label}, by_grade.get(grade, 0), _("评审时的数量"))
               for grade, label in Grade.choices]

    late = visit_service.late_q(now) | Q(status__in=OPEN, period_end__lt=today)
    visits = Visit.objects.filter(period_end__gte=start, period_end__lte=end).aggregate(
        planned=Count("pk", filter=~Q(status=VisitStatus.CANCELLED)),
        cancelled=Count("pk", filter=Q(status=VisitStatus.CANCELLED)),
        done=Count("pk", filter=Q(status=VisitStatus.RECORDED)),
        late=Count("pk", filter=late))
    figures += [
        ReviewFigure(_("计划回访"), visits["planned"],
                     _("另有 %(n)d 次计划已取消") % {"n": visits["cancelled"]} if visits["cancelled"] else ""),
        ReviewFigure(_("已完成回访"), visits["done"]),
        ReviewFigure(_("逾期回访"), visits["late"], _("迟交记录或过期未完成")),
    ]

    to_pool = OwnershipChange.objects.filter(at__gte=since, at__lt=until, to_owner__isnull=True,
                                             from_owner__isnull=False).aggregate(
        total=Count("customer", distinct=True),
        returned=Count("customer", distinct=True, filter=Q(kind=OwnershipKind.AUTO_RETURNED)))
    figures.append(ReviewFigure(_("进入客户池的客户"), to_pool["total"],
                                _("其中到期自动回收 %(n)d 个") % {"n": to_pool["returned"]}))

    # new and lost: created in the period (by their grade now) and removed in the period (回收站)
    came = Customer.all_objects.order_by().aggregate(
        new=Count("pk", filter=Q(created_at__gte=since, created_at__lt=until)),
        new_a=Count("pk", filter=Q(created_at__gte=since, created_at__lt=until, grade=Grade.A)),
        lost=Count("pk", filter=Q(deleted_at__gte=since, deleted_at__lt=until)))
    figures += [ReviewFigure(_("新增客户"), came["new"], _("其中 A 类 %(n)d 个") % {"n": came["new_a"]}),
                ReviewFigure(_("流失客户"), came["lost"], _("期内删除（移入回收站）的客户"))]
    shifts = grade_shifts(since, until)
    up = sum(n for (before, after), n in shifts.items() if after < before)
    down = sum(n for (before, after), n in shifts.items() if after > before)
    figures += [ReviewFigure(_("等级上调"), up, "；".join(f"{b}→{a} {n}" for (b, a), n in sorted(shifts.items())
                                                          if a < b)),
                ReviewFigure(_("等级下调"), down, "；".join(f"{b}→{a} {n}" for (b, a), n in sorted(shifts.items())
                                                            if a > b))]
    charts = [
        bar(_("客户等级分布"), [label for _g, label in Grade.choices],
            (_("客户数"), [by_grade.get(grade, 0) for grade, _l in Grade.choices])),
        bar(_("回访"), [_("计划回访"), _("已完成回访"), _("逾期回访")],
            (_("次数"), [visits["planned"], visits["done"], visits["late"]])),
        bar(_("ABC 等级变动"), [f"{b}→{a}" for (b, a) in sorted(shifts)],
            (_("客户数"), [shifts[key] for key in sorted(shifts)])),
    ]
    return ReviewSection(figures, charts)


def grade_shifts(since: dt.datetime, until: dt.datetime) -> dict[tuple[str, str], int]:
    """{(grade before, grade after): customers} for the customers whose grade changed in the period, read from
    the audit trail: the grade before the period's first change and after its last one (a change undone within
    the period is no shift; a customer created in the period and regraded counts from its first grade). One
    statement over the customers changed in the period."""
    table = connection.ops.quote_name(audit.event_model(Customer)._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH changed AS (SELECT DISTINCT pgh_obj_id FROM {table} "
            "                  WHERE pgh_created_at >= %s AND pgh_created_at < %s AND pgh_label = 'update'), "
            "w AS (SELECT e.pgh_obj_id, e.pgh_id, e.pgh_created_at, e.pgh_label, e.grade, "
            "             lag(e.grade) OVER (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id) AS previous "
            f"      FROM {table} e JOIN changed USING (pgh_obj_id) WHERE e.pgh_created_at < %s), "
            "p AS (SELECT (array_agg(previous ORDER BY pgh_id))[1] AS before, "
            "             (array_agg(grade ORDER BY pgh_id DESC))[1] AS after "
            "      FROM w WHERE pgh_created_at >= %s AND pgh_label = 'update' GROUP BY pgh_obj_id) "
            "SELECT before, after, count(*) FROM p WHERE before IS NOT NULL AND before <> after GROUP BY 1, 2",
            [since, until, until, since])
        return {(before, after): n for before, after, n in cursor.fetchall()}
