"""The complaints app's demo data (registered in ``ComplaintsConfig.ready``), each seeder idempotent:
complaints (one in every state of the flow, a key account's complaint, one whose clocks are overdue and escalated,
one closed over an unverified CAPA by the MR's override, one declared invalid, and feedback that is not a
complaint), returns, adverse events with an advisory notice, and the satisfaction surveys."""
import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (AdverseSeriousness, Channel, Clock, Complaint, ComplaintStatus, CorrectionKind,
                               FeedbackType, Responsibility, ReturnOrder, ReturnOutcome, ReturnStatus, Severity,
                               SurveyCampaign, SurveyResponse)
from complaints.services import adverse as adverse_service
from complaints.services import complaints as service
from complaints.services import notices as notice_service
from complaints.services import returns as return_service
from complaints.services import surveys
from customers.models import Customer
from qms import audit, deadlines, workflow
from qms.demo import DEMO_PASSWORD
from qms.workdays import add_working_days

MARK = "（示例）"


def _customer(name):
    return Customer.objects.filter(name=name).first()


def _receive(users, by, description, *, customer_name, received_at=None, **fields):
    customer = _customer(customer_name)
    return service.receive(by=users[by], channel=fields.pop("channel", Channel.PHONE),
                           type=fields.pop("type", FeedbackType.COMPLAINT), customer=customer,
                           customer_name="" if customer else customer_name, description=description + MARK,
                           received_at=received_at, **fields)


def _to(complaint, status, users, by, **kwargs):
    service.advance(complaint, status, users[by], **kwargs)


def _assign(complaint, users, handler, by="service"):
    handler_user = users[handler]
    _to(complaint, ComplaintStatus.ASSIGNED, users, by,
        data={"responsible_department": handler_user.department, "responsible": handler_user})


def _investigate(complaint, users, handler, cause, responsibility=Responsibility.OURS, severity=Severity.MINOR):
    _to(complaint, ComplaintStatus.INVESTIGATING, users, handler)
    _to(complaint, ComplaintStatus.CORRECTING, users, handler, data={
        "is_valid": True, "responsibility": responsibility, "severity": severity, "cause": cause})


def _correct(complaint, users, handler, kind, text):
    _to(complaint, ComplaintStatus.CONFIRMING, users, handler, data={"correction_kind": kind, "correction": text})


