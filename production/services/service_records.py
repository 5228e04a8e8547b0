"""The field service record 《现场服务处理记录单》 and the customer opinion form 《顾客意见处理表》 (seed 003 §5.2.11):

    现场服务  待顾客确认 open ──顾客签字确认 (who signed, the customer's opinion)──▶ confirmed
              ──营销部归档──▶ filed                  ("返回厂后将该记录单交到营销部统一保存")
    顾客意见  待品保部处理 registered ──品保部答复 (cause, measures, the answer; signed)──▶ answered
              ──关闭 (the customer's satisfaction)──▶ closed   ("直到顾客满意为止。处理单处理关闭后存于营销部")

Each may name the complaint it serves; the complaint then lists it. Nothing is deleted; every change is audited."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import Refused, audit, workflow
from qms.numbering import next_number
from qms.people import Role
from qms.signatures import Meaning
from qms.workflow import Move, Workflow
from production.service_forms import RequiredMoveForm
from production.service_models import (CustomerOpinion, FieldServiceRecord, FieldServiceStatus, OpinionKind,
                                       OpinionStatus)

# whoever goes on site fills the record; marketing (sales, customer service) files it and takes the opinions
SERVICE_ROLES = (Role.CUSTOMER_SERVICE, Role.SALES, Role.ENGINEERING, Role.QUALITY, Role.PRODUCTION)
MARKETING_ROLES = (Role.SALES, Role.CUSTOMER_SERVICE)
ANSWER_ROLES = (Role.QUALITY,)
# who sees the service records: those above and the management
SEES = (*SERVICE_ROLES, Role.GM, Role.MR)

F = FieldServiceStatus
O = OpinionStatus

FIELD_SERVICE_PIPELINE = {
    F.OPEN: {F.CONFIRMED: Move(_("顾客签字确认"), roles=SERVICE_ROLES, fields=("customer_signatory", "customer_comment"),
                               form=RequiredMoveForm, style="success")},
    F.CONFIRMED: {F.FILED: Move(_("营销部归档"), roles=MARKETING_ROLES, style="outline-success")},
}
FIELD_SERVICE_WORKFLOW = workflow.register(Workflow(FieldServiceRecord, FIELD_SERVICE_PIPELINE, badges={
    F.OPEN: "warning", F.CONFIRMED: "info", F.FILED: "success"}))

OPINION_PIPELINE = {
    O.REGISTERED: {O.ANSWERED: Move(_("品保部答复"), roles=ANSWER_ROLES, fields=("cause", "measures", "reply"),
                                    form=RequiredMoveForm, signature=Meaning.APPROVAL)},
    O.ANSWERED: {O.CLOSED: Move(_("关闭"), roles=MARKETING_ROLES, fields=("outcome",), form=RequiredMoveForm,
                                style="outline-success")},
}
OPINION_WORKFLOW = workflow.register(Workflow(CustomerOpinion, OPINION_PIPELINE, badges={
    O.REGISTERED: "warning", O.ANSWERED: "info", O.CLOSED: "success"}))


def _text(value) -> str:
    return (value or "").strip()


def _required(values: dict, labels: dict) -> None:
    missing = [str(label) for name, label in labels.items() if not values.get(name)]
    if missing:
        raise Refused(gettext("请填写：%(fields)s。") % {"fields": "、".join(missing)})


def record_field_service(*, by, customer_name: str, site: str, problem: str, work_done: str, arrived_at=None,
                         product: str = "", batch: str = "", complaint=None) -> FieldServiceRecord:
    """Whoever went on site records the service (numbered XF-<year>-<seq>); the customer signs next."""
    if not (by.is_superuser or by.has_role(*SERVICE_ROLES)):
        raise Refused(gettext("只有派出服务的人员（客户服务、销售、技术、品质、生产）可以填写现场服务处理记录单。"))
    values = {"customer_name": _text(customer_name), "site": _text(site), "problem": _text(problem),
              "work_done": _text(work_done), "product": _text(product), "batch": _text(batch)}
    _required(values, {"customer_name": _("客户名称"), "site": _("服务地点"), "problem": _("现场问题"),
                       "work_done": _("处理情况")})
    arrived_at = arrived_at or timezone.now()
    if arrived_at > timezone.now() + dt.timedelta(minutes=5):
        raise Refused(gettext("到达现场时间不能晚于现在。"))
    if complaint is not None and not values["customer_name"]:
        values["customer_name"] = complaint.customer_name
    with transaction.atomic(), audit.context(user=by, reason=gettext("填写现场服务处理记录单")):
        record = FieldServiceRecord(complaint=complaint, engineer=by, created_by=by, arrived_at=arrived_at, **values)
        record.number = next_number("field_service", prefix_default="XF", name_default=gettext("现场服务处理记录单"))
        record.save()
    return record


def register_opinion(*, by, customer_name: str, kind: str, opinion: str, product: str = "", batch: str = "",
                     rectification_request: str = "", complaint=None) -> CustomerOpinion:
    """Marketing takes the customer's opinion down (numbered YJ-<year>-<seq>) and hands it to quality."""
    if not (by.is_superuser or by.has_role(*MARKETING_ROLES)):
        raise Refused(gettext("顾客意见处理表由营销部（销售、客户服务）填写。"))
    if kind not in OpinionKind.values:
        raise Refused(gettext("请选择类别。"))
    values = {"customer_name": _text(customer_name), "opinion": _text(opinion), "product": _text(product),
              "batch": _text(batch), "rectification_request": _text(rectification_request)}
    _required(values, {"customer_name": _("客户名称"), "opinion": _("顾客意见")})
    with transaction.atomic(), audit.context(user=by, reason=gettext("填写顾客意见处理表")):
        record = CustomerOpinion(complaint=complaint, kind=kind, registered_by=by, **values)
        record.number = next_number("customer_opinion", prefix_default="YJ", name_default=gettext("顾客意见处理表"))
        record.save()
    return record
