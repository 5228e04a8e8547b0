"""Customer property 《顾客提供图纸/实物保管登记表》 (PROCEDURES.md §2 "Customer property"; seed 002 §4.8).

    register: what the customer handed over (drawings, samples, moulds, tools …), the customer's hand-over person
    (named) and our receiver (signed with the password), storage location and condition →  保管中 in_custody
    in_custody ──报告丢失/损坏/不适用 (a recorded notice to the customer: text, date, whom, how)──▶ incident
    in_custody / incident ──归还顾客 (date, the customer's receiver; signed)──▶ 已归还 returned
    incident ──结案 (reason: the customer's disposition of a lost item)──▶ 已结案 closed.  Nothing is deleted.

A further incident of an item already reported adds its notice without a move. Moving the item to another
storage place is recorded with its reason (``relocate``).
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.fulfilment_models import (ConfirmationChannel, CustomerProperty, IncidentKind,
                                                   PropertyIncident, PropertyKind, PropertyStatus)
from customers.contracts.fulfilment_move_forms import ReturnPropertyForm
from qms import Refused, audit, signatures, workflow
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role
from qms.signatures import Meaning
from qms.workflow import Move

S = PropertyStatus
# who receives, keeps and returns customer property: sales take it over, the departments that use it keep it
KEEPER_ROLES = (Role.SALES, Role.CUSTOMER_SERVICE, Role.QUALITY, Role.ENGINEERING, Role.PRODUCTION, Role.PMC,
                Role.PURCHASING, Role.MR, Role.GM)
SEES_ALL = (Role.GM, Role.MR, Role.QUALITY, Role.ENGINEERING, Role.PRODUCTION, Role.PMC, Role.CUSTOMER_SERVICE)
CLOSE_ROLES = (Role.MR, Role.GM, Role.QUALITY)


def is_keeper(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_role(*KEEPER_ROLES)))


RETURN = Move(_("归还顾客"), roles=KEEPER_ROLES, signature=Meaning.CONFIRMATION,
              fields=("returned_on", "returned_to", "return_note"), form=ReturnPropertyForm, style="success")

PIPELINE = {
    S.IN_CUSTODY: {
        S.INCIDENT: Move(_("报告丢失/损坏"), roles=KEEPER_ROLES, own_form=True, style="outline-danger"),
        S.RETURNED: RETURN,
    },
    S.INCIDENT: {
        S.RETURNED: RETURN,
        S.CLOSED: Move(_("结案"), roles=CLOSE_ROLES, reason=True, style="outline-secondary"),
    },
}

WORKFLOW = workflow.register(workflow.Workflow(
    CustomerProperty, PIPELINE, badges={S.IN_CUSTODY: "primary", S.INCIDENT: "danger", S.RETURNED: "success",
                                        S.CLOSED: "secondary"}))


def _clean(text) -> str:
    return (text or "").strip()


def register(*, by, password: str, customer, kind: str, name: str, handed_over_by: str, storage_location: str,
             condition: str, quantity: int = 1, identifier: str = "", received_on: dt.date | None = None,
             contract=None) -> CustomerProperty:
    """Register an item the customer handed over; ``by`` receives it and signs (password re-asked)."""
    if not is_keeper(by):
        raise Refused(gettext("您没有权限登记顾客财产。"))
    missing = [label for label, value in ((gettext("名称"), _clean(name)), (gettext("顾客移交人"), _clean(handed_over_by)),
                                          (gettext("存放位置"), _clean(storage_location)),
                                          (gettext("接收时状况"), _clean(condition))) if not value]
    if missing:
        raise Refused(gettext("请填写：%(fields)s。") % {"fields": "、".join(missing)})
    if kind not in PropertyKind.values:
        raise Refused(gettext("请选择类别。"))
    if not quantity or quantity < 1:
        raise Refused(gettext("数量须大于 0。"))
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise Refused(gettext("接收日期不能晚于今天。"))
    if contract is not None and contract.customer_id != customer.pk:
        raise Refused(gettext("所选合同不属于该客户。"))
    signatures.check_password_or_refuse(by, password)
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记顾客财产")):
        item = CustomerProperty(customer=customer, contract=contract, kind=kind, name=_clean(name),
                                identifier=_clean(identifier), quantity=quantity, received_on=received_on,
                                handed_over_by=_clean(handed_over_by), received_by=by,
                                storage_location=_clean(storage_location), condition=_clean(condition))
        item.number = next_number("customer_property", prefix_default="GCC", name_default=gettext("顾客财产"))
        item.save()
        signatures.sign(item, by, password, Meaning.CONFIRMATION,
                        comment=gettext("顾客移交人：%(name)s") % {"name": item.handed_over_by}, step=_("接收登记"))
    return item


def report_incident(item: CustomerProperty, *, by, kind: str, description: str, notice_text: str,
                    notified_on: dt.date, notified_contact: str, channel: str) -> PropertyIncident:
    """§4.8 a loss, damage or unsuitability is reported to the customer: the notice is recorded (what was said,
    when, to whom, how) and the item shows it; its owner hears of it."""
    if not is_keeper(by):
        raise Refused(gettext("您没有权限报告顾客财产异常。"))
    if item.status not in (S.IN_CUSTODY, S.INCIDENT):
        raise Refused(gettext("只有保管中的顾客财产可以报告丢失或损坏（当前状态：%(status)s）。")
                      % {"status": item.get_status_display()})
    if kind not in IncidentKind.values:
        raise Refused(gettext("请选择情况（丢失、损坏或不适用）。"))
    if channel not in ConfirmationChannel.values:
        raise Refused(gettext("请选择通知方式。"))
    missing = [label for label, value in ((gettext("经过说明"), _clean(description)),
                                          (gettext("通知顾客内容"), _clean(notice_text)),
                                          (gettext("顾客被通知人"), _clean(notified_contact))) if not value]
    if missing or notified_on is None:
        if notified_on is None:
            missing.append(gettext("通知日期"))
        raise Refused(gettext("请填写：%(fields)s。") % {"fields": "、".join(missing)})
    if notified_on > timezone.localdate():
        raise Refused(gettext("通知日期不能晚于今天。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("报告顾客财产异常")):
        incident = PropertyIncident.objects.create(
            item=item, kind=kind, description=_clean(description), notice_text=_clean(notice_text),
            notified_on=notified_on, notified_contact=_clean(notified_contact), channel=channel, reported_by=by)
        if item.status == S.IN_CUSTODY:
            workflow.perform(item, S.INCIDENT, by, reason=gettext("%(kind)s，已通知顾客 %(contact)s") % {
                "kind": incident.get_kind_display(), "contact": incident.notified_contact})
        owner = item.customer.owner
        if owner is not None and owner.pk != by.pk:
            notify(owner, lambda: gettext("顾客财产%(kind)s：%(record)s") % {"kind": incident.get_kind_display(),
                                                                        "record": item},
                   lambda: incident.notice_text[:200], link=item.get_absolute_url())
    return incident


def relocate(item: CustomerProperty, *, by, storage_location: str, reason: str) -> CustomerProperty:
    """Move the item to another storage place (audited with the reason)."""
    location, reason = _clean(storage_location), _clean(reason)
    if not is_keeper(by):
        raise Refused(gettext("您没有权限变更存放位置。"))
    if item.status not in (S.IN_CUSTODY, S.INCIDENT):
        raise Refused(gettext("已归还或已结案的顾客财产不能变更存放位置。"))
    if not location or not reason:
        raise Refused(gettext("请填写新的存放位置和变更理由。"))
    if location == item.storage_location:
        raise Refused(gettext("新的存放位置与原位置相同。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("变更存放位置：%(reason)s") % {"reason": reason}):
        changed = (CustomerProperty.objects.filter(pk=item.pk, status__in=(S.IN_CUSTODY, S.INCIDENT))
                   .update(storage_location=location, updated_at=timezone.now()))
        if changed != 1:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
    item.storage_location = location
    return item
