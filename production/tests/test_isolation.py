"""The isolation area (issue 18; seed 004 质量保证部隔离区管理制度): a lot found nonconforming or undetermined goes into
the isolation area through its workflow with a line in 《隔离区产品跟踪台账》, is refused moving on, is reviewed by the
engineer (signed), reworked by production, re-inspected first by quality and moves on into stock; the 2 / 5
working-day clocks across 国庆 2026; a customer's return handed over becomes a ledger line; the monthly on-time
rate; a CAPA in one click."""
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from qms import audit, deadlines, workflow
from qms.capa.models import Capa
from qms.deadlines import Deadline, DeadlineNotice
from qms.refusals import Refused
from qms.signatures import Signature, SignatureRefused
from qms.tests.labels_helpers import qr_codes_in_pdf
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused
from production.models import (Disposition, InspectionStatus as I, IsolationEntry, IsolationSource,
                               IsolationStatus as S, LotStatus)
from production.services import isolation, lots
from production.tests import factories
from production.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def isolated_lot(people, result=I.NONCONFORMING, note="毛刺超标"):
    lot = factories.lot(people)
    factories.inspect(people, lot, result, note=note)
    return lot, lot.isolation_entries.get()


def review(people, entry, disposition=Disposition.REWORK, **extra):
    return isolation.review(entry, people["engineering"], disposition=disposition,
                            instruction=extra.pop("instruction", "去毛刺后全检"), password=PASSWORD, **extra)


# --- into the isolation area -----------------------------------------------------------------------------------
def test_a_nonconforming_result_puts_the_lot_into_the_isolation_ledger_through_its_workflow(people):
    lot, entry = isolated_lot(people)
    assert lot.status == LotStatus.ISOLATED
    year = timezone.localdate().year
    assert entry.number.startswith(f"GL-{year}-")
    assert (entry.source, entry.lot, entry.operation, entry.product, entry.batch, entry.quantity, entry.status,
            entry.found_status, entry.placed_by, entry.location) == (
        IsolationSource.INSPECTION, lot, lot.current, "一次性使用输液器", lot.number, lot.quantity,
        S.AWAITING_REVIEW, I.NONCONFORMING, people["quality"], "质量保证部隔离区")
    assert "工序“下料”检验判定为不合格：毛刺超标" == entry.reason
    transition = workflow.transitions_for(lot).get()
    assert (transition.from_status, transition.to_status, transition.by) == ("in_process", "isolated",
                                                                           people["quality"])
    second_lot = factories.lot(people)
    factories.inspect(people, second_lot, I.UNDETERMINED, note="尺寸临界", isolation_location="隔离区 B-02")
    second = second_lot.isolation_entries.get()
    assert (second.found_status, second.location, second_lot.status) == (I.UNDETERMINED, "隔离区 B-02",
                                                                         LotStatus.ISOLATED)
    assert int(second.number.rsplit("-", 1)[1]) == int(entry.number.rsplit("-", 1)[1]) + 1  # gapless


def test_a_nonconforming_lot_is_refused_moving_on_with_the_reason(people, login):
    lot, entry = isolated_lot(people)
    expected = "只有合格或让步接收的产品才能转入下道工序或入库"
    with pytest.raises(TransitionRefused, match=expected):
        lots.move_on(lot, people["production"])
    with pytest.raises(TransitionRefused, match=entry.number):
        workflow.perform(lot, LotStatus.IN_STOCK, people["production"])
    with pytest.raises(TransitionRefused, match="由系统自动完成"):
        workflow.perform(lot, LotStatus.IN_PROCESS, people["production"])
    with pytest.raises(Refused, match="在隔离区"):
        lots.record_inspection(lot.current, people["quality"], kind="first_piece", result=I.CONFORMING,
                               password=PASSWORD)
    lot.refresh_from_db()
    assert (lot.status, lot.current.sequence) == (LotStatus.ISOLATED, 10)
    page = login(people["production"]).get(lot.get_absolute_url()).content.decode()
    assert 'data-move-blocked="in_stock"' in page and expected in page


