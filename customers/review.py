"""Key accounts' part of the management review's input pack (registered in ``CustomersConfig.ready``): the
customers by grade, the period's visits planned, done and late, and the customers that went to the pool.

A period is two dates, both included, in Asia/Shanghai. A visit counts in the period its plan ends in (a
quarter's return visit in the review of the quarter it is due).
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Grade, OwnershipChange, OwnershipKind, Visit, VisitStatus
from customers.services import visits as visit_service
from qms.registry import ReviewFigure

OPEN = (VisitStatus.PLANNED, VisitStatus.ARRANGED)


def _moments(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def key_account_figures(start: dt.date, end: dt.date) -> list[ReviewFigure]:
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
    return figures
