"""The import of historical contracts (§2 合同台账, shared Excel import): the template, one row per line grouped into
contracts, registered with their numbers or drafts, every bad row reported, nothing saved before the commit, the
revert that voids the contracts."""
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.contracts.models import Contract, ContractLine, ContractStatus
from customers.tests.factories import make_customer
from qms import audit
from qms.excel.models import ImportBatch
from qms.numbering import next_number
from qms.tests.cases import post_import, workbook

pytestmark = pytest.mark.django_db

HEADERS = ["合同编号", "合同名称", "客户名称", "客户订单号", "下单日期", "交货日期", "付款条件", "产品名称", "规格型号",
           "数量", "单位", "单价（元）", "业务员"]
HANGZHOU = "杭州西湖精密仪器有限公司"
SUZHOU = "苏州工业园区医疗科技有限公司"


def row(**cells):
    values = {header: None for header in HEADERS}
    values.update(cells)
    return [values[header] for header in HEADERS]


def line(number, title, customer, product, quantity, price, **more):
    cells = {"合同编号": number, "合同名称": title, "客户名称": customer, "下单日期": dt.date(2025, 3, 10),
             "交货日期": dt.date(2025, 4, 30), "付款条件": "货到 30 天付款", "产品名称": product, "数量": quantity,
             "单价（元）": price}
    return row(**{**cells, **more})


