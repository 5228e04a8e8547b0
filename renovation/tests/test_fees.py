"""《业主装修收费一览表》: charges on approval, payments with receipts, balances per payer to the fen, water and power,
and the 《施工许可证》 issued only when everything required is paid."""
from decimal import Decimal

import pytest
from django.urls import reverse

from qms import Refused, audit
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused, perform
from renovation.models import ApplicationStatus as S, EntryKind, FeeItem, LedgerEntry
from renovation.services import fees
from renovation.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def item(code):
    return FeeItem.objects.get(code=code)


def approved(people, **overrides):
    unit = factories.unit()
    return factories.advance(people, factories.submit(people, unit, **overrides), S.APPROVED)


def balance_of(application, payer):
    return next(b for b in fees.balances(application) if b.payer == payer)


def test_approval_charges_the_fee_schedule_defaults(people):
    application = approved(people)
    charges = sorted(LedgerEntry.objects.filter(application=application, kind=EntryKind.CHARGE)
                     .values_list("fee_item__code", "amount"))
    assert charges == [("contractor_deposit", Decimal("3000.00")), ("garbage_fee", Decimal("300.00")),
                       ("owner_deposit", Decimal("2000.00"))]
    owner, contractor = balance_of(application, "owner"), balance_of(application, "contractor")
    assert (owner.charged, owner.outstanding, contractor.outstanding) == (Decimal("2300.00"), Decimal("2300.00"),
                                                                          Decimal("3000.00"))


def test_self_renovation_charges_no_contractor_items(people):
    application = approved(people, contractor_kind="self", contractor_name="", contractor_licence="",
                           contractor_manager="", contractor_phone="")
    assert set(application.ledger.values_list("payer", flat=True)) == {"owner"}
    assert [b.payer for b in fees.balances(application)] == ["owner"]
    with pytest.raises(Refused, match="自行装修不收取施工单位的费用"):
        fees.post_entry(application, people["financeclerk"], kind=EntryKind.CHARGE, fee_item=item("worker_pass_fee"),
                        amount=Decimal("20.00"))


def test_payments_need_the_cashier_a_receipt_and_no_more_than_owed(people):
    application = approved(people)
    deposit = item("owner_deposit")
    with pytest.raises(Refused, match="只有财务内勤、财务可以执行此操作"):
        fees.post_entry(application, people["propassistant"], kind=EntryKind.PAYMENT, fee_item=deposit,
                        amount=Decimal("2000.00"), receipt_number="R1")
    with pytest.raises(Refused, match="收款须填写收据号"):
        fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=deposit,
                        amount=Decimal("2000.00"))
    with pytest.raises(Refused, match="超过“业主装修押金”的欠缴金额 ¥2,000.00"):
        fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=deposit,
                        amount=Decimal("2000.01"), receipt_number="R1")
    with pytest.raises(Refused, match="精确到分"):
        fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=deposit,
                        amount=Decimal("0.005"), receipt_number="R1")
    fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=deposit,
                    amount=Decimal("1999.99"), receipt_number="R1")
    with pytest.raises(Refused, match="收据号 R1 已被使用"):
        fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=deposit,
                        amount=Decimal("0.01"), receipt_number="R1")
    fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=deposit,
                    amount=Decimal("0.01"), receipt_number="R2")
    owner = balance_of(application, "owner")
    assert (owner.paid, owner.outstanding, owner.deposit_held) == (Decimal("2000.00"), Decimal("300.00"),
                                                                   Decimal("2000.00"))
    assert "登记装修收费" in [row["reason"] for row in audit.history_for(application.ledger.get(receipt_number="R2"))]


def test_balances_reconcile_to_the_fen_with_deductions_and_refunds(people):
    application = approved(people)
    factories.pay_all(people, application)
    deposit = item("contractor_deposit")
    # deductions and refunds are written by acceptance and refund; the balance already accounts for them
    LedgerEntry.objects.create(application=application, payer="contractor", kind=EntryKind.DEDUCTION,
                               fee_item=deposit, amount=Decimal("1234.56"), recorded_by=people["financeclerk"])
    LedgerEntry.objects.create(application=application, payer="contractor", kind=EntryKind.REFUND, fee_item=deposit,
                               amount=Decimal("1765.43"), receipt_number="T1", recorded_by=people["financeclerk"])
    contractor = balance_of(application, "contractor")
    assert contractor.deposit_held == Decimal("0.01")
    assert contractor.paid - contractor.deducted - contractor.refunded == contractor.deposit_held
    with pytest.raises(Refused, match="扣款和退款在验收、退押金时办理"):
        fees.post_entry(application, people["financeclerk"], kind=EntryKind.REFUND, fee_item=deposit,
                        amount=Decimal("0.01"), receipt_number="T2")


