"""The customer import (PROCEDURES.md §1 导入): template, validation by the page's rules, duplicates, commit
with primary contacts and ownership changes, revert into the recycle bin."""
import io

import openpyxl
import pytest
from django.urls import reverse

from customers.models import (Contact, Customer, CustomerOption, OptionKind, OwnershipChange, OwnershipKind,
                              Region)
from customers.services.records import save_customer
from customers.tests.factories import make_customer
from qms import audit
from qms.excel.models import ImportBatch
from qms.tests.cases import post_import, workbook

pytestmark = pytest.mark.django_db

HEADERS = ["客户名称", "客户行业", "客户信息来源", "公司性质", "年营业额", "员工数", "评分", "客户等级", "客户状态",
           "邮编", "省份", "城市", "详细地址", "公司电话", "网址", "建立合作日期", "负责人", "放入客户池",
           "联系人姓名", "称呼", "职务", "手机", "邮箱", "QQ"]


def row(**cells):
    values = {header: None for header in HEADERS}
    values.update(cells)
    return [values[header] for header in HEADERS]


GOOD = [
    row(客户名称="杭州西湖精密仪器有限公司", 客户行业="制造业", 客户信息来源="展会", 公司性质="民营", 评分="三星",
        客户状态="意向客户", 邮编="310000", 省份="浙江省", 城市="杭州市", 详细地址="文三路 1 号", 负责人="sales2",
        联系人姓名="周明", 称呼="周经理", 职务="采购经理", 手机=13812345678, 邮箱="zhou@example.com", QQ=123456),
    row(客户名称="北京朝阳医疗器械贸易有限公司", 客户行业="其他", 公司性质="其他", 省份="北京市", 城市="朝阳区",
        负责人="钱销售"),
    row(客户名称="深圳南山电子商务有限公司", 客户行业="电子商务", 放入客户池="是", 联系人姓名="吴芳"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def xlsx(rows, headers=HEADERS) -> bytes:
    return workbook(rows, headers=headers, sheet="客户")


def upload(client, content: bytes):
    return post_import(client, "customers", content, "客户.xlsx")


def latest_batch() -> ImportBatch:
    return ImportBatch.objects.latest("id")


def errors_of(batch) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


@pytest.fixture
def manager(people, login):
    """The sales manager: may import, and give customers to the sales department's people."""
    return login(people["sales"])


@pytest.fixture
def imported(people, manager):
    upload(manager, xlsx(GOOD))
    batch = latest_batch()
    manager.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "imported", batch.errors
    return batch


# --- template -------------------------------------------------------------------------------------------
def test_the_template_has_the_chinese_headers_and_drop_downs_for_the_option_columns(people, manager):
    response = manager.get(reverse("qms:import_template", args=["customers"]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["客户"]
    assert [c.value for c in sheet[1]] == HEADERS
    letter = {header: openpyxl.utils.get_column_letter(i) for i, header in enumerate(HEADERS, 1)}
    validations = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}

    def options(header):
        formula = validations[f"{letter[header]}2"].formula1
        if formula.startswith('"'):
            return formula.strip('"').split(",")
        column = formula.split("!")[1].split(":")[0].replace("$", "")[0]
        return [c.value for c in workbook["选项"][column][1:] if c.value]

    for header, kind in [("客户行业", OptionKind.INDUSTRY), ("客户信息来源", OptionKind.SOURCE),
                         ("公司性质", OptionKind.NATURE), ("年营业额", OptionKind.REVENUE),
                         ("员工数", OptionKind.EMPLOYEES), ("客户状态", OptionKind.STATUS)]:
        # each list offers its own entries only (其他 is in several lists)
        assert options(header) == list(CustomerOption.objects.filter(kind=kind, is_active=True)
                                       .order_by("order", "id").values_list("label", flat=True)), header
    assert options("评分") == ["一星", "二星", "三星"]
    assert options("客户等级") == ["A 类", "B 类", "C 类"]
    provinces = options("省份")
    assert provinces == list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")
                             .values_list("name", flat=True))
    assert "浙江省" in provinces and "杭州市" not in provinces
    assert f"{letter['城市']}2" not in validations  # free text, checked against the province
    notes = {r[0]: r for r in workbook["说明"].iter_rows(values_only=True) if r[0] in HEADERS}
    assert notes["客户名称"][1] == "必填" and notes["手机"][1] == "选填"


def test_only_sales_managers_service_gm_and_mr_may_import(people, login):
    for code in ("sales", "service", "gm", "mr", "admin"):
        assert login(people[code]).get(reverse("qms:import_start", args=["customers"])).status_code == 200, code
    for code in ("sales2", "quality"):
        assert login(people[code]).get(reverse("qms:import_start", args=["customers"])).status_code == 403, code


# --- validation -----------------------------------------------------------------------------------------
def test_every_bad_row_is_reported_with_its_column_and_reason_and_nothing_is_imported(people, manager):
    make_customer(people["sales2"], name="上海浦东精密机械有限公司")
    rows = [
        GOOD[0],
        row(客户名称=None, 详细地址="无名路 1 号"),                                   # row 3
        row(客户名称="南京玄武科技有限公司", 邮编="21000"),                             # row 4
        row(客户名称="苏州工业园区贸易有限公司", 联系人姓名="陈", 手机="12345678901"),   # row 5
        row(客户名称="广州天河商贸有限公司", 省份="浙江省", 城市="天河区"),              # row 6
        row(客户名称="上海浦东精密机械"),                                             # row 7: 有限公司 ignored
        row(客户名称="杭州西湖精密仪器有限公司"),                                      # row 8: = row 2
        row(客户名称="成都武侯贸易有限公司", 联系人姓名="李", QQ="qq123", 邮箱="li@"),   # row 9
    ]
    response = upload(manager, xlsx(rows))
    batch = latest_batch()
    assert response["Location"] == batch.get_absolute_url()
    assert (batch.status, batch.total_rows, batch.valid_rows, batch.error_rows) == ("preview", 8, 1, 7)
    errors = errors_of(batch)
    assert errors[0][:3] == (3, "客户名称", "请填写客户名")
    assert errors[1:] == [
        (4, "邮编", "邮编应为 6 位数字。"),
        (5, "手机", "请输入有效的中国大陆手机号码（11 位数字）。"),
        (6, "城市", "所选城市不属于浙江省。"),
        (7, "客户名称", "与已有客户重复：上海浦东精密机械有限公司（负责人 钱销售）"),
        (8, "客户名称", "与第 2 行重复"),
        (9, "邮箱", "请输入有效的邮箱地址。"),
        (9, "QQ", "QQ 号只能是数字，最多 20 位。"),
    ]
    response = manager.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "有 7 行有错误" in response.content.decode()
    assert list(Customer.all_objects.values_list("name", flat=True)) == ["上海浦东精密机械有限公司"]


def test_an_owner_must_be_someone_the_importer_may_give_customers_to(people, manager):
    upload(manager, xlsx([row(客户名称="无锡滨湖贸易有限公司", 负责人="陈品质"),
                          row(客户名称="常州武进贸易有限公司", 负责人="nobody")]))
    assert errors_of(latest_batch()) == [
        (2, "负责人", "“陈品质”不是您可以指定的负责人（请填写账号或姓名）。"),
        (3, "负责人", "“nobody”不是您可以指定的负责人（请填写账号或姓名）。"),
    ]


def test_a_grade_is_refused_to_an_importer_who_may_not_confirm_grades(people, login):
    client = login(people["service"])
    upload(client, xlsx([row(客户名称="无锡滨湖贸易有限公司", 客户等级="A 类"),
                         row(客户名称="常州武进贸易有限公司", 客户等级="C 类")]))
    batch = latest_batch()
    assert errors_of(batch) == [(2, "客户等级", "您没有确定客户等级的权限：请留空，新客户为 C 类，由等级评定确定。")]
    assert batch.valid_rows == 1


# --- commit ---------------------------------------------------------------------------------------------
def test_a_clean_workbook_imports_customers_with_primary_contacts_and_ownership_changes(people, manager, imported):
    assert imported.created_count == 3
    hangzhou = Customer.objects.select_related("industry", "province", "city", "owner").get(name="杭州西湖精密仪器有限公司")
    assert (hangzhou.industry.label, hangzhou.province.name, hangzhou.city.name, hangzhou.postcode, hangzhou.rating,
            hangzhou.grade, hangzhou.owner) == ("制造业", "浙江省", "杭州市", "310000", 3, "C", people["sales2"])
    assert hangzhou.name_key and hangzhou.name_initials  # search keys kept by the create service
    contact = hangzhou.contacts.get()
    assert (contact.name, contact.salutation, contact.position, contact.mobile, contact.email, contact.qq,
            contact.is_primary) == ("周明", "周经理", "采购经理", "13812345678", "zhou@example.com", "123456", True)
    beijing = Customer.objects.get(name="北京朝阳医疗器械贸易有限公司")
    assert (beijing.industry.kind, beijing.nature.kind, beijing.city.name, beijing.owner) == (
        OptionKind.INDUSTRY, OptionKind.NATURE, "朝阳区", people["sales2"])
    assert not beijing.contacts.exists()
    pool = Customer.objects.get(name="深圳南山电子商务有限公司")
    assert pool.owner is None and pool.pool_entered_at and pool.contacts.get().is_primary

    changes = {c.customer.name: (c.kind, c.to_owner, c.by) for c in OwnershipChange.objects.select_related("customer")}
    assert changes == {
        "杭州西湖精密仪器有限公司": (OwnershipKind.CREATED, people["sales2"], people["sales"]),
        "北京朝阳医疗器械贸易有限公司": (OwnershipKind.CREATED, people["sales2"], people["sales"]),
        "深圳南山电子商务有限公司": (OwnershipKind.RELEASED, None, people["sales"]),
    }
    history = audit.history_for(hangzhou)
    assert any(r["reason"] == f"导入客户（批次 #{imported.pk}）" for r in history)


def test_an_empty_owner_makes_the_importer_the_owner(people, manager):
    upload(manager, xlsx([row(客户名称="无锡滨湖贸易有限公司")]))
    manager.post(reverse("qms:import_commit", args=[latest_batch().pk]))
    assert Customer.objects.get().owner == people["sales"]


# --- revert ---------------------------------------------------------------------------------------------
def test_an_untouched_import_is_reverted_into_the_recycle_bin(people, manager, imported):
    response = manager.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    imported.refresh_from_db()
    assert imported.status == "reverted", response.content.decode()
    assert not Customer.objects.exists()
    binned = Customer.all_objects.all()
    assert {(c.deleted_by, c.delete_reason) for c in binned} == {(people["sales"], f"撤销导入 #{imported.pk}")}
    assert OwnershipChange.objects.count() == 3 and Contact.objects.count() == 2  # kept: append-only trail
    # the same file may be imported again: reverted customers are no duplicates
    upload(manager, xlsx(GOOD))
    assert latest_batch().error_rows == 0


def test_the_revert_service_bins_the_customers_of_the_batch(people, imported):
    """What revert_batch calls once its reference check lets a non-deleting revert through."""
    from customers.imports import CUSTOMER_IMPORT

    ids = [pk for pk, _digest in imported.created_objects]
    CUSTOMER_IMPORT.revert_objects(Customer.objects.filter(pk__in=ids), imported, people["sales"])
    assert not Customer.objects.exists()
    reason = f"撤销导入 #{imported.pk}"
    assert set(Customer.all_objects.values_list("delete_reason", "deleted_by")) == {(reason, people["sales"].pk)}
    assert any(r["reason"] == reason and r["field"] == "删除时间"
               for r in audit.history_for(Customer.all_objects.get(name="深圳南山电子商务有限公司")))


def test_the_revert_service_refuses_customers_worked_on_since(people, imported):
    from customers.imports import CUSTOMER_IMPORT
    from customers.services.records import record_business
    from qms.excel.imports import ImportRefused

    customer = Customer.objects.get(name="北京朝阳医疗器械贸易有限公司")
    record_business(customer, by=people["sales2"], occurred_on=customer.created_at.date(), amount=100)
    ids = [pk for pk, _digest in imported.created_objects]
    with pytest.raises(ImportRefused, match="北京朝阳医疗器械贸易有限公司"):
        CUSTOMER_IMPORT.revert_objects(Customer.objects.filter(pk__in=ids), imported, people["sales"])
    assert Customer.objects.count() == 3


def test_revert_is_refused_after_an_imported_customer_was_edited(people, manager, imported):
    customer = Customer.objects.get(name="杭州西湖精密仪器有限公司")
    customer.address = "文三路 2 号"
    save_customer(customer, by=people["sales2"])
    response = manager.post(reverse("qms:import_revert", args=[imported.pk]), follow=True)
    assert "以下记录在导入后已被修改，不能撤销：杭州西湖精密仪器有限公司" in response.content.decode()
    imported.refresh_from_db()
    assert imported.status == "imported" and Customer.objects.count() == 3


def test_near_duplicates_inside_the_file_are_caught_when_committing_and_nothing_is_imported(people, manager):
    upload(manager, xlsx([row(客户名称="无锡滨湖贸易有限公司"), row(客户名称="无锡 滨湖贸易")]))
    batch = latest_batch()
    assert batch.error_rows == 0  # the preview compares the cells as typed
    response = manager.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert batch.status == "preview" and "未导入任何行" in response.content.decode()
    assert errors_of(batch) == [(3, "客户名称", "与已有客户重复：无锡滨湖贸易有限公司（负责人 张销售）")]
    assert not Customer.all_objects.exists() and not OwnershipChange.objects.exists()


def test_rows_saved_in_chunks_keep_their_contacts_owners_and_the_in_file_duplicate_check(people, manager, monkeypatch):
    # Rows are saved BULK_ROWS at a time; a row whose name repeats one still waiting in a chunk makes the chunk
    # save first, so that the duplicate is found as when every row was saved on its own.
    monkeypatch.setattr("qms.excel.imports.BULK_ROWS", 2)
    upload(manager, xlsx(GOOD + [row(客户名称="苏州工业园区医疗科技有限公司", 联系人姓名="郑洁", 手机=13900001111)]))
    manager.post(reverse("qms:import_commit", args=[latest_batch().pk]))
    batch = latest_batch()
    assert batch.status == "imported" and batch.created_count == 4
    created = [pk for pk, _digest in batch.created_objects]
    names = [Customer.objects.get(pk=pk).name for pk in created]  # in row order
    assert names == ["杭州西湖精密仪器有限公司", "北京朝阳医疗器械贸易有限公司", "深圳南山电子商务有限公司",
                     "苏州工业园区医疗科技有限公司"]
    suzhou = Customer.objects.get(name="苏州工业园区医疗科技有限公司")
    assert suzhou.contacts.get().mobile == "13900001111" and suzhou.owner == people["sales"]
    assert OwnershipChange.objects.count() == 4

    upload(manager, xlsx([row(客户名称="常州天宁贸易有限公司"), row(客户名称="常州 天宁贸易"),
                          row(客户名称="镇江润州贸易有限公司")]))
    response = manager.post(reverse("qms:import_commit", args=[latest_batch().pk]), follow=True)
    batch = latest_batch()
    assert batch.status == "preview" and "未导入任何行" in response.content.decode()
    assert errors_of(batch) == [(3, "客户名称", "与已有客户重复：常州天宁贸易有限公司（负责人 张销售）")]
    assert not Customer.objects.filter(name__in=["常州天宁贸易有限公司", "镇江润州贸易有限公司"]).exists()


# --- what the commit checks again ------------------------------------------------------------------------
# The commit does not run every row's form again: it saves what the validation found good, after checking in
# sets (one query per look-up for each chunk) what may have changed since the preview.
def test_an_option_made_inactive_after_the_preview_refuses_its_rows_at_the_commit(people, manager):
    upload(manager, xlsx(GOOD))
    batch = latest_batch()
    assert batch.error_rows == 0
    CustomerOption.objects.filter(kind=OptionKind.INDUSTRY, label="制造业").update(is_active=False)
    response = manager.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert batch.status == "preview" and "未导入任何行" in response.content.decode()
    assert errors_of(batch) == [(2, "客户行业", "“制造业”不是可选的值，请从下拉列表中选择。")]
    assert not Customer.all_objects.exists()

    manager.post(reverse("qms:import_commit", args=[batch.pk]), {"good_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 2
    assert errors_of(batch) == [(2, "客户行业", "“制造业”不是可选的值，请从下拉列表中选择。")]  # reported once
    assert set(Customer.objects.values_list("name", flat=True)) == {"北京朝阳医疗器械贸易有限公司", "深圳南山电子商务有限公司"}


def test_a_name_saved_by_someone_else_after_the_preview_is_a_duplicate_at_the_commit(people, manager):
    upload(manager, xlsx(GOOD))
    batch = latest_batch()
    make_customer(people["sales2"], name="北京朝阳医疗器械贸易")  # the same name but for 有限公司, typed meanwhile
    manager.post(reverse("qms:import_commit", args=[batch.pk]), {"good_rows_only": "1"})
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 2
    assert errors_of(batch) == [(3, "客户名称", "与已有客户重复：北京朝阳医疗器械贸易（负责人 钱销售）")]


def test_an_owner_who_left_after_the_preview_is_refused_at_the_commit(people, manager):
    upload(manager, xlsx(GOOD))
    batch = latest_batch()
    type(people["sales2"]).objects.filter(pk=people["sales2"].pk).update(is_active=False)
    manager.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "preview"
    assert errors_of(batch) == [(2, "负责人", "“sales2”不是您可以指定的负责人（请填写账号或姓名）。"),
                                (3, "负责人", "“钱销售”不是您可以指定的负责人（请填写账号或姓名）。")]
    assert not Customer.all_objects.exists()


def test_the_commit_asks_the_database_per_chunk_not_per_row(people, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def commit_queries(rows) -> int:
        upload(manager, xlsx(rows))
        with CaptureQueriesContext(connection) as queries:
            manager.post(reverse("qms:import_commit", args=[latest_batch().pk]))
        assert latest_batch().status == "imported"
        return len(queries)

    few = commit_queries([row(客户名称=f"无锡第{i}贸易有限公司", 客户行业="制造业", 负责人="sales2", 联系人姓名="周明")
                          for i in range(2)])
    many = commit_queries([row(客户名称=f"常州第{i}贸易有限公司", 客户行业="制造业", 负责人="sales2", 联系人姓名="周明")
                           for i in range(12)])
    assert many == few


def test_the_validation_asks_the_database_per_pass_not_per_row(people, manager):
    # the options, the province and the owner of every row come from what the pass loaded: the model's check that
    # each exists is left out (CustomerImportForm.extra_validation_exclusions), also in the row copies' plan
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def upload_queries(rows) -> int:
        with CaptureQueriesContext(connection) as queries:
            upload(manager, xlsx(rows))
        assert latest_batch().status == "preview" and latest_batch().valid_rows == len(rows)
        return len(queries)

    def rows(prefix: str, count: int) -> list:
        return [row(客户名称=f"{prefix}第{i}贸易有限公司", 客户行业="制造业", 客户状态="意向客户", 省份="浙江省",
                    城市="杭州市", 负责人="sales2", 联系人姓名="周明") for i in range(count)]

    upload_queries(rows("泰州", 2))  # the first upload loads what later ones find cached (permissions, the menu)
    assert upload_queries(rows("扬州", 12)) == upload_queries(rows("镇江", 2))


def test_a_chunk_the_database_refuses_is_saved_row_by_row_to_find_the_row(people, manager, monkeypatch):
    from django.core.exceptions import ValidationError

    upload(manager, xlsx(GOOD))
    batch = latest_batch()

    def refused(*args, **kwargs):  # as when another save of one of the names came first
        raise ValidationError({"name": "已有同名客户"})
    monkeypatch.setattr("customers.imports.create_customers", refused)
    manager.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 3  # saved one by one instead
    assert [Customer.objects.get(pk=pk).name for pk, _digest in batch.created_objects] == [
        "杭州西湖精密仪器有限公司", "北京朝阳医疗器械贸易有限公司", "深圳南山电子商务有限公司"]


def test_a_batch_without_kept_rows_is_committed_by_checking_every_row_again(people, manager):
    upload(manager, xlsx(GOOD))
    batch = latest_batch()
    kept = batch.file.name + ".kept.gz"
    assert batch.file.storage.exists(kept)
    batch.file.storage.delete(kept)  # validated before the kept rows existed
    manager.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.created_count == 3
    assert not batch.file.storage.exists(batch.file.name + ".rows.gz")
