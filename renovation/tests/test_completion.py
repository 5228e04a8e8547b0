"""After the permit: workers and passes, completion acceptance and the re-inspection three months later with their
rectification notices, and the refund — claims taken from the contractor's deposit, then the owner's, the rest
billed to the owner — down to the closing that frees the unit."""
import base64
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from qms import Refused, audit, blocks
from qms.deadlines import Deadline, deadlines_for
from qms.demo import DEMO_PASSWORD
from qms.registry import my_work
from qms.workflow import TransitionRefused, perform
from renovation.models import ApplicationStatus as S
from renovation.models import ClaimSource, DepositClaim, EntryKind, FeeItem, LedgerEntry, PassStatus, Payer
from renovation.services import completion, fees
from renovation.services.applications import submit_application
from renovation.services.fees import balances
from renovation.tests import factories

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
ZERO = Decimal("0.00")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo(name="worker.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def permitted(people, number="101"):
    return factories.advance(people, factories.submit(people, factories.unit(number)), S.PERMITTED)


def worker(people, application, name="李师傅", id_number="11010519491231002X"):
    return completion.register_worker(application, people["propassistant"], name=name, id_number=id_number,
                                      phone="13912345678", trade="泥水工", photo=photo())


def balance(application, payer):
    return next(b for b in balances(application) if b.payer == payer)


def pay_pass_fees(people, application):
    for entry in application.ledger.filter(kind=EntryKind.CHARGE, fee_item__per_worker=True):
        LedgerEntry.objects.create(application=application, payer=entry.payer, kind=EntryKind.PAYMENT,
                                   fee_item=entry.fee_item, amount=entry.amount, recorded_by=people["financeclerk"],
                                   receipt_number=f"P-{entry.pk}")


def accept(people, application, **extra):
    return completion.record_inspection(application, people["engsupervisor"], passed=True, participants="工程主管、物业助理",
                                       findings="竣工验收合格", password=DEMO_PASSWORD, **extra)


def to_reinspection(people, application):
    perform(application, S.ACCEPTANCE, people["propassistant"])
    accept(people, application)
    return application


def reinspect(people, application):
    with time_machine.travel(application.accepted_at + dt.timedelta(days=95), tick=False):
        completion.record_inspection(application, people["engsupervisor"], passed=True, participants="工程主管",
                                     findings="复验无渗漏", password=DEMO_PASSWORD)
    return application


# --- workers and passes --------------------------------------------------------------------------------
def test_a_registered_worker_gets_a_numbered_pass_and_the_contractor_is_charged_per_worker(people):
    application = permitted(people)
    first = worker(people, application)
    second = worker(people, application, name="王师傅", id_number="440524188001010014")
    assert first.pass_number != second.pass_number and first.pass_status == PassStatus.ISSUED
    assert first.pass_deposit == Decimal("50.00") and first.photo.mime_type == "image/png"
    charges = application.ledger.filter(kind=EntryKind.CHARGE, fee_item__per_worker=True)
    assert sorted((e.fee_item.code, e.amount) for e in charges) == [
        ("pass_deposit", Decimal("50.00")), ("pass_deposit", Decimal("50.00")),
        ("worker_pass_fee", Decimal("20.00")), ("worker_pass_fee", Decimal("20.00"))]
    assert balance(application, Payer.CONTRACTOR).outstanding == Decimal("140.00")


def test_a_worker_needs_an_image_a_valid_id_once_and_the_desk_or_security(people):
    application = permitted(people)
    with pytest.raises(Refused, match="照片须为图片文件"):
        completion.register_worker(application, people["propassistant"], name="李师傅", id_number="11010519491231002X",
                                   phone="13912345678", photo=SimpleUploadedFile("a.pdf", factories.PDF_BYTES))
    with pytest.raises(Refused, match="只有物业助理、住户中心主任、保安、物业经理可以执行此操作"):
        completion.register_worker(application, people["sales"], name="李师傅", id_number="11010519491231002X",
                                   phone="13912345678", photo=photo())
    worker(people, application)
    with pytest.raises(Refused, match="身份证号 11010519491231002X 的施工人员已登记"):
        worker(people, application, name="李四")
    assert application.workers.count() == 1


def test_a_lost_pass_forfeits_its_deposit_and_a_pass_cannot_be_closed_twice(people):
    application = permitted(people)
    lost = worker(people, application)
    with pytest.raises(Refused, match="请填写挂失说明"):
        completion.report_lost_pass(lost, people["security"], reason=" ")
    completion.report_lost_pass(lost, people["security"], reason="工人称在工地丢失")
    claim = DepositClaim.objects.get()
    assert (claim.source, claim.amount, claim.worker) == (ClaimSource.LOST_PASS, Decimal("50.00"), lost)
    with pytest.raises(Refused, match="已交回或挂失"):
        completion.return_pass(lost, people["security"])


def test_a_pass_is_returned_or_declared_lost_through_the_workflow_with_a_status_change_row(people):
    from qms.workflow import status_history

    application = permitted(people)
    returned = worker(people, application)
    lost = worker(people, application, name="王师傅", id_number="440524188001010014")
    completion.return_pass(returned, people["security"])
    completion.report_lost_pass(lost, people["security"], reason="工人称在工地丢失")
    returned.refresh_from_db()
    lost.refresh_from_db()
    assert (returned.pass_status, returned.pass_closed_by, returned.lost_reason) == (
        PassStatus.RETURNED, people["security"], "")
    assert (lost.pass_status, lost.pass_closed_by, lost.lost_reason) == (
        PassStatus.LOST, people["security"], "工人称在工地丢失")
    [row] = status_history(returned)
    assert (row.from_status, row.to_status, row.by) == (PassStatus.ISSUED, PassStatus.RETURNED, people["security"])
    [row] = status_history(lost)
    assert (row.to_status, row.reason, row.to_label) == (PassStatus.LOST, "工人称在工地丢失", "已挂失")
    assert lost.pass_closed_at == row.at


def test_pass_cards_are_not_printed_while_the_pass_fees_are_unpaid_and_the_refusal_names_them(people, login):
    from qms.tests.test_pdf import pdf_text

    application = permitted(people)
    first = worker(people, application)
    client = login(people["propassistant"])
    url = reverse("renovation:passes_pdf", args=[application.pk])
    refusal = "出入证费用未缴清，不能打印施工出入证：施工人员证件工本费（施工单位） 欠缴 ¥20.00；施工出入证押金（施工单位） 欠缴 ¥50.00。"
    assert completion.pass_cards_refusal(application) == refusal
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].endswith("?tab=workers")
    assert [str(m) for m in response.wsgi_request._messages] == [refusal]
    tab = client.get(application.get_absolute_url() + "?tab=workers").content.decode()
    assert refusal in tab and 'id="print-passes"' not in tab
    fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT,
                    fee_item=FeeItem.objects.get(code="worker_pass_fee"), amount=Decimal("20.00"), receipt_number="GB-1")
    assert completion.pass_cards_refusal(application) == (
        "出入证费用未缴清，不能打印施工出入证：施工出入证押金（施工单位） 欠缴 ¥50.00。")
    fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT,
                    fee_item=FeeItem.objects.get(code="pass_deposit"), amount=Decimal("50.00"), receipt_number="YJ-1")
    assert completion.pass_cards_refusal(application) is None
    assert first.pass_number in pdf_text(client.get(url).content)


