"""Opportunities (商机, §2): stage moves and their refusals, the funnel's figures and its queries, the customer form's
"同时创建商机" (one transaction), the list's export, visibility, and every URL of the opportunity pages."""
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from customers.contracts.models import Opportunity, OpportunityStage
from customers.contracts.services import opportunities as service
from customers.models import Customer
from customers.tests.factories import make_customer
from qms import Refused, audit, workflow
from qms.tests.cases import RecordUrls, UrlWalk, assert_queries_at_most, count_queries

pytestmark = pytest.mark.django_db
S = OpportunityStage


def make_opportunity(owner, *, customer=None, title="手术室设备更新项目", amount="100000", stage=S.LEAD, days=30):
    customer = customer or make_customer(owner)
    return service.create_opportunity(by=owner, customer=customer, title=title, expected_amount=Decimal(amount),
                                      expected_close_on=timezone.localdate() + dt.timedelta(days=days), stage=stage)


def move_url(opportunity, to):
    content_type = ContentType.objects.get_for_model(Opportunity)
    return reverse("qms:move", args=[content_type.pk, opportunity.pk, to])


# --- stage moves -----------------------------------------------------------------------------------------
def test_the_owner_moves_the_opportunity_forward_and_back_with_a_status_log(people):
    opportunity = make_opportunity(people["sales2"])
    workflow.perform(opportunity, S.PROPOSAL, people["sales2"])
    workflow.perform(opportunity, S.NEEDS, people["sales2"])
    opportunity.refresh_from_db()
    assert opportunity.stage == S.NEEDS
    assert [(t.from_status, t.to_status) for t in workflow.transitions_for(opportunity)] == [
        (S.LEAD, S.PROPOSAL), (S.PROPOSAL, S.NEEDS)]


def test_won_and_lost_need_a_reason(people):
    opportunity = make_opportunity(people["sales2"])
    for stage, label in ((S.WON, "赢单"), (S.LOST, "输单")):
        with pytest.raises(Refused, match=f"“{label}”需要填写理由"):
            workflow.perform(opportunity, stage, people["sales2"], reason="  ")
    opportunity.refresh_from_db()
    assert opportunity.stage == S.LEAD
    workflow.perform(opportunity, S.WON, people["sales2"], reason="客户签回合同")
    assert workflow.transitions_for(opportunity).get().reason == "客户签回合同"


def test_a_lost_opportunity_is_final(people):
    opportunity = make_opportunity(people["sales2"])
    workflow.perform(opportunity, S.LOST, people["sales2"], reason="客户预算取消")
    for stage in (S.LEAD, S.NEGOTIATION, S.WON):
        with pytest.raises(Refused, match="当前状态“输单”下不能执行此操作"):
            workflow.perform(opportunity, stage, people["sales2"], reason="再试")
    with pytest.raises(Refused, match="商机已输单，不能再修改"):
        service.update_opportunity(opportunity, by=people["sales2"], title="改名")
    assert workflow.available_moves(opportunity, people["sales2"]) == []


def test_another_salesperson_may_not_move_an_opportunity_but_the_sales_manager_may(people):
    opportunity = make_opportunity(people["sales2"])
    with pytest.raises(Refused, match="您没有权限执行“推进至方案报价”"):
        workflow.perform(opportunity, S.PROPOSAL, people["service"])
    workflow.perform(opportunity, S.PROPOSAL, people["sales"])  # the manager of sales2's department
    assert Opportunity.objects.get().stage == S.PROPOSAL


def test_winning_through_the_move_page_offers_the_contract(people, login):
    opportunity = make_opportunity(people["sales2"])
    client = login(people["sales2"])
    response = client.post(move_url(opportunity, S.WON), {"expected_from": S.LEAD, "reason": ""})
    assert response.status_code == 400 and Opportunity.objects.get().stage == S.LEAD
    response = client.post(move_url(opportunity, S.WON), {"expected_from": S.LEAD, "reason": "签约"})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage == S.WON
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "赢单" in page and 'id="edit-opportunity"' not in page
    assert service.contract_initial_from_opportunity(opportunity) == {
        "customer": opportunity.customer, "title": "手术室设备更新项目", "owner": people["sales2"],
        "opportunity": opportunity}