def test_the_permit_is_refused_until_paid_and_water_and_power_are_on(people):
    application = approved(people)
    with pytest.raises(TransitionRefused, match=r"费用未缴清，不能发放施工许可证：业主装修押金（业主） 欠缴 ¥2,000.00"):
        perform(application, S.PERMITTED, people["propassistant"])
    with pytest.raises(Refused, match="费用未缴清，不能开通水电"):
        fees.record_utilities_on(application, people["engsupervisor"])
    factories.pay_all(people, application)
    with pytest.raises(TransitionRefused, match="尚未登记开通水电"):
        perform(application, S.PERMITTED, people["propassistant"])
    with pytest.raises(Refused, match="只有工程主管、住户中心主任可以执行此操作"):
        fees.record_utilities_on(application, people["security"])
    fees.record_utilities_on(application, people["engsupervisor"], note="电表 00231")
    perform(application, S.PERMITTED, people["propassistant"])
    application.refresh_from_db()
    assert application.permit_number.startswith("XK-") and application.permit_issued_at is not None


def test_the_permit_pdf(people, login):
    application = approved(people)
    client = login(people["propassistant"])
    response = client.get(reverse("renovation:permit_pdf", args=[application.pk]))
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("费用未缴清" in m for m in messages)
    factories.advance(people, application, S.PERMITTED)
    response = client.get(reverse("renovation:permit_pdf", args=[application.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "施工许可证" in text and application.permit_number in text and "美家装饰工程有限公司" in text
    assert "每日 08:00 — 18:00" in text


def test_the_application_form_pdf_shows_the_checklist_and_fees(people, login):
    application = approved(people)
    response = login(people["propmanager"]).get(reverse("renovation:pdf", args=[application.pk]))
    text = pdf_text(response.content)
    assert "装修申请表" in text and application.number in text
    assert "未改动、破坏房屋结构" in text and "业主装修押金" in text and "¥2,000.00" in text
    assert "孙经理" in text  # the manager's signature


def test_fees_tab_shows_balances_and_the_refusal(people, login):
    application = approved(people)
    page = login(people["financeclerk"]).get(application.get_absolute_url() + "?tab=fees").content.decode()
    assert "¥2,300.00" in page and "¥3,000.00" in page and "费用未缴清，不能发放施工许可证" in page
    assert 'id="ledger-form"' in page


def test_recording_a_payment_through_the_page(people, login):
    application = approved(people)
    client = login(people["financeclerk"])
    response = client.post(reverse("renovation:ledger_add", args=[application.pk]), {
        "kind": "payment", "fee_item": item("garbage_fee").pk, "quantity": 1, "amount": "300.00",
        "receipt_number": "SJ-0001", "note": "现金"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(receipt_number="SJ-0001")
    assert (entry.amount, entry.recorded_by, entry.payer) == (Decimal("300.00"), people["financeclerk"], "owner")


# --- 冲销: a mistyped entry is reversed, never edited ----------------------------------------------------------
def _mistyped_payment(people):
    """The owner paid 200.00 of the owner deposit; the finance clerk typed 2,000.00."""
    application = approved(people)
    wrong = fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=item("owner_deposit"),
                            amount=Decimal("2000.00"), receipt_number="SJ-0100")
    return application, wrong


def test_a_mistyped_payment_reversed_and_reentered_gives_the_balance_to_the_fen(people):
    from qms.demo import DEMO_PASSWORD

    application, wrong = _mistyped_payment(people)
    assert balance_of(application, "owner").outstanding == Decimal("300.00")
    reversal = fees.reverse_entry(wrong, people["finance"], reason="收据金额误录，实收 200.00", password=DEMO_PASSWORD)
    assert (reversal.kind, reversal.amount, reversal.reverses, reversal.payer) == (
        EntryKind.REVERSAL, Decimal("-2000.00"), wrong, "owner")
    assert reversal.signature.signer == people["finance"] and reversal.signature.is_valid_for(reversal)
    wrong.refresh_from_db()
    assert (wrong.kind, wrong.amount, wrong.receipt_number) == (EntryKind.PAYMENT, Decimal("2000.00"), "SJ-0100")
    fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=item("owner_deposit"),
                    amount=Decimal("200.00"), receipt_number="SJ-0101")
    owner = balance_of(application, "owner")
    # charged 2,300.00 (deposit 2,000.00 + garbage 300.00); paid 2,000.00 − 2,000.00 + 200.00
    assert (owner.charged, owner.paid, owner.outstanding, owner.deposit_paid, owner.deposit_held) == (
        Decimal("2300.00"), Decimal("200.00"), Decimal("2100.00"), Decimal("200.00"), Decimal("200.00"))
    row = next(r for r in fees.fee_schedule(application) if r["item"].code == "owner_deposit")
    assert (row["paid"], row["outstanding"]) == (Decimal("200.00"), Decimal("1800.00"))
    # the refund settlement holds the net deposit
    from renovation.services import completion

    assert completion.settlement_for(application).owner_held == Decimal("200.00")
    # the audit trail has the reversal with its reason
    reasons = [row["reason"] for row in audit.history_for(reversal)]
    assert any("冲销收款 业主装修押金 ¥2,000.00：收据金额误录，实收 200.00" in r for r in reasons)


def test_an_entry_is_reversed_once_by_a_checker_with_the_right_password(people):
    from qms.demo import DEMO_PASSWORD
    from qms.signatures import Signature, SignatureRefused

    application, wrong = _mistyped_payment(people)
    with pytest.raises(Refused, match="只有财务、物业经理可以执行此操作"):
        fees.reverse_entry(wrong, people["propassistant"], reason="误录", password=DEMO_PASSWORD)
    # the clerk who typed it does not reverse it (finance or the property manager checks)
    people["financeclerk"].groups.add(*people["finance"].groups.all())  # even a clerk who also checks
    clerk = type(people["financeclerk"]).objects.get(pk=people["financeclerk"].pk)
    with pytest.raises(Refused, match="不能冲销自己登记的记录"):
        fees.reverse_entry(wrong, clerk, reason="误录", password=DEMO_PASSWORD)
    with pytest.raises(Refused, match="请填写冲销原因"):
        fees.reverse_entry(wrong, people["finance"], reason="  ", password=DEMO_PASSWORD)
    signatures = Signature.objects.count()
    with pytest.raises(SignatureRefused, match="密码错误，未签名"):
        fees.reverse_entry(wrong, people["finance"], reason="误录", password="wrong")
    assert not LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).exists()
    assert Signature.objects.count() == signatures
    assert balance_of(application, "owner").paid == Decimal("2000.00")
    fees.reverse_entry(wrong, people["propmanager"], reason="误录", password=DEMO_PASSWORD)
    with pytest.raises(Refused, match=r"该记录已于 .* 冲销（误录），不能再次冲销"):
        fees.reverse_entry(wrong, people["finance"], reason="再冲一次", password=DEMO_PASSWORD)
    reversal = LedgerEntry.objects.get(kind=EntryKind.REVERSAL)
    with pytest.raises(Refused, match="只能冲销应收和收款记录"):
        fees.reverse_entry(reversal, people["finance"], reason="冲销冲销", password=DEMO_PASSWORD)
    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1


def test_a_charge_is_not_reversed_below_what_was_paid_against_it(people):
    from qms.demo import DEMO_PASSWORD

    application = approved(people)
    garbage = item("garbage_fee")
    charge = application.ledger.get(kind=EntryKind.CHARGE, fee_item=garbage)
    fees.post_entry(application, people["financeclerk"], kind=EntryKind.PAYMENT, fee_item=garbage,
                    amount=Decimal("300.00"), receipt_number="SJ-0200")
    with pytest.raises(Refused, match="冲销后“装修垃圾清运费”的已收 ¥300.00 将超过应收 ¥0.00"):
        fees.reverse_entry(charge, people["finance"], reason="多收", password=DEMO_PASSWORD)


def test_the_fees_tab_and_the_dossier_show_both_lines(people, login):
    from qms.demo import DEMO_PASSWORD

    application, wrong = _mistyped_payment(people)
    client = login(people["finance"])
    url = reverse("renovation:ledger_reverse", args=[application.pk, wrong.pk])
    page = client.get(url).content.decode()
    assert "SJ-0100" in page and 'name="password"' in page
    response = client.post(url, {"reason": "金额误录", "password": "wrong"})
    assert response.status_code == 409 and "密码错误，未签名" in response.content.decode()
    assert not LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).exists()
    response = client.post(url, {"reason": "金额误录", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(application.get_absolute_url() + "?tab=fees").content.decode()
    assert f'data-entry="{wrong.pk}" data-kind="payment" class="text-muted reversed"' in page
    assert "<del>¥2,000.00</del>" in page and "-¥2,000.00" in page and "金额误录" in page
    # the clerk cannot reverse (no button, and the page is refused)
    clerk = login(people["financeclerk"])
    assert "ledger_reverse" not in clerk.get(application.get_absolute_url() + "?tab=fees").content.decode()
    assert clerk.get(url).status_code == 403
    text = pdf_text(login(people["propmanager"]).get(reverse("renovation:dossier_pdf", args=[application.pk])).content)
    ledger = "".join(text[text.index("三、收费台账"):text.index("四、施工人员及出入证")].split())  # cells wrap
    # the mistyped payment, marked reversed, and the reversal with its reason and signature
    assert "业主收款业主装修押金（已于¥2,000.00SJ-0100何内勤" in ledger
    assert "业主冲销业主装修押金（冲销-¥2,000.00—吴财务" in ledger and "的收款：金额误录，吴财务已签名）" in ledger