# --- review → rework → re-inspection → stock ------------------------------------------------------------------
def test_review_rework_and_reinspection_let_the_lot_move_on_into_stock(people):
    lot, entry = isolated_lot(people)
    review(people, entry)
    assert (entry.status, entry.disposition, entry.reviewed_by) == (S.REWORK, Disposition.REWORK,
                                                                     people["engineering"])
    assert Signature.objects.filter(object_id=entry.pk, signer=people["engineering"], meaning="approval").exists()
    isolation.complete_rework(entry, people["production"], rework_note="已去毛刺，全检 100 件")
    lot.current.refresh_from_db()
    assert (entry.status, lot.current.inspection_status) == (S.REINSPECTION, I.UNDETERMINED)
    with pytest.raises(TransitionRefused, match=entry.number):
        lots.move_on(lot, people["production"])  # reworked product is re-inspected first

    isolation.reinspect(entry, people["quality"], result=I.CONFORMING, note="复检合格", password=PASSWORD)
    lot.refresh_from_db()
    assert (entry.status, lot.status, lot.current.inspection_status) == (S.RELEASED, LotStatus.IN_PROCESS,
                                                                          I.CONFORMING)
    assert lot.current.inspections.last().note == "复检合格"
    lots.move_on(lot, people["production"])
    lot.refresh_from_db()
    factories.inspect(people, lot, I.CONFORMING)
    lots.move_on(lot, people["production"])
    lot.refresh_from_db()
    assert lot.status == LotStatus.IN_STOCK
    reasons = [row["reason"] for row in audit.history_for(entry)]
    assert any("评审：返工/返修" in reason for reason in reasons)
    assert [d.state for d in deadlines.deadlines_for(entry).order_by("pk")] == ["met", "met"]


def test_a_reinspection_still_nonconforming_is_reviewed_again_with_a_new_clock(people):
    lot, entry = isolated_lot(people)
    review(people, entry)
    isolation.complete_rework(entry, people["production"], rework_note="返工")
    isolation.reinspect(entry, people["quality"], result=I.NONCONFORMING, note="仍有毛刺", password=PASSWORD)
    assert entry.status == S.AWAITING_REVIEW
    assert deadlines.deadlines_for(entry).filter(kind="isolation_review", state="open").count() == 1
    lot.refresh_from_db()
    assert lot.status == LotStatus.ISOLATED


def test_only_the_engineer_reviews_with_the_password_and_the_instruction(people):
    lot, entry = isolated_lot(people)
    with pytest.raises(TransitionRefused, match="没有权限"):
        isolation.review(entry, people["production"], disposition=Disposition.REWORK, instruction="x",
                         password=PASSWORD)
    with pytest.raises(SignatureRefused, match="密码错误"):
        isolation.review(entry, people["engineering"], disposition=Disposition.REWORK, instruction="x",
                         password="wrong")
    with pytest.raises(Refused, match="请填写返工/处置指令"):
        isolation.review(entry, people["engineering"], disposition=Disposition.REWORK, instruction=" ",
                         password=PASSWORD)
    with pytest.raises(TransitionRefused, match="让步接收须填写批准人"):
        review(people, entry, Disposition.CONCESSION, instruction="外观轻微，不影响使用")
    entry.refresh_from_db()
    assert (entry.status, entry.disposition) == (S.AWAITING_REVIEW, "")
    with pytest.raises(TransitionRefused, match="当前状态“待评审”下不能执行此操作"):
        isolation.complete_rework(entry, people["production"], rework_note="x")  # not in rework yet


def test_a_concession_lets_the_lot_out_with_who_granted_it(people):
    lot, entry = isolated_lot(people)
    review(people, entry, Disposition.CONCESSION, instruction="外观轻微划痕，不影响使用", concession_by="总经理 王总")
    lot.refresh_from_db()
    lot.current.refresh_from_db()
    assert (entry.status, lot.status) == (S.RELEASED, LotStatus.IN_PROCESS)
    assert (lot.current.inspection_status, lot.current.concession_by) == (I.CONCESSION, "总经理 王总")
    lots.move_on(lot, people["production"])


@pytest.mark.parametrize("disposition, lot_status", [(Disposition.SCRAP, LotStatus.SCRAPPED),
                                                     (Disposition.RETURN_TO_SUPPLIER, LotStatus.RETURNED)])
