"""The change's states and moves (seed 000 第五篇 管理变更控制程序), declared once and enforced by ``qms.workflow``:
request → risk assessment → evaluation team (countersign and the MR's meeting) → approval by the role the kind and
class require (signed; never by the drafter) → implementation → the MR's signed tracking confirmation."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qms import workflow
from qms.people import Role
from qms.signatures import Meaning
from qms.workflow import Move, Workflow
from changes.forms import ExecutionReportForm
from changes.models import ChangeRequest, ChangeStatus
from changes.services import implementation, release, requests

S = ChangeStatus


def _drafter_or_mr(change, user):
    return requests.is_drafter_or_mr(change, user)


def _assessor(change, user):
    return requests.may_assess(change, user)


def _coordinator(change, user):
    return implementation.is_coordinator(change, user)


def _approver(change, user):
    return requests.is_approver(change, user)


CANCEL = Move(_("取消变更"), actor=_drafter_or_mr, reason=True, closes=("*",), style="outline-danger")

PIPELINE = {
    S.DRAFT: {
        S.RISK: Move(_("提交风险评估"), actor=_drafter_or_mr, guard=requests.request_refusal, show_blocked=True),
        S.CANCELLED: CANCEL,
    },
    S.RISK: {
        S.EVALUATION: Move(_("提交评估小组评审"), actor=_assessor, guard=requests.risk_refusal, show_blocked=True,
                           after=requests.start_evaluation),
        S.CANCELLED: CANCEL,
    },
    S.EVALUATION: {
        S.AWAITING_APPROVAL: Move(_("提交批准"), roles=(Role.MR,), guard=requests.evaluation_refusal,
                                  show_blocked=True),
        S.RISK: Move(_("退回风险评估"), roles=(Role.MR,), reason=True, after=requests.stop_evaluation,
                     style="outline-secondary"),
    },
    S.AWAITING_APPROVAL: {
        S.IMPLEMENTING: Move(_("批准"), actor=_approver, signature=Meaning.APPROVAL, not_by="created_by",
                             guard=requests.approval_refusal, show_blocked=True, after=release.approved,
                             style="success"),
        S.REJECTED: Move(_("驳回"), actor=_approver, signature=Meaning.APPROVAL, not_by="created_by", reason=True,
                         closes=("*",), style="outline-danger"),
    },
    S.IMPLEMENTING: {
        S.AWAITING_CONFIRMATION: Move(_("提交变更执行报告"), actor=_coordinator, fields=("execution_report",),
                                      form=ExecutionReportForm,
                                      guard=implementation.execution_refusal, show_blocked=True),
    },
    S.AWAITING_CONFIRMATION: {
        S.CONFIRMED: Move(_("跟踪确认"), roles=(Role.MR,), signature=Meaning.CONFIRMATION,
                          guard=release.confirmation_refusal, show_blocked=True, after=release.confirmed,
                          closes=("*",), style="success"),
        S.IMPLEMENTING: Move(_("退回实施"), roles=(Role.MR,), reason=True, style="outline-secondary"),
    },
}

def hand_over(change, move) -> list:
    """Who is told the change is now theirs: the holders of the approver's role when it awaits approval, the
    coordinator in implementation, else the holders of the roles of the next moves (the MR)."""
    from qms.people import User

    if change.status == S.AWAITING_APPROVAL:
        return list(User.objects.filter(is_active=True, groups__name=requests.approver_role(change)).distinct())
    if change.status == S.IMPLEMENTING and change.coordinator_id:
        return [change.coordinator]
    if change.status == S.RISK:
        return [change.created_by]
    return workflow.role_holders_of_next_moves(change, move)


WORKFLOW = workflow.register(Workflow(
    ChangeRequest, PIPELINE, hand_over=hand_over,
    badges={S.CONFIRMED: "success", S.REJECTED: "danger", S.CANCELLED: "secondary",
            S.AWAITING_APPROVAL: "warning", S.AWAITING_CONFIRMATION: "warning"}))
