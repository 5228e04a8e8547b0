"""What users hit walking through a CAPA (issue 14): due times, rounds and their signatures, planning hints,
past due dates, attachments on a closed CAPA."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from qms import deadlines
from qms.capa import services
from qms.capa.models import CapaRound, CapaStatus
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.pdf import PrintForm, render_pdf
from qms.signatures import Signature, signatures_for, state_of
from qms.tests.capa_helpers import approved_capa, raised_capa
from qms.tests.test_pdf import pdf_text
from qms.workflow import perform

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


# --- one source of truth for a due time ----------------------------------------------------------------------
def test_detail_list_and_pdf_show_the_due_time_of_the_open_deadline_row(people, login):
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, 0, tzinfo=SH), tick=False):
        capa = raised_capa(people)
        computed = Deadline.objects.get(object_id=capa.pk, kind="plan").due_at
        assert computed == dt.datetime(2026, 12, 8, 9, 0, tzinfo=SH)
        # The deadline row is what reminds and escalates; when it moves (re-dated, backdated by the demo, …)
        # every page must show its time, not what was computed when the CAPA was raised.
        deadlines.open_deadline(capa, "plan", "制定纠正措施计划", people["production"],
                                dt.datetime(2026, 12, 2, 17, 30, tzinfo=SH))
        client = login(people["quality"])
        detail = client.get(capa.get_absolute_url()).content.decode()
        listing = client.get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
        pdf = pdf_text(client.get(reverse("qms:capa_pdf", args=[capa.pk])).content)
    assert "计划提交期限" in detail and "2026-12-02 17:30" in detail and "已逾期" in detail
    assert "2026-12-08" not in detail
    assert "2026-12-02 17:30" in listing and "2026-12-08" not in listing
    assert "2026-12-02 17:30" in pdf and "2026-12-08" not in pdf


def test_the_plan_overdue_filter_reads_the_deadline_row(people, login):
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, 0, tzinfo=SH), tick=False):
        late = raised_capa(people, title="已逾期的计划")
        raised_capa(people, title="未逾期的计划")
        deadlines.open_deadline(late, "plan", "制定纠正措施计划", people["production"],
                                dt.datetime(2026, 12, 2, 17, 30, tzinfo=SH))
        page = login(people["quality"]).get(reverse("qms:capa_list"), {"scope": "all", "overdue": "true"})
    assert [row.record.title for row in page.context["table"].page.object_list] == ["已逾期的计划"]


# --- a new round supersedes the signatures of the last one; it does not void them ---------------------------
def found_not_effective(people):
    capa = approved_capa(people)
    services.complete_action(capa.actions.get(), people["production"], result="模具已修复")
    perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    perform(capa, CapaStatus.RAISED, people["quality"], password=DEMO_PASSWORD, reason="复查仍有毛刺")
    capa.refresh_from_db()
    return capa


def signature_states(capa):
    return [(row["meaning"], row["valid"], row["round"], row["superseded_by"]) for row in signatures_for(capa)]


def test_round_ones_signatures_are_valid_and_superseded_by_round_two_on_the_page_and_the_pdf(people, login):
    capa = found_not_effective(people)
    assert capa.round == 2
    assert signature_states(capa) == [("批准", True, 1, 2), ("验证", True, 1, 2)]
    client = login(people["quality"])
    page = client.get(capa.get_absolute_url()).content.decode()
    assert "签名后记录已修改，签名已失效" not in page
    assert page.count("第 1 轮，已被第 2 轮取代") == 2
    # Round 1's plan is still readable, round 2 is planned afresh.
    assert "模具磨损未按期保养" in page and "修模并增加首件检验" in page
    assert (capa.cause_analysis, capa.plan) == ("", "")
    pdf = pdf_text(client.get(reverse("qms:capa_pdf", args=[capa.pk])).content, layout=False)
    compact = "".join(pdf.split())
    assert "签名后记录已修改" not in compact
    assert compact.count("有效（第1轮，已被第2轮取代）") == 2
    assert "模具磨损未按期保养" in compact and "修模并增加首件检验" in compact


def test_round_twos_approval_is_valid_and_current_beside_round_ones(people):
    capa = found_not_effective(people)
    services.edit_plan(capa, people["production"], cause_analysis="保养周期过长", plan="保养周期改为每周")
    services.add_action(capa, people["production"], description="修订保养计划", owner=people["production"],
                        due_date=dt.date(2030, 2, 1))
    perform(capa, CapaStatus.PLAN_SUBMITTED, people["production"])
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment="同意")
    assert signature_states(capa) == [("批准", True, 1, 2), ("验证", True, 1, 2), ("批准", True, 2, None)]


def test_editing_the_plan_round_one_signed_invalidates_its_signatures(people):
    capa = found_not_effective(people)
    CapaRound.objects.filter(capa=capa, number=1).update(plan="改为更换模具")  # a raw edit, outside any service
    assert signature_states(capa) == [("批准", False, 1, None), ("验证", False, 1, None)]
    form = PrintForm(code="QR-10-01", title="纠正和预防措施单", template="print/capa.html")
    text = pdf_text(render_pdf(form, {"actions": [], "verifications": []}, record=capa, number=capa.number),
                    layout=False)
    assert "".join(text.split()).count("签名后记录已修改，签名已失效") == 2


def test_a_signature_made_before_rounds_were_recorded_belongs_to_the_round_it_matches(people):
    capa = found_not_effective(people)
    approval = Signature.objects.filter(object_id=capa.pk, meaning="approval").get()
    legacy = Signature.objects.create(content_type=approval.content_type, object_id=capa.pk, signer=people["mr"],
                                      signer_name="李代表", meaning="approval", content_hash=approval.content_hash)
    assert legacy.round is None
    assert state_of(legacy, capa) == {"valid": True, "round": 1, "superseded_by": 2}
