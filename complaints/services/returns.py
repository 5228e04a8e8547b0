"""Returns 《退货单》 (PROCEDURES.md §2 "Returns"; seed 002 §5.8 退、换货及返回产品的处理).

Flow, declared once in ``PIPELINE`` and enforced by ``qms.workflow.perform``:

    待审批 submitted ──批准 (signature: the sales manager; a batch return 整批退货 only the GM)──▶ 已批准 approved
        ──留样检验 (quality records the test of the batch's retained sample)──▶ 留样已检验 tested
        ──关闭 (outcome; returned goods: storage location and hand-over to nonconforming control)──▶ 已关闭 closed
    待审批 ──不予退货 (reason)──▶ rejected;  any open state ──作废 (reason)──▶ voided.  Nothing is deleted.

Clocks (shared deadlines on the working-day calendar): approval within 2 working days of submission, the
sample test within 3 working days of approval; each closed when done, all closed on rejection or voiding.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ReturnOrder, ReturnOutcome, ReturnStatus
from qms import Refused, audit, registry, workflow
from qms.deadlines import DeadlineRule
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Department, Role, User
from qms.signatures import Meaning
from qms.workdays import add_working_days
from qms.workflow import Move, TransitionRefused

APPROVAL_WORKING_DAYS = getattr(settings, "QMS_RETURN_APPROVAL_WORKING_DAYS", 2)
SAMPLE_TEST_WORKING_DAYS = getattr(settings, "QMS_RETURN_SAMPLE_TEST_WORKING_DAYS", 3)

OPEN_STATUSES = (ReturnStatus.SUBMITTED, ReturnStatus.APPROVED, ReturnStatus.TESTED)
# Outcomes for which the goods come back to us: they need a storage location and nonconforming control (§2).
GOODS_RETURNED = (ReturnOutcome.REPLACE, ReturnOutcome.REFUND)

# What the approval signature binds: the request as approved. The later steps (test result, outcome, storage,
# hand-over) fill other fields and must not void it. (Declared here because the model is shared.)
ReturnOrder.SIGNED_FIELDS = ("number", "complaint_id", "customer_id", "customer_name", "product", "specification",
                             "quantity", "batch", "is_batch_return", "reason", "created_by_id")

BATCH_NEEDS_GM = _("整批退货须由总经理批准。")


# --- who is who ----------------------------------------------------------------------------------------
def is_gm(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_role(Role.GM)))


def is_sales_manager(user) -> bool:
    """The sales manager (业务部经理): a salesperson who manages a department."""
    return bool(user and user.is_active and user.has_role(Role.SALES) and user.manages_a_department())


def may_approve(return_order, user) -> bool:
    """§2: the sales manager approves; a batch return only the GM (who may approve any return)."""
    if is_gm(user):
        return True
    return is_sales_manager(user) and not return_order.is_batch_return


def may_close(return_order, user) -> bool:
    return bool(user and user.is_active and (is_sales_manager(user) or user.has_role(Role.QUALITY, Role.GM, Role.MR)))


def may_hand_over(user) -> bool:
    """Nonconforming-product control is quality's (《不合格品控制程序》), production takes part in it."""
    return bool(user and user.is_active and (user.is_superuser or user.has_role(Role.QUALITY, Role.PRODUCTION,
                                                                                 Role.MR)))


def sales_manager_for(return_order) -> User | None:
    """The manager of the customer owner's (else the creator's) sales department, else of any sales department."""
    for person in (getattr(return_order.customer, "owner", None), return_order.created_by):
        manager = person.manager() if person else None
        if manager is not None and manager.is_active and manager.has_role(Role.SALES):
            return manager
        if person is not None and is_sales_manager(person):
            return person
    department = (Department.objects.filter(manager__groups__name=Role.SALES, manager__is_active=True, is_active=True)
                  .select_related("manager").order_by("pk").first())
    return department.manager if department else None


def general_manager() -> User | None:
    return User.objects.filter(groups__name=Role.GM, is_active=True).order_by("pk").first()


