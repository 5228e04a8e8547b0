"""The customer import (PROCEDURES.md §1 导入/导出): customers and their primary contacts, one row each.

Every row goes through ``CustomerImportForm``, the web page's ``CustomerForm`` with the primary contact's
columns added (validated by the web page's ``ContactForm``), so that an import obeys the same rules as a
customer typed in: 请填写客户名, postcode of 6 digits, the city must belong to the province, QQ digits, a
mainland mobile number, an e-mail address. A name that is a near-duplicate of an existing customer's
(``services.records.near_duplicates``) is an error of its row; a name repeated inside the file too.

Rows are saved through ``services.records.create_customers`` (name keys, the ownership change 新建 / 放入客户池,
the audit reason 导入客户), 500 at a time. Each pass over the file loads once what every row would otherwise
query (``prepare_customer_import``): the option lists, provinces and cities, the people the importer may give
customers to, and the name keys of the existing customers — a row is compared with the customers in the
database only when its key is among them or repeats an earlier row's. Reverting a batch moves its customers to the recycle bin (``deleted_at``, reason
"撤销导入 #<batch>") instead of deleting them: their ownership changes are append-only (the database refuses
DELETE) and the trail of what was imported stays. Customers that have been worked on since (edited, followed
up, visited, business recorded, contacts added or changed) make the revert refused.
"""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.forms import OPTION_FIELDS, ContactForm, CustomerForm, owner_choices_for
from customers.models import (BusinessRecord, Contact, Customer, CustomerOption, FollowUp, Grade, OptionKind,
                              OwnershipChange, OwnershipKind, Region, Visit)
from customers.services.names import name_key, with_name_keys
from customers.services.records import create_customer, create_customers, near_duplicates
from qms import audit
from qms.excel.imports import Column, ImportDefinition, ImportRefused, frozen, not_an_option, thawed
from qms.excel.rowforms import ExtraValidationExclusions, bind_row
from qms.instances import instance_maker

# The recycle-bin reason of a reverted import. It is data (like the file's Chinese headers), the same in every
# interface language, so that a later import does not take these customers for existing ones.
REVERTED_REASON_PREFIX = "撤销导入 #"

GRADE_NOT_YOURS = _("您没有确定客户等级的权限：请留空，新客户为 C 类，由等级评定确定。")

# The primary contact's columns: form field → ContactForm field.
CONTACT_FIELDS = {
    "contact_name": "name",
    "contact_salutation": "salutation",
    "contact_position": "position",
    "contact_mobile": "mobile",
    "contact_email": "email",
    "contact_qq": "qq",
}


class PreloadedChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that, in an import run, finds the chosen entry among those the run loaded once
    (``preloaded``: {value: object} of the same queryset) instead of one query per row. A value it does not
    hold is looked up as usual, so that the answer and the message stay the field's own."""

    preloaded: dict | None = None

    def to_python(self, value):
        if self.preloaded is not None and isinstance(value, str) and value in self.preloaded:
            return self.preloaded[value]
        return super().to_python(value)


def _option_field(kind: str, label) -> forms.ModelChoiceField:
    # Declared per list so that the template's drop-down offers this list only ("其他" is in several lists).
    queryset = CustomerOption.objects.filter(kind=kind, is_active=True).order_by("order", "id")
    return PreloadedChoiceField(label=label, required=False, queryset=queryset)


