"""Traceability both ways, "who got this batch", shipping only conforming stock, and the notice's proposed
recipients (issue 18, part 3; PROCEDURES.md §6 and §3)."""
import io

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from customers.contracts.services import shipments as shipment_service
from customers.tests.fulfilment_factories import make_contract, make_shipment
from production.models import InspectionStatus as I, LotStatus, MaterialIssue
from production.services import lots, trace
from production.tests import factories
from qms.tests.cases import count_queries, query_list
from qms.workflow import TransitionRefused

pytestmark = pytest.mark.django_db

HEAT = "H-2026-077"


def _made_with(people, heat=HEAT, supplier="宝钢特钢有限公司", number=None):
    """A lot of its own task order whose first operation was issued material of ``heat``."""
    lot = factories.lot(people, quantity=100 + (number or 0))
    lots.issue_material(lot.current, people["production"], material="不锈钢管 304", batch_number=heat, quantity=12,
                        unit="kg", supplier=supplier)
    return lot


def _to_stock(people, lot, result=I.CONFORMING, **extra):
    """Inspected at each operation and moved on into stock."""
    while lot.status == LotStatus.IN_PROCESS:
        factories.inspect(people, lot, result, **extra)
        lots.move_on(lot, people["production"])
        lot.refresh_from_db()
    return lot


def _shipped_to(people, lot, customer_name):
    from customers.tests.factories import make_customer

    customer = make_customer(people["sales"], name=customer_name)
    contract = make_contract(people["sales"], customer=customer)
    shipment = make_shipment(people, contract, quantity=10, batch=lot.number.lower())  # as a customer writes it
    shipment_service.ship(shipment, by=people["sales"])
    return shipment


def test_a_heat_number_traces_to_the_lots_orders_shipments_and_customers_that_received_it(people):
    first, second = _made_with(people, number=1), _made_with(people, number=2)
    other = factories.lot(people, quantity=7)
    for lot, name in ((first, "上海第一人民医院"), (second, "杭州仁和医院")):
        _to_stock(people, lot)
        _shipped_to(people, lot, name)
    _to_stock(people, other)
    _shipped_to(people, other, "南京鼓楼医院")

    result = trace.trace(HEAT.lower())

    assert sorted(lot.number for lot in result.lots) == sorted([first.number, second.number])
    assert {issue.operation.lot.task_order.number for issue in result.used_in} == {
        first.task_order.number, second.task_order.number}
    assert [row.name for row in result.customers] == ["上海第一人民医院", "杭州仁和医院"]
    assert [r.name for r in trace.recipients([HEAT])] == ["上海第一人民医院", "杭州仁和医院"]


def test_a_complaints_batch_traces_back_to_the_task_order_route_card_materials_and_supplier(people):
    lot = _made_with(people)
    result = trace.trace(lot.number)
    assert [found.pk for found in result.lots] == [lot.pk]
    assert result.lots[0].task_order == lot.task_order
    assert [(m.material, m.batch_number, m.operation.name) for m in result.materials] == [
        ("不锈钢管 304", HEAT, "下料")]
    assert result.suppliers == ["宝钢特钢有限公司"]


