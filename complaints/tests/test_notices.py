"""Advisory notices 《忠告性通知》 (PROCEDURES.md §3; seed 002 §4.9): drafted and issued by the MR (signature,
password re-asked), recipients sent and their owners told, acknowledgements tracked against a 5-working-day
follow-up deadline, the authority's notification, closing (a reason while some have not acknowledged), audit,
visibility, the pages and the PDF."""
import datetime as dt
import subprocess
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from complaints.models import AdvisoryNotice, NoticeRecipient, NoticeStatus
from complaints.services import notices as service
from customers.tests.factories import make_customer
from qms import Refused, audit
from qms.deadlines import Deadline
from qms.demo import DEMO_PASSWORD
from qms.notifications import Notification
from qms.registry import my_work
from qms.signatures import Signature, SignatureRefused, signatures_for
from qms.tests.cases import assert_queries_at_most
from qms.workflow import Transition, TransitionRefused, perform

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def customers(people):
    return [make_customer(people["sales"], name="北京协和医疗器械有限公司", grade="A"),
            make_customer(people["sales2"], name="上海康达贸易有限公司", grade="C"),
            make_customer(people["sales2"], name="杭州仁和医院", grade="B")]


def drafted(people, customers, **fields):
    values = {"title": "关于输液器批号 SY2611 暂停使用的通知", "product": "一次性使用输液器", "batches": "SY2611",
              "risk": "该批产品可能导致输液反应", "actions": "立即停止使用并隔离存放", **fields}
    return service.draft_notice(by=people["mr"], customers=customers, **values)


def issued(people, customers, when=at(2026, 9, 29, 10, 0)):
    with time_machine.travel(when - dt.timedelta(hours=1), tick=False):
        notice = drafted(people, customers)
    with time_machine.travel(when, tick=False):
        service.issue_notice(notice, by=people["mr"], password=DEMO_PASSWORD, comment="同意签发")
    notice.refresh_from_db()
    return notice


def recipient(notice, customer):
    return NoticeRecipient.objects.select_related("notice", "customer").get(notice=notice, customer=customer)


def follow_up(notice, state=Deadline.State.OPEN):
    return list(Deadline.objects.filter(content_type__model="advisorynotice", object_id=notice.pk,
                                        kind=service.FOLLOW_UP_KIND, state=state)
                .values_list("responsible__username", "due_at"))


def move_url(notice, to):
    return reverse("qms:move", args=[ContentType.objects.get_for_model(AdvisoryNotice).pk, notice.pk, to])


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


# --- drafting ----------------------------------------------------------------------------------------------
def test_the_mr_drafts_a_numbered_notice_for_chosen_customers(people, customers):
    notice = drafted(people, customers + customers[:1])  # a customer chosen twice is one recipient
    assert notice.number.startswith("ZG-") and notice.status == NoticeStatus.DRAFT
    assert sorted(notice.recipients.values_list("customer__name", flat=True)) == sorted(c.name for c in customers)
    assert notice.recipients.filter(sent_at__isnull=False).count() == 0
    with pytest.raises(Refused, match="只有管理者代表可以起草忠告性通知"):
        service.draft_notice(by=people["quality"], title="x", product="x", risk="x", actions="x", customers=customers)
    with pytest.raises(Refused, match="请填写：风险说明、建议客户采取的措施"):
        service.draft_notice(by=people["mr"], title="x", product="x", risk=" ", actions="", customers=customers)


def test_a_draft_is_edited_and_its_recipients_changed_until_issued(people, customers):
    notice = drafted(people, customers[:2])
    service.update_draft(notice, by=people["mr"], customers=customers[1:], title="修订后的标题")
    assert notice.title == "修订后的标题"
    assert sorted(notice.recipients.values_list("customer__name", flat=True)) == sorted(c.name for c in customers[1:])
    service.issue_notice(notice, by=people["mr"], password=DEMO_PASSWORD)
    with pytest.raises(Refused, match="只有草稿可以修改"):
        service.update_draft(notice, by=people["mr"], customers=customers, title="再改")


# --- issuing -----------------------------------------------------------------------------------------------
def test_issuing_needs_the_mrs_signature_and_a_wrong_password_changes_nothing(people, customers):
    notice = drafted(people, customers)
    with pytest.raises(TransitionRefused, match="您没有权限执行“签发”"):
        service.issue_notice(notice, by=people["quality"], password=DEMO_PASSWORD)
    with pytest.raises(TransitionRefused, match="您没有权限执行“签发”"):
        service.issue_notice(notice, by=people["gm"], password=DEMO_PASSWORD)
    with pytest.raises(SignatureRefused, match="密码错误，未签名"):
        service.issue_notice(notice, by=people["mr"], password="wrong")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT and notice.issued_at is None
    assert not Signature.objects.filter(content_type__model="advisorynotice", object_id=notice.pk).exists()
    assert notice.recipients.filter(sent_at__isnull=False).count() == 0