def test_scrap_or_return_to_supplier_closes_the_entry(people, disposition, lot_status):
    lot, entry = isolated_lot(people)
    review(people, entry, disposition, instruction="按报废流程处理")
    lot.refresh_from_db()
    assert (entry.status, lot.status) == (S.CLOSED, lot_status)
    assert not deadlines.deadlines_for(entry).filter(state="open").exists()


# --- the clocks across 国庆 2026 (1–7 October off; chinese_calendar: 10 October a make-up working day) -------------
def test_the_review_and_rework_clocks_count_working_days_across_national_day(people):
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, 0, tzinfo=SH), tick=False):
        lot, entry = isolated_lot(people)
    review_clock = deadlines.deadlines_for(entry).get(kind="isolation_review")
    # 30 September, then 8 October: the review is due within 2 working days
    assert review_clock.due_at == dt.datetime(2026, 10, 8, 10, 0, tzinfo=SH)
    assert review_clock.responsible == people["engineering"]
    with time_machine.travel(dt.datetime(2026, 9, 30, 15, 0, tzinfo=SH), tick=False):
        review(people, entry)
    review_clock.refresh_from_db()
    assert review_clock.state == Deadline.State.MET
    rework_clock = deadlines.deadlines_for(entry).get(kind="isolation_disposition")
    # 8, 9, 10 (Saturday, a make-up working day), 12, 13 October: within 5 working days
    assert rework_clock.due_at == dt.datetime(2026, 10, 13, 15, 0, tzinfo=SH)
    assert rework_clock.responsible.has_role("生产", "PMC")

    # not done in time: the overdue notice at the due time, the escalation a day after
    with time_machine.travel(dt.datetime(2026, 10, 14, 16, 0, tzinfo=SH), tick=False):
        deadlines.tick()
    stages = set(DeadlineNotice.objects.filter(deadline=rework_clock).values_list("stage", flat=True))
    assert {"overdue", "escalation1"} & stages


# --- a customer's return ---------------------------------------------------------------------------------------
def test_the_hand_over_of_a_return_creates_one_ledger_entry(people):
    from complaints.services import returns
    from complaints.tests.test_returns import approved

    ro = approved(people, batch="B2609-03")
    returns.hand_over_to_nonconforming(ro, "NC-2026-0001", people["quality"])
    entry = IsolationEntry.objects.get(source=IsolationSource.RETURN)
    assert (entry.product, entry.batch, entry.quantity, entry.source_reference, entry.found_status, entry.status,
            entry.lot) == ("一次性使用输液器", "B2609-03", 200, ro.number, I.UNDETERMINED, S.AWAITING_REVIEW, None)
    assert entry.reason == ro.reason
    assert deadlines.deadlines_for(entry).filter(kind="isolation_review", state="open").exists()
    assert isolation.source_url(entry) == ro.get_absolute_url()
    returns.hand_over_to_nonconforming(ro, "NC-2026-0002", people["quality"])  # a corrected reference
    assert IsolationEntry.objects.filter(source=IsolationSource.RETURN).count() == 1
    # reviewed, reworked and re-inspected like any other line, without a lot
    review(people, entry)
    isolation.complete_rework(entry, people["production"], rework_note="重新包装")
    isolation.reinspect(entry, people["quality"], result=I.CONFORMING, password=PASSWORD)
    assert entry.status == S.RELEASED


