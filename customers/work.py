"""我的待办 of key accounts (registered in ``CustomersConfig.ready``): the user's customers about to return to the
pool. Planned and arranged visits need no provider of their own: their open "visit_plan" / "visit_record"
deadlines are listed by ``qms.deadlines.open_deadlines_as_work`` (overdue first, and to the manager once
escalated)."""
from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.services import pool as pool_service
from qms.registry import WorkItem


def customers_returning_to_pool(user) -> list[WorkItem]:
    """The user's customers that return to the pool within the warning window: follow them up in time."""
    if not (user and user.is_authenticated):
        return []
    items = []
    for customer, due in pool_service.returning_soon(user):
        last = customer.last_follow_up_at
        items.append(WorkItem(
            title=_("跟进客户，避免回收到客户池：%(name)s") % {"name": customer.name},
            url=f"{customer.get_absolute_url()}?tab=follow_ups", category=_("客户池"), due=due,
            detail=_("最近跟进：%(date)s") % {"date": date_format(timezone.localtime(last), "Y-m-d") if last
                                             else _("无")},
        ))
    return items
