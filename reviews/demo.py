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

    _distributed(users, _("追加评审（资料已分发）"), 10, Trigger.MARKET)
    # the later steps: the meeting is held (the meeting time is moved back after the pack went out)
    for title, target in ((_("管理评审（会议已召开）"), ReviewStatus.MEETING_HELD),
                          (_("管理评审（报告已审核）"), ReviewStatus.REPORT_REVIEWED),
                          (_("管理评审（报告已批准）"), ReviewStatus.REPORT_APPROVED),
                          (_("管理评审（改进措施已下发）"), ReviewStatus.OUTPUTS_RAISED)):
        _held(users, _distributed(users, title, 5, Trigger.SCALE), target)

    cancelled = _extra(users, _("追加评审（已取消）"), 50, Trigger.ORGANISATION)
    perform(cancelled, ReviewStatus.CANCELLED, users["gm"], reason=_("组织机构调整推迟，并入年度评审。"))
    stdout.write(_("管理评审示例：9 条"))


def _distributed(users, title, days, trigger):
    review = _extra(users, title, days, trigger)
    perform(review, ReviewStatus.AWAITING_APPROVAL, users["mr"])
    perform(review, ReviewStatus.ISSUED, users["gm"], password=DEMO_PASSWORD, comment=_("同意"))
    for report in review.input_reports.select_related("responsible"):
        plans.save_text(report, report.responsible, text=_("本部门本期情况正常，详见所附数据。"))
        perform(report, InputStatus.SUBMITTED, report.responsible)
    perform(review, ReviewStatus.PACK_DISTRIBUTED, users["mr"])
    return review


def _held(users, review, target):
    steps = [ReviewStatus.MEETING_HELD, ReviewStatus.REPORT_REVIEWED, ReviewStatus.REPORT_APPROVED,
             ReviewStatus.OUTPUTS_RAISED]
    plans.record_meeting(review, users["mr"], present=[users["gm"], users["mr"], users["quality"], users["service"]],
                         apologies=[users["hr"]], conclusion=_("体系总体适宜、充分、有效；来料检验需加强。"),
                         notes={"feedback": _("重大投诉已处理完毕，需加强来料检验。")})
    perform(review, ReviewStatus.MEETING_HELD, users["mr"])
    if target == ReviewStatus.MEETING_HELD:
        return
    plans.write_report(review, users["mr"], result_system=_("修订来料检验规程"), result_product=_("改进输液器滴斗结构"),
                       result_resources=_("增加一台拉力试验机"), result_market=_("无重大变化"))
    plans.add_output(review, users["mr"], section="system", title=_("修订来料检验规程"),
                     description=_("增加滴斗应力检验项目；品质部验证执行效果。"),
                     department=users["quality"].department, responsible=users["quality"])
    for step in steps[1:steps.index(target) + 1]:
        who = users["gm"] if step == ReviewStatus.REPORT_APPROVED else users["mr"]
        password = DEMO_PASSWORD if step in (ReviewStatus.REPORT_REVIEWED, ReviewStatus.REPORT_APPROVED) else ""
        perform(review, step, who, password=password, comment=_("同意") if password else "")
