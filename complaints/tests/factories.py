"""Building complaints in tests through the real services (other helpers' tests may import these)."""
from complaints.models import Channel, ComplaintStatus, CorrectionKind, FeedbackType, Responsibility, Severity
from complaints.services import complaints as service
from customers.tests.factories import make_customer
from qms.demo import DEMO_PASSWORD


def key_account(people, name="北京协和医疗器械有限公司"):
    return make_customer(people["sales"], name=name, grade="A")


def ordinary_customer(people, name="上海康达贸易有限公司"):
    return make_customer(people["sales2"], name=name, grade="C")


def received(people, *, by="sales2", customer=None, requires_on_site=False, type=FeedbackType.COMPLAINT,
             received_at=None, **fields):
    """A complaint received by ``people[by]`` (首问负责制: they are responsible until assigned)."""
    fields.setdefault("product", "一次性输液器")
    fields.setdefault("batch", "B2611")
    fields.setdefault("quantity", 200)
    return service.receive(by=people[by], channel=Channel.PHONE, type=type, customer=customer,
                           customer_name="" if customer else "杭州仁和医院",
                           description=fields.pop("description", "输液器滴斗开裂，漏液 3 支"),
                           customer_request=fields.pop("customer_request", "更换整批并书面说明原因"),
                           requires_on_site=requires_on_site, received_at=received_at, **fields)



def assigned(people, complaint=None, *, by="service", handler="quality", **kwargs):
    complaint = complaint or received(people, **kwargs)
    service.advance(complaint, ComplaintStatus.ASSIGNED, people[by],
                    data={"responsible_department": people[handler].department, "responsible": people[handler]})
    return complaint


def _from(people, complaint, before, step, kwargs):
    """Take ``complaint`` (a new one when None) through the steps before ``before`` if it is not there yet."""
    complaint = complaint or received(people, **{k: v for k, v in kwargs.items() if k not in ("by", "handler")})
    if complaint.status != before:
        complaint = step(people, complaint, **{k: v for k, v in kwargs.items() if k in ("by", "handler")})
    return complaint


def investigating(people, complaint=None, **kwargs):
    complaint = _from(people, complaint, ComplaintStatus.ASSIGNED, assigned, kwargs)
    service.advance(complaint, ComplaintStatus.INVESTIGATING, people["quality"])
    return complaint


def correcting(people, complaint=None, **kwargs):
    complaint = _from(people, complaint, ComplaintStatus.INVESTIGATING, investigating, kwargs)
    service.advance(complaint, ComplaintStatus.CORRECTING, people["quality"], data={
        "is_valid": True, "responsibility": Responsibility.OURS, "severity": Severity.MAJOR,
        "cause": "注塑模具温度偏高导致滴斗应力开裂"})
    return complaint


def confirming(people, complaint=None, **kwargs):
    complaint = _from(people, complaint, ComplaintStatus.CORRECTING, correcting, kwargs)
    service.advance(complaint, ComplaintStatus.CONFIRMING, people["quality"], data={
        "correction_kind": CorrectionKind.REPLACEMENT, "correction": "整批 200 支换货，随货附检验报告"})
    return complaint


def return_visit(people, complaint=None, **kwargs):
    complaint = _from(people, complaint, ComplaintStatus.CONFIRMING, confirming, kwargs)
    service.advance(complaint, ComplaintStatus.RETURN_VISIT, people["quality"], data={
        "customer_confirmation": "2026-05-14 电话确认：客户王护士长认可换货方案"})
    return complaint


def closed(people, complaint=None, *, closer="service", **kwargs):
    complaint = _from(people, complaint, ComplaintStatus.RETURN_VISIT, return_visit, kwargs)
    service.advance(complaint, ComplaintStatus.CLOSED, people[closer], password=DEMO_PASSWORD,
                    data={"return_visit_opinion": "客户满意，无其他意见"}, comment="同意关闭")
    return complaint
