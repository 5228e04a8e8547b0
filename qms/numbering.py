"""Document numbers (编号): gapless per document type and year, e.g. ``TS-2026-0001``.

``DocumentType`` holds the format an administrator may edit (prefix, pattern); ``NumberCounter`` holds the
last sequence number used per (type, year).

Numbers of a register kept before the portal (an import of historical records) keep their place in the sequence
with ``take_existing_number``: the counter goes on after them.

Calling ``next_number`` — inside the transaction that saves the record::

    with transaction.atomic():
        capa.number = next_number("capa", prefix_default="CAPA")
        capa.save()

It increments the counter with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, which locks the
counter row until the transaction ends. So a rollback gives the number back (no gap), and a concurrent
transaction waits for the commit or rollback and then takes the next free number (no duplicate). Called
outside a transaction it refuses (``TransactionManagementError``): the number would be spent even if the
record's save failed. The lock serialises the creation of records of one type, so call it last, just before
saving, and commit promptly.

An unknown key is an error (``UnknownDocumentType``) unless the caller names a default prefix: then the
type is created on first use (``name_default`` or the key as its name), and administrators may change its
name, prefix and pattern in the admin afterwards; the next number uses the edited format.
"""
from __future__ import annotations

import datetime as dt
import re
import string

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit

DEFAULT_PATTERN = "{prefix}-{year}-{seq:04d}"
PATTERN_FIELDS = {"prefix", "year", "yy", "seq"}


class UnknownDocumentType(LookupError):
    """``next_number`` was asked for a key that has no ``DocumentType`` and no default prefix."""


def validate_pattern(pattern: str) -> None:
    """A pattern uses only {prefix} {year} {yy} {seq}, and holds {seq} and a year (counters restart yearly)."""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        raise ValidationError(gettext("编号格式有误：%(error)s") % {"error": error}) from error
    unknown = names - PATTERN_FIELDS
    if unknown:
        raise ValidationError(gettext("编号格式只能使用 {prefix}、{year}、{yy}、{seq}，不能使用：%(names)s")
                              % {"names": "、".join("{%s}" % n for n in sorted(unknown))})
    if "seq" not in names:
        raise ValidationError(gettext("编号格式必须包含流水号 {seq}。"))
    if not names & {"year", "yy"}:
        raise ValidationError(gettext("编号格式必须包含年份 {year} 或 {yy}：流水号每年从 1 开始，否则编号会重复。"))
    try:
        pattern.format(prefix="TS", year=2026, yy="26", seq=1)
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise ValidationError(gettext("编号格式有误：%(error)s") % {"error": error}) from error


