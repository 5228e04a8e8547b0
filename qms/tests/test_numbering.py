"""Document numbers: gapless and unique per type and year under concurrency; formats edited in the admin."""
import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.urls import reverse

from qms.numbering import DocumentType, NumberCounter, UnknownDocumentType, next_number

SH = ZoneInfo("Asia/Shanghai")
IN_2026 = dt.date(2026, 5, 1)


def numbered(key, when=IN_2026, **kwargs):
    with transaction.atomic():
        return next_number(key, when, **kwargs)


def in_thread(target):
    """Run ``target`` on its own database connection, closed at the end of the thread."""
    result = {}

    def run():
        try:
            result["value"] = target()
        except Exception as error:  # noqa: BLE001 - handed to the test thread
            result["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.django_db
def test_an_unknown_type_without_a_default_prefix_is_refused():
    with pytest.raises(UnknownDocumentType, match="未定义的编号类型“ts”"):
        numbered("ts")
    assert not DocumentType.objects.exists()


@pytest.mark.django_db
def test_the_first_use_with_a_default_prefix_creates_the_type():
    assert numbered("ts", prefix_default="TS", name_default="技术规范") == "TS-2026-0001"
    assert numbered("ts", prefix_default="IGNORED") == "TS-2026-0002"
    doc_type = DocumentType.objects.get(key="ts")
    assert (doc_type.name, doc_type.prefix, doc_type.pattern) == ("技术规范", "TS", "{prefix}-{year}-{seq:04d}")


@pytest.mark.django_db
def test_a_new_year_restarts_at_0001_counted_in_shanghai_time():
    assert numbered("ts", dt.date(2026, 12, 31), prefix_default="TS") == "TS-2026-0001"
    assert numbered("ts", dt.date(2027, 1, 1)) == "TS-2027-0001"
    # 2026-12-31 16:30 UTC is 2027-01-01 00:30 in Shanghai.
    assert numbered("ts", dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)) == "TS-2027-0002"
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 59, tzinfo=SH), tick=False):
        assert numbered("ts", None) == "TS-2026-0002"
    assert dict(NumberCounter.objects.values_list("year", "last")) == {2026: 2, 2027: 2}


@pytest.mark.django_db
def test_a_format_edited_in_the_admin_is_used_by_the_next_number(client, people):
    assert numbered("capa", prefix_default="CAPA") == "CAPA-2026-0001"
    doc_type = DocumentType.objects.get(key="capa")
    client.force_login(people["admin"])
    url = reverse("admin:qms_documenttype_change", args=[doc_type.pk])
    response = client.post(url, {"name": "纠正和预防措施", "prefix": "CA", "pattern": "{prefix}{yy}-{seq:03d}"})
    assert response.status_code == 302
    assert numbered("capa") == "CA26-002"


@pytest.mark.django_db
@pytest.mark.parametrize("pattern, message", [
    ("{prefix}-{year}", "必须包含流水号 {seq}"),
    ("{prefix}-{seq:04d}", "必须包含年份 {year} 或 {yy}"),
    ("{prefix}-{year}-{seq:04d}-{dept}", "不能使用：{dept}"),
    ("{prefix}-{year}-{seq:04d", "编号格式有误"),
])
def test_the_admin_refuses_a_format_that_would_repeat_or_break_numbers(client, people, pattern, message):
    doc_type = DocumentType.objects.create(key="ts", name="技术规范", prefix="TS")
    client.force_login(people["admin"])
    response = client.post(reverse("admin:qms_documenttype_change", args=[doc_type.pk]),
                           {"name": "技术规范", "prefix": "TS", "pattern": pattern})
    assert response.status_code == 200
    assert message in response.content.decode()
    doc_type.refresh_from_db()
    assert doc_type.pattern == "{prefix}-{year}-{seq:04d}"


@pytest.mark.django_db
def test_counters_are_read_only_in_the_admin(client, people):
    numbered("ts", prefix_default="TS")
    counter = NumberCounter.objects.get()
    client.force_login(people["admin"])
    response = client.post(reverse("admin:qms_numbercounter_change", args=[counter.pk]),
                           {"document_type": counter.document_type_id, "year": 2026, "last": 0})
    assert response.status_code == 403
    assert NumberCounter.objects.get().last == 1
    listing = client.get(reverse("admin:qms_numbercounter_changelist")).content.decode()
    assert "TS-2026-0001" in listing


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_next_number_is_refused():
    DocumentType.objects.create(key="ts", name="技术规范", prefix="TS")
    with pytest.raises(TransactionManagementError):
        next_number("ts", IN_2026)
    assert not NumberCounter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_transactions_get_0001_to_0020_without_gap_or_duplicate():
    start = threading.Barrier(20)

    def take():
        start.wait()
        with transaction.atomic():
            number = next_number("ts", IN_2026, prefix_default="TS")
            time.sleep(0.01)  # hold the lock a moment, as saving the record would
            return number

    runs = [in_thread(take) for _ in range(20)]
    for thread, _result in runs:
        thread.join(timeout=60)
    assert [result.get("error") for _thread, result in runs] == [None] * 20
    assert sorted(result["value"] for _thread, result in runs) == [f"TS-2026-{n:04d}" for n in range(1, 21)]
    assert DocumentType.objects.filter(key="ts").count() == 1
    assert NumberCounter.objects.get().last == 20


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_gives_its_number_back():
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        assert next_number("ts", IN_2026, prefix_default="TS") == "TS-2026-0001"
        raise Abandoned
    assert numbered("ts", prefix_default="TS") == "TS-2026-0001"


@pytest.mark.django_db(transaction=True)
def test_a_waiting_transaction_takes_the_number_another_one_rolled_back():
    numbered("ts", prefix_default="TS")
    holding, release = threading.Event(), threading.Event()

    def take_then_roll_back():
        with transaction.atomic():
            number = next_number("ts", IN_2026)
            holding.set()
            release.wait(timeout=30)
            transaction.set_rollback(True)
            return number

    first, first_result = in_thread(take_then_roll_back)
    assert holding.wait(timeout=30)
    second, second_result = in_thread(lambda: numbered("ts"))
    time.sleep(0.3)
    assert second.is_alive(), "the second transaction must wait for the counter's row lock"
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert first_result == {"value": "TS-2026-0002"}
    assert second_result == {"value": "TS-2026-0002"}
    assert NumberCounter.objects.get().last == 2


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["admin:qms_documenttype_changelist", "admin:qms_documenttype_add"])
def test_the_numbering_admin_pages_open_with_an_example_number(client, people, url_name):
    numbered("ts", prefix_default="TS", name_default="技术规范")
    client.force_login(people["admin"])
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "示例编号" in response.content.decode()
