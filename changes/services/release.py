"""Confirmation and release (seed 000 第五篇 §5.5–§5.6, seed 003 工程规范更改): until the MR's tracking confirmation
the products of an approved change are held (``qms.blocks`` hold on ``production.ProcessCard`` that production
asks without importing this app); an affected customer whose special requirement asks to be told of changes holds
the confirmation until the notification (and the approval, when the requirement asks for it) is on record; the MR
announces the effective date (acknowledged); an engineering specification change is issued within 5 working days
of approval; a CAPA can be raised from a change."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import Refused, audit, blocks, countersign, deadlines
from qms.capa.models import CapaSource
from qms.capa.services import raise_capa
from qms.deadlines import DeadlineRule
from qms.people import Role
from qms.workdays import add_working_days
from customers.contracts.services import special_requirements
from changes.models import ChangeRequest, ChangeStatus, CustomerNotification, Kind, NoticeKind
from changes.services.requests import send_notices

S = ChangeStatus
HOLDING = (S.IMPLEMENTING, S.AWAITING_CONFIRMATION)
SPEC_KIND = "change_spec_issue"
SPEC_WORKING_DAYS = 5  # seed 003: 工程规范更改 reviewed and issued within 5 working days


# --- the product hold -------------------------------------------------------------------------------------------
def product_hold_reasons(process_card_id, activity: str = "production") -> list[str]:
    changes = ChangeRequest.objects.filter(process_cards=process_card_id, status__in=HOLDING).order_by("number")
    return [gettext("变更 %(number)s“%(title)s”尚未经管理者代表跟踪确认，受影响产品暂停放行。") % {
        "number": change.number, "title": change.title} for change in changes]


blocks.register_hold(subject="production.ProcessCard", activities=("production",),
                     reason=lambda pk, activity: product_hold_reasons(pk, activity))


# --- customers to be told -------------------------------------------------------------------------------------------
APPROVAL_WORDS = ("批准", "认可", "同意", "approv")


def customers_to_notify(change: ChangeRequest):
    """The affected customers whose special requirement says changes must be notified to them."""
    ids = list(change.customers.values_list("pk", flat=True))
    return list(special_requirements.customers_to_notify_of_changes(ids)) if ids else []


def approval_required(change: ChangeRequest, customer) -> bool:
    """Whether the customer's requirement asks for its approval as well as the notification."""
    return any(word in f"{req.title} {req.text}".lower() for req in
               special_requirements.change_notification_requirements([customer.pk]) for word in APPROVAL_WORDS)


def notification_rows(change: ChangeRequest) -> list[dict]:
    recorded = {n.customer_id: n for n in change.customer_notifications.select_related("customer", "recorded_by")}
    return [{"customer": customer, "notification": recorded.get(customer.pk),
             "approval_required": approval_required(change, customer)} for customer in customers_to_notify(change)]


def notification_refusal(change: ChangeRequest) -> str | None:
    reasons = []
    for row in notification_rows(change):
        notification = row["notification"]
        if notification is None:
            reasons.append(gettext("客户 %(customer)s 要求变更须通知顾客，尚未登记通知。") % {"customer": row["customer"].name})
        elif notification.approval_required and notification.approved_at is None:
            reasons.append(gettext("客户 %(customer)s 要求变更须经顾客批准，尚未登记批准。") % {"customer": row["customer"].name})
    return "；".join(reasons) if reasons else None


def record_notification(change: ChangeRequest, by, *, customer, notified_at: dt.datetime, means: str
                        ) -> CustomerNotification:
    if change.status not in HOLDING:
        raise Refused(gettext("变更批准后才能通知顾客。"))
    if not change.customers.filter(pk=customer.pk).exists():
        raise Refused(gettext("%(customer)s 不是此变更的受影响客户。") % {"customer": customer.name})
    if notified_at > timezone.now() + dt.timedelta(minutes=5):
        raise Refused(gettext("通知时间不能晚于现在。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记顾客变更通知")):
        notification, created = CustomerNotification.objects.get_or_create(
            change=change, customer=customer,
            defaults={"notified_at": notified_at, "means": means, "recorded_by": by,
                      "approval_required": approval_required(change, customer)})
        if not created:
            raise Refused(gettext("已登记对该客户的通知。"))
    return notification