def test_a_lost_pass_is_replaced_with_a_new_number_charged_again_and_the_lost_one_stays_lost(people, login):
    from qms.tests.test_pdf import pdf_text

    application = permitted(people)
    lost = worker(people, application)
    factories.pay_all(people, application, prefix="CR")
    with pytest.raises(Refused, match=f"出入证 {lost.pass_number} 未挂失，挂失后才能补办"):
        completion.replace_lost_pass(lost, people["propassistant"])
    completion.report_lost_pass(lost, people["security"], reason="工人称在工地丢失")
    with pytest.raises(Refused, match="只有物业助理、住户中心主任、保安、物业经理可以执行此操作"):
        completion.replace_lost_pass(lost, people["financeclerk"])
    client = login(people["propassistant"])
    assert "补办出入证" in client.get(application.get_absolute_url() + "?tab=workers").content.decode()
    response = client.post(reverse("renovation:worker_replace", args=[application.pk, lost.pk]))
    assert response.status_code == 302
    new = application.workers.get(replaces=lost)
    lost.refresh_from_db()
    assert (new.name, new.id_number, new.trade, new.pass_status, new.pass_deposit) == (
        lost.name, lost.id_number, lost.trade, PassStatus.ISSUED, Decimal("50.00"))
    assert new.pass_number != lost.pass_number and lost.pass_status == PassStatus.LOST
    assert new.photo_id != lost.photo_id and new.photo.sha256 == lost.photo.sha256
    # the pass fee and the deposit charged again; the lost pass's deposit stays a claim
    charges = application.ledger.filter(kind=EntryKind.CHARGE, fee_item__per_worker=True, note__contains=new.pass_number)
    assert sorted((e.fee_item.code, e.amount) for e in charges) == [("pass_deposit", Decimal("50.00")),
                                                                    ("worker_pass_fee", Decimal("20.00"))]
    assert balance(application, Payer.CONTRACTOR).outstanding == Decimal("70.00")
    assert DepositClaim.objects.get().worker == lost
    with pytest.raises(Refused, match=f"出入证 {lost.pass_number} 已补办，新证编号 {new.pass_number}"):
        completion.replace_lost_pass(lost, people["propassistant"])
    assert audit.history_for(new)[0]["reason"] == f"补办施工出入证（原证 {lost.pass_number} 遗失）"
    tab = client.get(application.get_absolute_url() + "?tab=workers").content.decode()
    assert f"补办（原证 {lost.pass_number} 遗失）" in tab and f"已补办新证 {new.pass_number}" in tab
    assert "出入证费用未缴清" in tab
    factories.pay_all(people, application, prefix="BB")
    text = pdf_text(client.get(reverse("renovation:passes_pdf", args=[application.pk])).content)
    assert new.pass_number in text and lost.pass_number not in text


