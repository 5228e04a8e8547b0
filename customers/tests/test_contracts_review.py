"""Contract review 《合同(订单)评审表》 on the countersign, approval, the register (PROCEDURES.md §2; seed 002 §5.3)."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from customers.contracts.models import ContractStatus, OrderForm, ReviewRoute
from customers.contracts.services import review
from customers.tests.contract_factories import (PASSWORD, agree_all, attach_confirmation, make_contract,
                                                submit)
from qms import Refused, countersign, deadlines, workflow
from qms.countersign import Opinion, Party, Verdict
from qms.notifications import Notification
from qms.people import Role
from qms.signatures import Meaning
from qms.workflow import TransitionRefused

pytestmark = pytest.mark.django_db
S = ContractStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")


def parties(contract):
    return [opinion.party for opinion in countersign.opinions_for(contract)]


def special(people, **fields):
    return make_contract(people["sales"], in_stock=False, within_capacity=False, **fields)


# --- oral orders ----------------------------------------------------------------------------------------
def test_an_oral_order_is_not_sent_to_review_without_its_written_confirmation(people, login):
    sales = people["sales"]
    contract = make_contract(sales, order_form=OrderForm.PHONE)
    with pytest.raises(TransitionRefused, match="口头或电话订单须先上传顾客的书面确认"):
        workflow.perform(contract, S.IN_REVIEW, sales)
    contract.refresh_from_db()
    assert contract.status == S.DRAFT and countersign.current_round(contract) == 0

    page = login(sales).get(contract.get_absolute_url()).content.decode()
    assert "口头或电话订单须先上传顾客的书面确认" in page  # the button shown disabled with its reason
    attach_confirmation(contract, sales)
    submit(contract, sales)
    assert contract.status == S.IN_REVIEW


# --- routes ------------------------------------------------------------------------------------------------
def test_regular_with_stock_is_reviewed_by_sales_alone_and_accepted_without_approval(people):
    sales = people["sales"]
    contract = submit(make_contract(sales, in_stock=True), sales)
    assert contract.review_route == ReviewRoute.SALES_ONLY
    assert parties(contract) == [Role.SALES]
    with pytest.raises(TransitionRefused, match="以下部门尚未给出评审意见：销售"):
        workflow.perform(contract, S.APPROVED, sales)
    agree_all(contract, people)
    with pytest.raises(TransitionRefused, match="无需批准"):
        workflow.perform(contract, S.AWAITING_APPROVAL, sales)
    workflow.perform(contract, S.APPROVED, sales)
    contract.refresh_from_db()
    assert contract.status == S.APPROVED


def test_regular_without_stock_is_countersigned_by_pmc_purchasing_sales_and_approved_by_the_sales_vp(people):
    sales = people["sales"]
    contract = submit(make_contract(sales, in_stock=False), sales)
    assert contract.review_route == ReviewRoute.SALES_VP
    assert parties(contract) == [Role.PMC, Role.PURCHASING, Role.SALES]
    agree_all(contract, people)
    workflow.perform(contract, S.AWAITING_APPROVAL, sales)
    contract.refresh_from_db()
    assert workflow.refusal(contract, S.APPROVED, people["gm"]) == "您没有权限执行“批准”。"
    workflow.perform(contract, S.APPROVED, people["salesvp"], password=PASSWORD)
    contract.refresh_from_db()
    assert (contract.status, contract.approved_by) == (S.APPROVED, people["salesvp"])
    approval = workflow.transitions_for(contract).get(to_status=S.APPROVED)
    assert approval.signature.meaning == Meaning.APPROVAL and approval.signature.is_valid_for(contract)


def test_special_is_countersigned_by_five_departments_each_signed_and_approved_by_the_gm(people):
    sales = people["sales"]
    contract = submit(special(people), sales)
    assert contract.review_route == ReviewRoute.GM
    assert parties(contract) == [Role.ENGINEERING, Role.QUALITY, Role.PRODUCTION, Role.PURCHASING, Role.SALES]
    assert [o.responsible.username for o in countersign.opinions_for(contract)] == [
        "engineering", "quality", "production", "purchasing", "sales"]
    # each department is told at once
    assert Notification.objects.filter(recipient=people["quality"], title__contains="请给出会签意见").exists()
    agree_all(contract, people)
    for opinion in countersign.opinions_for(contract):
        assert opinion.signature.meaning == Meaning.REVIEW and opinion.signature.is_valid_for(opinion)
    workflow.perform(contract, S.AWAITING_APPROVAL, sales)
    contract.refresh_from_db()
    assert workflow.refusal(contract, S.APPROVED, people["salesvp"]) == "您没有权限执行“批准”。"
    workflow.perform(contract, S.APPROVED, people["gm"], password=PASSWORD)
    contract.refresh_from_db()
    assert contract.status == S.APPROVED


def test_only_the_department_asked_gives_its_opinion_with_the_password(people):
    contract = submit(special(people), people["sales"])
    quality = next(o for o in countersign.opinions_for(contract) if o.party == Role.QUALITY)
    with pytest.raises(Refused, match="您不是“品质”的评审人"):
        countersign.give_opinion(quality, people["production"], verdict=Verdict.AGREE, password=PASSWORD)
    with pytest.raises(Refused, match="密码错误"):
        countersign.give_opinion(quality, people["quality"], verdict=Verdict.AGREE, password="wrong")
    with pytest.raises(Refused, match="须写明意见或条件"):
        countersign.give_opinion(quality, people["quality"], verdict=Verdict.CONDITIONAL, password=PASSWORD)
    sales_party = next(o for o in countersign.opinions_for(contract) if o.party == Role.SALES)
    assert not countersign.may_give(sales_party, people["sales2"])  # the contract's own salesperson answers


# --- the approver's refusals -----------------------------------------------------------------------------
def test_the_approver_cannot_approve_while_an_opinion_is_missing(people):
    sales = people["sales"]
    contract = submit(special(people), sales)
    agree_all(contract, people)
    workflow.perform(contract, S.AWAITING_APPROVAL, sales)
    # one more department asked in the same round (the RoHS question went to PMC as well)
    countersign.request_opinions(contract, [Party(Role.PMC, "交期")], by=sales, new_round=False)
    contract.refresh_from_db()
    with pytest.raises(TransitionRefused, match="以下部门尚未给出评审意见：PMC"):
        workflow.perform(contract, S.APPROVED, people["gm"], password=PASSWORD)
    contract.refresh_from_db()
    assert contract.status == S.AWAITING_APPROVAL and contract.approved_by is None


def test_the_approver_cannot_approve_an_unresolved_disagreement_until_it_is_resolved(people):
    sales, gm = people["sales"], people["gm"]
    contract = submit(special(people), sales)
    production = next(o for o in countersign.opinions_for(contract) if o.party == Role.PRODUCTION)
    countersign.give_opinion(production, people["production"], verdict=Verdict.DISAGREE,
                             text="月产能 8 万支，交期内做不完", solution="", password=PASSWORD)
    agree_all(contract, people)
    workflow.perform(contract, S.AWAITING_APPROVAL, sales)  # nothing missing: the approver decides
    contract.refresh_from_db()
    with pytest.raises(TransitionRefused, match="以下部门的不同意意见尚未解决：生产"):
        workflow.perform(contract, S.APPROVED, gm, password=PASSWORD)

    disagreement = countersign.unresolved(contract)[0]
    with pytest.raises(Refused, match="只有会签的组织者可以处理分歧"):
        countersign.resolve(disagreement, people["quality"], resolution="我说可以")
    countersign.resolve(disagreement, sales, resolution="客户同意分两批交货，第二批顺延 10 天")
    disagreement.refresh_from_db()
    assert (disagreement.resolved_by, disagreement.resolution) == (sales, "客户同意分两批交货，第二批顺延 10 天")
    workflow.perform(contract, S.APPROVED, gm, password=PASSWORD)
    contract.refresh_from_db()
    assert contract.status == S.APPROVED


def test_an_opinion_given_again_supersedes_the_earlier_one_which_stays_signed(people):
    contract = submit(special(people), people["sales"])
    production = next(o for o in countersign.opinions_for(contract) if o.party == Role.PRODUCTION)
    first = countersign.give_opinion(production, people["production"], verdict=Verdict.DISAGREE,
                                     text="产能不足", password=PASSWORD)
    second = countersign.give_opinion(first, people["production"], verdict=Verdict.CONDITIONAL,
                                      text="加班可满足", solution="安排两周加班，外协注塑件", password=PASSWORD)
    first.refresh_from_db()
    assert first.superseded_by == second and first.signature.is_valid_for(first)
    assert not countersign.unresolved(contract)
    current = next(o for o in countersign.opinions_for(contract) if o.party == Role.PRODUCTION)
    assert (current.verdict, current.solution) == (Verdict.CONDITIONAL, "安排两周加班，外协注塑件")


def test_the_approver_is_never_the_drafter(people):
    gm = people["gm"]
    contract = make_contract(people["sales"], by=gm, in_stock=False, within_capacity=False)
    assert contract.created_by == gm
    submit(contract, people["sales"])
    agree_all(contract, people)
    workflow.perform(contract, S.AWAITING_APPROVAL, people["sales"])
    contract.refresh_from_db()
    with pytest.raises(TransitionRefused, match="职责分离"):
        workflow.perform(contract, S.APPROVED, gm, password=PASSWORD)
    contract.refresh_from_db()
    assert contract.status == S.AWAITING_APPROVAL


def test_the_approval_page_shows_the_blocked_approval_with_its_reason(people, login):
    sales = people["sales"]
    contract = submit(special(people), sales)
    agree_all(contract, people, except_parties=(Role.QUALITY,))
    quality = next(o for o in countersign.opinions_for(contract) if o.party == Role.QUALITY)
    countersign.give_opinion(quality, people["quality"], verdict=Verdict.DISAGREE, text="无检测能力",
                             password=PASSWORD)
    workflow.perform(contract, S.AWAITING_APPROVAL, sales)
    page = login(people["gm"]).get(contract.get_absolute_url()).content.decode()
    assert 'data-move-blocked="approved"' in page and "以下部门的不同意意见尚未解决：品质" in page


# --- the opinion's clock -------------------------------------------------------------------------------------
def test_an_opinion_asked_before_national_day_is_due_the_first_working_day_after(people):
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        contract = submit(special(people), people["sales"])
    quality = next(o for o in countersign.opinions_for(contract) if o.party == Role.QUALITY)
    deadline = deadlines.deadlines_for(quality).get(kind="countersign_opinion")
    assert deadline.due_at == dt.datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)  # 10-01..10-07 国庆
    assert deadline.responsible == people["quality"]
    assert deadline.link == f"{contract.get_absolute_url()}?tab=opinions"

    # the reminder goes out in office hours before it, escalation to the manager's manager after
    with time_machine.travel(dt.datetime(2026, 10, 9, 11, 0, tzinfo=SHANGHAI), tick=False):
        deadlines.tick()
    # the quality manager manages his own department: the escalation goes one level up, to the GM
    assert Notification.objects.filter(recipient=people["gm"], title__startswith="逾期升级").exists()

    countersign.give_opinion(quality, people["quality"], verdict=Verdict.AGREE, password=PASSWORD)
    deadline.refresh_from_db()
    assert deadline.state == deadlines.Deadline.State.MET


def test_the_opinion_deadline_follows_the_setting(people, settings):
    settings.QMS_COUNTERSIGN_WORKING_DAYS = 3
    with time_machine.travel(dt.datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI), tick=False):
        contract = submit(special(people), people["sales"])
    quality = next(o for o in countersign.opinions_for(contract) if o.party == Role.QUALITY)
    due = deadlines.deadlines_for(quality).get(kind="countersign_opinion").due_at
    assert due == dt.datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)  # 09-30, 10-08, 10-09


def test_a_cancelled_contract_withdraws_its_pending_opinions(people):
    sales = people["sales"]
    contract = submit(special(people), sales)
    workflow.perform(contract, S.CANCELLED, sales, reason="客户撤单")
    assert not countersign.missing(contract)
    opinion_type = ContentType.objects.get_for_model(Opinion)
    assert not deadlines.Deadline.objects.filter(content_type=opinion_type, state="open").exists()


# --- the register ------------------------------------------------------------------------------------------------
def approved(people, **fields):
    sales = people["sales"]
    contract = submit(make_contract(sales, in_stock=True, **fields), sales)
    agree_all(contract, people)
    workflow.perform(contract, S.APPROVED, sales)
    contract.refresh_from_db()
    return contract


def test_register_numbers_are_gapless_even_when_a_registration_is_refused(people):
    sales = people["sales"]
    first, second, third = approved(people), approved(people), approved(people)
    workflow.perform(first, S.REGISTERED, sales)
    draft = make_contract(sales)
    with pytest.raises(TransitionRefused):
        workflow.perform(draft, S.REGISTERED, sales)
    with pytest.raises(TransitionRefused, match="您没有权限"):
        workflow.perform(second, S.REGISTERED, people["sales2"])
    workflow.perform(second, S.REGISTERED, sales)
    workflow.perform(third, S.REGISTERED, sales)
    numbers = [c.number for c in (first, second, third)]
    year = first.registered_at.astimezone(SHANGHAI).year
    assert numbers == [f"HT-{year}-0001", f"HT-{year}-0002", f"HT-{year}-0003"]


def test_original_to_finance_and_finance_receipt_then_completion_and_retention(people, login):
    sales, finance = people["sales"], people["finance"]
    contract = approved(people)
    workflow.perform(contract, S.REGISTERED, sales)
    contract.refresh_from_db()
    assert contract.retained_until == contract.registered_at.astimezone(SHANGHAI).date().replace(
        year=contract.registered_at.astimezone(SHANGHAI).year + 5)
    with pytest.raises(TransitionRefused, match="请先将合同原件交财务并由财务签收"):
        workflow.perform(contract, S.COMPLETED, sales)
    with pytest.raises(Refused, match="业务员尚未把合同原件交财务"):
        review.confirm_finance_receipt(contract, finance)

    response = login(sales).post(reverse("customers:contract_hand_over", args=[contract.pk]), follow=True)
    assert "已记录：合同原件交财务。" in response.content.decode()
    assert Notification.objects.filter(recipient=finance, title__contains="请签收合同原件").exists()
    response = login(sales).post(reverse("customers:contract_receipt", args=[contract.pk]))
    assert response.status_code == 403  # only finance confirms
    page = login(finance).get(contract.get_absolute_url()).content.decode()
    assert "财务签收原件" in page and "5 年，至" in page
    login(finance).post(reverse("customers:contract_receipt", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.finance_received_by == finance
    workflow.perform(contract, S.COMPLETED, sales)


# --- visibility ---------------------------------------------------------------------------------------------------
def test_who_sees_a_contract(people, login):
    contract = submit(special(people), people["sales"])
    assert login(people["sales2"]).get(contract.get_absolute_url()).status_code == 404
    assert login(people["finance"]).get(contract.get_absolute_url()).status_code == 404  # not registered
    assert login(people["quality"]).get(contract.get_absolute_url()).status_code == 200  # asked to review
    assert login(people["pmc"]).get(contract.get_absolute_url()).status_code == 404  # not on this route
    assert login(people["salesvp"]).get(contract.get_absolute_url()).status_code == 200


# --- the form ----------------------------------------------------------------------------------------------------------
def test_the_capture_form_saves_lines_and_keeps_what_was_typed_on_an_error(people, login, client):
    from customers.tests.factories import make_customer

    sales = people["sales"]
    customer = make_customer(sales)
    data = {"customer": customer.pk, "title": "留置针订单", "order_form": "written", "ordered_on": "2026-12-01",
            "delivery_date": "2026-11-01", "owner": sales.pk, "packaging": "纸箱", "payment_terms": "预付 30%",
            "margin_percent": "20", "within_capacity": "on", "terms_clear": "on",
            "stated_requirements": "符合 YY 0285", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
            "lines-0-product": "静脉留置针", "lines-0-specification": "22G", "lines-0-quantity": "2000",
            "lines-0-unit": "支", "lines-0-unit_price": "4.20", "lines-0-is_standard_product": "on",
            "lines-1-unit": "件", "lines-1-is_standard_product": "on"}
    response = login(sales).post(reverse("customers:contract_create"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "交货日期不能早于下单日期" in text and "静脉留置针" in text and "符合 YY 0285" in text
    data["delivery_date"] = "2027-01-15"
    response = client.post(reverse("customers:contract_create"), data)
    assert response.status_code == 302
    contract = customer.contracts.get()
    assert [(line.product, line.amount) for line in contract.lines.all()] == [("静脉留置针", Decimal("8400.00"))]
    assert contract.total_amount == Decimal("8400.00") and contract.created_by == sales
    assert (contract.contract_class, contract.order_form) == ("regular", "written")


def test_a_won_opportunity_becomes_a_contract_that_keeps_it(people, login):
    from customers.tests.test_opportunities import make_opportunity

    sales = people["sales"]
    opportunity = make_opportunity(sales, title="手术室设备更新项目", stage="negotiation")
    workflow.perform(opportunity, "won", sales, reason="签约")
    client = login(sales)
    url = f'{reverse("customers:contract_create")}?opportunity={opportunity.pk}'
    page = client.get(url).content.decode()
    assert 'value="手术室设备更新项目"' in page and f'<option value="{opportunity.customer_id}" selected>' in page
    data = {"customer": opportunity.customer_id, "title": "手术室设备更新项目", "order_form": "written",
            "ordered_on": "2026-12-01", "delivery_date": "2027-01-15", "owner": sales.pk, "within_capacity": "on",
            "terms_clear": "on", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-product": "无影灯", "lines-0-quantity": "2", "lines-0-unit": "台",
            "lines-0-unit_price": "50000", "lines-0-is_standard_product": "on"}
    assert client.post(url, data).status_code == 302
    assert opportunity.contracts.get().title == "手术室设备更新项目"
    # an opportunity still being negotiated is not a contract yet; another salesperson's is not found at all
    open_one = make_opportunity(sales, customer=opportunity.customer, title="谈判中的项目", stage="negotiation")
    response = client.get(f'{reverse("customers:contract_create")}?opportunity={open_one.pk}', follow=True)
    assert "只有已赢单的商机可以转为合同" in response.content.decode()
    assert login(people["sales2"]).get(url).status_code == 404


def test_the_contract_form_opened_from_a_key_account_starts_with_it(people, login):
    from customers.tests.factories import make_customer

    customer = make_customer(people["sales"], name="华东医疗器械有限公司")
    url = f'{reverse("customers:contract_create")}?customer={customer.pk}'
    assert f'<option value="{customer.pk}" selected>' in login(people["sales"]).get(url).content.decode()
    assert login(people["sales2"]).get(url).status_code == 404
