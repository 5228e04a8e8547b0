"""Task orders, route cards and the conforming-only rule (issue 18, seeds 001 and 003)."""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from qms import blocks, workflow
from qms.refusals import Refused
from qms.signatures import Signature
from qms.tests.cases import count_queries
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused
from production.models import InspectionStatus as I, LotOperation, LotStatus, TaskOrder, TaskOrderStatus as S
from production.services import holds, lots
from production.tests import factories
from production.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


# --- the task order ------------------------------------------------------------------------------------------------
def test_task_order_numbers_are_gapless_and_a_refused_order_takes_no_number(people):
    first = factories.order(people)
    spent = factories.card(code="GY-OFF")
    spent.is_active = False
    spent.save()
    with pytest.raises(Refused, match="已失效"):
        factories.order(people, process_card=spent)
    second = factories.order(people)
    year = timezone.localdate().year
    prefix, first_year, first_seq = first.number.split("-")
    assert (prefix, int(first_year)) == ("SC", year)
    assert second.number == f"SC-{year}-{int(first_seq) + 1:0{len(first_seq)}d}"


def test_releasing_opens_the_route_card_with_the_process_cards_operations(people):
    order = factories.order(people, quantity=250)
    assert order.lots.count() == 0
    workflow.perform(order, S.RELEASED, people["pmc"], password=PASSWORD)
    lot = order.lots.get()
    assert lot.number == f"{order.number}-01"
    assert lot.quantity == 250
    assert [(op.sequence, op.name, op.inspection_status) for op in lot.operations.all()] == [
        (10, "下料", I.PENDING), (20, "组装", I.PENDING)]
    assert lot.current.sequence == 10
    assert Signature.objects.filter(object_id=order.pk, signer=people["pmc"], meaning="approval").exists()


def test_only_pmc_releases_a_task_order_with_the_password(people):
    order = factories.order(people)
    with pytest.raises(TransitionRefused, match="没有权限"):
        workflow.perform(order, S.RELEASED, people["production"], password=PASSWORD)
    with pytest.raises(Refused, match="密码错误"):
        workflow.perform(order, S.RELEASED, people["pmc"], password="wrong")
    assert order.lots.count() == 0


def test_a_contract_hold_refuses_the_release_with_its_reason(people, monkeypatch):
    """The core's hold registry answers through ``contract_holds``; the release is refused with the reason."""
    order = factories.contract_order(people)
    held = order.contract_id
    monkeypatch.setattr(blocks, "holds", lambda label, pk, purpose: (
        ["特殊要求“无菌包装”尚未落实"] if (label, pk, purpose) == ("customers.Contract", held, "production") else []),
        raising=False)
    with pytest.raises(TransitionRefused, match="特殊要求“无菌包装”尚未落实"):
        workflow.perform(order, S.RELEASED, people["pmc"], password=PASSWORD)
    assert order.lots.count() == 0
    monkeypatch.setattr(blocks, "holds", lambda label, pk, purpose: [], raising=False)
    workflow.perform(order, S.RELEASED, people["pmc"], password=PASSWORD)


def test_a_hold_registered_in_the_core_holds_the_release(people, monkeypatch):
    register_hold = getattr(blocks, "register_hold", None)
    if register_hold is None or getattr(blocks, "holds", None) is None:
        pytest.skip("qms.blocks.register_hold is not on this branch yet")
    monkeypatch.setattr(blocks, "_holds", list(blocks._holds))  # the test's hold goes with the test
    order = factories.contract_order(people)
    held = order.contract_id
    register_hold(subject="customers.Contract", activities=("production",),
                  reason=lambda pk, activity: ["变更单未关闭"] if pk == held else [])
    assert holds.contract_holds(held) == ["变更单未关闭"]
    with pytest.raises(TransitionRefused, match="变更单未关闭"):
        workflow.perform(order, S.RELEASED, people["pmc"], password=PASSWORD)


def test_contract_holds_is_empty_without_a_contract_or_a_registry(monkeypatch):
    monkeypatch.delattr(blocks, "holds", raising=False)
    assert holds.contract_holds(1) == []
    assert holds.contract_holds(None) == []