def test_the_trace_page_answers_who_got_the_batch_and_exports_it(people, client):
    lot = _to_stock(people, _made_with(people))
    shipment = _shipped_to(people, lot, "上海第一人民医院")
    client.force_login(people["quality"])
    page = client.get(reverse("production:trace"), {"batch": HEAT})
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("上海第一人民医院", shipment.number, lot.number, lot.task_order.number, "宝钢特钢有限公司"):
        assert text in html
    export = client.get(reverse("production:trace"), {"batch": HEAT, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["客户", "发货单号", "发货状态"]
    assert rows[1][0] == "上海第一人民医院" and rows[1][1] == shipment.number
    assert rows[1][6] == lot.number.lower() and rows[1][8] == lot.task_order.number


def test_the_trace_runs_the_same_number_of_queries_for_one_lot_or_many(people, client):
    def queries(number_of_lots):
        MaterialIssue.objects.filter(batch_number=HEAT).update(batch_number="OLD")
        for n in range(number_of_lots):
            lot = _to_stock(people, _made_with(people, number=n))
            _shipped_to(people, lot, f"客户{number_of_lots}-{n}")
        with count_queries() as service_queries:
            assert len(trace.trace(HEAT).customers) == number_of_lots
        client.force_login(people["quality"])
        with count_queries() as page_queries:
            assert client.get(reverse("production:trace"), {"batch": HEAT}).status_code == 200
        return len(service_queries), len(page_queries), query_list(page_queries)

    one, one_page, _ = queries(1)
    many, many_page, listed = queries(3)
    assert one == many == 4
    assert one_page == many_page, listed
    lot_number = MaterialIssue.objects.filter(batch_number=HEAT).first().operation.lot.number
    with count_queries() as by_lot:
        assert len(trace.trace(lot_number).materials) == 1
    assert len(by_lot) == 4


def test_the_trace_looks_batches_up_on_their_indexes(people):
    keys = [HEAT.upper()]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: ask whether an index can answer
        from django.db.models.functions import Upper
        from customers.contracts.fulfilment_models import ShipmentLine
        from production.models import Lot

        plans = {
            "production_material_batch_up": MaterialIssue.objects.annotate(k=Upper("batch_number"))
            .filter(k__in=keys).explain(),
            "production_lot_number_up": Lot.objects.annotate(k=Upper("number")).filter(k__in=keys).explain(),
            "shipment_line_batch_upper": ShipmentLine.objects.annotate(k=Upper("batch_number"))
            .filter(k__in=keys).explain(),
        }
    for index, plan in plans.items():
        assert index in plan, plan


# --- shipping only conforming product in stock --------------------------------------------------------------------
def test_a_shipment_naming_a_lot_not_in_stock_is_refused_with_the_reason(people):
    lot = factories.lot(people)
    factories.inspect(people, lot, I.NONCONFORMING)  # found nonconforming: it is in the isolation area
    contract = make_contract(people["sales"])
    shipment = make_shipment(people, contract, quantity=10, batch=lot.number)
    with pytest.raises(TransitionRefused, match=f"批号 {lot.number} 的产品尚未入库（隔离中），不能发货"):
        shipment_service.ship(shipment, by=people["sales"])
    shipment.refresh_from_db()
    assert shipment.status == "planned"


def test_a_lot_in_stock_under_concession_ships(people):
    lot = _to_stock(people, factories.lot(people), I.CONCESSION, concession_by="总经理 王", concession_reason="外观轻微划痕")
    shipment = make_shipment(people, make_contract(people["sales"]), quantity=10, batch=lot.number)
    shipment_service.ship(shipment, by=people["sales"])
    shipment.refresh_from_db()
    assert shipment.status == "shipped"


def test_a_lot_in_stock_whose_last_status_is_not_conforming_does_not_ship(people):
    lot = _to_stock(people, factories.lot(people))
    last = lot.operations.order_by("-sequence").first()
    type(last).objects.filter(pk=last.pk).update(inspection_status=I.UNDETERMINED)  # e.g. a status cleared since
    shipment = make_shipment(people, make_contract(people["sales"]), quantity=10, batch=lot.number)
    with pytest.raises(TransitionRefused, match=f"批号 {lot.number} 的检验状态为待判定，只有合格或让步接收的产品才能发货"):
        shipment_service.ship(shipment, by=people["sales"])


def test_a_batch_that_is_no_production_lot_ships_as_before(people):
    shipment = make_shipment(people, make_contract(people["sales"]), quantity=10, batch="WG-外购-01")
    shipment_service.ship(shipment, by=people["sales"])
    shipment.refresh_from_db()
    assert shipment.status == "shipped"


# --- the advisory notice / recall proposes who received the batch ---------------------------------------------------
def test_a_notice_from_an_adverse_event_proposes_the_customers_that_received_the_batch(people, client):
    from complaints.tests import factories as complaint_factories

    first, second = _made_with(people, number=1), _made_with(people, number=2)
    for lot, name in ((first, "上海第一人民医院"), (second, "杭州仁和医院")):
        _to_stock(people, lot)
        _shipped_to(people, lot, name)
    complaint = complaint_factories.received(people, batch=HEAT)
    client.force_login(people["mr"])
    page = client.get(reverse("complaints:notice_create"), {"complaint": complaint.pk})
    form = page.context["form"]
    proposed = sorted(form.fields["customers"].queryset.filter(pk__in=form.initial["customers"])
                      .values_list("name", flat=True))
    assert proposed == ["上海第一人民医院", "杭州仁和医院"]
    assert "按批号追溯，以下客户收到过这些批号" in page.content.decode()

    # typed batches on a new notice: the 按批号追溯 button proposes, nothing is saved until the MR confirms
    again = client.post(reverse("complaints:notice_create"), {"propose": "1", "title": "召回", "batches": first.number})
    assert again.status_code == 200
    assert [r.name for r in again.context["proposal"]] == ["上海第一人民医院"]
    from complaints.models import AdvisoryNotice

    assert not AdvisoryNotice.objects.exists()


def test_a_notice_for_a_batch_nobody_received_says_so(people, client):
    client.force_login(people["mr"])
    page = client.post(reverse("complaints:notice_create"), {"propose": "1", "batches": "NO-SUCH"})
    assert "没有追溯到收到这些批号的客户" in page.content.decode()


def test_only_the_trace_roles_open_the_trace_page(people, client):
    client.force_login(people["sales"])
    assert client.get(reverse("production:trace"), {"batch": HEAT}).status_code == 403
    client.force_login(people["pmc"])
    assert client.get(reverse("production:trace")).status_code == 200
