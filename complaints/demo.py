"""Complaint demo records: one in every state of the flow, a key account's complaint, one whose clocks are
overdue and escalated, one closed over an unverified CAPA by the MR's override, one declared invalid, and
feedback that is not a complaint. Idempotent."""
import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (Channel, Clock, Complaint, ComplaintStatus, CorrectionKind, FeedbackType,
                               Responsibility, Severity)
from complaints.services import complaints as service
from customers.models import Customer
from qms import deadlines
from qms.demo import DEMO_PASSWORD
from qms.registry import register_demo_seeder
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


@register_demo_seeder
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