# --- the lot and its inspection status -------------------------------------------------------------------------
def test_a_nonconforming_lot_is_refused_moving_on_with_the_reason(people, client):
    lot = factories.lot(people)
    factories.inspect(people, lot, I.NONCONFORMING, note="毛刺超标")
    # into the isolation area (production/tests/test_isolation.py): moving it on is refused with why
    with pytest.raises(TransitionRefused, match="在隔离区.*只有合格或让步接收的产品才能转入下道工序或入库"):
        lots.move_on(lot, people["production"])
    # the same refusal through the shared move page, nothing moved
    client.force_login(people["production"])
    ct = ContentType.objects.get_for_model(lot)
    response = client.post(reverse("qms:move", args=[ct.pk, lot.pk, LotStatus.IN_STOCK]),
                           {"expected_from": LotStatus.ISOLATED}, follow=True)
    assert "只有合格或让步接收的产品才能转入下道工序或入库" in response.content.decode()
    lot.refresh_from_db()
    assert lot.current.sequence == 10


def test_a_pending_lot_cannot_go_on_and_the_detail_page_says_why(people, client):
    lot = factories.lot(people)
    client.force_login(people["production"])
    page = client.get(lot.get_absolute_url()).content.decode()
    assert "检验状态为待检" in page


def test_an_undetermined_lot_must_be_reinspected_before_it_moves(people):
    from production.services import isolation

    lot = factories.lot(people)
    factories.inspect(people, lot, I.UNDETERMINED)
    with pytest.raises(TransitionRefused, match="在隔离区"):
        lots.move_on(lot, people["production"])
    # undetermined product is isolated: reviewed, sorted and re-inspected there (seed 004)
    entry = lot.isolation_entries.get()
    isolation.review(entry, people["engineering"], disposition="rework", instruction="全数复测尺寸",
                     password=PASSWORD)
    isolation.complete_rework(entry, people["production"], rework_note="已全数复测")
    isolation.reinspect(entry, people["quality"], result=I.CONFORMING, note="复检合格", password=PASSWORD)
    lot.refresh_from_db()
    lots.move_on(lot, people["production"])
    lot.refresh_from_db()
    assert lot.current.sequence == 20
    assert lot.operations.get(sequence=10).inspections.count() == 2


def test_a_concession_lot_moves_on_and_into_stock_with_who_granted_it(people, client):
    lot = factories.lot(people)
    with pytest.raises(Refused, match="让步接收须填写批准人和让步理由"):
        factories.inspect(people, lot, I.CONCESSION)
    factories.inspect(people, lot, I.CONCESSION, concession_by="总经理 王总", concession_reason="外观轻微划痕")
    lots.move_on(lot, people["production"])
    lot.refresh_from_db()
    with pytest.raises(TransitionRefused, match="还有后续工序|检验状态为待检"):
        workflow.perform(lot, LotStatus.IN_STOCK, people["production"])
    factories.inspect(people, lot, I.CONFORMING)
    lots.move_on(lot, people["production"])
    lot.refresh_from_db()
    assert lot.status == LotStatus.IN_STOCK and lot.current is None
    first = lot.operations.get(sequence=10)
    assert (first.inspection_status, first.concession_by, first.concession_reason) == (
        I.CONCESSION, "总经理 王总", "外观轻微划痕")
    client.force_login(people["quality"])
    text = "".join(pdf_text(client.get(reverse("production:lot_pdf", args=[lot.pk])).content, layout=False).split())
    for expected in ("路线跟踪卡", lot.number, "让步接收", "总经理王总", "外观轻微划痕", "下料", "组装"):
        assert expected in text


def test_a_contract_hold_also_holds_the_lots_move(people, monkeypatch):
    lot = factories.contract_order(people, status=S.IN_PRODUCTION).lots.get()
    factories.inspect(people, lot, I.CONFORMING)
    held = lot.task_order.contract_id
    monkeypatch.setattr(blocks, "holds", lambda label, pk, purpose: ["工程变更 BG-7 未关闭"] if pk == held else [],
                        raising=False)
    with pytest.raises(TransitionRefused, match="工程变更 BG-7 未关闭"):
        lots.move_on(lot, people["production"])


