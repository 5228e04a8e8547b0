"""The yearly customer satisfaction survey (PROCEDURES.md §2 客户满意度调查): a campaign with its questions and
recipients, opening it (owners told, collection deadlines on the holiday calendar), entering and importing
results (every bad row reported, nothing saved until confirmed), low scores raising exactly one feedback item,
the analysis and its export, the yearly draft on the configured month, and who may do what."""
import datetime as dt
import io
import zoneinfo

import openpyxl
import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from complaints import imports as survey_imports
from complaints.models import (CampaignStatus, Channel, Complaint, FeedbackType, SurveyAnswer, SurveyCampaign,
                               SurveyResponse)
from complaints.services import surveys
from customers.tests.factories import make_customer
from qms import Refused, audit
from qms.deadlines import Deadline
from qms.excel.models import ImportBatch
from qms.notifications import Notification
from qms.tests.cases import assert_queries_at_most, count_queries, post_import, workbook
from qms.workflow import TransitionRefused

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
QUESTIONS = surveys.DEFAULT_QUESTIONS  # 产品质量, 交货及时性, 服务态度, 技术支持, 价格, 投诉处理


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def accounts(people):
    """Two A and one B customers owned by the salespeople, a C customer and a pool customer."""
    return {
        "a1": make_customer(people["sales"], name="北京华信科技股份有限公司", grade="A"),
        "a2": make_customer(people["sales2"], name="上海浦江国际贸易有限公司", grade="A"),
        "b1": make_customer(people["sales2"], name="苏州精密机械有限公司", grade="B"),
        "c1": make_customer(people["sales"], name="青岛海滨食品有限公司", grade="C"),
        "pool": make_customer(None, by=people["sales"], name="天津明德教育科技有限公司", grade="A"),
    }


def new_campaign(people, *, opens_on=dt.date(2026, 10, 9), closes_on=dt.date(2026, 10, 30), **kwargs):
    return surveys.create_campaign(by=people["service"], year=2026, opens_on=opens_on, closes_on=closes_on, **kwargs)


@pytest.fixture
def campaign(people, accounts):
    """The 2026 campaign, opened on Friday 9 October 2026."""
    c = new_campaign(people)
    with time_machine.travel(local(2026, 10, 9, 9, 0), tick=False):
        surveys.open_campaign(c, by=people["service"])
    c.refresh_from_db()
    return c


def response_of(campaign, customer) -> SurveyResponse:
    return SurveyResponse.objects.select_related("campaign", "customer").get(campaign=campaign, customer=customer)


def scores(campaign, *values):
    return {q.pk: v for q, v in zip(campaign.questions.order_by("order", "pk"), values)}


def feedback_items():
    return Complaint.objects.filter(channel=Channel.SURVEY)


# --- creating and opening --------------------------------------------------------------------------------
def test_a_campaign_gets_the_default_questions_and_the_owned_a_and_b_customers(people, accounts):
    c = new_campaign(people)
    assert c.status == CampaignStatus.DRAFT
    assert c.title == "2026 年度客户满意度调查"
    assert list(c.questions.order_by("order").values_list("text", flat=True)) == QUESTIONS
    recipients = set(c.responses.values_list("customer__name", flat=True))
    assert recipients == {"北京华信科技股份有限公司", "上海浦江国际贸易有限公司", "苏州精密机械有限公司"}
    assert not c.responses.filter(sent_at__isnull=False).exists()
    assert audit.history_for(c)[0]["reason"] == "发起满意度调查"


def test_the_list_counts_surveys_per_status_not_their_respondents(people, campaign, accounts, login):
    new_campaign(people, title="补充调查")  # a draft beside the open campaign with its four respondents
    response = login(people["mr"]).get(reverse("complaints:surveys"))
    counts = {str(v["value"]): v["n"] for c in response.context["counts"] for v in c["values"]}
    assert counts == {"调查中": 1, "准备中": 1}


def test_questions_may_not_repeat_or_take_an_import_header(people, accounts):
    with pytest.raises(Refused, match="问题“价格”重复了。"):
        new_campaign(people, questions=["价格", "服务态度", "价格"])
    with pytest.raises(Refused, match="“客户名称”是导入模板的固定列名，不能用作问题。"):
        new_campaign(people, questions=["客户名称"])
    assert not SurveyCampaign.objects.exists()


