"""Demo data of renovation: a project with units and owners, and applications in each state of the flow
(taken there through the real services and workflow, with signatures). Idempotent."""
from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qms.demo import DEMO_PASSWORD
from qms.workflow import perform
from renovation.models import (ActionKind, Application, ApplicationStatus, Building, ClaimSource, ContractorKind,
                               EntryKind, FeeItem, PassStatus, Payer, Project, SiteInspection, Unit, UnitUsage,
                               ViolationKind)
from renovation.services import applications as service
from renovation.services import completion, fees, site

S = ApplicationStatus
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# a 1×1 PNG: the demo workers' photo
PHOTO_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

UNITS = [
    # building, number, usage, large commercial, owner, phone, resident ID, tenant
    ("1栋", "101", UnitUsage.RESIDENTIAL, False, "陈美玲", "13800138001", "11010519491231002X", ""),
    ("1栋", "102", UnitUsage.RESIDENTIAL, False, "王建国", "13800138002", "440524188001010014", ""),
    ("1栋", "201", UnitUsage.RESIDENTIAL, False, "李晓峰", "13800138003", "", ""),
    ("1栋", "202", UnitUsage.RESIDENTIAL, False, "赵海燕", "13800138004", "", "钱小明"),
    ("2栋", "301", UnitUsage.RESIDENTIAL, False, "孙丽华", "13800138005", "", ""),
    ("2栋", "302", UnitUsage.RESIDENTIAL, False, "周志强", "13800138006", "", ""),
    ("2栋", "401", UnitUsage.RESIDENTIAL, False, "吴静", "13800138007", "", ""),
    ("2栋", "402", UnitUsage.RESIDENTIAL, False, "郑凯", "13800138008", "", ""),
    ("商业街", "S-01", UnitUsage.SHOP, True, "冯记餐饮有限公司", "13800138009", "", ""),
    ("商业街", "S-02", UnitUsage.SHOP, False, "蒋国平", "13800138010", "", ""),
    ("3栋", "501", UnitUsage.RESIDENTIAL, False, "沈晓东", "13800138011", "", ""),
    ("3栋", "502", UnitUsage.RESIDENTIAL, False, "韩梅", "13800138012", "", ""),
    ("3栋", "503", UnitUsage.RESIDENTIAL, False, "杨帆", "13800138013", "", ""),
    ("3栋", "504", UnitUsage.RESIDENTIAL, False, "朱丽", "13800138014", "", ""),
    ("3栋", "505", UnitUsage.RESIDENTIAL, False, "秦川", "13800138015", "", ""),
    ("3栋", "506", UnitUsage.RESIDENTIAL, False, "许诺", "13800138016", "", ""),
    ("3栋", "507", UnitUsage.RESIDENTIAL, False, "邓超", "13800138017", "", ""),
    ("商业街", "S-03", UnitUsage.SHOP, False, "罗建华", "13800138018", "", ""),
]
WORKERS = [("刘师傅", "11010519491231002X", "泥水工"), ("黄师傅", "440524188001010014", "电工")]


