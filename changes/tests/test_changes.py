"""Change control as the MR, quality and an auditor check it: the evidence and the approver each kind and class
require, the class lowered only with the MR's signed reason, the unacceptable risk refused, the drafter never
approving, the task clock across 国庆 and its slip report, the customer notification holding the confirmation, and
production refusing to move a lot of a changed product until the MR's confirmation."""
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from qms import Refused, audit, deadlines, workflow
from qms.demo import DEMO_PASSWORD as PASSWORD
from qms.people import Role
from qms.signatures import SignatureRefused
from qms.tests.test_pdf import pdf_text
from qms.workdays import add_working_days
from changes.models import ChangeRequest, ChangeStatus as S, ClassChange, Kind, ProcessClass
from changes.services import implementation, release, requests
from changes.tests import factories

pytestmark = pytest.mark.django_db


def test_class_decides_the_evidence_and_the_approver(people):
    change = factories.to_approval(people, factories.change(people))
    assert requests.approver_role(change) == Role.GM
    with pytest.raises(Refused) as refused:
        workflow.perform(change, S.IMPLEMENTING, people["gm"], password=PASSWORD)
    assert "缺少III 类（重大变更）要求的证据" in str(refused.value)
    assert "可行性报告" in str(refused.value) and "稳定性数据" in str(refused.value)
    with pytest.raises(Refused) as refused:
        workflow.perform(change, S.IMPLEMENTING, people["mr"], password=PASSWORD)
    assert "您没有权限执行“批准”" in str(refused.value)
    factories.evidence(people, change)
    workflow.perform(change, S.IMPLEMENTING, people["gm"], password=PASSWORD)
    change.refresh_from_db()
    assert change.status == S.IMPLEMENTING and change.approved_at is not None
    # the specification change is due 5 working days after approval, on engineering
    spec = deadlines.deadlines_for(change).get(kind="change_spec_issue")
    assert spec.responsible == people["engineering"]
    assert spec.due_at == add_working_days(change.approved_at, 5) and spec.remind_before
    release.record_spec_issue(change, people["engineering"], spec_number="GC-2026-001")
    spec.refresh_from_db()
    assert spec.state == "met"


def test_kinds_have_their_approvers(people):
    minor = factories.change(people, process_class=ProcessClass.I)
    organisation = factories.change(people, kind=Kind.ORGANISATION, by="hr")
    assert requests.approver_role(minor) == Role.MR and requests.required_evidence(minor) == ()
    assert requests.approver_role(organisation) == Role.BOARD
    assert requests.required_evidence(organisation) == ("hr_risk",)
    assert requests.is_approver(organisation, people["board"]) and not requests.is_approver(organisation, people["gm"])


def test_the_class_is_raised_freely_and_lowered_only_with_the_mrs_signed_reason(people):
    change = factories.change(people, process_class=ProcessClass.II)
    requests.set_class(change, people["engineering"], process_class=ProcessClass.III)
    with pytest.raises(Refused, match="降低变更等级须由管理者代表签署理由"):
        requests.set_class(change, people["engineering"], process_class=ProcessClass.I, reason="影响小")
    with pytest.raises(Refused, match="降低变更等级须填写理由"):
        requests.set_class(change, people["mr"], process_class=ProcessClass.I, password=PASSWORD)
    with pytest.raises(SignatureRefused):
        requests.set_class(change, people["mr"], process_class=ProcessClass.I, reason="影响小", password="wrong")
    lowered = requests.set_class(change, people["mr"], process_class=ProcessClass.II, reason="研究表明影响小",
                                 password=PASSWORD)
    assert lowered.signature.signer == people["mr"] and lowered.signature.comment == "研究表明影响小"
    assert list(ClassChange.objects.filter(change=change).values_list("from_class", "to_class")) == [
        ("II", "III"), ("III", "II")]


