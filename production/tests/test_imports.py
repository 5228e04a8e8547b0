"""Process cards import from Excel, one row per operation."""
import pytest

from production.models import ProcessCard
from production.tests import factories
from qms.excel.models import ImportBatch
from qms.tests.cases import post_import, workbook
from django.urls import reverse

pytestmark = pytest.mark.django_db

HEADERS = ["工艺卡编号", "产品名称", "规格型号", "版本", "工序号", "工序名称", "工作中心", "首件检验", "巡检", "完工检验"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_process_cards_import_with_their_ordered_operations_and_inspections(people, login):
    factories.card(code="GY-OLD")  # operations 10 下料, 20 组装
    client = login(people["engineering"])
    rows = [
        ["GY-100", "一次性使用注射器", "5ml", None, 20, "组装", "装配线 2", "否", "是", "是"],
        ["GY-100", "一次性使用注射器", "5ml", None, 10, "注塑", "注塑车间", "是", "是", "否"],
        ["GY-OLD", "一次性使用输液器", None, None, 10, "重复", None, "否", "否", "否"],
        ["GY-OLD", "别的产品", None, None, 30, "包装", None, "否", "否", "否"],
        ["GY-100", "一次性使用注射器", "5ml", None, 10, "重复行", None, "否", "否", "否"],
    ]
    post_import(client, "production_process_cards", workbook(rows, headers=HEADERS), "工艺卡.xlsx")
    batch = ImportBatch.objects.latest("id")
    messages = {(e["row"], e["message"]) for e in batch.errors}
    assert (4, "工艺卡 GY-OLD 已有工序号 10。") in messages
    assert (5, "工艺卡 GY-OLD 的产品为“一次性使用输液器”。") in messages
    assert any(row == 6 and "与第 3 行重复" in message for row, message in messages)
    client.post(reverse("qms:import_commit", args=[batch.pk]), {"good_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.status == "imported", batch.errors
    card = ProcessCard.objects.get(code="GY-100")
    assert (card.product, card.specification, card.revision) == ("一次性使用注射器", "5ml", "A/0")
    assert [(s.sequence, s.name, s.first_piece, s.patrol, s.final) for s in card.steps.order_by("sequence")] == [
        (10, "注塑", True, True, False), (20, "组装", False, True, True)]


def test_sales_may_not_import_process_cards(people, login):
    assert post_import(login(people["sales"]), "production_process_cards", workbook([], headers=HEADERS)
                       ).status_code == 403