def test_the_create_page_makes_a_draft_for_the_chosen_grades(people, accounts, login):
    client = login(people["service"])
    assert client.get(reverse("complaints:survey_create")).status_code == 200
    response = client.post(reverse("complaints:survey_create"), {
        "year": 2026, "title": "", "opens_on": "2026-10-09", "closes_on": "2026-10-30", "low_score": 2,
        "questions": "产品质量\n\n交货及时性\n", "grades": ["A", "C"]})
    c = SurveyCampaign.objects.get()
    assert response.status_code == 302 and response["Location"] == c.get_absolute_url()
    assert c.low_score == 2
    assert list(c.questions.values_list("text", flat=True)) == ["产品质量", "交货及时性"]
    assert set(c.responses.values_list("customer__grade", flat=True)) == {"A", "C"}
    assert not c.responses.filter(customer=accounts["pool"]).exists()


def test_the_create_page_keeps_what_was_typed_and_says_what_is_wrong(people, accounts, login):
    response = login(people["service"]).post(reverse("complaints:survey_create"), {
        "year": 2026, "title": "十月调查", "opens_on": "2026-10-30", "closes_on": "2026-10-09", "low_score": 3,
        "questions": "产品质量", "grades": ["A"]})
    assert response.status_code == 400
    assert "截止日期不能早于开始日期。" in response.content.decode()
    assert response.context["form"]["title"].value() == "十月调查"
    assert not SurveyCampaign.objects.exists()


def test_opening_sends_the_survey_tells_each_owner_and_opens_their_collection_deadline(people, accounts):
    c = new_campaign(people)
    with time_machine.travel(local(2026, 10, 9, 9, 0), tick=False):
        surveys.open_campaign(c, by=people["service"])
    c.refresh_from_db()
    assert c.status == CampaignStatus.OPEN
    assert not c.responses.filter(sent_at__isnull=True).exists()
    told = Notification.objects.filter(title="请收集客户满意度调查：2026 年度客户满意度调查")
    assert {n.recipient.username for n in told} == {"sales", "sales2"}
    assert "上海浦江国际贸易有限公司" in told.get(recipient=people["sales2"]).body
    collect = Deadline.objects.filter(object_id=c.pk, kind__startswith="survey_collect").order_by("kind")
    assert {d.responsible.username for d in collect} == {"sales", "sales2"}
    # 30 October 2026 is a Friday: due at the end of that working day
    assert {d.due_at for d in collect} == {local(2026, 10, 30, 17, 30)}
    assert collect.get(responsible=people["sales2"]).title == "收集满意度调查结果：2026 年度客户满意度调查（2 个客户）"


def test_a_closing_day_in_the_national_day_holiday_makes_the_results_due_on_30_september(people, accounts):
    c = new_campaign(people, opens_on=dt.date(2026, 9, 21), closes_on=dt.date(2026, 10, 5))
    with time_machine.travel(local(2026, 9, 21, 9, 0), tick=False):
        surveys.open_campaign(c, by=people["service"])
    due = {d.due_at for d in Deadline.objects.filter(object_id=c.pk, kind__startswith="survey_collect")}
    assert due == {local(2026, 9, 30, 17, 30)}  # 1–7 October are the National Day holiday


def test_opening_without_recipients_is_refused(people):
    c = new_campaign(people, customers=[])
    with pytest.raises(TransitionRefused, match="请先选择调查对象（客户）。"):
        surveys.open_campaign(c, by=people["service"])
    c.refresh_from_db()
    assert c.status == CampaignStatus.DRAFT


def test_a_salesperson_may_not_open_a_campaign(people, accounts):
    c = new_campaign(people)
    with pytest.raises(TransitionRefused, match="您没有权限执行“开始调查”。"):
        surveys.open_campaign(c, by=people["sales"])