def approver_for(return_order) -> User | None:
    return general_manager() if return_order.is_batch_return else (sales_manager_for(return_order)
                                                                    or general_manager())


def quality_lead(_return_order=None) -> User | None:
    manager = (Department.objects.filter(manager__groups__name=Role.QUALITY, manager__is_active=True)
               .values_list("manager", flat=True).order_by("pk").first())
    if manager:
        return User.objects.get(pk=manager)
    return User.objects.filter(groups__name=Role.QUALITY, is_active=True).order_by("pk").first()


# Who sees every return (complaints.rules); others those they raised, of their customers, of their department's
# people (a manager), and of complaints they handle.
SEES_ALL = (Role.GM, Role.MR, Role.QUALITY, Role.CUSTOMER_SERVICE)


# --- the workflow --------------------------------------------------------------------------------------
def _working_days(now, days):
    return add_working_days(now, days)


APPROVAL_DEADLINE = DeadlineRule("return_approval", _("审批退货单：{record}"),
                                 due=lambda ro, now: _working_days(now, APPROVAL_WORKING_DAYS),
                                 responsible=approver_for, start="created_at")
SAMPLE_TEST_DEADLINE = DeadlineRule("return_sample_test", _("检验同批号留样：{record}"),
                                    due=lambda ro, now: _working_days(now, SAMPLE_TEST_WORKING_DAYS),
                                    responsible=quality_lead)


def _test_recorded(return_order) -> str | None:
    if not (return_order.sample_test_result or "").strip():
        return gettext("请填写同批号留样的检验结果。")
    return None


def _close_complete(return_order) -> str | None:
    if return_order.outcome not in ReturnOutcome.values:
        return gettext("请选择处理结果（换货、退款或拒收）。")
    if return_order.outcome in GOODS_RETURNED:
        if not (return_order.storage_location or "").strip():
            return gettext("退回的产品须填写存放位置（指定专用库位）。")
        if not (return_order.nonconforming_reference or "").strip():
            return gettext("退回的产品须先移交不合格品控制（填写不合格品处理单号）。")
    return None


def _save_test_result(return_order, user, transition):
    ReturnOrder.objects.filter(pk=return_order.pk).update(sample_test_result=return_order.sample_test_result.strip())


def _save_outcome(return_order, user, transition):
    ReturnOrder.objects.filter(pk=return_order.pk).update(outcome=return_order.outcome,
                                                          storage_location=return_order.storage_location.strip())


def _tell_quality(return_order, user, transition):
    lead = quality_lead(return_order)
    if lead is not None:
        notify(lead, lambda: gettext("退货单已批准，请检验同批号留样：%(record)s") % {"record": return_order},
               lambda: gettext("批号 %(batch)s，数量 %(qty)s。") % {"batch": return_order.batch,
                                                          "qty": return_order.quantity},
               link=return_order.get_absolute_url())


def _tell_creator(return_order, user, transition):
    if return_order.created_by_id != user.pk:
        notify(return_order.created_by, lambda: gettext("退货单不予退货：%(record)s") % {"record": return_order},
               transition.reason, link=return_order.get_absolute_url())


VOID = Move(_("作废"), roles=(Role.GM, Role.MR), actor=lambda ro, user: is_sales_manager(user), reason=True,
            closes=("*",), style="outline-danger")

PIPELINE = {
    ReturnStatus.SUBMITTED: {
        ReturnStatus.APPROVED: Move(_("批准退货"), actor=may_approve, signature=Meaning.APPROVAL,
                                    closes=("return_approval",), opens=(SAMPLE_TEST_DEADLINE,), after=_tell_quality,
                                    style="success"),
        ReturnStatus.REJECTED: Move(_("不予退货"), actor=may_approve, reason=True, closes=("*",),
                                    after=_tell_creator, style="outline-warning"),
        ReturnStatus.VOIDED: VOID,
    },
    ReturnStatus.APPROVED: {
        ReturnStatus.TESTED: Move(_("登记留样检验结果"), roles=(Role.QUALITY,), guard=_test_recorded,
                                  closes=("return_sample_test",), after=_save_test_result),
        ReturnStatus.VOIDED: VOID,
    },
    ReturnStatus.TESTED: {
        ReturnStatus.CLOSED: Move(_("关闭退货单"), actor=may_close, guard=_close_complete, closes=("*",),
                                  after=_save_outcome, style="success"),
        ReturnStatus.VOIDED: VOID,
    },
}

