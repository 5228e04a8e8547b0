"""The portal's database role: what the web processes and the workers may do in the database (README, Production).

Two roles share the database. The owner owns the schema and runs ``manage.py migrate``; it can alter, disable or
drop any trigger, so the append-only protection of the audit trail holds only against a role that owns nothing.
The portal role, used by the web processes, Celery workers and beat, owns nothing and gets exactly:

- USAGE on the schema;
- SELECT, INSERT, UPDATE, DELETE on every table, except the append-only ones (``audit.append_only_models()``:
  the event tables, transitions, signatures, ownership changes), which it may only read and insert into: the
  triggers that refuse UPDATE and DELETE there can be skipped by any session through pgtrigger's
  ``pgtrigger.ignore`` setting, the missing privilege cannot;
- USAGE on every sequence;
- the same by default on the tables and sequences that the owner's later migrations create.

No TRUNCATE, REFERENCES or TRIGGER privilege, and no ownership: it can neither empty a table nor alter, disable or
drop a trigger. ``grant_portal_role`` is run by the owner after every ``migrate`` (the default privileges let a new
table work in between; the run takes UPDATE and DELETE back from a new append-only table).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _
from psycopg2 import sql

from qms import audit

TABLE_RIGHTS = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
APPEND_ONLY_RIGHTS = sql.SQL("SELECT, INSERT")


@dataclass
class Granted:
    tables: int
    append_only: int
    sequences: int


def grant_portal_role(role: str, *, schema: str = "public", using: str = DEFAULT_DB_ALIAS) -> Granted:
    """Give ``role`` exactly the portal's rights on ``schema`` (run as the schema's owner). Idempotent: rights the
    role held beyond these on the schema's tables and sequences are taken back."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, pg_has_role(rolname, current_user, 'MEMBER'), rolname = current_user "
                       "FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise ValidationError(_("数据库角色 %(role)s 不存在，请先用 CREATE ROLE 创建。") % {"role": role})
        superuser, member_of_owner, is_self = found
        if superuser or member_of_owner or is_self:
            raise ValidationError(_(
                "数据库角色 %(role)s 是超级用户、当前用户本身或其成员，能修改或删除审计表的触发器，不能作为门户角色。"
            ) % {"role": role})

        names = {"role": sql.Identifier(role), "schema": sql.Identifier(schema)}
        append_only = sorted(model._meta.db_table for model in audit.append_only_models())
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        tables = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [schema])
        sequences = len(cursor.fetchall())
        statements = [
            "GRANT USAGE ON SCHEMA {schema} TO {role}",
            "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
            "GRANT {rights} ON ALL TABLES IN SCHEMA {schema} TO {role}",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            # for the tables and sequences that the owner (the role running this) creates in later migrations
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {rights} ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE ON SEQUENCES TO {role}",
        ]
        for statement in statements:
            cursor.execute(sql.SQL(statement).format(rights=TABLE_RIGHTS, **names).as_string(cursor.connection))
        present = [table for table in append_only if table in tables]
        for table in present:
            cursor.execute(sql.SQL("REVOKE UPDATE, DELETE ON {schema}.{table} FROM {role}").format(
                table=sql.Identifier(table), **names).as_string(cursor.connection))
    return Granted(tables=len(tables), append_only=len(present), sequences=sequences)