def record_customer_approval(notification: CustomerNotification, by, *, approved_at: dt.datetime,
                             approved_by_name: str) -> CustomerNotification:
    if notification.approved_at is not None:
        raise Refused(gettext("已登记顾客批准。"))
    if approved_at < notification.notified_at:
        raise Refused(gettext("顾客批准时间不能早于通知时间。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记顾客批准")):
        CustomerNotification.objects.filter(pk=notification.pk, approved_at__isnull=True).update(
            approved_at=approved_at, approved_by_name=approved_by_name)
    notification.refresh_from_db()
    return notification


def may_notify_customers(change: ChangeRequest, user) -> bool:
    return user.has_role(Role.MR, Role.SALES, Role.CUSTOMER_SERVICE)


# --- the effective date -------------------------------------------------------------------------------------------
def everyone_affected(change: ChangeRequest) -> list:
    people = [department.manager for department in change.affected_departments.select_related("manager")]
    people += [task.responsible for task in change.tasks.select_related("responsible")]
    people += [change.coordinator, change.created_by]
    return [person for person in people if person is not None]


def announce_effective_date(change: ChangeRequest, by, *, effective_date: dt.date) -> ChangeRequest:
    """The MR announces the effective date to everyone affected; each acknowledges (seed 000 第五篇 §5.6)."""
    if change.status not in (*HOLDING, S.CONFIRMED):
        raise Refused(gettext("变更批准后才能公告生效日期。"))
    if not by.has_role(Role.MR):
        raise Refused(gettext("生效日期由管理者代表公告。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("公告变更生效日期")):
        now = timezone.now()
        ChangeRequest.objects.filter(pk=change.pk).update(effective_date=effective_date, effective_announced_at=now)
        change.effective_date, change.effective_announced_at = effective_date, now
        text = gettext("变更 %(change)s 自 %(date)s 起生效。") % {"change": change,
                                                             "date": effective_date.strftime("%Y-%m-%d")}
        send_notices(change, NoticeKind.EFFECTIVE, everyone_affected(change), text, by)
    return change


def confirmation_refusal(change: ChangeRequest) -> str | None:
    reasons = [r for r in (notification_refusal(change),) if r]
    if change.effective_announced_at is None:
        reasons.append(gettext("管理者代表尚未公告生效日期。"))
    return "；".join(reasons) if reasons else None


def confirmed(change: ChangeRequest, by, transition) -> None:
    ChangeRequest.objects.filter(pk=change.pk).update(confirmed_at=transition.at)
    change.confirmed_at = transition.at


# --- the engineering specification change (seed 003) -----------------------------------------------------------
def _engineering_lead(change):
    return countersign.responsible_for_role(Role.ENGINEERING)


SPEC_DUE = DeadlineRule(SPEC_KIND, _("发布工程规范更改：{record}"),
                        due=lambda change, start: add_working_days(start, SPEC_WORKING_DAYS),
                        responsible=_engineering_lead, start="approved_at",
                        condition=lambda change: change.kind == Kind.PROCESS)


def approved(change: ChangeRequest, by, transition) -> None:
    """After-hook of 批准: the approval time starts the specification change's clock."""
    ChangeRequest.objects.filter(pk=change.pk).update(approved_at=transition.at)
    change.approved_at = transition.at
    SPEC_DUE.open(change)


def record_spec_issue(change: ChangeRequest, by, *, spec_number: str) -> ChangeRequest:
    if change.kind != Kind.PROCESS or change.approved_at is None or change.spec_issued_at is not None:
        raise Refused(gettext("此变更没有待发布的工程规范更改。"))
    if not by.has_role(Role.ENGINEERING, Role.MR):
        raise Refused(gettext("工程规范更改由技术工程部发布。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("发布工程规范更改")):
        now = timezone.now()
        ChangeRequest.objects.filter(pk=change.pk).update(spec_number=spec_number, spec_issued_at=now)
        change.spec_number, change.spec_issued_at = spec_number, now
        deadlines.close_deadlines(change, (SPEC_KIND,))
    return change


# --- CAPA ------------------------------------------------------------------------------------------------------
def raise_change_capa(change: ChangeRequest, by, *, title: str, nonconformity: str, responsible, kind="preventive"):
    if not by.has_role(Role.MR, Role.QUALITY):
        raise Refused(gettext("由管理者代表或品质部从变更提出纠正和预防措施。"))
    return raise_capa(source=CapaSource.CHANGE, title=title, nonconformity=nonconformity, responsible=responsible,
                      raised_by=by, kind=kind, source_record=change)
