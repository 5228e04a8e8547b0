"""Transitions and e-signatures on a real record type (the CAPA)."""
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.urls import reverse

from qms.capa.models import Capa, CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.signatures import Signature, SignatureRefused, signatures_for
from qms.tests.capa_helpers import planned_capa, submitted_capa
from qms.workflow import Transition, TransitionRefused, available_moves, perform, status_history

pytestmark = pytest.mark.django_db


def test_the_allowed_role_makes_the_move_and_it_is_logged(people):
    capa = submitted_capa(people)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment="同意实施")
    capa.refresh_from_db()
    assert capa.status == CapaStatus.APPROVED
    moves = list(Transition.objects.filter(object_id=capa.pk).values_list("from_status", "to_status", "by__username"))
    assert moves == [("raised", "plan_submitted", "production"), ("plan_submitted", "approved", "mr")]
    signature = Transition.objects.get(to_status="approved").signature
    assert (signature.signer_name, signature.meaning, signature.comment) == ("李代表", "approval", "同意实施")


def test_the_status_history_lists_the_moves_oldest_first_with_their_labels_in_the_users_language(people):
    from django.utils import translation

    capa = submitted_capa(people)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment="同意实施")
    rows = status_history(capa)
    assert [(row.from_label, row.to_label, row.by.username) for row in rows] == [
        ("待制定计划", "待批准", "production"), ("待批准", "实施中", "mr")]
    assert rows[0].signature is None and rows[1].signature.signer_name == "李代表"
    with translation.override("en"):
        assert [row.to_label for row in status_history(capa)] == ["Pending approval", "In progress"]


def test_a_role_without_the_move_is_refused_with_its_reason(people):
    capa = submitted_capa(people)
    with pytest.raises(TransitionRefused, match="您没有权限执行“批准计划”"):
        perform(capa, CapaStatus.APPROVED, people["sales"], password=DEMO_PASSWORD)
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.PLAN_SUBMITTED


def test_a_move_not_in_the_pipeline_is_refused(people):
    capa = planned_capa(people)
    with pytest.raises(TransitionRefused, match="当前状态“待制定计划”下不能执行此操作"):
        perform(capa, CapaStatus.CLOSED, people["quality"], password=DEMO_PASSWORD, reason="跳过验证")


def test_a_wrong_password_signs_nothing_and_says_so(people):
    capa = submitted_capa(people)
    with pytest.raises(SignatureRefused, match="密码错误，未签名"):
        perform(capa, CapaStatus.APPROVED, people["mr"], password="not-my-password")
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.PLAN_SUBMITTED
    assert not Signature.objects.exists()


def test_a_required_reason_is_enforced(people):
    capa = submitted_capa(people)
    with pytest.raises(TransitionRefused, match="“退回修改”需要填写理由"):
        perform(capa, CapaStatus.RAISED, people["mr"], reason="  ")


def test_nobody_approves_a_plan_they_submitted_themselves(people):
    # The MR is also the responsible person here: they submit, so they may not approve.
    capa = submitted_capa(people, responsible="mr")
    assert capa.submitted_by == people["mr"]
    with pytest.raises(TransitionRefused, match="职责分离"):
        perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
    assert CapaStatus.APPROVED not in [m["to"] for m in available_moves(capa, people["mr"])]


def test_a_record_edited_after_signing_shows_the_signature_invalid(people):
    capa = submitted_capa(people)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
    assert [s["valid"] for s in signatures_for(capa)] == [True]
    Capa.objects.filter(pk=capa.pk).update(plan="改过的计划")
    capa.refresh_from_db()
    assert [s["valid"] for s in signatures_for(capa)] == [False]


def test_a_stale_tab_is_told_the_record_was_updated(people):
    capa = submitted_capa(people)
    stale = Capa.objects.get(pk=capa.pk)
    perform(capa, CapaStatus.RAISED, people["mr"], reason="原因分析不充分")
    with pytest.raises(TransitionRefused, match="此记录已被他人更新"):
        perform(stale, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD,
                expected_from=CapaStatus.PLAN_SUBMITTED)
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.RAISED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_exactly_one_wins(people):
    capa = submitted_capa(people)
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        try:
            record = Capa.objects.get(pk=capa.pk)
            barrier.wait()
            perform(record, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
            outcomes.append("won")
        except TransitionRefused as refusal:
            outcomes.append(str(refusal))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["won", "此记录已被他人更新，请刷新后重试。"]
    assert Transition.objects.filter(object_id=capa.pk, to_status="approved").count() == 1
    assert Signature.objects.filter(object_id=capa.pk).count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["qms_signature", "qms_transition"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET object_id = object_id + 1", "DELETE FROM {table}"])
def test_the_database_refuses_to_rewrite_signatures_and_moves(people, table, statement):
    capa = submitted_capa(people)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table))


def test_detail_page_shows_the_users_moves_as_buttons(people, login):
    capa = submitted_capa(people)
    page = login(people["mr"]).get(capa.get_absolute_url()).content.decode()
    assert 'data-move="approved"' in page and "批准计划" in page
    assert 'name="password"' in page  # the signature dialog
    page = login(people["sales"]).get(reverse("qms:capa_detail", args=[capa.pk]))
    assert page.status_code == 404


def test_wrong_password_in_the_dialog_keeps_what_was_typed(people, login):
    capa = submitted_capa(people)
    client = login(people["mr"])
    url = reverse("qms:move", args=[_content_type_id(capa), capa.pk, CapaStatus.APPROVED])
    response = client.post(url, {"expected_from": CapaStatus.PLAN_SUBMITTED, "password": "wrong",
                                 "comment": "同意，请按期完成"})
    assert response.status_code == 409
    content = response.content.decode()
    assert "密码错误，未签名" in content
    assert "同意，请按期完成" in content
    assert Capa.objects.get(pk=capa.pk).status == CapaStatus.PLAN_SUBMITTED


def test_the_signature_dialog_approves_with_the_right_password(people, login):
    capa = submitted_capa(people)
    client = login(people["mr"])
    url = reverse("qms:move", args=[_content_type_id(capa), capa.pk, CapaStatus.APPROVED])
    response = client.post(url, {"expected_from": CapaStatus.PLAN_SUBMITTED, "password": DEMO_PASSWORD,
                                 "comment": "同意"})
    assert response.status_code == 302
    page = client.get(capa.get_absolute_url()).content.decode()
    assert "已完成“批准计划”" in page
    assert "李代表" in page and "批准" in page


def _content_type_id(record):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(record).pk