@transaction.atomic
def seed_complaints(users, stdout):
    if Complaint.objects.filter(description__endswith=MARK).exists():
        return
    now = timezone.now()

    # 已登记: a key account's complaint, just received by customer service.
    key = _receive(users, "service", "监护仪开机后屏幕闪烁，影响临床使用", customer_name="北京华信科技股份有限公司",
                   product="多参数监护仪 PM-8000", batch="PM2610", quantity=2, requires_on_site=True,
                   customer_request="24 小时内派工程师到场", contact_name="王建国", contact_phone="13801012345")
    service.record_clock(key, Clock.FIRST_REPLY, users["service"], note=_("电话答复：已安排工程师"))

    # Overdue: received three working days ago by a salesperson and never handed over — escalated.
    overdue_at = add_working_days(now - dt.timedelta(days=7), 1)
    _receive(users, "sales2", "输液器滴斗开裂，漏液", customer_name="武汉光谷生物医疗器械有限公司",
             product="一次性输液器", batch="B2611", quantity=200, received_at=overdue_at,
             customer_request="换货并书面说明原因")

    # 已分派
    assigned = _receive(users, "service", "外包装箱破损，内盒受潮", customer_name="苏州工业园区精密机械有限公司",
                        product="医用外科口罩", batch="MK2609", quantity=50, channel=Channel.EMAIL)
    _assign(assigned, users, "pmc")

    # 调查中
    investigating = _receive(users, "service", "血压计读数比对偏高约 8 mmHg", customer_name="南京金陵对外贸易有限公司",
                             product="电子血压计 BP-21", batch="BP2608", quantity=10, channel=Channel.LETTER)
    _assign(investigating, users, "quality")
    _to(investigating, ComplaintStatus.INVESTIGATING, users, "quality")

    # 处理中
    correcting = _receive(users, "sales", "到货延误 3 天", customer_name="广州天河物业管理有限公司",
                          product="医用手套", batch="GL2610", quantity=500)
    _assign(correcting, users, "pmc")
    _investigate(correcting, users, "pmc", "排产未考虑节前物流停运", severity=Severity.MINOR)

    # 待客户确认
    confirming = _receive(users, "service", "注射器刻度印刷模糊", customer_name="成都天府软件园信息技术有限公司",
                          product="一次性注射器 5ml", batch="SY2607", quantity=300, channel=Channel.FAX)
    _assign(confirming, users, "production")
    _investigate(confirming, users, "production", "移印机油墨粘度偏低", severity=Severity.MAJOR)
    _correct(confirming, users, "production", CorrectionKind.REPLACEMENT, "整批 300 支换货")

    # 待回访, with a CAPA not yet verified
    with_capa = _receive(users, "service", "同一批次第二次出现针头弯曲", customer_name="上海浦江国际贸易有限公司",
                         product="采血针", batch="CX2605", quantity=1000)
    _assign(with_capa, users, "production")
    _investigate(with_capa, users, "production", "针管装配工装磨损，重复发生", severity=Severity.MAJOR)
    service.raise_capa(with_capa, users["quality"], nonconformity="采血针针头弯曲重复发生（批次 CX2605）")
    _correct(with_capa, users, "production", CorrectionKind.REPLACEMENT, "换货 1000 支，更换装配工装")
    service.record_clock(with_capa, Clock.WRITTEN_REPLY, users["production"],
                         written_reply="已查明原因为装配工装磨损，已更换工装并整批换货。")
    _to(with_capa, ComplaintStatus.RETURN_VISIT, users, "service",
        data={"customer_confirmation": "电话确认：客户采购部认可换货方案"})

    # 已关闭 (normal close, signed by customer service)
    closed = _receive(users, "service", "发票抬头错误", customer_name="青岛海滨食品有限公司",
                      product="医用棉签", batch="MQ2606", quantity=20)
    service.record_clock(closed, Clock.FIRST_REPLY, users["service"])
    _assign(closed, users, "finance")
    _investigate(closed, users, "finance", "开票时选错客户档案", severity=Severity.MINOR)
    service.record_clock(closed, Clock.ACCEPTED_REPLY, users["finance"])
    _correct(closed, users, "finance", CorrectionKind.OTHER, "作废原发票并重开")
    service.record_clock(closed, Clock.WRITTEN_REPLY, users["finance"], written_reply="已重开发票并快递寄出。")
    _to(closed, ComplaintStatus.RETURN_VISIT, users, "service", data={"customer_confirmation": "客户签收新发票"})
    _to(closed, ComplaintStatus.CLOSED, users, "service", password=DEMO_PASSWORD, comment=_("同意关闭"),
        data={"return_visit_opinion": "客户满意"})

    # 已关闭 over an unverified CAPA: the MR's signed override
    override = _receive(users, "service", "灭菌指示卡变色不明显", customer_name="深圳前海电子商务有限公司",
                        product="灭菌包", batch="MJ2604", quantity=100)
    _assign(override, users, "quality")
    _investigate(override, users, "quality", "指示卡供应商批次油墨异常", responsibility=Responsibility.SUPPLIER)
    service.raise_capa(override, users["quality"], nonconformity="供应商指示卡油墨异常")
    _correct(override, users, "quality", CorrectionKind.REPLACEMENT, "更换指示卡批次")
    _to(override, ComplaintStatus.RETURN_VISIT, users, "service", data={"customer_confirmation": "客户书面确认"})
    _to(override, ComplaintStatus.CLOSED, users, "mr", password=DEMO_PASSWORD,
        override_reason="客户已确认，供应商整改需 3 个月，纠正措施单独跟踪",
        data={"return_visit_opinion": "客户认可处理结果"})

    # 无效投诉
    invalid = _receive(users, "sales", "产品使用 2 年后外壳老化", customer_name="北京朝阳启明培训学校",
                       product="体温计", batch="TW2401", quantity=1)
    _assign(invalid, users, "quality")
    _to(invalid, ComplaintStatus.INVESTIGATING, users, "quality")
    _to(invalid, ComplaintStatus.INVALID, users, "quality", password=DEMO_PASSWORD,
        data={"invalid_explanation": "产品已超出一年保修期，外壳老化属正常损耗；已电话向客户说明并提供付费维修。"})

    # Feedback that is not a complaint: a suggestion answered and closed
    suggestion = _receive(users, "service", "建议包装上增加产品追溯二维码", customer_name="杭州西湖教育咨询有限公司",
                          type=FeedbackType.SUGGESTION, channel=Channel.SURVEY)
    _to(suggestion, ComplaintStatus.CLOSED, users, "service", reason="感谢建议，已转技术部评估，计划下季度实施。")

    sent = deadlines.tick()
    stdout.write(_("客户投诉示例：10 条（各状态各一，含大客户、逾期、纠正措施），已发送提醒 %(n)d 条") % {"n": sent})