def test_only_a_won_opportunity_becomes_a_contract(people):
    opportunity = make_opportunity(people["sales2"], stage=S.NEGOTIATION)
    with pytest.raises(Refused, match="只有已赢单的商机可以转为合同（当前阶段：谈判审核）"):
        service.contract_initial_from_opportunity(opportunity)


def test_a_pool_customer_gets_no_opportunity(people):
    pool_customer = make_customer(None, by=people["sales2"])
    with pytest.raises(Refused, match="在客户池中：请先领取客户"):
        make_opportunity(people["sales2"], customer=pool_customer)


def test_editing_is_audited_and_refused_for_a_negative_amount(people, login):
    opportunity = make_opportunity(people["sales2"])
    client = login(people["sales2"])
    url = reverse("customers:opportunity_edit", args=[opportunity.pk])
    data = {"title": "手术室设备更新项目（二期）", "expected_amount": "-5", "owner": people["sales2"].pk,
            "expected_close_on": "2030-01-31", "notes": ""}
    response = client.post(url, data)
    assert response.status_code == 400 and "预计金额不能为负数" in response.content.decode()
    assert "手术室设备更新项目（二期）" in response.content.decode()  # what was typed is kept
    response = client.post(url, {**data, "expected_amount": "150000"})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.expected_amount == Decimal("150000")
    assert any(row["reason"] == "修改商机" for row in audit.history_for(opportunity))


# --- the customer form's "同时创建商机" --------------------------------------------------------------------
def customer_form(**overrides):
    data = {"name": "华东精工机械有限公司", "postcode": "200120", "address": "世纪大道 100 号", "action": "save",
            "contact-name": "", "contact-mobile": "", "contact-email": "", "contact-qq": "",
            "opportunity-create": "on", "opportunity-title": "精工机械年度采购", "opportunity-stage": S.NEEDS,
            "opportunity-expected_amount": "280000", "opportunity-expected_close_on": "2030-06-30",
            "opportunity-notes": ""}
    data.update(overrides)
    return data


def test_the_customer_form_creates_the_opportunity_with_the_customer(people, login):
    response = login(people["sales2"]).post(reverse("customers:create"), customer_form())
    customer = Customer.objects.get()
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == opportunity.get_absolute_url()
    assert (opportunity.customer, opportunity.owner, opportunity.stage, opportunity.expected_amount) == (
        customer, people["sales2"], S.NEEDS, Decimal("280000"))


def test_without_the_tick_only_the_customer_is_saved(people, login):
    response = login(people["sales2"]).post(reverse("customers:create"), customer_form(**{"opportunity-create": ""}))
    assert response.status_code == 302
    assert Customer.objects.count() == 1 and not Opportunity.objects.exists()


def test_a_ticked_opportunity_without_its_fields_saves_nothing_and_keeps_what_was_typed(people, login):
    response = login(people["sales2"]).post(reverse("customers:create"), customer_form(**{
        "opportunity-title": "", "opportunity-expected_amount": ""}))
    page = response.content.decode()
    assert response.status_code == 400
    assert "请填写商机名称。" in page and "请填写预计金额。" in page and "华东精工机械有限公司" in page
    assert not Customer.all_objects.exists() and not Opportunity.objects.exists()


def test_a_customer_put_in_the_pool_gets_no_opportunity_and_is_not_saved(people, login):
    response = login(people["sales2"]).post(reverse("customers:create"), customer_form(to_pool="on"))
    assert response.status_code == 400
    assert "放入客户池的客户没有负责人，不能同时创建商机" in response.content.decode()
    assert not Customer.all_objects.exists()


def test_customer_and_opportunity_are_one_transaction(people, monkeypatch):
    def refuse(**kwargs):
        raise Refused("商机保存失败")

    monkeypatch.setattr(service, "create_opportunity", refuse)
    with pytest.raises(Refused):
        service.create_customer_with_opportunity(
            by=people["sales2"], owner=people["sales2"], name="回滚测试有限公司",
            opportunity={"title": "x", "expected_amount": Decimal(1), "expected_close_on": dt.date(2030, 1, 1)})
    assert not Customer.all_objects.filter(name="回滚测试有限公司").exists()


# --- the funnel ---------------------------------------------------------------------------------------------
def _funnel_data(people):
    make_opportunity(people["sales2"], amount="100000")
    make_opportunity(people["sales2"], amount="50000", stage=S.PROPOSAL)
    won = make_opportunity(people["sales"], amount="200000", stage=S.NEGOTIATION)
    workflow.perform(won, S.WON, people["sales"], reason="签约")
    lost = make_opportunity(people["sales2"], amount="30000")
    workflow.perform(lost, S.LOST, people["sales2"], reason="价格")