def test_an_unacceptable_residual_risk_does_not_proceed_and_the_acceptable_one_is_acknowledged(people):
    change = factories.change(people)
    workflow.perform(change, S.RISK, people["engineering"])
    with pytest.raises(Refused, match="请先识别至少一项风险"):
        workflow.perform(change, S.EVALUATION, people["quality"])
    high = factories.risk(people, change, residual=(4, 3))
    with pytest.raises(Refused, match="剩余风险不可接受，变更不能继续：尺寸偏差导致装配不良"):
        workflow.perform(change, S.EVALUATION, people["quality"])
    requests.withdraw_risk(high, people["quality"])
    factories.risk(people, change, residual=(2, 4))  # 8: 中, acceptable with its control
    workflow.perform(change, S.EVALUATION, people["quality"])
    notice = change.notices.get(kind="risk")
    assert notice.recipient == people["production"] and "【新风险】尺寸偏差导致装配不良（剩余风险 8，中）" in notice.text
    with pytest.raises(Refused, match="只有通知的接收人可以确认收到"):
        requests.acknowledge(notice, people["mr"])
    assert requests.acknowledge(notice, people["production"]).acknowledged_at is not None
    # the evaluation team: the affected departments' managers, quality among them
    assert {o.responsible for o in requests.countersign.opinions_for(change)} == {people["production"],
                                                                                  people["quality"]}


def test_the_drafter_never_approves(people):
    change = factories.change(people, kind=Kind.SYSTEM_DOCUMENT, by="mr", codes=("hr",))
    factories.to_approval(people, change)
    assert requests.approver_role(change) == Role.MR
    with pytest.raises(Refused, match="不能由提交人本人执行“批准”（职责分离）"):
        workflow.perform(change, S.IMPLEMENTING, people["mr"], password=PASSWORD)


def test_a_task_runs_on_working_days_across_national_day_and_a_slip_keeps_its_report(people):
    change = factories.to_implementing(people, factories.change(people))
    task = factories.tasks(people, change)[0]
    start = timezone.make_aware(dt.datetime(2026, 9, 30, 10, 0))
    assert implementation._task_due(task, start) == timezone.make_aware(dt.datetime(2026, 10, 10, 10, 0))
    due = implementation.due_of(task)
    with pytest.raises(Refused, match="新的完成日期须晚于原到期日"):
        implementation.report_slip(task, task.responsible, reason="模具推迟", new_date=timezone.localdate(due))
    new_date = timezone.localdate(due) + dt.timedelta(days=10)
    slip = implementation.report_slip(task, task.responsible, reason="模具推迟", new_date=new_date)
    assert slip.previous_due_at == due
    assert timezone.localdate(implementation.due_of(task)) == new_date
    assert any("变更任务延期：模具推迟" in row.get("reason", "") for row in audit.history_for(slip))
    with pytest.raises(Refused, match="以下部门的实施任务尚未完成"):
        workflow.perform(change, S.AWAITING_CONFIRMATION, people["engineering"], values={"execution_report": "x"})


def _customer_asking_for_changes(people, text):
    from customers.contracts.fulfilment_models import RequirementKind
    from customers.tests.fulfilment_factories import make_requirement
    from production.tests.factories import contract

    the_contract = contract(people)
    requirement = make_requirement(people, the_contract, kind=RequirementKind.CHANGE_NOTIFICATION)
    requirement.text = text
    requirement.save(update_fields=["text"])
    return the_contract.customer


def test_the_customers_notification_and_approval_hold_the_confirmation(people, client):
    customer = _customer_asking_for_changes(people, "产品或过程变更须提前书面通知并经我方批准后实施。")
    change = factories.to_confirmation(people, factories.change(people, customers=[customer]))
    with pytest.raises(Refused, match=f"客户 {customer.name} 要求变更须通知顾客，尚未登记通知"):
        workflow.perform(change, S.CONFIRMED, people["mr"], password=PASSWORD)
    notification = release.record_notification(change, people["sales"], customer=customer,
                                               notified_at=timezone.now(), means="函件")
    assert notification.approval_required
    with pytest.raises(Refused, match="要求变更须经顾客批准，尚未登记批准"):
        workflow.perform(change, S.CONFIRMED, people["mr"], password=PASSWORD)
    release.record_customer_approval(notification, people["sales"], approved_at=timezone.now(),
                                     approved_by_name="客户质量部 李经理")
    workflow.perform(change, S.CONFIRMED, people["mr"], password=PASSWORD)
    change.refresh_from_db()
    assert change.status == S.CONFIRMED and change.confirmed_at is not None
    # the letter to the customer prints with the company's name
    from qms import company

    client.force_login(customer.owner)  # the salesperson of an affected customer sees the change
    text = pdf_text(client.get(reverse("changes:letter", args=[change.pk, customer.pk])).content, layout=False)
    assert "变更通知函" in text and company.load().display_name in text and f"致：{customer.name}" in text