WORKFLOW = workflow.register(workflow.Workflow(ReturnOrder, PIPELINE, badges={
    ReturnStatus.SUBMITTED: "warning", ReturnStatus.APPROVED: "primary", ReturnStatus.TESTED: "info",
    ReturnStatus.CLOSED: "success", ReturnStatus.REJECTED: "danger", ReturnStatus.VOIDED: "secondary"}))


# --- actions -------------------------------------------------------------------------------------------
def _clean(text) -> str:
    return (text or "").strip()


def earlier_returns(*, batch: str, complaint: Complaint | None = None, customer_name: str = ""):
    """Returns not voided of the same batch, for the same complaint (or, without one, the same customer)."""
    same = ReturnOrder.objects.exclude(status=ReturnStatus.VOIDED).filter(batch__iexact=_clean(batch))
    same = same.filter(complaint=complaint) if complaint is not None else same.filter(
        complaint__isnull=True, customer_name=_clean(customer_name))
    return same.order_by("created_at")


def duplicate_refusal(*, batch: str, complaint: Complaint | None = None, customer_name: str = "") -> str | None:
    """Why a return of ``batch`` needs the user's confirmation (earlier returns of it), or None."""
    existing = list(earlier_returns(batch=batch, complaint=complaint, customer_name=customer_name))
    if not existing:
        return None
    return gettext("批号 %(batch)s 已有退货单 %(numbers)s（%(whose)s）；请先核对，确认是另一次退货时勾选“仍然提交”。") % {
        "batch": _clean(batch), "numbers": "、".join(ro.number for ro in existing),
        "whose": (gettext("同一投诉 %(number)s") % {"number": complaint.number}) if complaint is not None
        else (gettext("同一客户 %(customer)s") % {"customer": _clean(customer_name)})}


def create_return(*, by, product: str, quantity: int, batch: str, reason: str, customer=None,
                  customer_name: str = "", complaint: Complaint | None = None, specification: str = "",
                  is_batch_return: bool = False, confirm_duplicate: bool = False) -> ReturnOrder:
    """Submit a return (from a complaint or on its own): numbered, approval due within 2 working days.
    A second return of the same batch for the same complaint (or customer) is refused with the earlier numbers
    unless ``confirm_duplicate``."""
    if not (by.is_superuser or by.has_perm("complaints.add_returnorder")):
        raise Refused(gettext("您没有权限填写退货单。"))
    if customer is None and complaint is not None:
        customer = complaint.customer
    customer_name = _clean(customer_name) or (customer.name if customer else "") or (
        complaint.customer_name if complaint else "")
    missing = [label for label, value in ((gettext("客户名称"), customer_name), (gettext("产品"), _clean(product)),
                                          (gettext("批号"), _clean(batch)), (gettext("退货原因"), _clean(reason)))
               if not value]
    if missing:
        raise Refused(gettext("请填写：%(fields)s。") % {"fields": "、".join(missing)})
    if not quantity or quantity < 1:
        raise Refused(gettext("退货数量须大于 0。"))
    if not confirm_duplicate:
        why_not = duplicate_refusal(batch=batch, complaint=complaint, customer_name=customer_name)
        if why_not:
            raise Refused(why_not)
    with transaction.atomic(), audit.context(user=by, reason=gettext("填写退货单")):
        return_order = ReturnOrder(
            complaint=complaint, customer=customer, customer_name=customer_name[:100], product=_clean(product),
            specification=_clean(specification), quantity=quantity, batch=_clean(batch),
            is_batch_return=bool(is_batch_return), reason=_clean(reason), created_by=by,
        )
        return_order.number = next_number("return_order", prefix_default="TH", name_default=gettext("退货单"))
        return_order.save()
        approver = APPROVAL_DEADLINE.responsible(return_order)
        if approver is not None:
            APPROVAL_DEADLINE.open(return_order, responsible=approver)
            notify(approver, lambda: gettext("待审批退货单：%(record)s") % {"record": return_order},
                   lambda: gettext("%(customer)s，批号 %(batch)s%(batch_return)s。") % {
                       "customer": return_order.customer_name, "batch": return_order.batch,
                       "batch_return": gettext("（整批退货）") if return_order.is_batch_return else ""},
                   link=return_order.get_absolute_url())
    return return_order


