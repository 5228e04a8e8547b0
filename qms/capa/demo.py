"""CAPA demo records: one awaiting the MR's approval, one whose plan is due soon (a reminder has gone out),
one overdue and escalated to the responsible person's manager, and one taken to a verified close."""
import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qms import deadlines
from qms.capa import services
from qms.capa.models import Capa, CapaSource, CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.workflow import perform

TITLES = {
    "awaiting": "注塑件毛刺超标（批次 B2611）",
    "reminder": "来料检验记录不完整",
    "overdue": "交付延误导致客户投诉",
    "closed": "包装标签错贴",
}


def _raise(users, title, *, responsible, source=CapaSource.COMPLAINT, nonconformity=""):
    return services.raise_capa(source=source, title=title, nonconformity=nonconformity or title,
                               responsible=users[responsible], raised_by=users["quality"])


def _plan(capa, by, cause, plan, action):
    services.edit_plan(capa, by, cause_analysis=cause, plan=plan)
    services.add_action(capa, by, description=action, owner=by, due_date=timezone.localdate() + dt.timedelta(days=14))


def _move_deadline(capa, kind, due_at):
    """Backdate (or bring forward) a demo deadline so that the tick finds something to send."""
    for deadline in deadlines.deadlines_for(capa).filter(kind=kind):
        deadline.due_at = due_at
        deadline.next_action_at = deadlines.next_action_time(deadline)
        deadline.save(update_fields=["due_at", "next_action_at"])


@transaction.atomic
def seed_capas(users, stdout):
    if Capa.objects.filter(title__in=TITLES.values()).exists():
        return
    now = timezone.now()

    awaiting = _raise(users, TITLES["awaiting"], responsible="production",
                      nonconformity="客户反馈批次 B2611 注塑件毛刺超标 3 件，已退货。")
    _plan(awaiting, users["production"], "模具磨损未按期保养。", "修模；首件检验增加毛刺检查项。", "修复模具并做首件确认")
    perform(awaiting, CapaStatus.PLAN_SUBMITTED, users["production"])

    reminder = _raise(users, TITLES["reminder"], responsible="purchasing", source=CapaSource.AUDIT,
                      nonconformity="内审发现 10 月来料检验记录缺少供应商批号。")
    _move_deadline(reminder, "plan", now + dt.timedelta(hours=2))

    overdue = _raise(users, TITLES["overdue"], responsible="pmc",
                     nonconformity="订单 SO-2611-08 交付延误 3 天，客户投诉。")
    _move_deadline(overdue, "plan", now - dt.timedelta(days=2))

    closed = _raise(users, TITLES["closed"], responsible="production", source=CapaSource.NONCONFORMING,
                    nonconformity="出货前抽检发现 2 箱标签型号错贴。")
    _plan(closed, users["production"], "换线时旧标签未清场。", "换线清场检查表增加标签项。", "修订换线清场检查表")
    perform(closed, CapaStatus.PLAN_SUBMITTED, users["production"])
    perform(closed, CapaStatus.APPROVED, users["mr"], password=DEMO_PASSWORD, comment=_("同意"))
    for action in closed.actions.all():
        services.complete_action(action, users["production"], result=_("检查表已发布 QR-7.5-03 B/0"))
    perform(closed, CapaStatus.IMPLEMENTED, users["production"])
    perform(closed, CapaStatus.CLOSED, users["quality"], password=DEMO_PASSWORD, reason=_("连续 3 批出货抽检未再发生"))

    sent = deadlines.tick()
    stdout.write(_("纠正和预防措施示例：4 条，已发送提醒 %(n)d 条") % {"n": sent})