def test_funnel_figures_by_stage_and_owner(people):
    _funnel_data(people)
    funnel = service.funnel(people["gm"])
    by_stage = {row.stage: (row.count, row.amount) for row in funnel.stages}
    assert by_stage == {S.LEAD: (1, Decimal("100000")), S.NEEDS: (0, 0), S.PROPOSAL: (1, Decimal("50000")),
                        S.NEGOTIATION: (0, 0), S.WON: (1, Decimal("200000")), S.LOST: (1, Decimal("30000"))}
    assert funnel.open_count == 2 and funnel.open_amount == Decimal("150000")
    assert funnel.weighted_amount == Decimal("35000.00")  # 10 % of 100,000 + 50 % of 50,000
    assert funnel.win_rate == Decimal("50.0")
    owners = {entry.owner.username: (entry.count, entry.amount) for entry in funnel.owners}
    assert owners == {"sales2": (2, Decimal("150000")), "sales": (0, 0)}
    # a salesperson's funnel holds their own opportunities only
    assert {row.stage: row.count for row in service.funnel(people["sales2"]).stages}[S.WON] == 0


def test_funnel_page_queries_do_not_grow_with_the_opportunities(people, login):
    client = login(people["gm"])
    customer = make_customer(people["sales2"])
    for _ in range(3):
        make_opportunity(people["sales2"], customer=customer)
    client.get(reverse("customers:opportunity_funnel"))
    with count_queries() as few:
        assert client.get(reverse("customers:opportunity_funnel")).status_code == 200
    for index in range(27):
        make_opportunity(people["sales" if index % 2 else "sales2"], customer=customer,
                         stage=[S.LEAD, S.NEEDS, S.PROPOSAL][index % 3])
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("customers:opportunity_funnel"))
    assert 'id="open-count">30<' in response.content.decode()


def test_funnel_export_cells(people, login):
    _funnel_data(people)
    response = login(people["gm"]).get(reverse("customers:opportunity_funnel"), {"export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                .iter_rows(values_only=True))
    assert rows[0][:3] == ("负责人", "初步接洽 · 数量", "需求确认 · 数量")
    assert rows[-1][0] == "合计" and rows[-1][1] == 1 and rows[-1][5] == 1


# --- the list -------------------------------------------------------------------------------------------------
def test_the_list_filters_by_stage_and_exports_its_cells(people, login):
    _funnel_data(people)
    client = login(people["gm"])
    response = client.get(reverse("customers:opportunity_list"), {"scope": "all", "stage": S.WON})
    assert response.status_code == 200 and response.content.decode().count('href="/customers/contracts/opportunities/') >= 1
    response = client.get(reverse("customers:opportunity_list"), {"scope": "all", "stage": S.WON, "export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                .iter_rows(values_only=True))
    assert rows[0][:4] == ("商机名称", "客户", "销售阶段", "预计金额（元）")
    assert len(rows) == 2 and rows[1][2] == "赢单" and rows[1][3] == 200000 and rows[1][4] == 100


def test_a_salesperson_lists_only_their_own_opportunities(people, login):
    _funnel_data(people)
    response = login(people["sales2"]).get(reverse("customers:opportunity_list"), {"scope": "all", "export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
                .iter_rows(values_only=True))
    assert len(rows) == 4  # header + sales2's three


def test_the_customer_page_has_an_opportunities_tab(people, login):
    opportunity = make_opportunity(people["sales2"])
    page = login(people["sales2"]).get(opportunity.customer.get_absolute_url(), {"tab": "opportunities"})
    assert opportunity.title in page.content.decode() and 'id="add-opportunity"' in page.content.decode()


# --- every URL ----------------------------------------------------------------------------------------------
def opportunity(people):
    return make_opportunity(people["sales"])


WALK = UrlWalk(
    "customers",
    pages=("opportunity_list", "opportunity_create", "opportunity_funnel"),
    records=[RecordUrls(make=opportunity, insider="sales", outsider="sales2",
                        pages=("opportunity_detail", "opportunity_edit"))],
)
NAMES = WALK.declared()


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)