def approve(return_order: ReturnOrder, *, by, password: str, comment: str = "") -> ReturnOrder:
    """The approval signature; says why when the signer may not approve this return."""
    if return_order.status == ReturnStatus.SUBMITTED and not may_approve(return_order, by):
        if return_order.is_batch_return and is_sales_manager(by):
            raise TransitionRefused(str(BATCH_NEEDS_GM))
        raise TransitionRefused(gettext("退货单须由业务部经理批准，整批退货须由总经理批准。"))
    workflow.perform(return_order, ReturnStatus.APPROVED, by, password=password, comment=comment)
    return return_order


def record_sample_test(return_order: ReturnOrder, *, by, result: str) -> ReturnOrder:
    """Quality's test of the batch's retained sample (seed 002 §6.8.2)."""
    return_order.sample_test_result = _clean(result)
    try:
        workflow.perform(return_order, ReturnStatus.TESTED, by)
    except Refused:
        return_order.refresh_from_db()
        raise
    return return_order


def hand_over_to_nonconforming(return_order: ReturnOrder, reference: str, by) -> ReturnOrder:
    """Record the hand-over of the returned goods to nonconforming-product control (§6): ``reference`` is the
    number of the nonconforming record (the production app links to it). Audited; refused once closed."""
    reference = _clean(reference)
    if not may_hand_over(by):
        raise Refused(gettext("只有品质部（或生产部）可以将退货移交不合格品控制。"))
    if not reference:
        raise Refused(gettext("请填写不合格品处理单号。"))
    if len(reference) > ReturnOrder._meta.get_field("nonconforming_reference").max_length:
        raise Refused(gettext("不合格品处理单号过长。"))
    if return_order.status not in (ReturnStatus.APPROVED, ReturnStatus.TESTED):
        raise Refused(gettext("只有已批准、未关闭的退货单可以移交不合格品控制（当前状态：%(status)s）。")
                                % {"status": return_order.get_status_display()})
    with transaction.atomic(), audit.context(user=by, reason=gettext("移交不合格品控制：%(ref)s") % {"ref": reference}):
        changed = (ReturnOrder.objects.filter(pk=return_order.pk, status__in=(ReturnStatus.APPROVED, ReturnStatus.TESTED))
                   .update(nonconforming_reference=reference))
        if changed != 1:
            raise Refused(gettext("此记录已被他人更新，请刷新后重试。"))
        # the goods become a real record of nonconforming-product control (production's isolation ledger, §6),
        # through the core so that complaints does not import production
        registry.hand_over_nonconforming(
            return_order, by, product=return_order.product, specification=return_order.specification,
            batch=return_order.batch, quantity=return_order.quantity, reason=return_order.reason,
            reference=return_order.number, location=return_order.storage_location)
    return_order.nonconforming_reference = reference
    return return_order


def close_return(return_order: ReturnOrder, *, by, outcome: str, storage_location: str = "",
                 nonconforming_reference: str = "") -> ReturnOrder:
    """Close with the outcome; goods that come back need their storage location and the nonconforming hand-over
    (given here or recorded before)."""
    reference = _clean(nonconforming_reference)
    try:
        with transaction.atomic():
            if reference and reference != return_order.nonconforming_reference:
                hand_over_to_nonconforming(return_order, reference, by)
            return_order.outcome = outcome or ""
            return_order.storage_location = _clean(storage_location)
            workflow.perform(return_order, ReturnStatus.CLOSED, by)
    except Refused:
        return_order.refresh_from_db()
        raise
    return return_order