# --- the monthly on-time rate -----------------------------------------------------------------------------------
def test_the_chart_shows_the_share_of_clocks_met_in_time_per_month(people, login):
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=SH), tick=False):
        on_time = isolated_lot(people)[1]
        late = isolated_lot(people)[1]
        never = isolated_lot(people)[1]
    with time_machine.travel(dt.datetime(2026, 9, 2, 10, 0, tzinfo=SH), tick=False):
        review(people, on_time, Disposition.SCRAP)                 # review clock due 3 Sept: met
    with time_machine.travel(dt.datetime(2026, 9, 8, 10, 0, tzinfo=SH), tick=False):
        review(people, late, Disposition.SCRAP)                    # due 3 Sept: met late
    assert never.status == S.AWAITING_REVIEW                       # due 3 Sept, still open: missed
    with time_machine.travel(dt.datetime(2026, 9, 20, 10, 0, tzinfo=SH), tick=False):
        assert isolation.on_time_by_month() == [{"month": "2026-09", "due": 3, "on_time": 1, "rate": 33.3}]
        figures = isolation.review_figures(dt.date(2026, 9, 1), dt.date(2026, 9, 30)).figures
        page = login(people["quality"]).get(reverse("production:isolation_rate")).content.decode()
    assert '<tr data-month="2026-09"><td>2026-09</td><td>3</td><td>1</td><td class="rate">33.3%</td></tr>' in page
    assert "vendor/chartjs/chart.umd.js" in page and 'id="chart-data"' in page
    # the same figures go to the management review's input pack
    assert [(f.label, f.value, f.note) for f in figures] == [
        ("移入隔离区", 3, ""), ("评审处置", "报废 2", ""), ("处置及时率", "1 / 3", "33%")]


# --- CAPA, PDFs, the list --------------------------------------------------------------------------------------
def test_a_capa_is_raised_from_the_review_in_one_click_and_linked_back(people, login):
    lot, entry = isolated_lot(people)
    client = login(people["quality"])
    assert 'id="isolation-capa"' not in client.get(entry.get_absolute_url()).content.decode()  # not reviewed yet
    review(people, entry)
    response = client.post(reverse("production:isolation_capa", args=[entry.pk]))
    capa = Capa.objects.get()
    assert response.status_code == 302 and response["Location"] == capa.get_absolute_url()
    assert (capa.source, capa.source_id, capa.responsible, capa.source_reference) == (
        "nonconforming", entry.pk, people["engineering"], entry.number)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert capa.number in page and 'id="isolation-capa"' not in page
    client.post(reverse("production:isolation_capa", args=[entry.pk]))
    assert Capa.objects.count() == 1


def test_the_review_form_and_the_tag_print_what_the_ledger_holds(people, login):
    lot, entry = isolated_lot(people)
    review(people, entry)
    client = login(people["quality"])
    text = pdf_text(client.get(reverse("production:isolation_pdf", args=[entry.pk])).content)
    for expected in ("隔离产品评审表", entry.number, lot.number, "返工", "去毛刺后全检", "毛刺超标"):
        assert expected in text

    with override_settings(PORTAL_BASE_URL="https://qms.example.cn"):
        response = client.get(reverse("production:isolation_tag", args=[entry.pk]))
    assert qr_codes_in_pdf(response.content) == [[f"https://qms.example.cn/production/isolation/{entry.pk}/"]]
    tag = pdf_text(response.content)
    for expected in ("隔离卡", entry.number, lot.number, "质量保证部隔离区", "隔离 · 处置中"):
        assert expected in tag


def test_the_ledger_exports_its_lines_and_the_action_pages_refuse_the_wrong_step(people, login):
    lot, entry = isolated_lot(people)
    client = login(people["quality"])
    response = client.get(reverse("production:isolation_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows[0]
    line = dict(zip(header, rows[1]))
    assert (line["台账编号"], line["批号"], line["数量"], line["状态"]) == (entry.number, lot.number, lot.quantity,
                                                                       "待评审")
    assert login(people["production"]).get(reverse("production:isolation_review", args=[entry.pk])).status_code == 403
    response = login(people["engineering"]).post(reverse("production:isolation_review", args=[entry.pk]), {
        "disposition": Disposition.REWORK, "instruction": "去毛刺", "password": "wrong"})
    assert response.status_code == 409 and "密码错误" in response.content.decode()
    response = login(people["production"]).get(reverse("production:isolation_rework", args=[entry.pk]))
    assert response.status_code == 302  # not in rework: back to the entry with why


def test_the_ledger_costs_the_same_queries_for_3_and_30_lines(people, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["quality"])
    card = factories.card(code="GY-ISO")
    counts = []
    for wanted in (3, 30):
        while IsolationEntry.objects.count() < wanted:
            lot = factories.lot(people, process_card=card)
            factories.inspect(people, lot, I.NONCONFORMING if IsolationEntry.objects.count() % 2 else I.UNDETERMINED)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("production:isolation_list") + "?scope=all")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