def test_an_issued_notice_is_sent_signed_followed_up_and_the_owners_told(people, customers):
    # issued on the eve of the National Day holiday: 5 working days run to 10-13
    notice = issued(people, customers, when=at(2026, 9, 30, 10, 0))
    assert notice.status == NoticeStatus.ISSUED and notice.issued_at == at(2026, 9, 30, 10, 0)
    assert set(notice.recipients.values_list("sent_at", flat=True)) == {at(2026, 9, 30, 10, 0)}
    [signature] = signatures_for(notice)
    assert (signature["signer_name"], signature["meaning"], signature["valid"]) == ("李代表", "批准", True)
    assert follow_up(notice) == [("mr", at(2026, 10, 13, 10, 0))]
    assert titles(people["sales"]) == [f"忠告性通知 {notice.number}：{notice.title}"]
    assert titles(people["sales2"]) == [f"忠告性通知 {notice.number}：{notice.title}"]
    body = Notification.objects.get(recipient=people["sales2"]).body
    assert "上海康达贸易有限公司" in body and "杭州仁和医院" in body
    [move] = Transition.objects.filter(content_type__model="advisorynotice", object_id=notice.pk)
    assert (move.from_status, move.to_status, move.by) == ("draft", "issued", people["mr"])
    assert any(e.pgh_context.get("reason") == "签发" for e in
               audit.event_model(AdvisoryNotice).objects.filter(pgh_obj_id=notice.pk))
    # recording the later times does not void the issuing signature
    service.record_authority_notified(notice, by=people["mr"], notified_at=at(2026, 9, 30, 11, 0))
    notice.refresh_from_db()
    assert signatures_for(notice)[0]["valid"]
    assert notice.authority_notified_at == at(2026, 9, 30, 11, 0)


def test_the_authority_time_is_the_mrs_and_only_after_issue(people, customers):
    notice = drafted(people, customers)
    with pytest.raises(Refused, match="通知签发后才能登记"):
        service.record_authority_notified(notice, by=people["mr"], notified_at=at(2026, 9, 30, 11, 0))
    service.issue_notice(notice, by=people["mr"], password=DEMO_PASSWORD)
    with pytest.raises(Refused, match="只有管理者代表可以登记报告监管部门的时间"):
        service.record_authority_notified(notice, by=people["quality"], notified_at=notice.created_at)


# --- acknowledgements ---------------------------------------------------------------------------------------
def test_acknowledgements_are_recorded_by_the_owner_and_the_last_meets_the_deadline(people, customers):
    notice = issued(people, customers)
    first = recipient(notice, customers[0])
    with pytest.raises(Refused, match="只有该客户的负责人、客户服务、品质部或管理者代表可以登记确认"):
        service.record_acknowledgement(first, by=people["sales2"], acknowledged_by="王经理")
    with pytest.raises(Refused, match="请填写客户方确认人"):
        service.record_acknowledgement(first, by=people["sales"], acknowledged_by=" ")
    with pytest.raises(Refused, match="确认时间不能早于通知发送时间"):
        service.record_acknowledgement(first, by=people["sales"], acknowledged_by="王经理",
                                       acknowledged_at=at(2026, 9, 28, 9, 0))
    service.record_acknowledgement(first, by=people["sales"], acknowledged_by="采购部 王经理",
                                   acknowledged_at=at(2026, 9, 29, 15, 0), note="邮件回复")
    first.refresh_from_db()
    assert (first.acknowledged_by, first.acknowledged_at, first.note) == ("采购部 王经理", at(2026, 9, 29, 15, 0),
                                                                          "邮件回复")
    assert follow_up(notice)  # two still to acknowledge
    with pytest.raises(Refused, match="已于 2026-09-29 15:00 确认收到"):
        service.record_acknowledgement(first, by=people["sales"], acknowledged_by="又一次")
    event = (audit.event_model(NoticeRecipient).objects.filter(pgh_obj_id=first.pk).order_by("-pgh_id").first())
    assert event.pgh_context["reason"] == "登记客户确认收到忠告性通知：北京协和医疗器械有限公司"
    assert event.pgh_context["user_name"] == "张销售"
    service.record_acknowledgement(recipient(notice, customers[1]), by=people["sales2"], acknowledged_by="李主任")
    service.record_acknowledgement(recipient(notice, customers[2]), by=people["service"], acknowledged_by="陈科长")
    assert follow_up(notice) == [] and follow_up(notice, Deadline.State.MET)
    assert titles(people["mr"])[-1] == f"忠告性通知 {notice.number} 的客户已全部确认收到"


