"""Setup verification 《作业准备验证表》 (seed 003 §5.2.7): engineering, quality and production verify the setup
before an operation starts at a first run of the job, a job change on the line, a material change, a restart
after a long stop (``QMS_SETUP_RESTART_DAYS``), a die change, or when inspection is doubtful. The first-piece and
last-piece comparison is signed by the inspector (quality, password re-asked). Until a verification of the
operation has passed, recording work at it is refused with the reason (``refusal``, the guard
``production.services.lots.record_work`` calls)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, numbering, workflow
from qms.people import Role
from qms.refusals import Refused
from qms.signatures import Meaning
from qms.workflow import Move, Workflow
from production.models import InspectionRecord, LotOperation
from production.setup_models import SetupStatus, SetupTrigger, SetupVerification

S = SetupStatus
T = SetupTrigger

REQUESTER_ROLES = (Role.PRODUCTION, Role.PMC, Role.ENGINEERING, Role.QUALITY)
VERIFIER_ROLES = (Role.QUALITY,)
# raised by hand: what the portal cannot see for itself
MANUAL_TRIGGERS = (T.MATERIAL_CHANGE, T.DIE_CHANGE, T.DOUBTFUL, T.JOB_CHANGE, T.RESTART, T.FIRST_RUN)


def _job(operation: LotOperation) -> tuple[int, int]:
    return operation.lot.task_order.process_card_id, operation.sequence


def automatic_trigger(operation: LotOperation, now: dt.datetime | None = None) -> str | None:
    """The trigger the portal sees by itself: the job (process card + operation) never verified (first run), the
    line last verified for another job (job change), or no verification nor inspection of the job on the line for
    more than ``QMS_SETUP_RESTART_DAYS`` days (restart after a long stop)."""
    card_id, sequence = _job(operation)
    passed = SetupVerification.objects.filter(status=S.PASSED)
    last_of_job = passed.filter(process_card_id=card_id, sequence=sequence).order_by("-verified_at").first()
    if last_of_job is None:
        return T.FIRST_RUN
    centre = operation.work_centre
    if centre:
        last_on_line = passed.filter(work_centre=centre).order_by("-verified_at").values_list(
            "process_card_id", "sequence").first()
        if last_on_line is not None and tuple(last_on_line) != (card_id, sequence):
            return T.JOB_CHANGE
    last_inspection = InspectionRecord.objects.filter(
        operation__lot__task_order__process_card_id=card_id, operation__sequence=sequence,
        operation__work_centre=centre).aggregate(at=Max("inspected_at"))["at"]
    last_activity = max(filter(None, [last_of_job.verified_at, last_inspection]))
    if (now or timezone.now()) - last_activity > dt.timedelta(days=settings.QMS_SETUP_RESTART_DAYS):
        return T.RESTART
    return None


def refusal(operation: LotOperation) -> str | None:
    """Why the operation may not start yet; None once a verification of it has passed (and none is open since)."""
    latest = operation.setup_verifications.order_by("-requested_at", "-pk").first()
    if latest is not None and latest.status == S.PASSED:
        return None
    if latest is not None and latest.status == S.REQUESTED:
        return gettext("作业准备验证 %(number)s（%(reason)s）尚未通过，工序“%(op)s”不能开始。") % {
            "number": latest.number, "reason": latest.get_trigger_display(), "op": operation.name}
    if latest is not None and latest.status == S.FAILED:
        return gettext("作业准备验证 %(number)s 未通过，须调整后重新申请验证，工序“%(op)s”不能开始。") % {
            "number": latest.number, "op": operation.name}
    trigger = automatic_trigger(operation)
    if trigger is None:
        return None
    return gettext("工序“%(op)s”须先进行作业准备验证（%(reason)s），验证通过后才能开始。") % {
        "op": operation.name, "reason": SetupTrigger(trigger).label}


def request(operation: LotOperation, by, *, trigger: str, note: str = "") -> SetupVerification:
    """Raise the verification of the operation's setup (the reason seen by the portal or declared by hand)."""
    if not by.has_role(*REQUESTER_ROLES):
        raise Refused(gettext("只有生产、PMC、技术工程或品质人员可以申请作业准备验证。"))
    if trigger not in SetupTrigger.values:
        raise Refused(gettext("请选择验证原因。"))
    if operation.lot.status != "in_process" or operation.lot.current_id != operation.pk:
        raise Refused(gettext("批次 %(lot)s 当前不在工序“%(op)s”。") % {"lot": operation.lot.number,
                                                                 "op": operation.name})
    if operation.setup_verifications.filter(status=S.REQUESTED).exists():
        raise Refused(gettext("本工序已有待验证的作业准备验证。"))
    card_id, sequence = _job(operation)
    with transaction.atomic(), audit.context(user=by, reason=gettext("申请作业准备验证")):
        return SetupVerification.objects.create(
            number=numbering.next_number("setup_verification", prefix_default="ZB", name_default="作业准备验证表"),
            operation=operation, process_card_id=card_id, sequence=sequence, work_centre=operation.work_centre,
            trigger=trigger, note=note.strip(), requested_by=by)


def suggested_trigger(operation: LotOperation) -> str:
    return automatic_trigger(operation) or T.MATERIAL_CHANGE


def _comparison_refusal(verification: SetupVerification) -> str | None:
    if not verification.method:
        return gettext("请选择验证方法。")
    if not verification.first_piece_result.strip():
        return gettext("请填写首件比较结果。")
    # the last piece of the previous run, kept with the die (seed 003 §5.2.2 4)), exists unless this is a first run
    if verification.trigger != T.FIRST_RUN and not verification.last_piece_result.strip():
        return gettext("请填写末件比较结果（首次生产除外）。")
    return None


def _verified(verification: SetupVerification, by, transition) -> None:
    now = timezone.now()
    SetupVerification.objects.filter(pk=verification.pk).update(verified_by=by, verified_at=now)
    verification.verified_by, verification.verified_at = by, now


FIELDS = ("method", "first_piece_result", "last_piece_result")
PIPELINE = {
    S.REQUESTED: {
        S.PASSED: Move(_("验证通过"), roles=VERIFIER_ROLES, signature=Meaning.VERIFICATION, fields=FIELDS,
                       check=_comparison_refusal, after=_verified, style="success"),
        S.FAILED: Move(_("验证不通过"), roles=VERIFIER_ROLES, signature=Meaning.VERIFICATION, fields=FIELDS,
                       reason=True, after=_verified, style="danger"),
    },
}
WORKFLOW = workflow.register(Workflow(SetupVerification, PIPELINE,
                                      badges={S.PASSED: "success", S.FAILED: "danger", S.REQUESTED: "warning"}))


def setup_context(lot, user) -> dict:
    """What the lot's page shows at its current operation: why it may not start yet, the open verification, and
    whether the user may request one."""
    operation = lot.current if lot.status == "in_process" else None
    if operation is None:
        return {"setup_refusal": None, "setup_open": None, "may_request_setup": False}
    return {"setup_refusal": refusal(operation),
            "setup_open": operation.setup_verifications.filter(status=S.REQUESTED).first(),
            "may_request_setup": user.has_perm("production.request_setup")}
