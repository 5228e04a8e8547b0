"""The core's declarations that every procedure builds on (issue 15): one refusal base, the action view, a move that
records data, blocks declared by another app, deadline rules with a condition and a start, periodic jobs, review
inputs."""
import datetime as dt

import pytest
import rules
from django.urls import reverse
from django.utils import timezone

import qms
from qms import blocks, registry, taskqueue, workflow
from qms.attachments import AttachmentRefused
from qms.capa.models import Capa, CapaStatus
from qms.deadlines import Deadline, DeadlineRule, overdue_q, with_open_due
from qms.excel.imports import ImportRefused
from qms.people import refusal_for
from qms.signatures import SignatureRefused
from qms.tests.capa_helpers import planned_capa, raised_capa
from qms.workflow import Move, Transition, TransitionRefused, Workflow

pytestmark = pytest.mark.django_db


def test_every_refusal_of_the_core_is_a_qms_refused():
    for refusal in (TransitionRefused, SignatureRefused, AttachmentRefused, ImportRefused):
        assert issubclass(refusal, qms.Refused)


def test_a_refused_permission_names_the_roles_that_hold_it():
    assert refusal_for("qms.view_audit_trail") == "只有管理者代表、总经理、品质、文管中心可以执行此操作。"
    assert refusal_for("no.such_permission") == "您没有权限执行此操作。"