def test_an_owner_sees_the_outstanding_acknowledgement_in_my_work(people, customers):
    notice = issued(people, customers)
    items = [i for i in my_work(people["sales2"]) if i.category == "忠告性通知"]
    assert sorted(i.title for i in items) == sorted(
        f"转达忠告性通知并记录确认：{notice.number} → {name}" for name in ("上海康达贸易有限公司", "杭州仁和医院"))
    service.record_acknowledgement(recipient(notice, customers[1]), by=people["sales2"], acknowledged_by="李主任")
    assert len([i for i in my_work(people["sales2"]) if i.category == "忠告性通知"]) == 1


# --- closing -----------------------------------------------------------------------------------------------
def test_closing_while_recipients_have_not_acknowledged_needs_a_reason(people, customers):
    notice = issued(people, customers)
    service.record_acknowledgement(recipient(notice, customers[0]), by=people["sales"], acknowledged_by="王经理")
    with pytest.raises(TransitionRefused, match="尚有 2 个客户未确认收到，关闭须填写理由"):
        service.close_notice(notice, by=people["mr"])
    # the shared move page cannot skip the rule either
    with pytest.raises(TransitionRefused, match="“关闭”需要填写理由"):
        perform(notice, NoticeStatus.CLOSED, people["mr"])
    with pytest.raises(TransitionRefused, match="您没有权限执行“关闭”"):
        service.close_notice(notice, by=people["quality"], reason="客户已停业")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ISSUED
    service.close_notice(notice, by=people["mr"], reason="两家客户已停业，无法联系")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED
    assert Transition.objects.get(object_id=notice.pk, content_type__model="advisorynotice",
                                  to_status="closed").reason == "两家客户已停业，无法联系"
    assert follow_up(notice) == []
    with pytest.raises(Refused, match="通知已关闭，不能再登记"):
        service.record_acknowledgement(recipient(notice, customers[1]), by=people["sales2"], acknowledged_by="迟到")


def test_a_fully_acknowledged_notice_closes_without_a_reason_and_a_draft_is_withdrawn_with_one(people, customers):
    notice = issued(people, customers[:1])
    service.record_acknowledgement(recipient(notice, customers[0]), by=people["mr"], acknowledged_by="王经理")
    service.close_notice(notice, by=people["mr"])
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED
    draft = drafted(people, customers)
    with pytest.raises(TransitionRefused, match="“撤销草稿”需要填写理由"):
        service.close_notice(draft, by=people["mr"])
    service.close_notice(draft, by=people["mr"], reason="风险评估后无需通知")
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.CLOSED and draft.issued_at is None


