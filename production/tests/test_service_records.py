"""The field service record 《现场服务处理记录单》 and the customer opinion form 《顾客意见处理表》 (seed 003 §5.2.11),
linked to the complaint they serve."""
import pytest
from django.urls import reverse

from production.models import CustomerOpinion, FieldServiceRecord
from production.services import service_records
from production.tests import factories
from production.tests.factories import PASSWORD
from qms import audit, workflow
from qms.refusals import Refused
from qms.signatures import Signature
from qms.tests.test_pdf import pdf_text
from qms.workflow import TransitionRefused

pytestmark = pytest.mark.django_db


def _complaint(people):
    from complaints.tests import factories as complaint_factories

    return complaint_factories.received(people, batch="SC-2026-0001-01")


def test_a_field_service_is_signed_by_the_customer_then_filed_by_marketing(people):
    complaint = _complaint(people)
    record = factories.field_service(people, complaint=complaint, by="engineering")
    assert record.number.startswith("XF-") and record.status == "open"
    assert list(complaint.field_services.all()) == [record]
    with pytest.raises(TransitionRefused, match="当前状态“待顾客确认”下不能执行此操作"):
        workflow.perform(record, "filed", people["sales"])  # not before the customer signed
    with pytest.raises(TransitionRefused, match="没有权限"):
        workflow.perform(record, "confirmed", people["finance"], values={"customer_signatory": "刘护士长",
                                                                         "customer_comment": "满意"})
    workflow.perform(record, "confirmed", people["engineering"],
                     values={"customer_signatory": "刘护士长", "customer_comment": "处理及时，满意"})
    workflow.perform(record, "filed", people["sales"])
    record.refresh_from_db()
    assert (record.status, record.customer_signatory) == ("filed", "刘护士长")
    events = audit.event_model(FieldServiceRecord).objects.filter(pgh_obj_id=record.pk).order_by("pgh_id")
    assert events.first().pgh_context["reason"] == "填写现场服务处理记录单"
    assert [e.status for e in events] == ["open", "confirmed", "filed"]
    assert events.last().pgh_context["user"] == people["sales"].pk


def test_a_field_service_needs_what_was_found_and_done(people):
    with pytest.raises(Refused, match="请填写：现场问题、处理情况"):
        service_records.record_field_service(by=people["service"], customer_name="杭州仁和医院", site="输液室",
                                             problem=" ", work_done="")
    with pytest.raises(Refused, match="只有派出服务的人员"):
        service_records.record_field_service(by=people["finance"], customer_name="杭州仁和医院", site="输液室",
                                             problem="渗漏", work_done="更换")
    assert not FieldServiceRecord.objects.exists()


def test_quality_answers_a_customer_opinion_with_its_signature_and_marketing_closes_it(people):
    complaint = _complaint(people)
    opinion = factories.opinion(people, complaint=complaint)
    assert opinion.number.startswith("YJ-") and list(complaint.customer_opinions.all()) == [opinion]
    answer = {"cause": "粘接工序固化时间不足", "measures": "固化时间由 30 s 调整为 45 s，增加拉力抽检",
              "reply": "已书面答复顾客并提供整改报告"}
    with pytest.raises(TransitionRefused, match="没有权限"):
        workflow.perform(opinion, "answered", people["sales"], password=PASSWORD, values=answer)
    with pytest.raises(Refused, match="密码错误"):
        workflow.perform(opinion, "answered", people["quality"], password="wrong", values=answer)
    workflow.perform(opinion, "answered", people["quality"], password=PASSWORD, values=answer)
    assert Signature.objects.filter(object_id=opinion.pk, signer=people["quality"], meaning="approval").exists()
    workflow.perform(opinion, "closed", people["service"], values={"outcome": "顾客确认满意"})
    opinion.refresh_from_db()
    assert (opinion.status, opinion.cause) == ("closed", "粘接工序固化时间不足")


def test_only_marketing_takes_a_customer_opinion_down(people):
    with pytest.raises(Refused, match="顾客意见处理表由营销部"):
        factories.opinion(people, by="quality")
    assert not CustomerOpinion.objects.exists()


def test_a_field_service_is_registered_from_its_complaint_on_the_form(people, client):
    complaint = _complaint(people)
    client.force_login(people["service"])
    url = reverse("production:field_service_create")
    form = client.get(url, {"complaint": complaint.pk}).context["form"]
    assert form.initial["complaint_number"] == complaint.number and form.initial["batch"] == "SC-2026-0001-01"
    bad = client.post(url, {"complaint_number": "TS-0000-9999", "customer_name": "x", "site": "x",
                            "arrived_at": "2026-12-01 10:00", "problem": "x", "work_done": "x"})
    assert "找不到编号为 TS-0000-9999 的投诉" in bad.content.decode()
    response = client.post(url, {"complaint_number": complaint.number, "customer_name": "杭州仁和医院",
                                 "site": "输液室", "arrived_at": "2026-12-01 10:00", "problem": "渗漏",
                                 "work_done": "更换"})
    record = FieldServiceRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    assert record.complaint == complaint


def test_the_printed_forms_carry_the_record(people, client):
    record = factories.field_service(people)
    opinion = factories.opinion(people)
    client.force_login(people["quality"])
    text = pdf_text(client.get(reverse("production:field_service_pdf", args=[record.pk])).content)
    for expected in ("现场服务处理记录单", record.number, "滴斗与管路连接处渗漏", "杭州仁和医院"):
        assert expected in text
    text = pdf_text(client.get(reverse("production:opinion_pdf", args=[opinion.pk])).content)
    for expected in ("顾客意见处理表", opinion.number, "验收后发现质量问题", "书面说明原因并提供整改报告"):
        assert expected in text


def test_the_lists_show_and_export_the_records(people, client):
    record = factories.field_service(people)
    client.force_login(people["service"])
    page = client.get(reverse("production:field_service_list"))
    assert record.number in page.content.decode()
    client.force_login(people["finance"])
    assert client.get(reverse("production:field_service_list")).status_code == 403
    assert client.get(record.get_absolute_url()).status_code == 404


def test_the_complaint_lists_the_records_that_serve_it(people, client):
    complaint = _complaint(people)
    record = factories.field_service(people, complaint=complaint)
    opinion = factories.opinion(people, complaint=complaint)
    client.force_login(people["service"])
    html = client.get(complaint.get_absolute_url(), {"tab": "service"}).content.decode()
    assert record.number in html and opinion.number in html
    assert f"{reverse('production:opinion_create')}?complaint={complaint.pk}" in html
    client.force_login(people["quality"])
    html = client.get(complaint.get_absolute_url(), {"tab": "service"}).content.decode()
    assert f"{reverse('production:trace')}?batch=SC-2026-0001-01" in html  # quality traces the complaint's batch
