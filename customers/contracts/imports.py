"""The import of historical contracts (§2 合同台账 kept before the portal) with the shared Excel import.

One row per contract line. Rows with the same 合同编号 (a contract of the former register, imported as 已登记 with
that number) or, without a number, with the same 客户名称 + 合同名称 + 客户订单号 (imported as a 草稿) are the lines of
one contract; what belongs to the contract (its customer, title and reference, order date, payment terms and owner)
must be the same on each of its rows. The customer is an existing key account the importer may see, the owner a
person the importer may give customers to (empty: the importer), and a number already in the register is refused.

Every row is checked before anything is saved (the shared import's preview, every bad row with its column and
reason); the commit saves the contracts and their lines (``services.history``) 500 rows at a time, and a revert
voids the contracts instead of deleting them. With "只导入无误的行", a contract is imported with all of its lines
or not at all: a line of a contract that has a bad row is refused with the bad rows named.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import Contract, ContractLine
from customers.contracts.services import history
from customers.forms import owner_choices_for
from customers.models import Customer
from qms.excel import imports as shared
from qms.excel.imports import Column, ImportDefinition
from qms.people import visible_to

# What belongs to the contract rather than to the line: the same on each of its rows.
CONTRACT_FIELDS = ("customer", "title", "customer_reference", "ordered_on", "payment_terms", "owner")
REVERTED_REASON_PREFIX = "撤销导入 #"  # data, like the file's headers: the same in every interface language
DEFAULT_UNIT = "件"


class HistoricalContractLineForm(forms.ModelForm):
    """One row: a line of a historical contract, with the contract's own columns repeated on each line."""

    contract_number = forms.CharField(label=_("合同编号"), max_length=30, required=False)
    title = forms.CharField(label=_("合同名称"), max_length=100)
    customer = forms.CharField(label=_("客户名称"), max_length=100)
    customer_reference = forms.CharField(label=_("客户订单号"), max_length=50, required=False)
    ordered_on = forms.DateField(label=_("下单日期"))
    delivery_date = forms.DateField(label=_("交货日期"))
    payment_terms = forms.CharField(label=_("付款条件"), max_length=500, required=False)
    owner = forms.CharField(label=_("业务员"), max_length=150, required=False)
    unit = forms.CharField(label=_("单位"), max_length=10, required=False)

    class Meta:
        model = ContractLine
        fields = ["product", "specification", "quantity", "unit", "unit_price", "delivery_date"]

    def __init__(self, *args, user, import_run=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.import_run = import_run
        self.group_key = None

    @property
    def cache(self) -> dict:
        if self.import_run is None:  # a form checked on its own (tests, the shell): a run of one row
            self.import_run = shared.ImportRun(CONTRACT_IMPORT, self.user)
            prepare_contract_import(self.import_run)
        return self.import_run.cache

    def clean_contract_number(self):
        number = self.cleaned_data.get("contract_number", "").strip()
        if number and number in self.cache["numbers"]:
            raise forms.ValidationError(_("合同编号“%(number)s”已在合同台账中。") % {"number": number})
        return number

    def clean_customer(self):
        name = self.cleaned_data.get("customer", "").strip()
        customers = self.cache["customers"]
        if name not in customers:
            customers[name] = visible_to(self.user, Customer.objects.filter(name=name)).first()
        if customers[name] is None:
            raise forms.ValidationError(_("没有名为“%(name)s”的大客户，或您无权查看（请填写客户全称）。") % {"name": name})
        return customers[name]

    def clean_owner(self):
        text = self.cleaned_data.get("owner", "").strip()
        if not text:
            return self.user
        owners = self.cache["owners"]
        found = owners["username"].get(text, [])[:1] or owners["full_name"].get(text, [])[:2]
        if len(found) > 1:
            raise forms.ValidationError(_("有多人名为“%(name)s”，请填写账号。") % {"name": text})
        if not found:
            raise forms.ValidationError(_("“%(name)s”不是您可以指定的业务员（请填写账号或姓名）。") % {"name": text})
        return found[0]

    def clean_unit(self):
        return self.cleaned_data.get("unit", "").strip() or DEFAULT_UNIT

    def clean_quantity(self):
        quantity = self.cleaned_data.get("quantity")
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError(_("数量须大于 0。"))
        return quantity

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("contract_number") or ""
        customer_name = (self.data.get("customer") or "").strip()
        if number:
            key = ("number", number)
        else:
            key = ("draft", customer_name, (cleaned.get("title") or "").strip(),
                   (cleaned.get("customer_reference") or "").strip())
        self.group_key = key
        bad_rows = self.cache["bad_groups"].get(key)
        if bad_rows:
            self.add_error(None, _("同一合同的第 %(rows)s 行有错误：整份合同不导入。") % {
                "rows": "、".join(str(r) for r in bad_rows)})
        first = self.cache["groups"].setdefault(key, {})
        for name in CONTRACT_FIELDS:
            if name not in cleaned or self.has_error(name):
                continue
            value = cleaned[name]
            if name not in first:
                first[name] = value
            elif first[name] != value:
                self.add_error(name, _("与同一合同前面的行不一致（前面为“%(value)s”）：同一合同各行的%(field)s须相同。") % {
                    "value": first[name] if first[name] not in ("", None) else gettext("空"),
                    "field": self.fields[name].label})
        return cleaned

    def contract_values(self) -> dict:
        cleaned = self.cleaned_data
        return {"customer": cleaned["customer"], "owner": cleaned["owner"], "title": cleaned["title"].strip(),
                "number": cleaned["contract_number"], "customer_reference": cleaned["customer_reference"].strip(),
                "ordered_on": cleaned["ordered_on"], "payment_terms": cleaned["payment_terms"].strip()}

    def line_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in history.LINE_FIELDS}


