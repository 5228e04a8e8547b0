"""Sample management reviews in every state (registered as a demo seeder by ``ReviewsConfig.ready``)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from qms.demo import DEMO_PASSWORD
from qms.workflow import perform
from reviews.models import InputStatus, Review, ReviewStatus, Trigger
from reviews.services import plans

TITLE_PREFIX = "示例："


def _period(today):
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(year=end.year - 1) + dt.timedelta(days=1), end


def _meeting(days):
    moment = timezone.localtime() + dt.timedelta(days=days)
    return moment.replace(hour=9, minute=0, second=0, microsecond=0)


def _extra(users, title, days, trigger=Trigger.COMPLAINT):
    start, end = _period(timezone.localdate())
    return plans.call_extra_review(users["gm"], trigger=trigger, trigger_note=_("某大客户对批次 B2611 提出重大投诉。"),
                                   meeting_at=_meeting(days), period_start=start, period_end=end,
                                   title=TITLE_PREFIX + title)


def seed_reviews(users, stdout):
    if Review.objects.filter(title__startswith=TITLE_PREFIX).exists():
        return
    _extra(users, _("追加评审（计划草拟中）"), 40)

    awaiting = _extra(users, _("追加评审（计划待批准）"), 35, Trigger.CERTIFICATION)
    perform(awaiting, ReviewStatus.AWAITING_APPROVAL, users["mr"])

    issued = _extra(users, _("追加评审（计划已下达）"), 20, Trigger.LAW)
    perform(issued, ReviewStatus.AWAITING_APPROVAL, users["mr"])
    perform(issued, ReviewStatus.ISSUED, users["gm"], password=DEMO_PASSWORD, comment=_("同意"))
    first = issued.input_reports.order_by("pk").first()
    plans.save_text(first, first.responsible, text=_("本期内审共发现不符合项 3 项，均已整改关闭。"))
    perform(first, InputStatus.SUBMITTED, first.responsible)

    distributed = _extra(users, _("追加评审（资料已分发）"), 10, Trigger.MARKET)
    perform(distributed, ReviewStatus.AWAITING_APPROVAL, users["mr"])
    perform(distributed, ReviewStatus.ISSUED, users["gm"], password=DEMO_PASSWORD, comment=_("同意"))
    for report in distributed.input_reports.select_related("responsible"):
        plans.save_text(report, report.responsible, text=_("本部门本期情况正常，详见所附数据。"))
        perform(report, InputStatus.SUBMITTED, report.responsible)
    perform(distributed, ReviewStatus.PACK_DISTRIBUTED, users["mr"])

    cancelled = _extra(users, _("追加评审（已取消）"), 50, Trigger.ORGANISATION)
    perform(cancelled, ReviewStatus.CANCELLED, users["gm"], reason=_("组织机构调整推迟，并入年度评审。"))
    stdout.write(_("管理评审示例：5 条"))
