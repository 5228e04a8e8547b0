"""我的待办 of production (registered by ``ProductionConfig.ready()``): for inspectors, the lots awaiting an
inspection result (待检) or a re-inspection (待判定) at their current operation; for production and PMC, the lots
conforming or under concession that wait to move on."""
from django.utils.translation import gettext as _

from qms import deadlines, registry
from qms.registry import WorkItem
from production.models import MAY_MOVE_ON, InspectionStatus, Lot, LotStatus
from production.models import IsolationEntry, IsolationStatus


def _item(lot, title) -> WorkItem:
    return WorkItem(title=title % {"lot": lot.number, "op": lot.current.name, "product": lot.task_order.product},
                    url=lot.get_absolute_url(), category=_("路线跟踪卡"))


def production_work(user) -> list[WorkItem]:
    items = []
    # the columns of a line only (the list's queryset joins the contract too and reads every column of four tables:
    # a millisecond of 我的待办 to build and convert)
    in_process = (Lot.objects.filter(status=LotStatus.IN_PROCESS, task_order__status="in_production")
                  .select_related("task_order", "current")
                  .only("number", "task_order__product", "current__name", "current__inspection_status"))
    if user.has_perm("production.inspect_lot"):
        waiting = in_process.filter(current__inspection_status__in=[InspectionStatus.PENDING,
                                                                    InspectionStatus.UNDETERMINED])
        for lot in waiting.order_by("created_at", "pk")[:registry.WORK_ITEMS_PER_PROVIDER + 1]:
            title = (_("待重新检验：%(lot)s %(product)s · %(op)s")
                     if lot.current.inspection_status == InspectionStatus.UNDETERMINED
                     else _("待检：%(lot)s %(product)s · %(op)s"))
            items.append(_item(lot, title))
    if user.has_perm("production.record_operation"):
        ready = in_process.filter(current__inspection_status__in=MAY_MOVE_ON)
        for lot in ready.order_by("created_at", "pk")[:registry.WORK_ITEMS_PER_PROVIDER + 1]:
            items.append(_item(lot, _("待转序或入库：%(lot)s %(product)s · %(op)s")))
    return items


ISOLATION_STEPS = (
    ("production.review_isolationentry", IsolationStatus.AWAITING_REVIEW, _("待评审隔离品：%(number)s %(product)s")),
    ("production.rework_isolationentry", IsolationStatus.REWORK, _("待完成隔离品处置：%(number)s %(product)s")),
    ("production.reinspect_isolationentry", IsolationStatus.REINSPECTION, _("待复检隔离品：%(number)s %(product)s")),
)


def isolation_work(user) -> list[WorkItem]:
    """The isolation area's next steps (seed 004): engineers review, production disposes, quality re-inspects."""
    items = []
    for perm, status, title in ISOLATION_STEPS:
        if not user.has_perm(perm):
            continue
        # the entry's own columns only: the list's eight-table join took longer to plan (3.6 ms) than to run
        entries = deadlines.with_open_due(IsolationEntry.objects.filter(status=status).only("pk", "number", "product"),
                                          "isolation_review", "isolation_disposition").order_by("placed_at", "pk")
        for entry in entries[:registry.WORK_ITEMS_PER_PROVIDER + 1]:
            items.append(WorkItem(title=title % {"number": entry.number, "product": entry.product},
                                  url=entry.get_absolute_url(), category=_("隔离区"), due=entry.open_due_at))
    return items


def process_control_work(user) -> list[WorkItem]:
    """Inspectors: the setup verifications waiting for them (the operation cannot start before). The discipline
    checks and specification changes come to 我的待办 through their deadlines."""
    from production.setup_models import SetupStatus, SetupVerification

    from qms.people import Role

    if not user.has_role(Role.QUALITY):
        return []
    waiting = SetupVerification.objects.filter(status=SetupStatus.REQUESTED).select_related(
        "operation__lot").order_by("requested_at", "pk")[:registry.WORK_ITEMS_PER_PROVIDER + 1]
    return [WorkItem(title=_("待作业准备验证：%(number)s %(lot)s · %(op)s") % {
        "number": v.number, "lot": v.operation.lot.number, "op": v.operation.name},
        url=v.get_absolute_url(), category=_("作业准备验证")) for v in waiting]