# --- returns ------------------------------------------------------------------------------------------------
DEMO_RETURNS = [
    # product, spec, quantity, batch, batch return, reason, where it gets to
    ("一次性使用输液器", "带针 0.7mm", 200, "B2609-03", False, "包装破损，部分产品外包装漏气。", ReturnStatus.SUBMITTED),
    ("医用外科口罩", "17.5×9.5cm", 5000, "B2608-11", True, "客户抽检发现耳带脱落，要求整批退货。", ReturnStatus.APPROVED),
    ("一次性使用注射器", "5ml", 600, "B2607-21", False, "针筒刻度印刷模糊。", ReturnStatus.TESTED),
    ("医用检查手套", "M 号", 1000, "B2606-02", False, "手套粘连，无法分开使用。", ReturnStatus.CLOSED),
    ("医用棉签", "10cm", 300, "B2605-17", False, "客户称棉头脱落，留样检验无异常。", ReturnStatus.REJECTED),
    ("一次性使用输液器", "不带针", 100, "B2604-08", False, "重复提交的退货申请。", ReturnStatus.VOIDED),
]


def seed_returns(users, stdout):
    """One return in each state: awaiting approval, a batch return approved by the GM, tested, closed with the
    hand-over to nonconforming control, refused, voided. Idempotent."""
    if ReturnOrder.objects.filter(batch__in=[row[3] for row in DEMO_RETURNS]).exists():
        return
    customers = list(Customer.objects.filter(owner__in=[users["sales"], users["sales2"]]).order_by("pk")[:6])
    with transaction.atomic():
        for index, (product, spec, quantity, batch, whole, reason, target) in enumerate(DEMO_RETURNS):
            customer = customers[index % len(customers)] if customers else None
            ro = return_service.create_return(by=users["sales2"], customer=customer,
                                       customer_name="" if customer else _("演示客户有限公司"), product=product,
                                       specification=spec, quantity=quantity, batch=batch, is_batch_return=whole,
                                       reason=reason)
            if target == ReturnStatus.SUBMITTED:
                continue
            if target == ReturnStatus.VOIDED:
                workflow.perform(ro, ReturnStatus.VOIDED, users["sales"], reason=_("重复提交，作废。"))
                continue
            approver = users["gm"] if whole else users["sales"]
            if target == ReturnStatus.REJECTED:
                workflow.perform(ro, ReturnStatus.REJECTED, approver,
                                 reason=_("同批号留样检验合格，已向客户解释，客户同意继续使用。"))
                continue
            return_service.approve(ro, by=approver, password=DEMO_PASSWORD, comment=_("同意退货"))
            if target == ReturnStatus.APPROVED:
                continue
            return_service.record_sample_test(ro, by=users["quality"],
                                       result=_("同批号留样抽检 32 件，2 件不符合要求，判定该批存在质量问题。"))
            if target == ReturnStatus.TESTED:
                continue
            return_service.hand_over_to_nonconforming(ro, "NC-DEMO-0001", users["quality"])
            return_service.close_return(ro, by=users["sales"], outcome=ReturnOutcome.REPLACE,
                                 storage_location=_("成品仓退货专用库位 R-01"))
    stdout.write(_("退货单示例：%(n)d 条（各状态各一条）") % {"n": len(DEMO_RETURNS)})