class CustomerImportForm(ExtraValidationExclusions, CustomerForm):
    """One row of the import: the customer master (``CustomerForm``'s rules) and its primary contact."""

    industry = _option_field(OptionKind.INDUSTRY, _("客户行业"))
    source = _option_field(OptionKind.SOURCE, _("客户信息来源"))
    nature = _option_field(OptionKind.NATURE, _("公司性质"))
    revenue_band = _option_field(OptionKind.REVENUE, _("年营业额"))
    employees_band = _option_field(OptionKind.EMPLOYEES, _("员工数"))
    status = _option_field(OptionKind.STATUS, _("客户状态"))
    province = PreloadedChoiceField(label=_("省份"), required=False,
                                    queryset=Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    # Free text checked against the province: city names repeat across provinces (朝阳区), and ~3,000 of them
    # are no drop-down.
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
    # The account or the full name of a person the importer may give customers to (owner_choices_for).
    owner = forms.CharField(label=_("负责人"), max_length=150, required=False)
    contact_name = forms.CharField(label=_("联系人姓名"), required=False)
    contact_salutation = forms.CharField(label=_("称呼"), required=False)
    contact_position = forms.CharField(label=_("职务"), required=False)
    contact_mobile = forms.CharField(label=_("手机"), required=False)
    contact_email = forms.CharField(label=_("邮箱"), required=False)
    contact_qq = forms.CharField(label=_("QQ"), required=False)

    def __init__(self, *args, user, import_run=None, **kwargs):
        self.import_run = import_run  # before CustomerForm's __init__, which asks for the querysets
        super().__init__(*args, user=user, **kwargs)
        self.contact = None
        if import_run is not None:
            for field_name, preloaded in import_run.cache["choices"].items():
                self.fields[field_name].preloaded = preloaded
        self.may_grade = "grade" in self.fields
        if self.may_grade:
            self.fields["grade"].required = False  # empty: C, as on the page
        else:  # the cell is read to say why it is refused, not silently dropped
            self.fields["grade"] = forms.CharField(label=_("客户等级"), required=False)

    def _limit_city_choices(self):
        """The city is a text cell here (see ``city``); nothing to narrow."""

    def _queryset(self, field_name: str, build):
        if self.import_run is None:
            return super()._queryset(field_name, build)
        # built for the run's first row, then shared: every row is a new customer of the same importer
        shared = self.import_run.cache["querysets"]
        if field_name not in shared:
            shared[field_name] = build()
        return shared[field_name]

    def _build_helper(self):
        if self.import_run is None:  # an import's rows are checked, never shown as a form
            super()._build_helper()

    def extra_validation_exclusions(self) -> set[str]:
        if self.import_run is None:
            return set()
        # These came from the rows the run loaded with the model fields' own limits (an entry of the option list, a
        # province, a city of it, a person among the owner choices) or are the importer: the model's check that the
        # row exists would ask the database the same again, once per field and row.
        return PRELOADED_FIELDS

    def clean_grade(self):
        grade = self.cleaned_data.get("grade") or ""
        if not self.may_grade and grade and grade != Grade.C:
            raise forms.ValidationError(GRADE_NOT_YOURS)
        return grade if self.may_grade and grade else Grade.C

    def clean_city(self):
        name = self.cleaned_data.get("city", "").strip()
        if not name:
            return None
        province = self.cleaned_data.get("province")
        if province is None:
            if self.has_error("province"):
                return None  # the province's own error says it
            raise forms.ValidationError(_("请先选择省份。"))
        if self.import_run is not None:
            city = self.import_run.cache["cities"].get((province.pk, name))
        else:
            city = Region.objects.filter(level=Region.Level.CITY, parent=province, name=name).first()
        if city is None:
            raise forms.ValidationError(_("所选城市不属于%(province)s。") % {"province": province.name})
        return city

    def clean_owner(self):
        text = self.cleaned_data.get("owner", "").strip()
        if not text:
            return None
        if self.import_run is not None:
            owners = self.import_run.cache["owners"]
            found = owners["username"].get(text, [])[:1] or owners["full_name"].get(text, [])[:2]
        else:
            choices = self.fields["owner"].queryset  # set by CustomerForm: whom this user may give customers to
            found = list(choices.filter(username=text)[:1]) or list(choices.filter(full_name=text)[:2])
        if len(found) > 1:
            raise forms.ValidationError(_("有多人名为“%(name)s”，请填写账号。") % {"name": text})
        if not found:
            raise forms.ValidationError(not_an_owner(text))
        return found[0]

    def clean(self):
        # The page's "仍然保存" does not exist in a file: a near-duplicate is an error of the row (below).
        self.cleaned_data["confirm_duplicate"] = True
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and not self.has_error("name"):
            duplicates = self._duplicates(name)
            if duplicates:
                self.add_error("name", duplicates_message(duplicates))
        self._clean_contact()
        return cleaned

    def exact_duplicates(self, name: str) -> list:
        return []  # the row's duplicate check below finds the same names too (from what the run loaded)

    def _duplicates(self, name: str) -> list[Customer]:
        run = self.import_run
        if run is not None:
            key = name_key(name)
            earlier = key in run.cache["row_keys"]
            run.cache["row_keys"].add(key)
            if earlier:
                # An earlier row of the file has the same key: while committing it may be waiting for its bulk
                # save, and the query below must see it, as it did when every row was saved at once.
                run.flush()
            elif key not in run.cache["existing_keys"]:
                return []  # what the query would find
        return list(import_duplicates(name)[:3])

    def _clean_contact(self):
        data = {target: self.cleaned_data.get(source, "").strip() for source, target in CONTACT_FIELDS.items()}
        if self.import_run is not None:  # one contact form per run, copied for each row (see form_per_run)
            prototype = self.import_run.cache.get("contact_form")
            if prototype is None:
                prototype = self.import_run.cache["contact_form"] = _RowContactForm(data={}, optional=True)
            contact_form = bind_row(prototype, data)
        else:
            contact_form = ContactForm(data=data, optional=True)
        if contact_form.is_empty():
            return
        if not contact_form.is_valid():
            by_target = {target: source for source, target in CONTACT_FIELDS.items()}
            for field_name, messages in contact_form.errors.items():
                for message in messages:
                    self.add_error(by_target.get(field_name), message)
            return
        contact = contact_form.save(commit=False)
        contact.is_primary = True
        self.contact = contact

    def customer_fields(self) -> dict:
        return {name: value for name, value in super().customer_fields().items() if name not in CONTACT_FIELDS}


class _RowContactForm(ContactForm):
    """The page's contact form, for a row checked in an import run: never shown, so without a layout."""

    def _build_helper(self):
        pass


def import_duplicates(name: str):
    """Existing customers (the recycle bin too, as on the page) that ``name`` duplicates — except those a
    reverted import put in the bin, which were never customers."""
    return _not_reverted(near_duplicates(name)).order_by("name", "pk")


def _not_reverted(queryset):
    return queryset.exclude(deleted_at__isnull=False, delete_reason__startswith=REVERTED_REASON_PREFIX)


# Checked by the form against what the run loaded (see CustomerImportForm.extra_validation_exclusions).
PRELOADED_FIELDS = {*OPTION_FIELDS, "province", "city", "owner"}


def prepare_customer_import(run) -> None:
    """Load once per pass over the file what each row's form would otherwise query."""
    choices = {field_name: {str(o.pk): o for o in CustomerImportForm.base_fields[field_name].queryset}
               for field_name in OPTION_FIELDS}
    choices["province"] = {str(p.pk): p for p in Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")}
    cities = {}
    for city in Region.objects.filter(level=Region.Level.CITY).order_by("code"):
        cities.setdefault((city.parent_id, city.name), city)  # the first by code, as .first() finds it
    owners = {"username": {}, "full_name": {}}
    for person in owner_choices_for(run.user):  # in the queryset's order, so [:2] picks the same two
        owners["username"].setdefault(person.username, []).append(person)
        owners["full_name"].setdefault(person.full_name, []).append(person)
    run.cache.update(
        choices=choices, cities=cities, owners=owners, querysets={}, row_keys=set(),
        existing_keys=set(_not_reverted(Customer.all_objects.all()).values_list("name_key", flat=True)),
    )


def not_an_owner(text: str) -> str:
    return gettext("“%(name)s”不是您可以指定的负责人（请填写账号或姓名）。") % {"name": text}


def duplicates_message(duplicates) -> str:
    return gettext("与已有客户重复：%(names)s") % {"names": "、".join(map(describe_customer, duplicates))}


def describe_customer(customer: Customer) -> str:
    if customer.deleted_at:
        where = gettext("回收站")
    elif customer.owner_id is None:
        where = gettext("客户池")
    else:
        where = gettext("负责人 %(owner)s") % {"owner": customer.owner.display_name}
    return f"{customer.name}（{where}）"


def _new_customer(form: CustomerImportForm) -> dict:
    cleaned = form.cleaned_data
    return {"owner": cleaned.get("owner"), "to_pool": bool(cleaned.get("to_pool")),
            "contacts": [form.contact] if form.contact else [], **form.customer_fields()}


def _import_reason(batch) -> str:
    return gettext("导入客户（批次 #%(batch)d）") % {"batch": batch.pk}


def save_imported_customer(form: CustomerImportForm, batch, user) -> Customer:
    return create_customer(by=user, reason=_import_reason(batch), **_new_customer(form))


def save_imported_customers(forms_: list[CustomerImportForm], batch, user) -> list[Customer]:
    return create_customers([_new_customer(form) for form in forms_], by=user, reason=_import_reason(batch))


def keep_customer_row(form: CustomerImportForm) -> dict:
    """What the commit needs of a row the validation found good (``commit_customer_rows``)."""
    fields = form.customer_fields()
    owner_text = str(form.data.get("owner", "")).strip()
    owner = form.cleaned_data.get("owner") if owner_text else None  # empty: the importer, as the service sets it
    contact = form.contact
    return {"customer": frozen(Customer, fields), "owner": owner.pk if owner else None,
            "owner_text": owner_text, "to_pool": bool(form.cleaned_data.get("to_pool")),
            "contact": frozen(Contact, {name: getattr(contact, name) for name in KEPT_CONTACT_FIELDS}) if contact else None}


KEPT_CONTACT_FIELDS = (*CONTACT_FIELDS.values(), "is_primary")


def commit_customer_rows(kept: list[tuple[int, dict]], run) -> tuple[list[Customer], list[tuple[int, str, str]]]:
    """Save up to ``BULK_ROWS`` rows the validation found good, after checking again, one query each for the
    chunk, what the form checked against data that may have changed since: the options still active, the owners
    still people the importer may give customers to, the importer still allowed to set the grade, and the names
    still free (a customer saved meanwhile, or an earlier row of the file with a near-identical name: that row
    is checked once the rows before it are saved, as the form does). Regions are reference data, not re-read."""
    user, headers = run.user, {column.field: column.header for column in run.definition.columns}
    rows = [(number, item, thawed(Customer, item["customer"])) for number, item in kept]
    refused: dict[int, list[tuple[str, str]]] = {}

    def refuse(number: int, field_name: str, message) -> None:
        refused.setdefault(number, []).append((headers[field_name], str(message)))

    option_ids = {fields[f"{name}_id"] for _n, _i, fields in rows for name in OPTION_FIELDS} - {None}
    options = {pk: (kind, active, label) for pk, kind, active, label in CustomerOption.objects.filter(
        pk__in=option_ids).values_list("pk", "kind", "is_active", "label")}
    owner_ids = {item["owner"] for _n, item, _f in rows} - {None}
    owners = {person.pk: person for person in owner_choices_for(user).filter(pk__in=owner_ids)}
    may_grade = user.has_perm("customers.confirm_grade")
    seen_keys = run.cache.setdefault("name_keys", set())
    keys = {number: name_key(fields["name"]) for number, _i, fields in rows}
    taken = taken_name_keys(set(keys.values()))
    first, repeated = [], []
    for number, item, fields in rows:
        for name, kind in OPTION_FIELDS.items():
            value = fields[f"{name}_id"]
            if value is not None and options.get(value, (None, False))[:2] != (kind, True):
                refuse(number, name, not_an_option(options[value][2] if value in options else value))
        if item["owner"] is not None and item["owner"] not in owners:
            refuse(number, "owner", not_an_owner(item["owner_text"]))
        if not may_grade and fields["grade"] != Grade.C:
            refuse(number, "grade", GRADE_NOT_YOURS)
        if keys[number] in taken:
            refuse(number, "name", duplicates_message(import_duplicates(fields["name"])[:3]))
        (repeated if keys[number] in seen_keys else first).append((number, item, fields))
        seen_keys.add(keys[number])
    created = _save_kept(run, [row for row in first if row[0] not in refused], owners, refused, headers)
    for number, item, fields in repeated:  # the earlier row is saved now (or was refused)
        duplicates = list(import_duplicates(fields["name"])[:3])
        if duplicates:
            refuse(number, "name", duplicates_message(duplicates))
    created += _save_kept(run, [row for row in repeated if row[0] not in refused], owners, refused, headers)
    order = {number: index for index, (number, _item) in enumerate(kept)}
    created.sort(key=lambda pair: order[pair[0]])
    errors = [(number, header, message) for number, found in refused.items() for header, message in found]
    return [customer for _number, customer in created], errors


def taken_name_keys(keys) -> set[str]:
    """Which of ``keys`` existing customers have (those of reverted imports aside): one indexed query."""
    found = _not_reverted(with_name_keys(Customer.all_objects.all(), keys)).order_by().values_list("name_key", flat=True)
    return set(found)


def _save_kept(run, rows, owners: dict, refused: dict, headers: dict) -> list[tuple[int, Customer]]:
    """Save kept rows (bulk; one by one to find the row when the database refuses the lot): [(number, customer)]."""
    if not rows:
        return []

    make_contact = instance_maker(Contact)

    def new(item, fields) -> dict:
        contact = make_contact(**thawed(Contact, item["contact"])) if item["contact"] else None
        return {"owner": owners.get(item["owner"]), "to_pool": item["to_pool"], "contacts": [contact] if contact else [],
                **fields}

    reason = _import_reason(run.batch)
    try:
        with transaction.atomic():
            customers = create_customers([new(item, fields) for _n, item, fields in rows], by=run.user, reason=reason)
        return [(number, customer) for (number, _i, _f), customer in zip(rows, customers)]
    except ValidationError:
        saved = []
        for number, item, fields in rows:
            try:
                with transaction.atomic():
                    saved.append((number, create_customer(by=run.user, reason=reason, **new(item, fields))))
            except ValidationError as error:  # the service's refusal names its field (the name taken meanwhile)
                by_field = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
                for field_name, messages in by_field.items():
                    refused.setdefault(number, []).extend((headers.get(field_name, ""), m) for m in messages)
        return saved


def bin_imported_customers(queryset, batch, user) -> None:
    """Revert: the batch's customers go to the recycle bin, unless someone has worked on them since."""
    customers = list(queryset.order_by("pk"))
    ids = [c.pk for c in customers]
    worked_on = set()
    for model in (FollowUp, Visit, BusinessRecord):
        worked_on.update(model.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True))
    worked_on.update(OwnershipChange.objects.filter(customer_id__in=ids).exclude(kind__in=[
        OwnershipKind.CREATED, OwnershipKind.RELEASED]).values_list("customer_id", flat=True))
    contacts = Contact.objects.filter(customer_id__in=ids)
    worked_on.update(contacts.filter(Q(created_at__gt=batch.committed_at) if batch.committed_at else Q(pk__in=[]))
                     .values_list("customer_id", flat=True))
    if audit.is_tracked(Contact):
        updates = audit.event_model(Contact).objects.filter(pgh_obj__customer_id__in=ids, pgh_label="update")
        worked_on.update(updates.values_list("pgh_obj__customer_id", flat=True))
    if worked_on:
        names = "、".join([c.name for c in customers if c.pk in worked_on][:20])
        raise ImportRefused(gettext("以下客户在导入后已有跟进、拜访、业务记录或联系人变动，不能撤销：%(names)s。")
                            % {"names": names})
    reason = f"{REVERTED_REASON_PREFIX}{batch.pk}"
    with transaction.atomic(), audit.context(user=user, reason=reason):
        Customer.objects.filter(pk__in=ids, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=user, delete_reason=reason)


# registered in CustomersConfig.ready()
CUSTOMER_IMPORT = ImportDefinition(
    key="customers",
    title=_("客户"),
    form_class=CustomerImportForm,
    permission="customers.import_customer",
    columns=[
        Column("客户名称", "name", help=_("与已有客户名称相同或相近（忽略空格、全角字符和“有限公司”等后缀）的行不导入")),
        Column("客户行业", "industry"),
        Column("客户信息来源", "source"),
        Column("公司性质", "nature"),
        Column("年营业额", "revenue_band"),
        Column("员工数", "employees_band"),
        Column("评分", "rating"),
        Column("客户等级", "grade", required=False, help=_("留空为 C 类；只有可确认客户等级的人可以填写")),
        Column("客户状态", "status"),
        Column("邮编", "postcode", help=_("6 位数字")),
        Column("省份", "province"),
        Column("城市", "city", help=_("所填省份下的城市（直辖市填区县），如 杭州市、朝阳区")),
        Column("详细地址", "address"),
        Column("公司电话", "phone"),
        Column("网址", "website"),
        Column("建立合作日期", "relationship_started_on"),
        Column("负责人", "owner", help=_("账号或姓名；留空为导入人")),
        Column("放入客户池", "to_pool", help=_("填“是”则不设负责人，放入客户池")),
        Column("联系人姓名", "contact_name", help=_("首要联系人；不填则不建联系人")),
        Column("称呼", "contact_salutation", help=_("如 张经理，最多 50 个字")),
        Column("职务", "contact_position", help=_("最多 50 个字")),
        Column("手机", "contact_mobile", help=_("中国大陆手机号码，11 位数字")),
        Column("邮箱", "contact_email", help=_("联系人的电子邮箱地址")),
        Column("QQ", "contact_qq", help=_("数字，最多 20 位")),
    ],
    unique=("客户名称",),
    form_kwargs=lambda user: {"user": user},
    save_row=save_imported_customer,
    save_rows=save_imported_customers,
    prepare_run=prepare_customer_import,
    form_per_run=True,
    keep_row=keep_customer_row,
    commit_rows=commit_customer_rows,
    revert_objects=bin_imported_customers,
    list_url_name="customers:list",
)