def test_production_refuses_to_move_a_changed_product_until_the_mrs_confirmation(people, client):
    from production.models import LotStatus
    from production.tests.factories import inspect, lot

    the_lot = lot(people)
    inspect(people, the_lot, "conforming")
    change = factories.change(people, cards=[the_lot.task_order.process_card])
    factories.to_confirmation(people, change)
    with pytest.raises(Refused) as refused:
        workflow.perform(the_lot, LotStatus.IN_PROCESS, people["production"])
    assert f"变更 {change.number}“注塑工艺参数变更”尚未经管理者代表跟踪确认" in str(refused.value)
    workflow.perform(change, S.CONFIRMED, people["mr"], password=PASSWORD)
    workflow.perform(the_lot, LotStatus.IN_PROCESS, people["production"])
    # the register exports the change; the form prints with the risk, and the letter with the company's name
    client.force_login(people["quality"])
    response = client.get(reverse("changes:export") + "?scope=all")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [change.number, "注塑工艺参数变更", "过程变更"] == [c.value for c in next(
        row for row in sheet.iter_rows() if row[0].value == change.number)[:3]]
    text = pdf_text(client.get(reverse("changes:pdf", args=[change.pk])).content)
    assert "变更申请及评估表" in text and "尺寸偏差导致装配不良" in text and "全部完成" in text


def test_a_capa_is_raised_from_a_change(people):
    change = factories.change(people)
    with pytest.raises(Refused):
        release.raise_change_capa(change, people["sales"], title="t", nonconformity="n",
                                  responsible=people["engineering"])
    capa = release.raise_change_capa(change, people["quality"], title="防止工艺参数漂移", nonconformity="参数漂移",
                                     responsible=people["engineering"])
    assert capa.source == "change" and capa.source_reference == str(change)


def test_the_register_runs_the_same_queries_for_3_and_30_changes(people, client):
    from qms.tests.cases import count_queries

    client.force_login(people["quality"])
    counts = []
    for total in (3, 30):
        while ChangeRequest.objects.count() < total:
            factories.change(people, kind=Kind.SYSTEM_DOCUMENT, codes=("hr",), by="doccontrol")
        with count_queries() as captured:
            response = client.get(reverse("changes:list") + "?scope=all&per_page=50")
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_my_work_lists_the_notice_to_acknowledge_and_the_change_to_approve(people):
    from changes.work import changes_work

    change = factories.to_approval(people, factories.change(people))
    titles = [item.title for item in changes_work(people["production"])]
    assert f"待确认变更通知（剩余/新风险告知）：{change}" in titles
    assert f"待批准变更：{change}" in [item.title for item in changes_work(people["gm"])]
    assert not [item for item in changes_work(people["engineering"]) if "待批准" in item.title]


def test_the_approver_is_told_and_an_outsider_cannot_add_evidence(people):
    from qms.notifications import Notification

    change = factories.to_approval(people, factories.change(people))
    assert Notification.objects.filter(recipient=people["gm"], link=change.get_absolute_url()).exists()
    with pytest.raises(Refused, match="只有申请部门、受影响部门、品质部和管理者代表可以上传变更证据"):
        factories.evidence(people, change, kinds=["feasibility"], by="purchasing")


def test_a_contract_change_is_linked_not_copied_and_shows_its_change_requests(people, client):
    from customers.contracts.models import ChangeSource
    from customers.contracts.services import change as contract_changes
    from customers.tests.test_contracts_change import registered

    contract_change = contract_changes.raise_change(registered(people), people["sales"],
                                                    source=ChangeSource.CUSTOMER, description="客户要求更换包装",
                                                    new_packaging="纸箱改为周转箱")
    change = factories.change(people, kind=Kind.CONTRACT, by="sales", codes=("sales", "production"),
                              contract_change=contract_change, title="合同包装变更")
    assert change.number.startswith("BGSQ-") and change.number != contract_change.number
    client.force_login(people["sales"])
    assert client.get(reverse("changes:create") + f"?contract_change={contract_change.pk}").status_code == 200
    page = client.get(contract_change.get_absolute_url() + "?tab=change_control").content.decode()
    assert change.number in page and "合同包装变更" in page