def test_a_declared_permission_is_answered_by_its_rule_alone_and_a_page_reads_no_database_permissions(people, login):
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qms.people import User

    sales = people["sales"]
    # ticked for the salesperson in the admin: the declared rule (document control) still refuses
    sales.user_permissions.add(Permission.objects.get(codename="view_numbercounter"))
    # a model permission the portal does not declare still comes from the database (the admin's own permissions)
    undeclared = next(perm for perm in Permission.objects.filter(content_type__app_label="qms").order_by("codename")
                      if not rules.perm_exists(f"qms.{perm.codename}"))
    sales.user_permissions.add(undeclared)

    fresh = User.objects.get(pk=sales.pk)
    assert not fresh.has_perm("qms.view_numbercounter")
    assert fresh.refused_permission == "qms.view_numbercounter"
    assert fresh.has_perm(f"qms.{undeclared.codename}")

    client = login(people["gm"])
    client.get(reverse("qms:capa_list"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("qms:capa_list")).status_code == 200
    assert not [q for q in queries.captured_queries if "auth_permission" in q["sql"]]


# --- the action view -------------------------------------------------------------------------------------
def test_an_action_on_a_record_the_user_cannot_see_is_not_found(people, login):
    capa = raised_capa(people)
    response = login(people["sales"]).post(reverse("qms:capa_action_add", args=[capa.pk]),
                                           {"description": "x", "owner": people["sales"].pk, "due_date": "2030-01-01"})
    assert response.status_code == 404
    assert not capa.actions.exists()


def test_an_invalid_action_form_keeps_what_was_typed_and_saves_nothing(people, login):
    capa = raised_capa(people)
    response = login(people["production"]).post(reverse("qms:capa_action_add", args=[capa.pk]),
                                                {"description": "更换模具镶件", "due_date": "not a date"})
    assert response.status_code == 400
    assert "更换模具镶件" in response.content.decode()
    assert not capa.actions.exists()


def test_a_refusal_of_the_service_is_shown_and_nothing_is_saved(people, login):
    capa = raised_capa(people)  # responsible: production; quality may see it but is not responsible
    response = login(people["quality"]).post(reverse("qms:capa_plan", args=[capa.pk]),
                                             {"cause_analysis": "模具磨损", "plan": "修模"})
    assert response.status_code == 409
    capa.refresh_from_db()
    assert capa.cause_analysis == ""
    assert "模具磨损" in response.content.decode()


def test_a_successful_action_returns_to_the_records_tab_with_its_message(people, login):
    capa = raised_capa(people)
    client = login(people["production"])
    response = client.post(reverse("qms:capa_action_add", args=[capa.pk]), {
        "description": "更换模具镶件", "owner": people["production"].pk, "due_date": "2030-01-15"}, follow=True)
    assert response.redirect_chain[-1][0] == capa.get_absolute_url() + "?tab=actions"
    assert "措施已添加。" in response.content.decode()
    assert capa.actions.get().description == "更换模具镶件"


# --- a move that records data ----------------------------------------------------------------------------
@pytest.fixture
def recording_workflow(monkeypatch):
    pipeline = {CapaStatus.RAISED: {CapaStatus.VOIDED: Move("作废", roles=("品质",), reason=True,
                                                            fields=("source_reference",))}}
    monkeypatch.setitem(workflow._workflows, Capa, Workflow(Capa, pipeline, badges={CapaStatus.VOIDED: "secondary"}))


def test_a_move_records_its_fields_in_the_same_update_through_the_core_move_view(people, login, recording_workflow):
    from django.contrib.contenttypes.models import ContentType

    capa = raised_capa(people)
    url = reverse("qms:move", args=[ContentType.objects.get_for_model(Capa).pk, capa.pk, CapaStatus.VOIDED])
    client = login(people["quality"])
    page = client.get(url).content.decode()
    assert 'name="source_reference"' in page
    response = client.post(url, {"expected_from": "raised", "reason": "重复提出", "source_reference": "QR-2026-9"})
    assert response.status_code == 302
    capa.refresh_from_db()
    assert (capa.status, capa.source_reference) == (CapaStatus.VOIDED, "QR-2026-9")
    assert Transition.objects.filter(object_id=capa.pk, to_status="voided", reason="重复提出").exists()


def test_a_move_refuses_fields_it_does_not_record(people, recording_workflow):
    capa = raised_capa(people)
    with pytest.raises(TransitionRefused, match="不记录这些内容"):
        workflow.perform(capa, CapaStatus.VOIDED, people["quality"], reason="x", values={"title": "改标题"})
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.RAISED


def test_the_badge_has_the_colour_the_workflow_declares(people, recording_workflow):
    from qms.tables import status_badge

    capa = raised_capa(people)
    workflow.perform(capa, CapaStatus.VOIDED, people["quality"], reason="重复", values={"source_reference": "R1"})
    assert 'text-bg-secondary' in status_badge(capa) and "已作废" in status_badge(capa)


# --- blocks ----------------------------------------------------------------------------------------------
def test_a_block_declared_by_label_refuses_the_move_with_every_reason(people, monkeypatch):
    from qms.tests.capa_helpers import planned_capa

    monkeypatch.setattr(blocks, "_blocks", [])
    blocks.register_block(blocked="qms.Capa", targets=(CapaStatus.PLAN_SUBMITTED,),
                          reason=lambda capa: "合同特殊要求未满足" if capa.title.startswith("注塑") else None)
    blocks.register_block(blocked=Capa, reason=lambda capa: ["变更未确认", "合同特殊要求未满足"])
    capa = planned_capa(people)
    with pytest.raises(TransitionRefused) as refused:
        workflow.perform(capa, CapaStatus.PLAN_SUBMITTED, capa.responsible)
    assert str(refused.value) == "合同特殊要求未满足；变更未确认"
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.RAISED
    monkeypatch.setattr(blocks, "_blocks", [])
    workflow.perform(capa, CapaStatus.PLAN_SUBMITTED, capa.responsible)
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.PLAN_SUBMITTED


def test_a_hold_declared_by_label_answers_another_app_by_id_and_activity(people, monkeypatch):
    """production/ asks whether a contract may be produced, and why not, knowing only its label and id; its own
    move is held back through a block that reads the hold."""
    monkeypatch.setattr(blocks, "_holds", [])
    monkeypatch.setattr(blocks, "_blocks", [])
    blocks.register_hold(subject="customers.Contract", activities=("production", "delivery"),
                         reason=lambda pk, activity: [f"合同 {pk} 的特殊要求未满足，不能{activity}"] if pk == 7 else None)
    blocks.register_hold(subject="customers.contract", reason=lambda pk, activity: "付款逾期" if pk == 7 else "")
    assert blocks.holds("customers.Contract", 7, "production") == ["合同 7 的特殊要求未满足，不能production", "付款逾期"]
    assert blocks.holds("customers.Contract", 7, "invoicing") == ["付款逾期"]
    assert blocks.holds("customers.Contract", 8, "production") == [] and not blocks.is_held("customers.Contract", 8,
                                                                                             "production")
    assert blocks.holds("customers.Contract", None, "production") == []
    capa = planned_capa(people)
    blocks.register_block(blocked=Capa, reason=lambda capa: blocks.holds("customers.Contract", 7, "delivery"))
    with pytest.raises(TransitionRefused, match="不能delivery；付款逾期"):
        workflow.perform(capa, CapaStatus.PLAN_SUBMITTED, capa.responsible)


# --- deadline rules ----------------------------------------------------------------------------------------
def test_a_deadline_rule_counts_from_its_start_field_and_only_where_its_condition_holds(people):
    capa = raised_capa(people)
    capa.raised_at = timezone.make_aware(dt.datetime(2026, 9, 30, 10, 0))  # the day before the National Day week
    rule = DeadlineRule("test_follow_up", "跟进：{record}",
                        due=lambda record, start: start + dt.timedelta(days=1),
                        responsible=lambda record: record.responsible,
                        condition=lambda record: record.kind == "corrective", start="raised_at")
    deadline = rule.open(capa)
    assert deadline.due_at == timezone.make_aware(dt.datetime(2026, 10, 1, 10, 0))
    assert deadline.computed_from == capa.raised_at and deadline.title == f"跟进：{capa}"
    capa.kind = "preventive"
    assert rule.open(capa) is None


def test_lists_read_the_due_time_and_overdue_from_the_deadline_rows(people):
    late, on_time = raised_capa(people, title="甲"), raised_capa(people, title="乙")
    Deadline.objects.filter(object_id=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    rows = {capa.pk: capa.open_due_at for capa in with_open_due(Capa.objects.all(), "plan")}
    assert rows[late.pk] < timezone.now() < rows[on_time.pk]
    assert list(Capa.objects.filter(overdue_q(Capa, "plan")).values_list("pk", flat=True)) == [late.pk]


# --- periodic jobs and review inputs ------------------------------------------------------------------------
def test_a_declared_periodic_job_gets_its_beat_row_once_and_keeps_an_administrators_edit(monkeypatch):
    from django_celery_beat.models import PeriodicTask

    monkeypatch.setattr(taskqueue, "_periodic", {})
    taskqueue.periodic("测试：每日汇总", "qms.tasks.deadline_tick", "每天 6:30", minute="30", hour="6")
    taskqueue.create_periodic_rows()
    row = PeriodicTask.objects.get(name="测试：每日汇总")
    assert (row.crontab.hour, row.crontab.minute, str(row.crontab.timezone)) == ("6", "30", "Asia/Shanghai")
    row.enabled = False
    row.save()
    taskqueue.create_periodic_rows()
    assert PeriodicTask.objects.get(name="测试：每日汇总").enabled is False


def test_review_inputs_are_collected_from_every_registered_procedure_in_order(monkeypatch):
    monkeypatch.setattr(registry.registry, "review_inputs", {})
    registry.register_review_input("b", "投诉", lambda start, end: [registry.ReviewFigure("投诉数量", 3)], order=20)
    registry.register_review_input("a", "纠正预防", lambda start, end: [
        registry.ReviewFigure("期间提出", (end - start).days + 1, "含预防措施")], order=10)
    pack = registry.review_inputs(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert [(entry.label, [(f.label, f.value) for f in figures]) for entry, figures in pack] == [
        ("纠正预防", [("期间提出", 181)]), ("投诉", [("投诉数量", 3)])]


# --- a move with a form of its own ---------------------------------------------------------------------------
def test_a_move_with_its_own_form_checks_its_input_and_hands_the_rest_to_its_after_hook(people, login, monkeypatch):
    from django import forms
    from django.contrib.contenttypes.models import ContentType

    from qms.views.records import MoveForm

    seen = {}

    class VoidForm(MoveForm):
        duplicate_of = forms.CharField(label="重复于")

        def clean_duplicate_of(self):
            value = self.cleaned_data["duplicate_of"]
            if not value.startswith("CAPA"):
                raise forms.ValidationError("请填写 CAPA 编号。")
            return value

        def values(self):
            return {"source_reference": self.cleaned_data["duplicate_of"]}

        def inputs(self):
            return {"duplicate_of": self.cleaned_data["duplicate_of"]}

    move = Move("作废", roles=("品质",), form=VoidForm, fields=("source_reference",),
                reason=lambda capa: not capa.source_reference,
                after=lambda capa, user, transition: seen.update(transition.inputs))
    monkeypatch.setitem(workflow._workflows, Capa, Workflow(Capa, {CapaStatus.RAISED: {CapaStatus.VOIDED: move}}))
    capa = raised_capa(people)
    url = reverse("qms:move", args=[ContentType.objects.get_for_model(Capa).pk, capa.pk, CapaStatus.VOIDED])
    client = login(people["quality"])
    refused = client.post(url, {"expected_from": "raised", "duplicate_of": "X-1", "reason": "重复"})
    assert refused.status_code == 400 and "请填写 CAPA 编号。" in refused.content.decode()
    assert 'value="X-1"' in refused.content.decode()
    missing_reason = client.post(url, {"expected_from": "raised", "duplicate_of": "CAPA-2026-0001"})
    assert missing_reason.status_code == 400 and Capa.objects.get(pk=capa.pk).status == CapaStatus.RAISED
    done = client.post(url, {"expected_from": "raised", "duplicate_of": "CAPA-2026-0001", "reason": "重复提出"})
    assert done.status_code == 302
    capa.refresh_from_db()
    assert (capa.status, capa.source_reference) == (CapaStatus.VOIDED, "CAPA-2026-0001")
    assert seen == {"duplicate_of": "CAPA-2026-0001"}