GOOD = [
    line("HT-2025-0007", "2025 年一季度框架合同", HANGZHOU, "一次性输液器", 1000, 2.5, 规格型号="20 滴/ml",
         客户订单号="PO-778", 业务员="sales2"),
    line("HT-2025-0007", "2025 年一季度框架合同", HANGZHOU, "一次性注射器", 500, 1.2, 规格型号="5 ml",
         客户订单号="PO-778", 业务员="sales2", 交货日期=dt.date(2025, 4, 15), 单位="支"),
    line(None, "补充订单", SUZHOU, "医用胶带", 200, 8, 业务员="钱销售"),
    line(None, "补充订单", SUZHOU, "医用纱布", 300, 4, 业务员="sales2"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def customers(people):
    return {name: make_customer(people["sales2"], name=name) for name in (HANGZHOU, SUZHOU)}


@pytest.fixture
def manager(people, login):
    """The sales manager 张销售: may import contracts and make the department's people their owners."""
    return login(people["sales"])


def xlsx(rows) -> bytes:
    return workbook(rows, headers=HEADERS, sheet="历史合同")


def upload(client, rows):
    return post_import(client, "contracts", xlsx(rows), "历史合同.xlsx")


def latest_batch() -> ImportBatch:
    return ImportBatch.objects.latest("id")


def events_of(contract) -> list:
    """The contract's audit trail, oldest first (the history tab needs the contract pages of helper A)."""
    return list(audit.event_model(Contract).objects.filter(pgh_obj_id=contract.pk).order_by("pgh_id"))


def errors_of(batch) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


@pytest.fixture
def imported(people, customers, manager):
    upload(manager, GOOD)
    batch = latest_batch()
    assert (batch.status, batch.error_rows) == ("preview", 0), batch.errors
    assert not Contract.objects.exists()  # nothing before the commit
    manager.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "imported", (batch.message, batch.errors)
    return batch


def test_the_template_has_the_columns_and_says_which_are_required(people, manager):
    response = manager.get(reverse("qms:import_template", args=["contracts"]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in book["历史合同"][1]] == HEADERS
    notes = {r[0]: r for r in book["说明"].iter_rows(values_only=True) if r[0] in HEADERS}
    assert {h for h, note in notes.items() if note[1] == "必填"} == {
        "合同名称", "客户名称", "下单日期", "交货日期", "产品名称", "数量", "单价（元）"}
    assert notes["合同编号"][1] == "选填"


def test_only_sales_managers_gm_and_mr_may_import_contracts(people, login):
    for code in ("sales", "gm", "mr"):
        assert login(people[code]).get(reverse("qms:import_start", args=["contracts"])).status_code == 200, code
    for code in ("sales2", "service", "finance"):
        assert login(people[code]).get(reverse("qms:import_start", args=["contracts"])).status_code == 403, code


def test_lines_are_grouped_into_registered_contracts_with_their_numbers_and_drafts(people, customers, imported):
    assert imported.created_count == 4  # one record per line
    framework = Contract.objects.get(number="HT-2025-0007")
    assert (framework.status, framework.customer, framework.owner, framework.customer_reference,
            framework.ordered_on, framework.delivery_date, framework.total_amount, framework.payment_terms) == (
        ContractStatus.REGISTERED, customers[HANGZHOU], people["sales2"], "PO-778", dt.date(2025, 3, 10),
        dt.date(2025, 4, 15), Decimal("3100.00"), "货到 30 天付款")
    assert framework.registered_by == people["sales"]
    assert timezone.localtime(framework.registered_at).date() == dt.date(2025, 3, 10)  # retention counts from it
    assert [(ln.line_no, ln.product, ln.specification, ln.quantity, ln.unit, ln.amount) for ln in framework.lines.all()] == [
        (1, "一次性输液器", "20 滴/ml", Decimal("1000.00"), "件", Decimal("2500.00")),
        (2, "一次性注射器", "5 ml", Decimal("500.00"), "支", Decimal("600.00"))]
    draft = Contract.objects.get(title="补充订单")
    assert (draft.status, draft.number, draft.customer, draft.owner, draft.total_amount, draft.lines.count()) == (
        ContractStatus.DRAFT, "", customers[SUZHOU], people["sales2"], Decimal("2800.00"), 2)
    assert [e.pgh_context["reason"] for e in events_of(framework)] == [f"导入历史合同（批次 #{imported.pk}）"]


def test_the_register_numbering_goes_on_after_the_imported_numbers(people, customers, manager):
    rows = [*GOOD, line("XS/2019/118", "老格式编号的合同", HANGZHOU, "输液贴", 10, 1),
            line("HT-2025-0003", "更早的合同", HANGZHOU, "输液贴", 10, 1)]
    upload(manager, rows)
    manager.post(reverse("qms:import_commit", args=[latest_batch().pk]))
    assert latest_batch().status == "imported"
    with transaction.atomic():
        # HT-2025-0007 imported: the portal's next 2025 number follows it; other years and formats untouched
        assert next_number("contract", dt.date(2025, 9, 1), prefix_default="HT") == "HT-2025-0008"
        assert next_number("contract", dt.date(2019, 9, 1), prefix_default="HT") == "HT-2019-0001"
    assert Contract.objects.get(number="XS/2019/118").status == ContractStatus.REGISTERED


def test_every_bad_row_is_reported_with_its_column_and_reason(people, customers, manager):
    Contract.objects.create(number="HT-2024-0100", customer=customers[HANGZHOU], title="旧合同", owner=people["sales2"],
                            created_by=people["sales2"], delivery_date=dt.date(2024, 6, 1))
    make_customer(people["gm"], name="北京朝阳医疗器械贸易有限公司")  # the sales manager may not see it
    rows = [
        GOOD[0],
        line("HT-2024-0100", "重复编号", HANGZHOU, "输液器", 10, 1),                        # row 3
        line(None, "无客户", "不存在的公司", "输液器", 10, 1),                              # row 4
        line(None, "看不到的客户", "北京朝阳医疗器械贸易有限公司", "输液器", 10, 1),          # row 5
        line(None, "数量为零", HANGZHOU, "输液器", 0, 1),                                  # row 6
        line(None, "缺产品", HANGZHOU, None, 10, 1, 下单日期="2025-13-01"),                # row 7
        line(None, "外部业务员", HANGZHOU, "输液器", 10, 1, 业务员="陈品质"),                # row 8
        line("HT-2025-0007", "2025 年一季度框架合同", SUZHOU, "三通阀", 10, 1,             # row 9: other customer
             客户订单号="PO-778", 业务员="sales2"),
    ]
    upload(manager, rows)
    batch = latest_batch()
    assert (batch.status, batch.total_rows, batch.error_rows) == ("preview", 8, 7)
    assert errors_of(batch) == [
        (3, "合同编号", "合同编号“HT-2024-0100”已在合同台账中。"),
        (4, "客户名称", "没有名为“不存在的公司”的大客户，或您无权查看（请填写客户全称）。"),
        (5, "客户名称", "没有名为“北京朝阳医疗器械贸易有限公司”的大客户，或您无权查看（请填写客户全称）。"),
        (6, "数量", "数量须大于 0。"),
        (7, "产品名称", "这个字段是必填项。"),
        (7, "下单日期", "输入一个有效的日期。"),
        (8, "业务员", "“陈品质”不是您可以指定的业务员（请填写账号或姓名）。"),
        (9, "客户名称", f"与同一合同前面的行不一致（前面为“{HANGZHOU}”）：同一合同各行的客户名称须相同。"),
    ]
    response = manager.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "有 7 行有错误" in response.content.decode()
    assert list(Contract.objects.values_list("number", flat=True)) == ["HT-2024-0100"]


def test_good_rows_only_imports_a_contract_whole_or_not_at_all(people, customers, manager):
    rows = [*GOOD, line("HT-2025-0007", "2025 年一季度框架合同", HANGZHOU, "延长管", -5, 3, 客户订单号="PO-778",
                        业务员="sales2")]  # row 6: a bad line of the first contract
    upload(manager, rows)
    batch = latest_batch()
    assert errors_of(batch) == [(6, "数量", "数量须大于 0。")]
    manager.post(reverse("qms:import_commit", args=[batch.pk]), {"good_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 2
    assert list(Contract.objects.values_list("title", flat=True)) == ["补充订单"]
    assert (2, "", "同一合同的第 6 行有错误：整份合同不导入。") in errors_of(batch)


def test_an_untouched_import_is_reverted_by_voiding_its_contracts(people, customers, manager, imported):
    response = manager.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    imported.refresh_from_db()
    assert imported.status == "reverted", response.content.decode()
    assert set(Contract.objects.values_list("status", "number")) == {(ContractStatus.CANCELLED, "")}
    assert ContractLine.objects.count() == 4  # nothing controlled is deleted
    framework = Contract.objects.get(title="2025 年一季度框架合同")
    last = events_of(framework)[-1]
    assert (last.pgh_context["reason"], last.pgh_context["user"], last.number, last.status) == (
        f"撤销导入 #{imported.pk}", people["sales"].pk, "", ContractStatus.CANCELLED)
    # the corrected file may be imported again: the numbers are free
    upload(manager, GOOD)
    assert latest_batch().error_rows == 0


def test_revert_is_refused_once_a_contract_was_worked_on(people, customers, manager, imported):
    framework = Contract.objects.get(number="HT-2025-0007")
    with audit.context(user=people["sales2"], reason="补录交货地点"):
        framework.delivery_address = "杭州市文三路 1 号"
        framework.save()
    response = manager.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    assert "以下合同在导入后已有改动、评审、回款或附件，不能撤销：HT-2025-0007 2025 年一季度框架合同。" in response.content.decode()
    imported.refresh_from_db()
    assert imported.status == "imported"
    assert Contract.objects.filter(status=ContractStatus.CANCELLED).count() == 0


def test_revert_is_refused_when_a_payment_plan_hangs_off_a_contract(people, customers, imported):
    from customers.contracts.imports import CONTRACT_IMPORT
    from customers.contracts.models import PaymentInstalment
    from qms.excel.imports import ImportRefused

    draft = Contract.objects.get(title="补充订单")
    PaymentInstalment.objects.create(contract=draft, seq=1, due_on=dt.date(2025, 5, 31), amount=Decimal("2800"))
    lines = ContractLine.objects.filter(pk__in=[pk for pk, _digest in imported.created_objects])
    with pytest.raises(ImportRefused, match="补充订单"):
        CONTRACT_IMPORT.revert_objects(lines, imported, people["sales"])
    assert not Contract.objects.filter(status=ContractStatus.CANCELLED).exists()