@audit.track()
class DocumentType(models.Model):
    key = models.SlugField(_("类型代码"), max_length=40, unique=True,
                           help_text=_("程序中使用的代码，例如 capa；创建后不可修改。"))
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=20)
    pattern = models.CharField(
        _("编号格式"), max_length=100, default=DEFAULT_PATTERN, validators=[validate_pattern],
        help_text=_("可用占位符：{prefix} 前缀，{year} 四位年份，{yy} 两位年份，{seq} 流水号"
                    "（{seq:04d} 表示补足 4 位）。例如 {prefix}-{year}-{seq:04d} 得到 TS-2026-0001。"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("编号规则")
        verbose_name_plural = _("编号规则")
        ordering = ["key"]

    def __str__(self):
        return f"{self.name}（{self.prefix}）"

    def format(self, year: int, seq: int) -> str:
        return self.pattern.format(prefix=self.prefix, year=year, yy=f"{year % 100:02d}", seq=seq)


class NumberCounter(models.Model):
    document_type = models.ForeignKey(DocumentType, verbose_name=_("编号规则"), on_delete=models.PROTECT,
                                      related_name="counters")
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用流水号"), default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")
        ordering = ["document_type__key", "-year"]
        constraints = [models.UniqueConstraint(fields=["document_type", "year"], name="number_counter_type_year")]

    def __str__(self):
        return f"{self.document_type.key} {self.year}: {self.last}"

    @property
    def last_number(self) -> str:
        return self.document_type.format(self.year, self.last) if self.last else ""




def _year_of(when) -> int:
    if when is None:
        return timezone.localdate(timezone=timezone.get_default_timezone()).year
    if isinstance(when, dt.datetime) and timezone.is_aware(when):
        return when.astimezone(timezone.get_default_timezone()).year
    return when.year


def _document_type(key: str, prefix_default: str | None, name_default: str) -> DocumentType:
    doc_type = DocumentType.objects.filter(key=key).first()
    if doc_type is not None:
        return doc_type
    if prefix_default is None:
        raise UnknownDocumentType(
            gettext("未定义的编号类型“%(key)s”：请先在后台“编号规则”中添加，或调用时给出默认前缀。") % {"key": key})
    # ON CONFLICT DO NOTHING: two first uses at once create the type once.
    DocumentType.objects.bulk_create(
        [DocumentType(key=key, name=name_default or key, prefix=prefix_default)], ignore_conflicts=True)
    return DocumentType.objects.get(key=key)


def _increment(document_type_id: int, year: int) -> int:
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    type_col = connection.ops.quote_name(NumberCounter._meta.get_field("document_type").column)
    year_col = connection.ops.quote_name("year")
    last_col = connection.ops.quote_name("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({type_col}, {year_col}, {last_col}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({type_col}, {year_col}) DO UPDATE SET {last_col} = {table}.{last_col} + 1 "
            f"RETURNING {last_col}",
            [document_type_id, year],
        )
        return cursor.fetchone()[0]


def next_number(key: str, when: dt.date | dt.datetime | None = None, *, prefix_default: str | None = None,
                name_default: str = "") -> str:
    """The next number of document type ``key`` in the year of ``when`` (default: today, Asia/Shanghai).

    Call it inside the transaction that saves the record (see the module docstring).
    """
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "next_number() must run inside the transaction.atomic() block that saves the record")
    doc_type = _document_type(key, prefix_default, name_default)
    year = _year_of(when)
    return doc_type.format(year, _increment(doc_type.pk, year))


def _pattern_regex(doc_type: DocumentType) -> re.Pattern:
    parts = []
    for text, name, _spec, _conv in string.Formatter().parse(doc_type.pattern):
        parts.append(re.escape(text))
        if name == "prefix":
            parts.append(re.escape(doc_type.prefix))
        elif name == "year":
            parts.append(r"(?P<year>\d{4})")
        elif name == "yy":
            parts.append(r"(?P<yy>\d{2})")
        elif name == "seq":
            parts.append(r"(?P<seq>\d+)")
    return re.compile("".join(parts))


def take_existing_number(key: str, number: str, *, prefix_default: str | None = None, name_default: str = "") -> bool:
    """A number given from outside (a register kept before the portal, brought in by an import) that has the
    type's format: its year's counter moves up to at least its sequence number, so that ``next_number`` goes on
    after it and never hands it out again. Returns whether ``number`` had the format. Inside the transaction that
    saves the record, like ``next_number``."""
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "take_existing_number() must run inside the transaction.atomic() block that saves the record")
    doc_type = _document_type(key, prefix_default, name_default)
    match = _pattern_regex(doc_type).fullmatch(number)
    if match is None:
        return False
    groups = match.groupdict()
    year = int(groups["year"]) if groups.get("year") else 2000 + int(groups["yy"])
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    type_col = connection.ops.quote_name(NumberCounter._meta.get_field("document_type").column)
    year_col, last_col = connection.ops.quote_name("year"), connection.ops.quote_name("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({type_col}, {year_col}, {last_col}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({type_col}, {year_col}) DO UPDATE SET {last_col} = GREATEST({table}.{last_col}, "
            f"EXCLUDED.{last_col})",
            [doc_type.pk, year, int(groups["seq"])])
    return True
