"""Helpers for generating large, plausible data sets (``manage.py generate_customers`` and the other apps'
generators; benchmarks and load tests, never production): Chinese person names, ids taken from a table's
sequence, and rows streamed to PostgreSQL with COPY."""
from __future__ import annotations

import datetime as dt
import io
import random

from django.db import connection, transaction

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓彭董萧程蔡潘田董袁于余叶杜苏魏"
                "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
GIVEN_CHARS = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉晨阳婷雪琳宁浩"
                   "宇帆欣怡佳豪子涵梓轩博文思远嘉睿一诺雨桐俊杰志强建国海燕春梅")


def person_name(rng: random.Random, *, given_lengths=(1, 2)) -> str:
    """A surname and one or two given-name characters (``given_lengths``: the choices of how many)."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice(given_lengths)))


def new_pks(model, count: int) -> list[int]:
    """``count`` ids from the table's identity sequence (COPY does not return the ids it creates)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def copy_rows(model, rows: list[dict]) -> None:
    """Write ``rows`` ({attname: value}) in one transaction with COPY … FROM STDIN.

    The first statement goes through Django's cursor so that the audit context (who and why) and any
    ``pgtrigger.ignore`` of this block are set for the transaction (both are ``set_config(…, true)``
    prepended by execute wrappers); COPY itself does not pass through those wrappers."""
    if not rows:
        return
    opts = model._meta
    names = list(rows[0])
    columns = ", ".join(connection.ops.quote_name(opts.get_field(name).column) for name in names)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(row[name]) for name in names))
        buffer.write("\n")
    buffer.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(opts.db_table)} ({columns}) FROM STDIN", buffer)