# --- adverse events and advisory notices --------------------------------------------------------------------
DEMO_MARK = "（示例·不良事件）"


def seed_adverse_events(users, stdout):
    """One death reported within 12 hours (with a stock freeze), one serious injury overdue, two other suspected
    events for the quarterly report, and one issued advisory notice with part of its acknowledgements. Idempotent."""
    if Complaint.objects.filter(description__endswith=DEMO_MARK).exists():
        return
    now = timezone.now()
    customers = list(Customer.objects.order_by("pk")[:4])

    def receive(hours_ago, product, batch, description, customer_index, **fields):
        customer = customers[customer_index % len(customers)] if customers else None
        return service.receive(
            by=users["service"], channel=fields.pop("channel", Channel.PHONE), customer=customer,
            customer_name="" if customer else _("演示医院"), description=description + DEMO_MARK,
            received_at=now - dt.timedelta(hours=hours_ago), product=product, batch=batch, **fields)

    with transaction.atomic():
        death = receive(30, "一次性使用输液器", "SY2611-02", "患者输液过程中出现寒战、高热，抢救无效死亡", 0,
                        quantity=1, contact_name="刘护士长", contact_phone="13900001111")
        adverse_service.flag_adverse_event(death, seriousness=AdverseSeriousness.DEATH, by=users["quality"],
                                   description="患者 68 岁，使用本批输液器输注抗生素约 20 分钟后出现寒战、高热，"
                                               "经抢救无效于次日凌晨死亡。医院已封存剩余同批产品。")
        adverse_service.record_report(death, reported_at=death.received_at + dt.timedelta(hours=9), by=users["quality"],
                              password=DEMO_PASSWORD, authority=_("国家医疗器械不良事件监测信息系统"),
                              reference="MDAE-DEMO-0001")
        adverse_service.freeze_stock(death, batch=death.batch, by=users["quality"], note=_("成品仓及在途库存全部封存，停止发货"))

        serious = receive(80, "一次性使用注射器", "ZS2610-11", "注射时针头脱落残留于皮下，需手术取出", 1, quantity=1)
        adverse_service.flag_adverse_event(serious, seriousness=AdverseSeriousness.SERIOUS, by=users["quality"],
                                   description="护士肌肉注射时针头与针座脱离，针头残留于患者臀部皮下，经外科手术取出。")

        for index, (product, batch, text) in enumerate([
            ("医用外科口罩", "KZ2609-05", "佩戴 2 小时后面部皮肤发红、瘙痒，停用后消退"),
            ("医用检查手套", "ST2608-17", "使用中手套破裂，操作者手部接触患者体液，未发生感染"),
        ]):
            other = receive(24 * (3 + 5 * index), product, batch, text, 2 + index)
            adverse_service.flag_adverse_event(other, seriousness=AdverseSeriousness.OTHER, by=users["service"],
                                       description=text + "。")

        if customers:
            notice = notice_service.draft_notice(
                by=users["mr"], title=_("关于一次性使用输液器（批号 SY2611-02）暂停使用的忠告性通知（示例）"),
                product="一次性使用输液器", batches="SY2611-02", complaint=death,
                risk=_("该批产品在临床使用中发生一例疑似输液反应死亡病例，原因正在调查，存在导致严重输液反应的风险。"),
                actions=_("请立即停止使用该批号产品，隔离存放并清点库存，我司将安排换货；如已发生不良反应请及时告知。"),
                customers=customers)
            notice_service.issue_notice(notice, by=users["mr"], password=DEMO_PASSWORD, comment=_("同意签发"))
            notice_service.record_authority_notified(notice, by=users["mr"], notified_at=timezone.now())
            for recipient, who in zip(notice.recipients.select_related("customer", "notice").order_by("pk")[:2],
                                      (_("采购部 王经理"), _("设备科 陈科长"))):
                notice_service.record_acknowledgement(recipient, by=users["mr"], acknowledged_by=who,
                                                      note=_("邮件回复确认"))
    stdout.write(_("不良事件示例：4 条（死亡已报告、严重逾期、其他 2 条）；忠告性通知 1 份（部分客户已确认）"))