def test_only_an_inspector_sets_the_inspection_status_and_it_is_signed_and_audited(people, login):
    lot = factories.lot(people)
    operation = lot.current
    with pytest.raises(Refused, match="只能由品质部检验员"):
        lots.record_inspection(operation, people["production"], kind="first_piece", result=I.CONFORMING,
                               password=PASSWORD)
    with pytest.raises(Refused, match="密码错误"):
        lots.record_inspection(operation, people["quality"], kind="first_piece", result=I.CONFORMING,
                               password="wrong")
    client = login(people["production"])
    url = reverse("production:operation_inspect", args=[operation.pk])
    assert client.get(url).status_code == 403
    client = login(people["quality"])
    response = client.post(url, {"kind": "first_piece", "result": I.CONFORMING, "note": "首件合格",
                                 "password": PASSWORD})
    assert response.status_code == 302
    operation.refresh_from_db()
    assert (operation.inspection_status, operation.inspected_by) == (I.CONFORMING, people["quality"])
    assert Signature.objects.filter(object_id=operation.pk, signer=people["quality"]).exists()
    events = LotOperation.pgh_event_model.objects.filter(pgh_obj_id=operation.pk, inspection_status=I.CONFORMING)
    assert events.exists()


def test_the_operation_records_work_material_and_three_checks(people):
    lot = factories.lot(people, quantity=100)
    op = lot.current
    factories.setup_verified(people, op)
    with pytest.raises(Refused, match="不能大于投入数"):
        lots.record_work(op, people["production"], operator=people["production"], quantity_in=100,
                         quantity_out=99, quantity_scrap=2)
    lots.record_work(op, people["production"], operator=people["production"], quantity_in=100, quantity_out=98,
                     quantity_scrap=2)
    lots.issue_material(op, people["production"], material="PVC 粒料", batch_number="HN-0815", quantity=12)
    lots.record_check(op, people["production"], check="self", result="pass")
    with pytest.raises(Refused, match="互检不能由自检人本人进行"):
        lots.record_check(op, people["production"], check="mutual", result="pass")
    with pytest.raises(Refused, match="专检须由品质部检验员进行"):
        lots.record_check(op, people["pmc"], check="dedicated", result="pass")
    lots.record_check(op, people["pmc"], check="mutual", result="pass")
    lots.record_check(op, people["quality"], check="dedicated", result="pass")
    op.refresh_from_db()
    assert (op.self_check_by, op.mutual_check_by, op.dedicated_check_by) == (
        people["production"], people["pmc"], people["quality"])
    assert op.materials.get().batch_number == "HN-0815"
    factories.inspect(people, lot, I.CONFORMING)
    lots.move_on(lot, people["production"])
    lot.refresh_from_db()
    assert lot.current.quantity_in == 98  # what came out of the last operation goes in the next


def test_completing_the_order_waits_for_its_lots_in_stock(people):
    lot = factories.lot(people)
    order = lot.task_order
    with pytest.raises(TransitionRefused, match="尚未入库"):
        workflow.perform(order, S.COMPLETED, people["pmc"])


# --- lists --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["production:order_list", "production:lot_list", "production:card_list"])
def test_the_lists_cost_the_same_queries_for_3_and_30_records(people, client, name):
    client.force_login(people["pmc"])
    card = factories.card(code="GY-LIST")
    counts = []
    for wanted in (3, 30):
        while TaskOrder.objects.count() < wanted:
            factories.order(people, process_card=card, status=S.IN_PRODUCTION if TaskOrder.objects.count() % 2
                            else S.RELEASED)
            factories.card(code=f"GY-L{TaskOrder.objects.count()}")
        client.get(reverse(name))
        with count_queries() as queries:
            response = client.get(reverse(name) + "?scope=all")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_lot_list_exports_its_rows(people, client):
    lot = factories.lot(people)
    factories.inspect(people, lot, I.NONCONFORMING)
    client.force_login(people["quality"])
    response = client.get(reverse("production:lot_export") + "?scope=all")
    assert response.status_code == 200
    from openpyxl import load_workbook
    import io
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(lot.number in row and "不合格" in row for row in rows)


def test_sales_sees_nothing_of_production(people, client):
    lot = factories.lot(people)
    client.force_login(people["sales"])
    assert client.get(lot.get_absolute_url()).status_code == 404
    assert client.get(lot.task_order.get_absolute_url()).status_code == 404
    assert client.get(reverse("production:lot_list")).status_code == 403