def prepare_contract_import(run) -> None:
    """What every row would look up again, loaded once per pass over the file."""
    owners = {"username": {}, "full_name": {}}
    for person in owner_choices_for(run.user):
        owners["username"].setdefault(person.username, []).append(person)
        owners["full_name"].setdefault(person.full_name, []).append(person)
    run.cache.update(
        numbers=set(Contract.objects.exclude(number="").values_list("number", flat=True)),
        customers={}, owners=owners, groups={}, bad_groups=_bad_groups(run), saved={}, next_line={},
    )


def _bad_groups(run) -> dict[tuple, list[int]]:
    """{contract's key: its bad rows} from the preview, when the commit imports the good rows only: a contract
    with a bad line is not imported in part. Needs the run's batch (read again to find each row's contract)."""
    batch = getattr(run, "batch", None)
    if batch is None or not run.committing or not batch.good_rows_only or not batch.errors:
        return {}
    bad_rows = {error["row"] for error in batch.errors}
    position = {column.field: None for column in CONTRACT_IMPORT.columns}
    groups: dict[tuple, list[int]] = {}
    with shared.batch_rows(batch, CONTRACT_IMPORT) as (headers, rows):
        for index, header in enumerate(headers):
            for column in CONTRACT_IMPORT.columns:
                if column.header == header:
                    position[column.field] = index

        def cell(row, field_name) -> str:
            index = position[field_name]
            if index is None or index >= len(row.cells) or row.cells[index].value is None:
                return ""
            value = row.cells[index].value
            return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()

        for row in rows:
            if row.number not in bad_rows:
                continue
            number = cell(row, "contract_number")
            key = ("number", number) if number else (
                "draft", cell(row, "customer"), cell(row, "title"), cell(row, "customer_reference"))
            groups.setdefault(key, []).append(row.number)
    return groups


def _import_reason(batch) -> str:
    return gettext("导入历史合同（批次 #%(batch)d）") % {"batch": batch.pk}


def _import_reasons(batch) -> set[str]:
    """The import's audit reason in every interface language (it was written in the importer's)."""
    reasons = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reasons.add(_import_reason(batch))
    return reasons


def save_imported_lines(forms_: list[HistoricalContractLineForm], batch, user) -> list[ContractLine]:
    """Save a chunk of good rows: a contract per new key with its lines, more lines for a contract saved before."""
    run = forms_[0].import_run
    saved, next_line = run.cache["saved"], run.cache["next_line"]
    before = (dict(saved), dict(next_line))  # a chunk the database refuses leaves nothing behind in the cache
    reason = _import_reason(batch)
    by_key: dict[tuple, list[HistoricalContractLineForm]] = {}
    for form in forms_:
        by_key.setdefault(form.group_key, []).append(form)
    lines: dict[int, ContractLine] = {}  # id(form) -> its line
    try:
        for key, members in by_key.items():
            values = [form.line_values() for form in members]
            if key in saved:
                created = history.add_historical_lines(saved[key], values, first_no=next_line[key], by=user,
                                                       reason=reason)
            else:
                saved[key], created = history.create_historical_contract(
                    by=user, reason=reason, lines=values, **members[0].contract_values())
                next_line[key] = 1
            next_line[key] += len(created)
            lines.update((id(form), line) for form, line in zip(members, created))
    except Exception:
        saved.clear(), saved.update(before[0])
        next_line.clear(), next_line.update(before[1])
        raise
    return [lines[id(form)] for form in forms_]


def save_imported_line(form: HistoricalContractLineForm, batch, user) -> ContractLine:
    return save_imported_lines([form], batch, user)[0]


def void_imported_contracts(queryset, batch, user) -> None:
    """Revert: the batch's contracts are voided (已取消, numbers freed), unless worked on since the import."""
    pairs = list(queryset.values_list("pk", "contract_id"))
    history.void_imported_contracts({contract for _pk, contract in pairs}, [pk for pk, _contract in pairs], by=user,
                                    import_reasons=_import_reasons(batch), reason=f"{REVERTED_REASON_PREFIX}{batch.pk}")


# registered in CustomersConfig.ready()
CONTRACT_IMPORT = ImportDefinition(
    key="contracts",
    title=_("历史合同"),
    form_class=HistoricalContractLineForm,
    permission="customers.import_contract",
    columns=[
        Column("合同编号", "contract_number", help=_("原合同台账的编号：填写则导入为已登记的合同（编号不可与台账中已有的重复）；"
                                                 "不填则导入为草稿。同一编号的各行为同一合同的明细")),
        Column("合同名称", "title", help=_("无编号时，客户名称、合同名称和客户订单号相同的各行为同一合同的明细")),
        Column("客户名称", "customer", help=_("已有大客户的全称")),
        Column("客户订单号", "customer_reference"),
        Column("下单日期", "ordered_on", help=_("已登记合同的登记日期取下单日期")),
        Column("交货日期", "delivery_date", help=_("本行产品的交货日期；合同的交货日期取各行最早的")),
        Column("付款条件", "payment_terms"),
        Column("产品名称", "product"),
        Column("规格型号", "specification"),
        Column("数量", "quantity", help=_("大于 0")),
        Column("单位", "unit", help=_("留空为“件”")),
        Column("单价（元）", "unit_price"),
        Column("业务员", "owner", help=_("账号或姓名；留空为导入人")),
    ],
    form_kwargs=lambda user: {"user": user},
    save_row=save_imported_line,
    save_rows=save_imported_lines,
    prepare_run=prepare_contract_import,
    form_per_run=True,  # the form's fields do not depend on the row; a row's check keeps only group_key on it
    revert_objects=void_imported_contracts,
    list_url_name="customers:contract_list",
)