# --- visibility and pages ---------------------------------------------------------------------------------------
def test_owners_see_the_issued_notices_of_their_customers_and_nobody_else_sees_them(people, customers, login):
    draft = drafted(people, customers[1:2])
    other = issued(people, customers[:1])
    mine = issued(people, customers[1:2])
    client = login(people["sales2"])
    assert client.get(reverse("complaints:notice_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("complaints:notice_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("complaints:notice_detail", args=[mine.pk])).status_code == 200
    listed = client.get(reverse("complaints:notice_list"), {"scope": "all"}).context["table"].data.data
    assert [n.number for n in listed] == [mine.number]
    assert login(people["production"]).get(reverse("complaints:notice_pdf", args=[mine.pk])).status_code == 404
    quality = login(people["quality"]).get(reverse("complaints:notice_list"), {"scope": "all"})
    assert quality.context["table"].paginator.count == 3


def test_the_mr_drafts_issues_and_records_in_the_browser_pages(people, customers, login):
    client = login(people["mr"])
    response = client.post(reverse("complaints:notice_create"), {
        "title": "关于注射器批号 ZS01 的忠告性通知", "product": "一次性使用注射器", "batches": "ZS01",
        "risk": "针头可能脱落", "actions": "停止使用", "customers": [c.pk for c in customers]})
    assert response.status_code == 302
    notice = AdvisoryNotice.objects.get(title="关于注射器批号 ZS01 的忠告性通知")
    bad = client.post(reverse("complaints:notice_create"), {"title": "x", "product": "x", "risk": "x",
                                                             "actions": "x", "complaint_number": "TS-0000-9999"})
    assert bad.status_code == 400
    assert "找不到编号为 TS-0000-9999 的投诉。" in bad.content.decode()
    assert "请至少选择一个接收通知的客户。" in bad.content.decode()
    issue_url = move_url(notice, NoticeStatus.ISSUED)
    wrong = client.post(issue_url, {"expected_from": "draft", "password": "nope"})
    assert wrong.status_code == 409 and "密码错误，未签名。" in wrong.content.decode()
    assert client.post(issue_url, {"expected_from": "draft", "password": DEMO_PASSWORD,
                                   "comment": "同意"}).status_code == 302
    page = client.get(notice.get_absolute_url()).content.decode()
    assert page.count("登记确认") == 3 and 'data-move="closed"' in page
    target = recipient(notice, customers[2])
    ack_url = reverse("complaints:notice_acknowledge", args=[notice.pk, target.pk])
    assert client.post(ack_url, {"acknowledged_by": ""}).status_code == 400
    assert client.post(ack_url, {"acknowledged_by": "设备科 陈科长", "note": "传真回执"}).status_code == 302
    close = client.post(move_url(notice, NoticeStatus.CLOSED), {"expected_from": "issued", "reason": ""})
    assert close.status_code == 400 and "尚有 2 个客户未确认收到，关闭须填写理由。" in close.content.decode()
    # a salesperson cannot issue or close: the page explains why (the core move view words who may)
    refused = login(people["sales"]).get(move_url(notice, NoticeStatus.CLOSED), follow=True)
    assert "您没有权限执行“关闭”。" in refused.content.decode()


def test_the_notice_prints_with_its_recipients_and_signature(people, customers, login):
    notice = issued(people, customers)
    service.record_acknowledgement(recipient(notice, customers[0]), by=people["sales"], acknowledged_by="王经理")
    response = login(people["mr"]).get(reverse("complaints:notice_pdf", args=[notice.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode("utf-8")
    for expected in ("忠告性通知", notice.number, "关于输液器批号 SY2611 暂停使用的通知", "该批产品可能导致输液反应",
                     "北京协和医疗器械有限公司", "王经理", "未确认", "李代表", "批准"):
        assert expected in text, expected


def test_the_list_keeps_a_constant_query_count(people, customers, login):
    for _i in range(3):
        issued(people, customers)
    client = login(people["mr"])
    with assert_queries_at_most(40) as few:
        response = client.get(reverse("complaints:notice_list"), {"scope": "all"})
    assert response.context["table"].paginator.count == 3
    for _i in range(30):
        drafted(people, customers)
    with assert_queries_at_most(len(few)):
        response = client.get(reverse("complaints:notice_list"), {"scope": "all"})
    assert response.context["table"].paginator.count == 33


def test_every_tab_of_the_notice_page_renders(people, customers, login):
    notice = issued(people, customers)
    client = login(people["mr"])
    for tab in ("overview", "signatures", "attachments", "history"):
        response = client.get(notice.get_absolute_url(), {"tab": tab})
        assert response.status_code == 200, tab
    signatures_tab = client.get(notice.get_absolute_url(), {"tab": "signatures"}).content.decode()
    assert "签发" in signatures_tab and "李代表" in signatures_tab
    menu = client.get(reverse("complaints:notice_list")).content.decode()
    assert reverse("complaints:adverse_list") in menu and reverse("complaints:notice_list") in menu


def test_the_demo_seeds_adverse_events_and_a_partly_acknowledged_notice_once(people, customers):
    import io

    from complaints.models import Complaint
    from complaints.demo import seed_adverse_events
    from complaints.services import adverse as adverse_service

    seed_adverse_events(people, io.StringIO())
    seed_adverse_events(people, io.StringIO())
    events = Complaint.objects.filter(is_adverse_event=True)
    assert sorted(events.values_list("adverse_seriousness", flat=True)) == ["death", "other", "other", "serious"]
    assert events.get(adverse_seriousness="death").adverse_reported_at is not None
    serious = events.get(adverse_seriousness="serious")
    assert serious.adverse_reported_at is None and adverse_service.report_due_at(serious) < serious.updated_at
    notice = AdvisoryNotice.objects.get()
    assert notice.status == NoticeStatus.ISSUED
    assert notice.recipients.filter(acknowledged_at__isnull=False).count() == 2
    assert notice.recipients.filter(acknowledged_at__isnull=True).count() == 1