def test_pmc_raises_a_task_order_from_a_registered_contract_line(people, client):
    contract = factories.contract(people)
    line = contract.lines.get()
    card = factories.card(code="GY-CT")
    client.force_login(people["pmc"])
    response = client.post(reverse("production:order_create"), {
        "process_card": card.pk, "contract_line": line.pk, "quantity": 100,
        "due_date": (timezone.localdate() + dt.timedelta(days=9)).isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    order = TaskOrder.objects.get()
    assert (order.contract, order.contract_line, order.product) == (contract, line, line.product)
    bad = client.post(reverse("production:order_create"), {"process_card": card.pk, "quantity": 0})
    assert bad.status_code == 400 and "quantity" in bad.context["form"].errors  # the form again, as typed


def test_the_demo_data_has_orders_and_lots_in_every_state(people):
    import io

    from production import demo
    from production.models import Lot
    demo.seed(people, io.StringIO())
    assert set(TaskOrder.objects.values_list("status", flat=True)) == set(S.values)
    assert set(Lot.objects.values_list("status", flat=True)) == set(LotStatus.values)
    from production.models import IsolationEntry, IsolationStatus
    assert set(IsolationEntry.objects.values_list("status", flat=True)) == set(IsolationStatus.values)
    at_current = set(Lot.objects.filter(current__isnull=False).values_list("current__inspection_status", flat=True))
    assert at_current == set(I.values)


def test_every_tab_of_the_order_and_the_lot_opens(people, client):
    lot = factories.lot(people)
    factories.inspect(people, lot, I.CONFORMING)
    lots.move_on(lot, people["production"])
    client.force_login(people["gm"])
    for record in (lot, lot.task_order):
        for tab in ("overview", "signatures", "attachments", "history"):
            response = client.get(record.get_absolute_url() + f"?tab={tab}")
            assert response.status_code == 200, (record, tab)
            assert f'id="tab-{tab}"' in response.content.decode()
    history = client.get(lot.get_absolute_url() + "?tab=signatures").content.decode()
    assert "转下道工序" in history or "在制" in history


def test_the_task_order_pdf_prints_the_order_its_operations_and_lots(people, client):
    order = factories.contract_order(people, quantity=320, status=S.RELEASED, note="无菌包装，每箱 50 支")
    client.force_login(people["pmc"])
    text = "".join(pdf_text(client.get(reverse("production:order_pdf", args=[order.pk])).content,
                            layout=False).split())
    for expected in ("生产任务书", order.number, "320", "HT-2026-0001", "无菌包装，每箱50支", "下料", "组装",
                     f"{order.number}-01", "待检"):
        assert expected in text


def test_my_work_lists_lots_to_inspect_for_quality_and_lots_to_move_for_production(people):
    from production.work import production_work
    waiting = factories.lot(people)
    undetermined = factories.lot(people)
    factories.inspect(people, undetermined, I.UNDETERMINED)
    ready = factories.lot(people)
    factories.inspect(people, ready, I.CONCESSION, concession_by="总经理", concession_reason="不影响功能")
    titles = [item.title for item in production_work(people["quality"])]
    assert any(waiting.number in t and t.startswith("待检") for t in titles)
    # undetermined product is in the isolation area: the engineer's review comes first there
    from production.work import isolation_work
    assert [item.title for item in isolation_work(people["engineering"])] == [
        f"待评审隔离品：{undetermined.isolation_entries.get().number} {undetermined.task_order.product}"]
    assert not any(ready.number in t for t in titles)
    assert [item.title for item in production_work(people["production"])] == [
        f"待转序或入库：{ready.number} {ready.task_order.product} · 下料"]
    assert production_work(people["sales"]) == []
    # its lines read the lots' own columns in one query, however many lots wait (no column read afterwards per lot)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    second = factories.lot(people)
    factories.inspect(people, second, I.CONCESSION, concession_by="总经理", concession_reason="不影响功能")
    people["production"].role_names()
    with CaptureQueriesContext(connection) as queries:
        items = production_work(people["production"])
    assert [item.url for item in items] == [ready.get_absolute_url(), second.get_absolute_url()]
    assert len(queries) == 1