# --- acceptance and re-inspection ----------------------------------------------------------------------
def test_acceptance_is_refused_while_a_pass_is_out_and_the_refusal_names_it(people):
    application = permitted(people)
    out = worker(people, application)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    with pytest.raises(Refused, match=f"尚有 1 张施工出入证未交回或挂失：李师傅（{out.pass_number}）"):
        accept(people, application)
    application.refresh_from_db()
    assert application.status == S.ACCEPTANCE and not application.acceptance_inspections.exists()
    completion.return_pass(out, people["propassistant"])
    accept(people, application)
    assert application.status == S.REINSPECTION


def test_a_failed_acceptance_issues_a_numbered_notice_with_a_deadline_and_a_new_acceptance_follows(people):
    application = permitted(people)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    with pytest.raises(Refused, match="验收不合格须列明整改项目"):
        completion.record_inspection(application, people["engsupervisor"], passed=False, participants="工程主管",
                                     findings="卫生间闭水试验渗漏", rectification_due=timezone.localdate())
    due = timezone.localdate() + dt.timedelta(days=5)
    failed = completion.record_inspection(
        application, people["engsupervisor"], passed=False, participants="工程主管、物业助理", findings="卫生间闭水试验渗漏",
        rectification_items="1. 卫生间重做防水\n2. 清理公共走道垃圾", rectification_due=due,
        damage_amount=Decimal("380.50"), damage_note="搬运材料碰坏电梯轿厢不锈钢板")
    application.refresh_from_db()
    assert application.status == S.ACCEPTANCE_RECTIFYING and failed.notice_number.startswith("YSZG")
    deadline = deadlines_for(application).get(kind="rectification", state=Deadline.State.OPEN)
    assert timezone.localtime(deadline.due_at) == dt.datetime.combine(due, dt.time(17, 30), tzinfo=SH)
    assert DepositClaim.objects.get().amount == Decimal("380.50")
    perform(application, S.ACCEPTANCE, people["propassistant"])
    assert not deadlines_for(application).filter(kind="rectification", state=Deadline.State.OPEN).exists()
    accept(people, application)
    assert application.status == S.REINSPECTION and application.accepted_at