def test_the_open_move_button_opens_it_from_the_page(people, accounts, login):
    c = new_campaign(people)
    client = login(people["mr"])
    with time_machine.travel(local(2026, 10, 31, 9, 0), tick=False):
        page = client.get(c.get_absolute_url()).content.decode()
    assert 'data-move="open"' not in page and "截止日期 2026-10-30 已过，请先修改截止日期。" in page
    with time_machine.travel(local(2026, 10, 9, 9, 0), tick=False):
        page = client.get(c.get_absolute_url()).content.decode()
        assert 'data-move="open"' in page
        url = reverse("qms:move", args=[ContentType.objects.get_for_model(SurveyCampaign).pk, c.pk, "open"])
        response = client.post(url, {"expected_from": "draft"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == CampaignStatus.OPEN


def test_the_draft_recipients_can_be_changed_before_opening_and_not_after(people, accounts, login):
    c = new_campaign(people)
    client = login(people["service"])
    response = client.post(reverse("complaints:survey_recipients", args=[c.pk]),
                           {"customers": [accounts["a1"].pk, accounts["c1"].pk]})
    assert response.status_code == 302
    assert set(c.responses.values_list("customer_id", flat=True)) == {accounts["a1"].pk, accounts["c1"].pk}
    with time_machine.travel(local(2026, 10, 9, 9, 0), tick=False):
        surveys.open_campaign(c, by=people["service"])
    with pytest.raises(Refused, match="调查已开始，不能再修改问题、调查对象和日期。"):
        surveys.set_recipients(c, by=people["service"], customers=[accounts["a2"]])


def test_a_draft_is_edited_on_its_page_and_an_open_campaign_is_not(people, accounts, login):
    c = new_campaign(people)
    client = login(people["service"])
    url = reverse("complaints:survey_edit", args=[c.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "2026 年度顾客满意度调查", "opens_on": "2026-10-12",
                                 "closes_on": "2026-11-06", "low_score": 2, "questions": "服务态度\n产品质量\n包装"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.title, c.closes_on, c.low_score) == ("2026 年度顾客满意度调查", dt.date(2026, 11, 6), 2)
    assert list(c.questions.order_by("order").values_list("text", flat=True)) == ["服务态度", "产品质量", "包装"]
    assert audit.history_for(c)[0]["reason"] == "修改满意度调查"
    with time_machine.travel(local(2026, 10, 12, 9, 0), tick=False):
        surveys.open_campaign(c, by=people["service"])
    page = client.get(url, follow=True).content.decode()
    assert "调查已开始，不能再修改问题、调查对象和日期。" in page


# --- entering results ------------------------------------------------------------------------------------
def test_entering_every_customer_of_an_owner_meets_their_deadline(people, campaign, accounts):
    with time_machine.travel(local(2026, 10, 12, 10, 0), tick=False):
        surveys.enter_response(response_of(campaign, accounts["a2"]), by=people["sales2"],
                               scores=scores(campaign, 5, 4, 5, 4, 4, 5), respondent="李晓梅")
        kind = f"survey_collect:{people['sales2'].pk}"
        assert Deadline.objects.get(object_id=campaign.pk, kind=kind).state == Deadline.State.OPEN
        surveys.enter_response(response_of(campaign, accounts["b1"]), by=people["service"],
                               scores=scores(campaign, 4, 4, 4, 4, 4, 4))
    assert Deadline.objects.get(object_id=campaign.pk, kind=kind).state == Deadline.State.MET
    assert Deadline.objects.get(object_id=campaign.pk, kind=f"survey_collect:{people['sales'].pk}").state == \
        Deadline.State.OPEN
    entered = response_of(campaign, accounts["a2"])
    assert entered.submitted_at == local(2026, 10, 12, 10, 0) and entered.entered_by == people["sales2"]
    assert audit.history_for(entered)[0]["reason"] == "录入满意度调查结果"


def test_low_scores_raise_one_feedback_item_listing_them_exactly_once(people, campaign, accounts):
    response = response_of(campaign, accounts["a1"])
    surveys.enter_response(response, by=people["sales"], scores=scores(campaign, 4, 2, 5, 4, 1, 4),
                           respondent="王建国", comment="交货经常推迟。")
    item = feedback_items().get()
    assert (item.type, item.customer, item.received_by) == (FeedbackType.SUGGESTION, accounts["a1"], people["sales"])
    assert "交货及时性：2 分（不满意）" in item.description
    assert "价格：1 分（非常不满意）" in item.description
    assert "产品质量" not in item.description and "交货经常推迟。" in item.description
    assert reverse("complaints:survey_response", args=[response.pk]) in item.description
    # a correction, the closing sweep and a direct second call raise nothing more
    surveys.enter_response(response, by=people["service"], scores=scores(campaign, 4, 1, 5, 4, 1, 4),
                           respondent="王建国", comment="交货经常推迟。", reason="客户来电更正")
    surveys.close_campaign(campaign, by=people["quality"])
    assert surveys.raise_low_score_feedback(response, by=people["service"]) == item
    assert feedback_items().count() == 1


def test_scores_above_the_threshold_raise_no_feedback(people, campaign, accounts):
    surveys.enter_response(response_of(campaign, accounts["a1"]), by=people["sales"],
                           scores=scores(campaign, 4, 4, 5, 4, 4, 4))
    assert not feedback_items().exists()


def test_a_correction_needs_a_reason_and_the_history_keeps_the_old_scores(people, campaign, accounts):
    response = response_of(campaign, accounts["a1"])
    surveys.enter_response(response, by=people["sales"], scores=scores(campaign, 4, 4, 5, 4, 4, 4))
    with pytest.raises(Refused, match="修改已录入的调查结果需要填写修改理由。"):
        surveys.enter_response(response, by=people["sales"], scores=scores(campaign, 5, 4, 5, 4, 4, 4))
    assert SurveyAnswer.objects.get(response=response, question__text="产品质量").score == 4
    surveys.enter_response(response, by=people["sales"], scores=scores(campaign, 5, 4, 5, 4, 4, 4),
                           reason="客户来电更正")
    assert audit.history_for(response)[0]["reason"] == "修改满意度调查结果：客户来电更正（产品质量 4→5）"


def test_the_entry_form_saves_and_says_when_feedback_was_raised(people, campaign, accounts, login):
    response = response_of(campaign, accounts["a1"])
    client = login(people["sales"])
    url = reverse("complaints:survey_response_enter", args=[response.pk])
    assert client.get(url).status_code == 200
    data = {f"q{q.pk}": v for q, v in zip(campaign.questions.order_by("order"), ["5", "3", "5", "", "4", "4"])}
    page = client.post(url, {**data, "respondent": "王建国", "comment": ""}, follow=True).content.decode()
    item = feedback_items().get()
    assert f"已保存。有项目得分不高于 3 分，已登记顾客反馈 {item.number}。" in page
    assert SurveyAnswer.objects.filter(response=response).count() == 5  # 技术支持 left unanswered


def test_correcting_through_the_form_asks_why_and_keeps_the_recorded_time(people, campaign, accounts, login):
    response = response_of(campaign, accounts["a1"])
    with time_machine.travel(local(2026, 10, 12, 10, 0, 42), tick=False):
        surveys.enter_response(response, by=people["sales"], scores=scores(campaign, 4, 4, 5, 4, 4, 4))
    client = login(people["sales"])
    url = reverse("complaints:survey_response_enter", args=[response.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    assert client.post(url, {**data, "reason": ""}).status_code == 302  # nothing changed: no reason asked
    data[f"q{campaign.questions.get(text='价格').pk}"] = "5"
    page = client.post(url, data)
    assert page.status_code == 400 and "修改已录入的调查结果需要填写修改理由。" in page.content.decode()
    client.post(url, {**data, "reason": "客户来电更正"})
    response.refresh_from_db()
    assert response.submitted_at == local(2026, 10, 12, 10, 0, 42)
    assert SurveyAnswer.objects.get(response=response, question__text="价格").score == 5


def test_the_entry_form_without_any_score_says_so(people, campaign, accounts, login):
    response = response_of(campaign, accounts["a1"])
    page = login(people["sales"]).post(reverse("complaints:survey_response_enter", args=[response.pk]),
                                       {"respondent": "王建国"})
    assert page.status_code == 400 and "请至少填写一项得分。" in page.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_results_cannot_be_entered_once_the_campaign_has_ended(people, campaign, accounts):
    surveys.close_campaign(campaign, by=people["service"])
    with pytest.raises(Refused, match="已结束，不能录入结果。"):
        surveys.enter_response(response_of(campaign, accounts["a1"]), by=people["service"],
                               scores=scores(campaign, 5, 5, 5, 5, 5, 5))
    # the collectors' deadlines were cancelled, not met
    assert set(Deadline.objects.filter(object_id=campaign.pk, kind__startswith="survey_collect")
               .values_list("state", flat=True)) == {Deadline.State.CANCELLED}


# --- the Excel import ------------------------------------------------------------------------------------
def headers_of(campaign):
    return ["客户编号", "客户名称", "填写人", "回收日期", *QUESTIONS, "意见和建议"]


def xlsx(campaign, rows) -> bytes:
    return workbook(rows, headers=headers_of(campaign))


def upload(client, campaign, content):
    return post_import(client, survey_imports.import_key(campaign), content, "结果.xlsx")


def test_the_template_lists_the_campaigns_customers_and_one_column_per_question(people, campaign, accounts, login):
    response = login(people["service"]).get(
        reverse("qms:import_template", args=[survey_imports.import_key(campaign)]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == headers_of(campaign)
    assert {(r[0], r[1]) for r in rows[1:]} == {(accounts[k].pk, accounts[k].name) for k in ("a1", "a2", "b1")}


def test_the_import_page_lists_the_question_columns(people, campaign, login):
    page = login(people["service"]).get(reverse("qms:import_start", args=[survey_imports.import_key(campaign)]))
    html = page.content.decode()
    assert page.status_code == 200 and "导入2026 年满意度调查结果" in html
    assert all(f"<td>{text}</td>" in html for text in QUESTIONS)


def test_an_import_with_bad_rows_reports_every_one_and_imports_nothing(people, campaign, accounts, login):
    entered = response_of(campaign, accounts["b1"])
    surveys.enter_response(entered, by=people["service"], scores=scores(campaign, 4, 4, 4, 4, 4, 4))
    client = login(people["service"])
    upload(client, campaign, xlsx(campaign, [
        [accounts["a1"].pk, accounts["a1"].name, "王建国", None, 5, 4, 5, 4, 4, 5, ""],  # good
        [None, "不存在的客户有限公司", None, None, 5, 5, 5, 5, 5, 5, None],  # row 3: not surveyed
        [accounts["a2"].pk, accounts["a2"].name, None, None, 6, 5, 5, 5, 5, 5, None],  # row 4: score 6
        [accounts["a2"].pk, "另一个名称", None, None, 5, 5, 5, 5, 5, 5, None],  # row 5: number and name disagree
        [None, accounts["b1"].name, None, None, 3, 3, 3, 3, 3, 3, None],  # row 6: already entered
        [accounts["c1"].pk, accounts["c1"].name, None, None, 4, 4, 4, 4, 4, 4, None],  # row 7: not a recipient
        [accounts["a2"].pk, accounts["a2"].name, None, None, None, None, None, None, None, None, "无"],  # row 8
        [None, None, None, None, 5, 5, 5, 5, 5, 5, None],  # row 9: no customer
    ]))
    batch = ImportBatch.objects.latest("id")
    assert batch.status == ImportBatch.Status.PREVIEW
    errors = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert errors == {
        (3, "客户名称"): "客户“不存在的客户有限公司”不在本次调查的对象中。",
        (4, "产品质量"): "“6”不是可选的值，请从下拉列表中选择。",
        (5, "客户名称"): f"客户编号 {accounts['a2'].pk} 对应的是“上海浦江国际贸易有限公司”，与所填客户名称不符。",
        (6, "客户名称"): f"该客户的结果已于 {entered.submitted_at.date().isoformat()} 录入；如需修改，请在答卷页面填写理由后修改。",
        (7, "客户编号"): f"编号为 {accounts['c1'].pk} 的客户不在本次调查的对象中。",
        (8, ""): "请至少填写一项得分。",
        (8, "客户名称"): "与第 4 行重复",
        (9, "客户名称"): "请填写客户名称。",
    }
    assert (batch.valid_rows, batch.error_rows) == (1, 7)  # rows 3–9
    response = client.post(reverse("qms:import_commit", args=[batch.pk]), follow=True)
    assert "有 7 行有错误" in response.content.decode()
    assert not SurveyAnswer.objects.exclude(response=entered).exists()
    assert response_of(campaign, accounts["a1"]).submitted_at is None


def test_a_good_import_saves_nothing_until_confirmed_then_every_row(people, campaign, accounts, login):
    client = login(people["service"])
    upload(client, campaign, xlsx(campaign, [
        [accounts["a1"].pk, accounts["a1"].name, "王建国", dt.datetime(2026, 10, 15), 5, 4, 5, 4, 4, 5, "满意"],
        [None, accounts["a2"].name, "李晓梅", None, 4, 2, 4, 4, 3, 4, "交货慢"],
    ]))
    batch = ImportBatch.objects.latest("id")
    assert (batch.status, batch.valid_rows, batch.error_rows) == (ImportBatch.Status.PREVIEW, 2, 0)
    assert not SurveyAnswer.objects.exists()
    with time_machine.travel(local(2026, 10, 20, 9, 0), tick=False):
        client.post(reverse("qms:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == (ImportBatch.Status.IMPORTED, 2)
    a1 = response_of(campaign, accounts["a1"])
    assert a1.submitted_at == local(2026, 10, 15, 12, 0) and a1.respondent == "王建国" and a1.comment == "满意"
    assert SurveyAnswer.objects.filter(response=a1).count() == 6
    item = feedback_items().get()
    assert item.customer == accounts["a2"] and "交货及时性：2 分" in item.description and "价格：3 分" in item.description


def test_reverting_an_import_clears_its_results_unless_feedback_was_raised(people, campaign, accounts, login):
    client = login(people["service"])
    upload(client, campaign, xlsx(campaign, [[accounts["a1"].pk, accounts["a1"].name, None, None, 5, 4, 5, 4, 4, 5,
                                               None]]))
    batch = ImportBatch.objects.latest("id")
    client.post(reverse("qms:import_commit", args=[batch.pk]))
    client.post(reverse("qms:import_revert", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REVERTED
    assert response_of(campaign, accounts["a1"]).submitted_at is None and not SurveyAnswer.objects.exists()

    upload(client, campaign, xlsx(campaign, [[accounts["a2"].pk, accounts["a2"].name, None, None, 1, 4, 5, 4, 4, 5,
                                               None]]))
    batch = ImportBatch.objects.latest("id")
    client.post(reverse("qms:import_commit", args=[batch.pk]))
    page = client.post(reverse("qms:import_revert", args=[batch.pk]), follow=True).content.decode()
    assert "以下客户的低分已登记为顾客反馈，不能撤销：上海浦江国际贸易有限公司。" in page
    assert response_of(campaign, accounts["a2"]).submitted_at is not None


def test_a_salesperson_may_not_import_results(people, campaign, login):
    response = login(people["sales2"]).get(reverse("qms:import_start",
                                                   args=[survey_imports.import_key(campaign)]))
    assert response.status_code == 403


# --- analysis ----------------------------------------------------------------------------------------------
@pytest.fixture
def answered(people, campaign, accounts):
    """a1 (A): 4,2,5,4,1,4 · a2 (A): 5,4,5,4,4,5 · b1 (B) not returned."""
    surveys.enter_response(response_of(campaign, accounts["a1"]), by=people["sales"],
                           scores=scores(campaign, 4, 2, 5, 4, 1, 4))
    surveys.enter_response(response_of(campaign, accounts["a2"]), by=people["sales2"],
                           scores=scores(campaign, 5, 4, 5, 4, 4, 5))
    return campaign


def test_the_analysis_gives_each_questions_average_and_distribution_and_each_grades_figures(answered):
    analysis = surveys.analyse(answered)
    by_text = {f.question.text: f for f in analysis.questions}
    assert (by_text["产品质量"].average, by_text["产品质量"].distribution) == (4.5, [0, 0, 0, 1, 1])
    assert (by_text["交货及时性"].average, by_text["交货及时性"].low) == (3.0, 1)
    assert (by_text["价格"].average, by_text["价格"].index) == (2.5, 50.0)
    assert (analysis.sent, analysis.returned, analysis.rate) == (3, 2, 66.7)
    # (20 + 27) / 12 = 3.9167; the index is 47 / 60
    assert analysis.answers == 12 and analysis.average == 3.92 and analysis.index == 78.3
    assert analysis.low_responses == 1
    grades = {g.grade: g for g in analysis.grades}
    assert (grades["A"].recipients, grades["A"].returned, grades["A"].rate, grades["A"].average) == (2, 2, 100.0, 3.92)
    assert (grades["B"].recipients, grades["B"].returned, grades["B"].rate, grades["B"].average) == (1, 0, 0.0, None)


def test_the_analysis_tab_shows_the_tables_and_the_chart_data(people, answered, login):
    page = login(people["quality"]).get(answered.get_absolute_url(), {"tab": "analysis"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="chart-questions"' in html and "js/survey_charts.js" in html and 'id="chart-data"' in html
    assert page.context["chart_data"]["questions"]["averages"][0] == 4.5
    assert '<div class="h5 mb-0" id="total-rate">66.7</div>' in html


def test_the_export_holds_the_analysis_and_every_response(people, answered, accounts, login):
    response = login(people["quality"]).get(reverse("complaints:survey_export", args=[answered.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = {row[0]: row[1] for row in workbook["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["回收率（%）"] == 66.7 and summary["总平均分"] == 3.92
    questions = list(workbook["按问题"].iter_rows(values_only=True))
    assert questions[2][:4] == ("交货及时性", 2, 3.0, 60.0)
    details = list(workbook["答卷明细"].iter_rows(values_only=True))
    row = next(r for r in details if r[1] == accounts["a1"].name)
    item = feedback_items().get()
    assert row[7:13] == (4, 2, 5, 4, 1, 4) and row[-1] == item.number


# --- the yearly draft ----------------------------------------------------------------------------------------
def test_the_yearly_draft_is_created_in_the_configured_month_once(people, accounts, settings):
    from complaints.survey_tasks import prepare_yearly_survey

    settings.QMS_SURVEY_MONTH = 6
    with time_machine.travel(local(2026, 5, 31, 7, 0), tick=False):
        assert prepare_yearly_survey.apply().get() is None
    # 1 June 07:00 in Shanghai is still 31 May in UTC
    with time_machine.travel(local(2026, 6, 1, 7, 0), tick=False):
        pk = prepare_yearly_survey.apply().get()
        assert prepare_yearly_survey.apply().get() is None
    with time_machine.travel(local(2026, 6, 15, 7, 0), tick=False):
        assert prepare_yearly_survey.apply().get() is None
    c = SurveyCampaign.objects.get()
    assert (c.pk, c.year, c.status, c.opens_on) == (pk, 2026, CampaignStatus.DRAFT, dt.date(2026, 6, 1))
    assert c.responses.count() == 3 and c.questions.count() == 6
    told = Notification.objects.filter(title="已生成2026 年度客户满意度调查（准备中）")
    assert {n.recipient.username for n in told} == {"mr", "service"}
    with time_machine.travel(local(2026, 10, 1, 7, 0), tick=False):
        assert prepare_yearly_survey.apply().get() is None
    with time_machine.travel(local(2027, 6, 2, 7, 0), tick=False):  # the 1st missed: caught up the next day
        assert prepare_yearly_survey.apply().get() is not None
    assert list(SurveyCampaign.objects.order_by("year").values_list("year", flat=True)) == [2026, 2027]


def test_the_default_survey_month_is_october(people, accounts):
    with time_machine.travel(local(2026, 9, 30, 7, 0), tick=False):
        assert surveys.prepare_yearly_campaign() is None
    with time_machine.travel(local(2026, 10, 1, 7, 0), tick=False):
        assert surveys.prepare_yearly_campaign().year == 2026


def test_the_beat_schedule_row_exists_after_migrate():
    from django_celery_beat.models import PeriodicTask

    from complaints.survey_tasks import TASK

    task = PeriodicTask.objects.select_related("crontab").get(task=TASK)
    cron = task.crontab
    assert task.enabled and (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year) == ("0", "7", "*", "*")
    assert str(cron.timezone) == "Asia/Shanghai"


# --- who may see and do what --------------------------------------------------------------------------------
def test_a_draft_is_invisible_to_salespeople(people, accounts, login):
    c = new_campaign(people)
    assert login(people["sales2"]).get(c.get_absolute_url()).status_code == 404


def test_a_salesperson_sees_only_their_customers_and_no_analysis(people, answered, accounts, login):
    client = login(people["sales2"])
    page = client.get(answered.get_absolute_url(), {"tab": "responses"})
    names = {row["response"].customer.name for row in page.context["rows"]}
    assert names == {"上海浦江国际贸易有限公司", "苏州精密机械有限公司"}
    assert not any(tab["slug"] == "analysis" for tab in page.context["tabs"])
    assert client.get(reverse("complaints:survey_export", args=[answered.pk])).status_code == 404
    other = response_of(answered, accounts["a1"])
    assert client.get(reverse("complaints:survey_response", args=[other.pk])).status_code == 404
    assert client.get(reverse("complaints:survey_response_enter", args=[other.pk])).status_code == 404


def test_the_sales_manager_sees_the_departments_results_but_enters_only_their_own(people, answered, accounts, login):
    client = login(people["sales"])  # manager of the sales department
    theirs = response_of(answered, accounts["b1"])  # owned by sales2
    assert client.get(reverse("complaints:survey_response", args=[theirs.pk])).status_code == 200
    page = client.post(reverse("complaints:survey_response_enter", args=[theirs.pk]),
                       {f"q{q.pk}": "5" for q in answered.questions.all()}, follow=True).content.decode()
    assert "只有客户负责人、客户服务或管理者代表可以录入此客户的调查结果。" in page
    assert response_of(answered, accounts["b1"]).submitted_at is None


def test_a_salesperson_may_not_create_a_campaign(people, login):
    assert login(people["sales"]).get(reverse("complaints:survey_create")).status_code == 403
    with pytest.raises(Refused, match="只有客户服务或管理者代表可以发起满意度调查。"):
        surveys.create_campaign(by=people["sales"], year=2026)


def test_the_response_page_links_to_the_feedback_item(people, answered, accounts, login):
    response = response_of(answered, accounts["a1"])
    item = feedback_items().get()
    page = login(people["service"]).get(reverse("complaints:survey_response", args=[response.pk]))
    assert f'<a href="{item.get_absolute_url()}">{item.number}</a>' in page.content.decode()


def test_the_menu_has_the_survey_entry(people, login):
    page = login(people["service"]).get(reverse("complaints:surveys")).content.decode()
    assert reverse("complaints:surveys") in page and "满意度调查" in page


def test_the_list_keeps_a_constant_number_of_queries(people, login):
    client = login(people["quality"])

    def add(n):
        for _i in range(n):
            surveys.create_campaign(by=people["service"], year=2026, opens_on=dt.date(2026, 10, 9),
                                    closes_on=dt.date(2026, 10, 30), customers=[])

    add(3)
    with count_queries() as few:
        assert client.get(reverse("complaints:surveys")).status_code == 200
    add(27)
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("complaints:surveys"))
    assert response.context["table"].paginator.count == 30


def test_the_demo_has_last_years_closed_campaign_and_this_years_open_one(people):
    from complaints.demo import seed_surveys
    from customers.demo import seed_customers

    seed_customers(people, io.StringIO())
    seed_surveys(people, io.StringIO())
    seed_surveys(people, io.StringIO())  # idempotent
    year = timezone.localdate().year
    last, this = SurveyCampaign.objects.get(year=year - 1), SurveyCampaign.objects.get(year=year)
    assert last.status == CampaignStatus.CLOSED and this.status == CampaignStatus.OPEN
    assert last.closes_on == dt.date(year - 1, 10, 30)
    assert not last.responses.filter(submitted_at__isnull=True).exists()
    assert 0 < this.responses.filter(submitted_at__isnull=False).count() < this.responses.count()
    assert feedback_items().filter(customer__survey_responses__campaign=last).exists()
