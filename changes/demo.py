"""Demo data of change control: a change in every state — a class III process change that holds its product until
the MR's confirmation, a confirmed class II change, an organisation change awaiting the board, and drafts,
rejected and cancelled ones."""
import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qms import countersign, workflow
from qms.demo import DEMO_PASSWORD as PASSWORD
from qms.people import Department
from production.models import ProcessCard, ProcessStep
from changes.models import ChangeRequest, ChangeStatus as S, Kind, ProcessClass
from changes.services import implementation, release, requests


def _card():
    card, created = ProcessCard.objects.get_or_create(code="GY-002", defaults={
        "product": "一次性使用注射器", "specification": "5 ml"})
    if created:
        for sequence, name in ((10, "注塑"), (20, "组装"), (30, "包装")):
            ProcessStep.objects.create(card=card, sequence=sequence, name=name, first_piece=True, final=sequence == 30)
    return card


def _evidence(change, user, kinds):
    for kind in kinds:
        requests.add_evidence(change, user, kind=kind, description="",
                              uploaded=SimpleUploadedFile(f"{kind}.txt", f"{change.number} {kind}".encode()))


def _request(users, title, kind=Kind.PROCESS, process_class=ProcessClass.III, cards=(), customers=(),
             departments=("production", "quality", "engineering"), by="engineering"):
    return requests.create_request(
        users[by], title=title, kind=kind, process_class=process_class if kind == Kind.PROCESS else "",
        plan="1. 变更内容及步骤\n2. 验证方案\n3. 培训与文件更新", basis="工艺改进提高合格率；供应商停产原材料",
        wanted_effective_date=timezone.localdate() + dt.timedelta(days=30),
        affected_departments=list(Department.objects.filter(code__in=departments)), process_cards=list(cards),
        customers=list(customers))


def _risk(change, users, residual=(2, 2)):
    requests.add_risk(change, users["quality"], description="新模具尺寸偏差导致装配不良", severity=4, likelihood=3,
                      control="首件三坐标全检，前三批加严检验", residual_severity=residual[0],
                      residual_likelihood=residual[1], is_new=False,
                      concerned_department=Department.objects.get(code="production"))


def _to(change, status, users, by, **kwargs):
    workflow.perform(change, status, users[by], **kwargs)
    change.refresh_from_db()


def _evaluate(change, users):
    _to(change, S.RISK, users, change.created_by.username)
    _risk(change, users)
    _to(change, S.EVALUATION, users, "quality")
    for opinion in countersign.opinions_for(change):
        countersign.give_opinion(opinion, opinion.responsible, verdict="agree", text="同意，按方案验证",
                                 password=PASSWORD)
    requests.record_meeting(change, users["mr"], meeting_date=timezone.localdate(),
                            attendees=[users["mr"], users["quality"], users["production"], users["engineering"]],
                            minutes="评估小组一致同意变更方案，按 III 类要求完成验证。")
    _to(change, S.AWAITING_APPROVAL, users, "mr")


def _implement(change, users, approver="gm", slip=False):
    _to(change, S.IMPLEMENTING, users, approver, password=PASSWORD, comment="同意实施")
    implementation.set_coordinator(change, users["mr"], coordinator=users["engineering"])
    tasks = [implementation.add_task(change, users["engineering"], department=department,
                                     responsible=department.manager, description=f"{department}：落实变更并培训",
                                     working_days=5)
             for department in change.affected_departments.order_by("code") if department.manager]
    if slip and tasks:
        implementation.report_slip(tasks[0], tasks[0].responsible, reason="新模具交付推迟",
                                   new_date=timezone.localdate() + dt.timedelta(days=20))
    return tasks


def seed(users, stdout) -> None:
    if ChangeRequest.objects.exists():
        return
    from customers.contracts.services.special_requirements import customers_to_notify_of_changes

    card = _card()
    existing = ProcessCard.objects.filter(code="GY-001").first() or card
    notify_customers = list(customers_to_notify_of_changes()[:1])
    III = [k for k in requests.CLASS_EVIDENCE[ProcessClass.III]]

    _request(users, "注射器外套模具更换（草稿）", cards=[card])
    risk = _request(users, "输液器滴斗材料变更", process_class=ProcessClass.II, cards=[existing])
    _to(risk, S.RISK, users, "engineering")
    _risk(risk, users, residual=(4, 3))  # not acceptable yet: the change cannot proceed
    evaluation = _request(users, "包装工序自动化", process_class=ProcessClass.I, cards=[card])
    _to(evaluation, S.RISK, users, "engineering")
    _risk(evaluation, users)
    _to(evaluation, S.EVALUATION, users, "quality")

    awaiting = _request(users, "质量部与技术部合并为质量技术部", kind=Kind.ORGANISATION, by="hr",
                        departments=("quality", "engineering"))
    _evidence(awaiting, users["hr"], [requests.E.HR_RISK])
    _evaluate(awaiting, users)

    held = _request(users, "注射器外套注塑工艺参数变更（III 类）", cards=[card], customers=notify_customers)
    _evidence(held, users["engineering"], III)
    _evaluate(held, users)
    _implement(held, users, slip=True)

    reporting = _request(users, "组装线夹具更换", process_class=ProcessClass.II, cards=[card],
                         customers=notify_customers)
    _evidence(reporting, users["engineering"], requests.CLASS_EVIDENCE[ProcessClass.II])
    _evaluate(reporting, users)
    for task in _implement(reporting, users):
        implementation.complete_task(task, task.responsible, result="已完成并培训")
    _to(reporting, S.AWAITING_CONFIRMATION, users, "engineering",
        values={"execution_report": "各部门任务均已完成，首批产品检验合格。"})
    release.announce_effective_date(reporting, users["mr"], effective_date=timezone.localdate())
    for customer in notify_customers:  # notified; the customer's approval (if its requirement asks) still awaited
        release.record_notification(reporting, users["sales"], customer=customer, notified_at=timezone.now(),
                                    means="函件（附变更通知函）")

    done = _request(users, "输液器灭菌装载方式变更", process_class=ProcessClass.II, cards=[existing])
    _evidence(done, users["engineering"], requests.CLASS_EVIDENCE[ProcessClass.II])
    _evaluate(done, users)
    for task in _implement(done, users):
        implementation.complete_task(task, task.responsible, result="已完成")
    release.record_spec_issue(done, users["engineering"], spec_number="GC-2026-018")
    _to(done, S.AWAITING_CONFIRMATION, users, "engineering", values={"execution_report": "灭菌验证通过，已按新方式装载。"})
    release.announce_effective_date(done, users["mr"], effective_date=timezone.localdate())
    _to(done, S.CONFIRMED, users, "mr", password=PASSWORD, comment="跟踪确认有效")
    for notice in done.notices.select_related("recipient"):
        requests.acknowledge(notice, notice.recipient)

    rejected = _request(users, "更换关键供应商：导管", kind=Kind.KEY_SUPPLIER, by="purchasing",
                        departments=("purchasing", "quality"))
    _evidence(rejected, users["purchasing"], [requests.E.SUPPLIER_EVALUATION])
    _evaluate(rejected, users)
    _to(rejected, S.REJECTED, users, "gm", password=PASSWORD, reason="新供应商质量体系未通过审核")

    cancelled = _request(users, "管理手册第 5 章修订", kind=Kind.SYSTEM_DOCUMENT, by="doccontrol",
                         departments=("hr",))
    _to(cancelled, S.CANCELLED, users, "doccontrol", reason="并入年度修订")
    stdout.write("changes: %d change requests\n" % ChangeRequest.objects.count())