@time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH))  # the whole story, from the permit, in the past
def test_passing_acceptance_needs_the_password_and_schedules_the_re_inspection_three_months_later(people):
    application = permitted(people)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=SH), tick=False):
        with pytest.raises(Exception, match="密码"):
            completion.record_inspection(application, people["engsupervisor"], passed=True, participants="工程主管",
                                         findings="合格", password="wrong")
        assert not application.acceptance_inspections.exists()  # nothing kept from the refused signature
        accept(people, application)
    application.refresh_from_db()
    assert application.status == S.REINSPECTION
    deadline = deadlines_for(application).get(kind="reinspection")
    assert timezone.localtime(deadline.due_at).date() == dt.date(2027, 2, 28)
    assert deadline.responsible == people["engsupervisor"]
    assert deadline.due_at == completion.reinspection_due_at(application)
    assert any(application.number in item.title for item in my_work(people["engsupervisor"]))
    with time_machine.travel(dt.datetime(2027, 2, 20, 10, 0, tzinfo=SH), tick=False):
        with pytest.raises(Refused, match="复验须在初验合格三个月后进行（2027-02-28 起）"):
            completion.record_inspection(application, people["engsupervisor"], passed=True, participants="工程主管",
                                         findings="合格", password=DEMO_PASSWORD)
    with time_machine.travel(dt.datetime(2027, 3, 1, 10, 0, tzinfo=SH), tick=False):
        completion.record_inspection(application, people["engsupervisor"], passed=True, participants="工程主管",
                                     findings="复验合格", password=DEMO_PASSWORD)
    application.refresh_from_db()
    assert application.status == S.REFUND_APPROVAL and application.reinspected_at
    assert not deadlines_for(application).filter(state=Deadline.State.OPEN).exists()


# --- the refund -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("claims, from_contractor, from_owner, billed", [
    ("0.00", "0.00", "0.00", "0.00"),
    ("1200.00", "1200.00", "0.00", "0.00"),  # within the contractor's deposit
    ("3500.01", "3100.00", "400.01", "0.00"),  # beyond it: the owner's deposit pays the rest
    ("6000.99", "3100.00", "2000.00", "900.99"),  # beyond both: billed to the owner
])
def test_claims_are_taken_from_the_contractor_then_the_owner_then_billed(claims, from_contractor, from_owner, billed):
    settlement = completion.settle(Decimal(claims), contractor_held=Decimal("3100.00"), owner_held=Decimal("2000.00"))
    assert (settlement.from_contractor, settlement.from_owner, settlement.billed_to_owner) == (
        Decimal(from_contractor), Decimal(from_owner), Decimal(billed))
    assert settlement.from_contractor + settlement.from_owner + settlement.billed_to_owner == Decimal(claims)
    assert settlement.refund_contractor + settlement.refund_owner + settlement.claims - settlement.billed_to_owner \
        == Decimal("5100.00")


