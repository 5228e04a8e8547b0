"""Demo data of renovation: a project with units and owners, and applications in each state of the flow
(taken there through the real services and workflow, with signatures). Idempotent."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qms.demo import DEMO_PASSWORD
from qms.workflow import perform
from renovation.models import (Application, ApplicationStatus, Building, ContractorKind, EntryKind, FeeItem,
                               Project, Unit, UnitUsage)
from renovation.services import applications as service
from renovation.services import fees

S = ApplicationStatus
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

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
]


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
             S.APPROVED, S.PERMITTED]
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
        if order.index(application.status) <= order.index(current) or current not in order:
            raise RuntimeError(f"cannot advance {application} from {current}")
    return application


def pay_all(users, application: Application, prefix: str = "") -> None:
    for row in fees.fee_schedule(application):
        if row["outstanding"] > 0:
            fees.post_entry(application, users["financeclerk"], kind=EntryKind.PAYMENT, fee_item=row["item"],
                            amount=row["outstanding"],
                            receipt_number=f"{prefix or application.number}-{row['item'].code}")


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
    advance(users, submit(users, units["402"]), S.PERMITTED)
    advance(users, submit(users, units["S-01"]), S.PERMITTED)
    cancelled = submit(users, units["S-02"])
    perform(cancelled, S.CANCELLED, users["propassistant"], reason="业主决定暂缓装修")
    stdout.write(f"renovation: {Application.objects.count()} applications on {len(units)} units")
