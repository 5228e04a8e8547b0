"""What users hit walking through a CAPA (issue 14): due times, rounds and their signatures, planning hints,
past due dates, attachments on a closed CAPA."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qms import deadlines
from qms.attachments import Attachment, AttachmentRefused, attach
from qms.capa import services
from qms.capa.models import CapaRound, CapaStatus
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.pdf import PrintForm, render_pdf
from qms.signatures import Signature, signatures_for, state_of
from qms.tests.capa_helpers import approved_capa, raised_capa
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused, perform

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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


# --- planning: say why 提交计划 is not there yet; no action due in the past -------------------------------------
def test_submit_plan_is_shown_disabled_with_the_reason_until_an_action_is_added(people, login):
    capa = raised_capa(people)
    services.edit_plan(capa, people["production"], cause_analysis="模具磨损未按期保养", plan="修模并增加首件检验")
    client = login(people["production"])
    page = client.get(capa.get_absolute_url()).content.decode()
    assert 'data-move-blocked="plan_submitted"' in page and "请先添加至少一项措施" in page
    assert 'data-move="plan_submitted"' not in page
    # Quality may not submit this plan at all: no button, no hint.
    other = login(people["quality"]).get(capa.get_absolute_url()).content.decode()
    assert "plan_submitted" not in other
    services.add_action(capa, people["production"], description="修复模具", owner=people["production"],
                        due_date=dt.date(2030, 1, 15))
    page = login(people["production"]).get(capa.get_absolute_url()).content.decode()
    assert 'data-move="plan_submitted"' in page and "请先添加至少一项措施" not in page


def test_an_action_due_before_today_is_refused_and_the_form_keeps_the_input(people, login):
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, 0, tzinfo=SH), tick=False):
        capa = raised_capa(people)
        response = login(people["production"]).post(reverse("qms:capa_action_add", args=[capa.pk]), {
            "description": "更换模具镶件", "owner": people["production"].pk, "due_date": "2020-01-01"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "完成期限不能早于今天（2026-12-04）。" in page
        assert "更换模具镶件" in page and 'value="2020-01-01"' in page
        assert not capa.actions.exists()
        with pytest.raises(TransitionRefused, match="完成期限不能早于今天"):
            services.add_action(capa, people["production"], description="更换模具镶件", owner=people["production"],
                                due_date=dt.date(2026, 12, 3))
        # Today itself is accepted.
        services.add_action(capa, people["production"], description="更换模具镶件", owner=people["production"],
                            due_date=dt.date(2026, 12, 4))
    assert capa.actions.count() == 1


# --- a closed CAPA takes no more files ------------------------------------------------------------------------
def closed_capa(people):
    capa = approved_capa(people)
    services.complete_action(capa.actions.get(), people["production"], result="模具已修复")
    perform(capa, CapaStatus.IMPLEMENTED, people["production"])
    perform(capa, CapaStatus.CLOSED, people["quality"], password=DEMO_PASSWORD, reason="连续三批无毛刺")
    capa.refresh_from_db()
    return capa


def test_no_file_can_be_attached_to_a_closed_capa_and_the_upload_form_is_hidden(people, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    capa = closed_capa(people)
    with pytest.raises(AttachmentRefused, match="该记录状态为“已关闭”，不能再上传附件。"):
        attach(capa, SimpleUploadedFile("复查记录.pdf", PDF), by=people["quality"])
    client = login(people["quality"])
    content_type = ContentType.objects.get_for_model(capa)
    response = client.post(reverse("qms:attachment_upload", args=[content_type.pk, capa.pk]),
                           {"file": SimpleUploadedFile("复查记录.pdf", PDF)}, follow=True)
    page = response.content.decode()
    assert "不能再上传附件" in page
    assert not Attachment.objects.filter(object_id=capa.pk, content_type=content_type).exists()
    assert 'id="attachment-form"' not in page
    # An open CAPA still takes files.
    open_capa = raised_capa(people)
    assert 'id="attachment-form"' in client.get(open_capa.get_absolute_url() + "?tab=attachments").content.decode()