def test_refund_with_claims_beyond_both_deposits_to_the_fen_then_closing_frees_the_unit(people):
    application = permitted(people)
    lost = worker(people, application)
    pay_pass_fees(people, application)  # contractor deposits held: 3,000.00 + 50.00
    completion.report_lost_pass(lost, people["security"], reason="遗失")  # claim 50.00
    completion.add_claim(application, people["engsupervisor"], source=ClaimSource.DAMAGE, amount=Decimal("5000.37"),
                         reason="损坏消防喷淋管，赔偿维修费")
    to_reinspection(people, application)
    reinspect(people, application)
    settlement = completion.settlement_for(application)
    assert (settlement.claims, settlement.contractor_held, settlement.owner_held) == (
        Decimal("5050.37"), Decimal("3050.00"), Decimal("2000.00"))
    assert (settlement.from_contractor, settlement.from_owner, settlement.billed_to_owner) == (
        Decimal("3050.00"), Decimal("2000.00"), Decimal("0.37"))
    with pytest.raises(TransitionRefused, match="您没有权限"):
        perform(application, S.REFUND_PAYMENT, people["engsupervisor"], password=DEMO_PASSWORD)
    perform(application, S.REFUND_PAYMENT, people["propmanager"], password=DEMO_PASSWORD, comment="同意按结算退款")
    assert completion.settlement_for(application) == settlement  # still shown as approved once posted
    deductions = {(e.payer, e.fee_item.code): e.amount for e in application.ledger.filter(kind=EntryKind.DEDUCTION)}
    assert deductions == {(Payer.CONTRACTOR, "contractor_deposit"): Decimal("3000.00"),
                          (Payer.CONTRACTOR, "pass_deposit"): Decimal("50.00"),
                          (Payer.OWNER, "owner_deposit"): Decimal("2000.00")}
    owner = balance(application, Payer.OWNER)
    assert (owner.deposit_held, owner.outstanding) == (ZERO, Decimal("0.37"))
    with pytest.raises(Refused, match="业主尚欠 ¥0.37"):
        completion.pay_refunds(application, people["financeclerk"], receipts={})
    compensation = application.ledger.get(fee_item__code="owner_compensation", kind=EntryKind.CHARGE)
    LedgerEntry.objects.create(application=application, payer=Payer.OWNER, kind=EntryKind.PAYMENT,
                               fee_item=compensation.fee_item, amount=Decimal("0.37"),
                               recorded_by=people["financeclerk"], receipt_number="BJ-0001")
    completion.pay_refunds(application, people["financeclerk"], receipts={})  # nothing left to pay back
    application.refresh_from_db()
    assert application.status == S.CLOSED and application.closed_at
    for payer in (Payer.CONTRACTOR, Payer.OWNER):
        assert (balance(application, payer).deposit_held, balance(application, payer).outstanding) == (ZERO, ZERO)
    # the unit is free again
    again = submit_application(by=people["propassistant"], unit=application.unit,
                               documents=factories.documents_for(works_electrical=True, works_plumbing=True),
                               **factories.application_fields(application.unit))
    assert again.status == S.ENGINEERING_REVIEW


def test_the_clerk_pays_back_what_each_payer_still_holds_with_a_receipt_per_payer(people):
    application = permitted(people)
    completion.add_claim(application, people["engsupervisor"], source=ClaimSource.OTHER, amount=Decimal("120.50"),
                         reason="超时施工违约金")
    to_reinspection(people, application)
    reinspect(people, application)
    with pytest.raises(Refused, match="退款经物业经理批准后才能办理"):
        completion.pay_refunds(application, people["financeclerk"], receipts={})
    perform(application, S.REFUND_PAYMENT, people["propmanager"], password=DEMO_PASSWORD)
    with pytest.raises(Refused, match="请填写退给"):
        completion.pay_refunds(application, people["financeclerk"], receipts={Payer.CONTRACTOR: "TK-1"})
    with pytest.raises(Refused, match="只有财务内勤、财务可以执行此操作"):
        completion.pay_refunds(application, people["propassistant"], receipts={})
    completion.pay_refunds(application, people["financeclerk"], receipts={Payer.CONTRACTOR: "TK-1", Payer.OWNER: "TK-2"})
    refunds = {(e.payer, e.receipt_number): e.amount for e in application.ledger.filter(kind=EntryKind.REFUND)}
    assert refunds == {(Payer.CONTRACTOR, "TK-1"): Decimal("2879.50"), (Payer.OWNER, "TK-2"): Decimal("2000.00")}
    application.refresh_from_db()
    assert application.status == S.CLOSED


def test_a_blocker_holds_completion_and_refund_with_its_message(people):
    application = permitted(people)

    def open_violation(app):
        return "尚有未处理的违章：超时施工" if app.pk == application.pk else None

    block = blocks.register_block(blocked="renovation.Application", reason=open_violation, targets=(S.ACCEPTANCE,))
    try:
        with pytest.raises(TransitionRefused, match="尚有未处理的违章：超时施工"):
            perform(application, S.ACCEPTANCE, people["propassistant"])
    finally:
        blocks._blocks.remove(block)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    assert application.status == S.ACCEPTANCE


