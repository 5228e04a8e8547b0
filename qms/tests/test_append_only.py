"""The audit trail cannot be emptied: TRUNCATE is refused on every append-only table, and the portal's database
role (``manage.py grant_portal_role``) can neither truncate them nor alter, disable or drop their triggers."""
import io
import uuid

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from qms import audit
from qms.capa.models import CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.people import Department
from qms.signatures import Signature
from qms.tests.capa_helpers import submitted_capa
from qms.workflow import Transition, perform

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def append_only_tables() -> list[str]:
    return sorted(model._meta.db_table for model in audit.append_only_models())


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def refused(statement: str, match: str):
    """Run ``statement`` in a savepoint and return the error it raised (pytest fails the test if none)."""
    with pytest.raises(DatabaseError, match=match) as error:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    return error.value


def test_every_event_table_and_the_moves_and_signatures_are_append_only():
    tables = append_only_tables()
    assert {"qms_transition", "qms_signature", "customers_ownershipchange"} <= set(tables)
    assert {audit.event_model(model)._meta.db_table for model in audit.tracked_models()} <= set(tables)
    # a table that refuses UPDATE and DELETE (pgtrigger.Protect, as ``append_only=True`` of pghistory) refuses
    # TRUNCATE too: a new app's event tables or append-only log get both, or this fails
    from django.apps import apps

    protected = {model._meta.db_table for model in apps.get_models()
                 for trigger in getattr(model._meta, "triggers", ()) if isinstance(trigger, pgtrigger.Protect)}
    assert protected <= set(tables)


def test_truncate_of_every_audit_table_is_refused_and_keeps_its_rows(people):
    capa = submitted_capa(people)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
    before = {table: count(table) for table in append_only_tables()}
    assert before["qms_departmentevent"] > 0 and before["qms_transition"] > 0 and before["qms_signature"] > 0
    with connection.cursor() as cursor:  # the foreign-key checks of this test's inserts, else TRUNCATE waits on them
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    for table in before:
        # CASCADE: a table that another one references (signatures, by the moves) is otherwise refused by the
        # foreign key before its trigger says anything
        refused(f'TRUNCATE "{table}" CASCADE', rf"qms: {table} is an append-only audit table: TRUNCATE is refused")
        refused(f'TRUNCATE "qms_notification", "{table}"', "TRUNCATE is refused|cannot truncate a table referenced")

    assert {table: count(table) for table in before} == before


@pytest.fixture
def portal_role(db):
    """A role with only the portal's grants, as the README's production recipe creates it; dropped afterwards."""
    role = f"qms_portal_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("grant_portal_role", role, stdout=io.StringIO())
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def set_role(role):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')


def trigger_ids(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.parametrize("table", ["qms_departmentevent", "qms_transition", "qms_signature"])
def test_the_portal_role_cannot_truncate_disable_or_drop_the_triggers_of_an_audit_table(people, portal_role, table):
    capa = submitted_capa(people)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD)
    rows = count(table)
    [append_only] = [name for name in trigger_ids(table) if "append_only" in name]
    [no_truncate] = [name for name in trigger_ids(table) if "refuse_truncate" in name]

    set_role(portal_role)
    refused(f'TRUNCATE "{table}"', f"permission denied for table {table}")
    for trigger in (append_only, no_truncate):
        refused(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"', f"must be owner of table {table}")
        refused(f'DROP TRIGGER "{trigger}" ON "{table}"', f"must be owner of (table|relation) {table}")
    refused(f'ALTER TABLE "{table}" DISABLE TRIGGER ALL', f"must be owner of table {table}")
    refused(f'CREATE TRIGGER sneak BEFORE TRUNCATE ON "{table}" EXECUTE FUNCTION suppress_redundant_updates_trigger()',
            "permission denied")
    # pgtrigger lets any session skip a trigger it names in the pgtrigger.ignore setting: the portal role
    # then still lacks the privilege to rewrite or delete a row
    with pgtrigger.ignore(f"{Transition._meta.label}:transition_append_only",
                          f"{Signature._meta.label}:signature_append_only",
                          f"{audit.event_model(Department)._meta.label}:append_only"):
        refused(f'DELETE FROM "{table}"', f"permission denied for table {table}")
        refused(f'UPDATE "{table}" SET pgh_obj_id = pgh_obj_id' if table.endswith("event")
                else f'UPDATE "{table}" SET object_id = object_id', f"permission denied for table {table}")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert count(table) == rows
    assert set(trigger_ids(table)) >= {append_only, no_truncate}


def test_as_the_portal_role_audited_changes_moves_and_signatures_are_still_recorded(people, portal_role):
    capa = submitted_capa(people)
    department = Department.objects.get(code="sales")
    events = audit.event_model(Department).objects

    set_role(portal_role)
    with audit.context(user=people["gm"], reason="部门更名"):
        department.name = "市场销售部"
        department.save()
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment="同意实施")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == portal_role
        cursor.execute("RESET ROLE")

    latest = events.filter(pgh_obj_id=department.pk).latest("pgh_id")
    assert (latest.name, latest.pgh_context["reason"]) == ("市场销售部", "部门更名")
    move = Transition.objects.get(object_id=capa.pk, to_status=CapaStatus.APPROVED)
    assert (move.by, move.signature.comment) == (people["mr"], "同意实施")


def test_the_portal_role_gets_exactly_its_rights_now_and_on_the_tables_of_later_migrations(portal_role):
    def rights(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES',"
                           "'TRIGGER']) AS p WHERE has_table_privilege(%s, %s, p)", [portal_role, table])
            return {p for (p,) in cursor.fetchall()}

    assert rights("customers_customer") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert rights("qms_departmentevent") == rights("qms_transition") == {"SELECT", "INSERT"}

    with connection.cursor() as cursor:  # a table that a later migration creates, as the owner
        cursor.execute("CREATE TABLE qms_later_table (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)")
        cursor.execute("SELECT has_sequence_privilege(%s, pg_get_serial_sequence('qms_later_table', 'id'), 'USAGE')",
                       [portal_role])
        assert cursor.fetchone()[0] is True
    assert rights("qms_later_table") == {"SELECT", "INSERT", "UPDATE", "DELETE"}


def test_the_grant_command_refuses_a_role_that_does_not_exist_or_could_alter_the_triggers():
    with pytest.raises(CommandError, match="数据库角色 qms_nobody_here 不存在"):
        call_command("grant_portal_role", "qms_nobody_here")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match=f"数据库角色 {owner} 是超级用户、当前用户本身或其成员"):
        call_command("grant_portal_role", owner)