def sample_document(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def documents_for(*, applicant_kind="owner", contractor_kind=ContractorKind.COMPANY, is_large_commercial=False,
                  **works) -> dict:
    kinds = service.required_documents(applicant_kind=applicant_kind, contractor_kind=contractor_kind,
                                       is_large_commercial=is_large_commercial, **works)
    return {kind: sample_document(f"{kind}.pdf") for kind in kinds}


def application_fields(unit: Unit, **overrides) -> dict:
    start = timezone.localdate() + dt.timedelta(days=7)
    fields = {
        "applicant_kind": "owner", "applicant_name": unit.owner_name, "applicant_phone": unit.owner_phone,
        "applicant_id_number": unit.owner_id_number or "11010519491231002X",
        "contractor_kind": ContractorKind.COMPANY, "contractor_name": "美家装饰工程有限公司",
        "contractor_licence": "91440300MA5ABCDE1X", "contractor_manager": "刘师傅", "contractor_phone": "13900139000",
        "scope": "客厅、卧室铺木地板，厨房卫生间重新做防水，墙面乳胶漆", "works_air_conditioning": False,
        "works_electrical": True, "works_plumbing": True, "planned_start": start,
        "planned_end": start + dt.timedelta(days=60), "work_hours_start": dt.time(8, 0),
        "work_hours_end": dt.time(18, 0), "fire_approval_number": "",
    }
    if unit.is_large_commercial:
        fields["fire_approval_number"] = "深消审字〔2026〕第 0158 号"
    fields.update(overrides)
    return fields


def submit(users, unit: Unit, **overrides) -> Application:
    fields = application_fields(unit, **overrides)
    documents = documents_for(applicant_kind=fields["applicant_kind"], contractor_kind=fields["contractor_kind"],
                              is_large_commercial=unit.is_large_commercial,
                              works_air_conditioning=fields["works_air_conditioning"],
                              works_electrical=fields["works_electrical"], works_plumbing=fields["works_plumbing"])
    return service.submit_application(by=users["propassistant"], unit=unit, documents=documents, **fields)


def advance(users, application: Application, to: str) -> Application:
    """Take ``application`` along the review flow up to state ``to``, as the real reviewers would."""
    order = [S.ENGINEERING_REVIEW, S.SECURITY_REVIEW, S.ASSISTANT_CHECK, S.TECHNICAL_APPROVAL, S.MANAGER_APPROVAL,
             S.APPROVED, S.PERMITTED, S.ACCEPTANCE, S.REINSPECTION, S.REFUND_APPROVAL, S.REFUND_PAYMENT, S.CLOSED]
    while application.status != to:
        current = application.status
        if current == S.ENGINEERING_REVIEW:
            service.record_checklist(application, users["engsupervisor"], opinion="图纸齐全，未涉及结构改动",
                                     **{name: True for name in ("check_structure", "check_facade",
                                                                 "check_public_facilities", "check_fire_hazard",
                                                                 "check_other_violations")})
            perform(application, S.SECURITY_REVIEW, users["engsupervisor"], password=DEMO_PASSWORD, comment="初审合格")
        elif current == S.SECURITY_REVIEW:
            perform(application, S.ASSISTANT_CHECK, users["security"], password=DEMO_PASSWORD, comment="无消防隐患")
        elif current == S.ASSISTANT_CHECK:
            service.record_identity_check(application, users["propassistant"], identity_verified=True,
                                          regulations_handed_over=True, contractor_checked=True, note="证件原件已核对")
            perform(application, S.TECHNICAL_APPROVAL, users["propassistant"], password=DEMO_PASSWORD,
                    comment="身份及资质核验无误")
        elif current == S.TECHNICAL_APPROVAL:
            perform(application, S.MANAGER_APPROVAL, users["engineering"], password=DEMO_PASSWORD, comment="技术上同意")
        elif current == S.MANAGER_APPROVAL:
            perform(application, S.APPROVED, users["propmanager"], password=DEMO_PASSWORD, comment="同意装修")
        elif current == S.APPROVED:
            pay_all(users, application)
            fees.record_utilities_on(application, users["engsupervisor"], note="水电表读数已登记")
            perform(application, S.PERMITTED, users["propassistant"])
        elif current == S.PERMITTED:
            for worker in application.workers.filter(pass_status=PassStatus.ISSUED):
                completion.return_pass(worker, users["propassistant"])
            perform(application, S.ACCEPTANCE, users["propassistant"])
        elif current == S.ACCEPTANCE:
            completion.record_inspection(application, users["engsupervisor"], passed=True,
                                         participants="工程主管、物业助理、业主、施工负责人", findings="按图施工，无违章，竣工验收合格",
                                         password=DEMO_PASSWORD)
        elif current == S.REINSPECTION:
            # the re-inspection comes three months after acceptance: the demo's acceptance is moved back
            accepted = timezone.now() - dt.timedelta(days=95)
            Application.objects.filter(pk=application.pk).update(accepted_at=accepted)
            application.accepted_at = accepted
            completion.record_inspection(application, users["engsupervisor"], passed=True, participants="工程主管、业主",
                                         findings="复验：无渗漏、无开裂，公共设施完好", password=DEMO_PASSWORD)
        elif current == S.REFUND_APPROVAL:
            perform(application, S.REFUND_PAYMENT, users["propmanager"], password=DEMO_PASSWORD, comment="同意按结算退款")
        elif current == S.REFUND_PAYMENT:
            for balance in fees.balances(application):
                if balance.outstanding > 0:
                    pay_all(users, application, prefix=f"{application.number}-BJ")
            completion.pay_refunds(application, users["financeclerk"], receipts={
                Payer.CONTRACTOR: f"{application.number}-TK-C", Payer.OWNER: f"{application.number}-TK-O"})
        if order.index(application.status) <= order.index(current) or current not in order:
            raise RuntimeError(f"cannot advance {application} from {current}")
    return application


def pay_all(users, application: Application, prefix: str = "") -> None:
    for row in fees.fee_schedule(application):
        if row["outstanding"] > 0:
            fees.post_entry(application, users["financeclerk"], kind=EntryKind.PAYMENT, fee_item=row["item"],
                            amount=row["outstanding"],
                            receipt_number=f"{prefix or application.number}-{row['item'].code}")


def add_workers(users, application: Application) -> None:
    """Register the demo workers with their photo and pay their pass fees."""
    for name, id_number, trade in WORKERS:
        completion.register_worker(application, users["propassistant"], name=name, id_number=id_number,
                                   phone="13912345678", trade=trade,
                                   photo=SimpleUploadedFile(f"{id_number}.png", PHOTO_BYTES, content_type="image/png"))
    pay_all(users, application, prefix=f"{application.number}-CR")


def seed(users, stdout) -> None:
    if Application.objects.exists():
        return
    project, _created = Project.objects.get_or_create(name="阳光花园", defaults={"address": "深圳市南山区阳光路 8 号"})
    units = {}
    for building_name, number, usage, large, owner, phone, id_number, tenant in UNITS:
        building, _created = Building.objects.get_or_create(project=project, name=building_name)
        units[number], _created = Unit.objects.get_or_create(building=building, number=number, defaults={
            "usage": usage, "is_large_commercial": large, "owner_name": owner, "owner_phone": phone,
            "owner_id_number": id_number, "tenant_name": tenant, "tenant_phone": "13700137000" if tenant else "",
            "area": Decimal("89.50")})
    submit(users, units["101"])
    advance(users, submit(users, units["102"]), S.SECURITY_REVIEW)
    advance(users, submit(users, units["201"], contractor_kind=ContractorKind.SELF, contractor_name="",
                          contractor_licence="", contractor_manager="", contractor_phone=""), S.ASSISTANT_CHECK)
    advance(users, submit(users, units["202"], applicant_kind="tenant", applicant_name="钱小明",
                          applicant_phone="13700137000"), S.TECHNICAL_APPROVAL)
    advance(users, submit(users, units["301"]), S.MANAGER_APPROVAL)
    returned = advance(users, submit(users, units["302"]), S.SECURITY_REVIEW)
    perform(returned, S.RETURNED, users["security"], reason="卫生间改动涉及烟道，请补充给排水及排烟设计图")
    approved = advance(users, submit(users, units["401"]), S.APPROVED)
    owner_deposit = FeeItem.objects.get(code="owner_deposit")
    fees.post_entry(approved, users["financeclerk"], kind=EntryKind.PAYMENT, fee_item=owner_deposit,
                    amount=owner_deposit.default_amount, receipt_number=f"{approved.number}-owner_deposit")
    inspected = advance(users, submit(users, units["402"]), S.PERMITTED)
    site.add_baseline_photos(inspected, users["propassistant"], caption="客厅及卫生间现状",
                             photos=[SimpleUploadedFile("baseline.png", PHOTO_BYTES, content_type="image/png")])
    site.record_inspection(inspected, users["propassistant"], findings="施工人员佩证上岗，垃圾已袋装清运",
                           checks={name: True for name in SiteInspection.CHECK_FIELDS})
    shop = advance(users, submit(users, units["S-01"]), S.PERMITTED)
    found = site.record_inspection(
        shop, users["propassistant"], findings="商铺门口未张贴施工许可证，现场有电焊作业未配灭火器",
        checks={**{name: True for name in SiteInspection.CHECK_FIELDS}, "permit_posted": False, "fire_safe": False},
        violation_kind=ViolationKind.OTHER, violation_description="电焊动火作业未办理动火审批、未配备灭火器")
    site.take_action(found.violations.get(), users["propassistant"], kind=ActionKind.NOTICE,
                     note="立即停止动火作业，办理动火审批并配备灭火器后方可施工",
                     rectify_by=timezone.localdate() + dt.timedelta(days=2))
    # after the works: acceptance, rectification, re-inspection, refund, closed
    reported = advance(users, submit(users, units["501"]), S.PERMITTED)
    add_workers(users, reported)
    advance(users, reported, S.ACCEPTANCE)
    rectifying = advance(users, submit(users, units["502"]), S.PERMITTED)
    perform(rectifying, S.ACCEPTANCE, users["propassistant"])
    completion.record_inspection(
        rectifying, users["engsupervisor"], passed=False, participants="工程主管、物业助理", findings="卫生间闭水试验渗漏",
        rectification_items="1. 卫生间地面重做防水并闭水试验 48 小时\n2. 清理楼道内装修垃圾",
        rectification_due=timezone.localdate() + dt.timedelta(days=7), damage_amount=Decimal("380.00"),
        damage_note="运料碰坏电梯轿厢不锈钢饰板")
    advance(users, submit(users, units["503"]), S.REINSPECTION)
    to_approve = advance(users, submit(users, units["504"]), S.PERMITTED)
    add_workers(users, to_approve)
    completion.report_lost_pass(to_approve.workers.first(), users["security"], reason="工人称在工地遗失")
    completion.add_claim(to_approve, users["engsupervisor"], source=ClaimSource.DAMAGE, amount=Decimal("3600.00"),
                         reason="损坏消防喷淋管及吊顶，赔偿维修费")
    advance(users, to_approve, S.REFUND_APPROVAL)
    recheck = advance(users, submit(users, units["507"]), S.REINSPECTION)
    Application.objects.filter(pk=recheck.pk).update(accepted_at=timezone.now() - dt.timedelta(days=95))
    recheck.refresh_from_db()
    completion.record_inspection(recheck, users["engsupervisor"], passed=False, participants="工程主管、业主",
                                 findings="复验发现卫生间顶板渗水至楼下", rectification_items="重做卫生间防水层并闭水试验",
                                 rectification_due=timezone.localdate() + dt.timedelta(days=10))
    advance(users, submit(users, units["505"]), S.REFUND_PAYMENT)
    advance(users, submit(users, units["506"]), S.CLOSED)
    rejected = advance(users, submit(users, units["S-03"]), S.MANAGER_APPROVAL)
    perform(rejected, S.REJECTED, users["propmanager"], password=DEMO_PASSWORD,
            reason="拟拆除承重墙打通两间商铺，违反结构安全规定，不予批准")
    cancelled = submit(users, units["S-02"])
    perform(cancelled, S.CANCELLED, users["propassistant"], reason="业主决定暂缓装修")
    stdout.write(f"renovation: {Application.objects.count()} applications on {len(units)} units")