def test_the_property_manager_sees_an_application_under_his_approval_once_in_my_work(people):
    application = factories.advance(people, factories.submit(people, factories.unit()), S.MANAGER_APPROVAL)
    items = [item for item in my_work(people["propmanager"]) if application.number in item.title]
    assert len(items) == 1


# --- the pages ---------------------------------------------------------------------------------------------
def test_registering_a_worker_in_the_browser_keeps_what_was_typed_when_refused_and_prints_the_pass(people, login):
    from django.urls import reverse

    from qms.tests.test_pdf import pdf_text

    application = permitted(people)
    client = login(people["propassistant"])
    url = reverse("renovation:worker_create", args=[application.pk])
    data = {"name": "赵师傅", "id_number": "11010519491231002X", "phone": "13912345678", "trade": "电工"}
    response = client.post(url, {**data, "photo": SimpleUploadedFile("id.pdf", factories.PDF_BYTES)})
    page = response.content.decode()
    assert response.status_code == 409 and "照片须为图片文件" in page and 'value="赵师傅"' in page
    response = client.post(url, {**data, "id_number": "110105194912310021", "photo": photo()})
    assert response.status_code == 400 and "身份证号校验位不正确" in response.content.decode()
    response = client.post(url, {**data, "photo": photo()})
    assert response.status_code == 302
    added = application.workers.get()
    tab = client.get(application.get_absolute_url() + "?tab=workers").content.decode()
    assert added.pass_number in tab and "赵师傅" in tab
    factories.pay_all(people, application, prefix="CR")  # the cards are printed once the pass fees are paid
    text = pdf_text(client.get(reverse("renovation:passes_pdf", args=[application.pk])).content)
    assert "施工出入证" in text and "赵师傅" in text and added.pass_number in text
    # a salesperson cannot reach another team's renovation by changing the URL
    assert login(people["sales"]).get(url).status_code == 404


def test_a_failed_acceptance_in_the_browser_prints_the_rectification_notice(people, login):
    from django.urls import reverse

    from qms.tests.test_pdf import pdf_text

    application = permitted(people)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    client = login(people["engsupervisor"])
    url = reverse("renovation:inspection_create", args=[application.pk])
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = client.post(url, {"passed": "0", "participants": "工程主管、物业助理", "findings": "阳台擅自封闭"})
    assert response.status_code == 409 and "验收不合格须列明整改项目" in response.content.decode()
    assert "阳台擅自封闭" in response.content.decode()
    response = client.post(url, {"passed": "0", "participants": "工程主管、物业助理", "findings": "阳台擅自封闭",
                                 "rectification_items": "拆除阳台封闭窗，恢复原状", "rectification_due": due})
    assert response.status_code == 302
    inspection = application.acceptance_inspections.get()
    text = pdf_text(client.get(reverse("renovation:rectification_notice_pdf",
                                       args=[application.pk, inspection.pk])).content)
    assert "装修验收整改通知书" in text and inspection.notice_number in text and "拆除阳台封闭窗，恢复原状" in text
    assert due in text


def test_the_completion_tab_shows_the_settlement_before_the_manager_approves(people, login):
    application = permitted(people)
    completion.add_claim(application, people["engsupervisor"], source=ClaimSource.DAMAGE, amount=Decimal("3200.00"),
                         reason="损坏电梯")
    to_reinspection(people, application)
    reinspect(people, application)
    page = login(people["propmanager"]).get(application.get_absolute_url() + "?tab=completion").content.decode()
    assert "¥3,000.00" in page and "¥200.00" in page  # from the contractor's deposit, then the owner's
    assert 'id="refund-owner">¥1,800.00' in page and 'id="refund-contractor">¥0.00' in page
    assert 'data-move="refund_payment"' in page  # the manager's 批准退款 button
