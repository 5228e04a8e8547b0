"""The property structure: resident ID checksum, the unit import from Excel, unit pages with their history."""
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qms.excel.models import ImportBatch
from qms.tests.cases import post_import, workbook
from renovation.models import Unit
from renovation.tests import factories
from renovation.validators import validate_resident_id

pytestmark = pytest.mark.django_db

HEADERS = ["项目", "楼栋", "房号", "用途", "建筑面积", "大型商铺/娱乐场所", "业主姓名", "业主电话", "业主身份证号",
           "租户姓名", "租户电话", "租户身份证号", "备注"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("value,message", [
    ("11010519491231002X", None), ("11010519491231002x", None), ("440524188001010014", None),
    ("110105194912310021", "校验位不正确"), ("11010519491331002X", "出生日期无效"), ("1101051949123100", "应为 18 位"),
])
def test_resident_id_checksum(value, message):
    if message is None:
        validate_resident_id(value.upper())
    else:
        with pytest.raises(ValidationError, match=message):
            validate_resident_id(value)


def upload(client, rows):
    return post_import(client, "renovation_units", workbook(rows, headers=HEADERS), "房号.xlsx")


def test_units_with_owners_and_tenants_import_from_excel(people, login):
    client = login(people["propassistant"])
    rows = [
        ["阳光花园", "1栋", "101", "住宅", 89.5, "否", "陈美玲", 13800138001, "11010519491231002X", None, None, None, None],
        ["阳光花园", "1栋", "102", "住宅", None, "否", "王建国", 13800138002, None, "钱小明", 13700137000, None, "出租"],
        ["阳光花园", "商业街", "S-01", "商铺", 320, "是", "冯记餐饮有限公司", "0755-86001234", None, None, None, None, None],
        ["阳光花园", "1栋", "103", "住宅", None, "否", "李晓峰", 13800138003, "110105194912310021", None, None, None, None],
        ["阳光花园", "1栋", "101", "住宅", None, "否", "重复", None, None, None, None, None, None],
    ]
    upload(client, rows)
    batch = ImportBatch.objects.latest("id")
    errors = [(e["row"], e["column"], e["message"]) for e in batch.errors]
    assert (5, "业主身份证号", "身份证号校验位不正确，请核对。") in errors
    assert any(row == 6 and "与第 2 行重复" in message for row, _column, message in errors)
    client.post(reverse("qms:import_commit", args=[batch.pk]), {"good_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.status == "imported", batch.errors
    units = {u.number: u for u in Unit.objects.select_related("building__project")}
    assert sorted(units) == ["101", "102", "S-01"]
    assert units["102"].tenant_name == "钱小明" and units["102"].tenant_phone == "13700137000"
    assert units["S-01"].is_large_commercial and units["S-01"].building.name == "商业街"
    assert units["101"].building_id == units["102"].building_id


def test_an_existing_unit_is_an_error_of_its_row(people, login):
    factories.unit("101")
    client = login(people["propassistant"])
    upload(client, [["阳光花园", "1栋", "101", "住宅", None, "否", "陈美玲", None, None, None, None, None, None]])
    batch = ImportBatch.objects.latest("id")
    assert [e["message"] for e in batch.errors] == ["房号已存在：阳光花园 1栋 101"]


def test_security_may_not_import_units(people, login):
    response = upload(login(people["security"]), [])
    assert response.status_code == 403


def test_a_unit_shows_its_owner_and_renovation_history(people, login):
    unit = factories.unit("101", tenant_name="钱小明", tenant_phone="13700137000")
    first = factories.submit(people, unit)
    from qms.workflow import perform
    from renovation.models import ApplicationStatus as S

    perform(first, S.CANCELLED, people["propassistant"], reason="业主暂缓")
    second = factories.submit(people, unit)
    client = login(people["propmanager"])
    page = client.get(unit.get_absolute_url()).content.decode()
    assert "陈美玲" in page and "钱小明" in page
    history = client.get(unit.get_absolute_url() + "?tab=renovations").content.decode()
    assert first.number in history and second.number in history and "已撤销" in history
    listing = client.get(reverse("renovation:units")).content.decode()
    assert "陈美玲" in listing
    assert login(people["sales"]).get(unit.get_absolute_url()).status_code == 404


def test_the_demo_seeder_covers_each_state(people):
    from renovation.demo import seed
    from renovation.models import Application, ApplicationStatus

    seed(people, io.StringIO())
    states = set(Application.objects.values_list("status", flat=True))
    assert states == set(ApplicationStatus.values)
    seed(people, io.StringIO())  # idempotent
    assert Application.objects.count() == 18