# --- satisfaction surveys -----------------------------------------------------------------------------------
DEMO_SCORES = [  # per customer, per default question: mostly satisfied, one delivery complaint, one price complaint
    (5, 4, 5, 4, 3, 5), (4, 2, 4, 4, 4, 4), (5, 5, 5, 4, 4, 5), (4, 4, 4, 3, 2, 4), (5, 4, 4, 5, 4, 4),
    (4, 4, 5, 4, 4, 5), (4, 3, 4, 4, 4, 4), (5, 5, 4, 4, 3, 4), (4, 4, 4, 5, 4, 5), (3, 4, 4, 4, 4, 4),
]


def _demo_answers(campaign, users, count, when, by_owner):
    questions = list(campaign.questions.order_by("order", "pk"))
    responses = list(campaign.responses.select_related("customer__owner").order_by("customer__name", "pk")[:count])
    for index, response in enumerate(responses):
        scores = DEMO_SCORES[index % len(DEMO_SCORES)]
        by = response.customer.owner if by_owner and response.customer.owner_id else users["service"]
        surveys.enter_response(response, by=by, scores={q.pk: s for q, s in zip(questions, scores)},
                               respondent=response.customer.primary_contact.name
                               if response.customer.primary_contact else "",
                               comment="希望缩短交货周期。" if min(scores) <= 2 else "",
                               submitted_at=when + dt.timedelta(days=index % 6, hours=index % 5))
    return len(responses)


def seed_surveys(users, stdout):
    """Last year's campaign closed with every answer in (two customers' low scores raised feedback items);
    this year's open, half of the answers collected, the owners' collection deadlines running. Idempotent."""
    if not surveys.default_recipients().exists():
        return
    today = timezone.localdate()
    service_user = users["service"]
    last_year = today.year - 1
    if not SurveyCampaign.objects.filter(year=last_year).exists():
        campaign = surveys.create_campaign(by=service_user, year=last_year, opens_on=today, closes_on=today)
        surveys.open_campaign(campaign, by=service_user)
        month = dt.datetime(last_year, 10, 9, 10, 0, tzinfo=timezone.get_default_timezone())
        answered = _demo_answers(campaign, users, campaign.responses.count(), month, by_owner=False)
        surveys.close_campaign(campaign, by=users["quality"])
        # the demo is seeded today: its dates are moved back to last October, where such a campaign ran
        with audit.context(user=service_user, reason="演示数据：上一年度的调查"):
            SurveyCampaign.objects.filter(pk=campaign.pk).update(
                opens_on=dt.date(last_year, 10, 8), closes_on=dt.date(last_year, 10, 30),
                created_at=month - dt.timedelta(days=7))
            SurveyResponse.objects.filter(campaign=campaign).update(sent_at=month - dt.timedelta(days=1))
        stdout.write(f"  surveys: {last_year} closed, {answered} answered\n")
    if not SurveyCampaign.objects.filter(year=today.year).exists():
        campaign = surveys.create_campaign(by=service_user, year=today.year, opens_on=today - dt.timedelta(days=7),
                                           closes_on=today + dt.timedelta(days=21))
        surveys.open_campaign(campaign, by=service_user)
        start = timezone.now() - dt.timedelta(days=7)
        answered = _demo_answers(campaign, users, campaign.responses.count() // 2, start, by_owner=True)
        stdout.write(f"  surveys: {today.year} open, {answered} answered\n")
