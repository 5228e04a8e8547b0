"""Forms of the customer pages (PROCEDURES.md §1): the customer master with its primary contact, contacts,
follow-ups, business records, the archive sections and the quick status change.

The validation messages are part of the requirement ("请填写客户名", postcode 6 digits, QQ digits, mainland
mobile numbers); the near-duplicate warning is raised here, before anything is saved.
"""
from __future__ import annotations

import datetime as dt

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import (BusinessRecord, Contact, Customer, CustomerOption, FollowUp, FollowUpKind, OptionKind,
                              Region)
from customers.rules import SEES_ALL
from customers.services import pool as pool_service
from customers.services.records import duplicate_name_message, near_duplicates, same_name
from qms.people import User
from qms.widgets import DateInput, DateTimeInput

OPTION_FIELDS = {
    "industry": OptionKind.INDUSTRY,
    "source": OptionKind.SOURCE,
    "nature": OptionKind.NATURE,
    "revenue_band": OptionKind.REVENUE,
    "employees_band": OptionKind.EMPLOYEES,
    "status": OptionKind.STATUS,
}

ARCHIVE_FIELDS = ["organisation", "business_situation", "major_events", "competition", "needs", "shareholders",
                  "stock_info", "bank_accounts", "service_notes", "other_info"]

MOBILE_MESSAGE = _("请输入有效的中国大陆手机号码（11 位数字）。")


def validate_mobile(value: str) -> None:
    """11 digits that ``phonenumbers`` knows as a mainland China mobile number (not 12345678901)."""
    if not (len(value) == 11 and value.isdigit()):
        raise forms.ValidationError(MOBILE_MESSAGE, code="mobile")
    # Eleven digits are the national number as parse(value, "CN") finds it: no country code, and the prefixes it
    # would strip (the trunk 0, the carrier codes 1[12]xx and 179xx) leave at most ten digits, which no mobile
    # number has (compared on 500,000 numbers, every four-digit start among them). Built directly, at a quarter of
    # parse's cost: it is run for every row of an import. A type other than UNKNOWN is a valid number of the
    # country (+86, China alone), as is_valid_number_for_region would say after matching the same patterns again.
    try:
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(value))
    except ValueError:  # isdigit() takes superscripts too, which are no decimal digits
        raise forms.ValidationError(MOBILE_MESSAGE, code="mobile") from None
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise forms.ValidationError(MOBILE_MESSAGE, code="mobile")


def owner_choices_for(user):
    """Whom ``user`` may make the owner of a new customer: anyone (GM, MR, customer service, superusers), the
    members of the departments they manage (department managers), else only themselves — so that the creator
    still sees the customer they created."""
    users = User.objects.filter(is_active=True).select_related("department").order_by("department__code", "full_name",
                                                                                       "username")
    if user.is_superuser or user.has_role(*SEES_ALL):
        return users
    return users.filter(Q(pk=user.pk) | Q(department__manager=user))


class OwnerChoiceField(forms.ModelChoiceField):
    """A select of people labelled "部门 · 姓名" in department order (the JS filter box searches both)."""

    def label_from_instance(self, obj):
        return f"{obj.department or _('无部门')} · {obj.display_name}"


class CityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class CustomerForm(forms.ModelForm):
    """The customer master of the create and edit pages.

    A name that is a near-duplicate of an existing customer's (ignoring spaces, full-width characters and the
    legal-form suffix) stops the save: the page lists the existing customers and the user ticks "仍然保存".
    The same name as a live customer's (ignoring only spaces and full-width characters) is refused outright:
    §1 the name is unique, and "仍然保存" is not offered.
    """

    owner = OwnerChoiceField(label=_("负责人"), queryset=User.objects.none(), required=False,
                             help_text=_("默认为创建人；勾选“放入客户池”则不设负责人。"))
    to_pool = forms.BooleanField(label=_("放入客户池"), required=False)
    city = CityChoiceField(label=_("城市"), queryset=Region.objects.filter(level=Region.Level.CITY), required=False)
    confirm_duplicate = forms.BooleanField(label=_("仍然保存"), required=False,
                                           help_text=_("已确认不是同一客户，仍然保存。"))

    class Meta:
        model = Customer
        fields = ["name", "industry", "source", "nature", "revenue_band", "employees_band", "status", "rating",
                  "grade", "postcode", "province", "city", "address", "phone", "website", "relationship_started_on",
                  "owner"]
        widgets = {"relationship_started_on": DateInput()}
        error_messages = {"name": {"required": _("请填写客户名"),
                                   "max_length": _("客户名称不能超过 50 个字符（现有 %(show_value)d 个）。")}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.duplicates = []
        self.exact_duplicate = False  # the name is taken: no "仍然保存"
        creating = self.instance.pk is None
        for field_name, kind in OPTION_FIELDS.items():
            current = getattr(self.instance, f"{field_name}_id", None)
            self.fields[field_name].queryset = self._queryset(field_name, lambda kind=kind, current=current: (
                CustomerOption.objects.filter(Q(kind=kind, is_active=True) | Q(pk=current or 0)).order_by("order", "id")))
        self.fields["postcode"].error_messages["max_length"] = _("邮编应为 6 位数字。")
        self.fields["province"].queryset = self._queryset(
            "province", lambda: Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
        self.fields["province"].widget.attrs.update({"class": "js-province",
                                                     "data-cities-url": reverse("customers:cities")})
        self.fields["city"].widget.attrs.update({"class": "js-city"})
        self._limit_city_choices()
        if creating:
            self.fields["owner"].queryset = self._queryset("owner", lambda: owner_choices_for(user))
            self.fields["owner"].widget.attrs.update({"class": "js-owner"})
            if not self.is_bound:
                self.initial.setdefault("owner", user.pk)
        else:  # owner changes are transfers (pool pages), recorded as ownership changes
            del self.fields["owner"]
            del self.fields["to_pool"]
        if not user.has_perm("customers.confirm_grade"):
            # §1 the grade is suggested by the ABC analysis and confirmed by a manager, not typed by anyone
            del self.fields["grade"]
        else:  # left empty it stays as it is (a new customer starts as C)
            self.fields["grade"].required = False
        self._build_helper()

    def _queryset(self, field_name: str, build):
        """The queryset of a choice field, ``build()``; a form built for many rows alike (an import) may share
        one."""
        return build()

    def _build_helper(self):
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(  # owner, pool and the duplicate confirmation are placed by the template
            Fieldset(_("基本信息"), "name", self._row("industry", "source", "nature"),
                     self._row("revenue_band", "employees_band", "rating"), self._row("status", "grade")),
            Fieldset(_("地址与联系方式"), self._row("province", "city", "postcode"), "address",
                     self._row("phone", "website", "relationship_started_on")),
        )

    def _row(self, *names):
        return Row(*[Column(name, css_class="col-md") for name in names if name in self.fields])

    def _limit_city_choices(self):
        """The city select offers the chosen province's cities (the page reloads them when the province
        changes); before a province is chosen it offers none and says so, instead of a list of 452 cities."""
        province = self.data.get(self.add_prefix("province")) if self.is_bound else self.initial.get(
            "province", self.instance.province_id)
        if province:
            cities = Region.objects.filter(level=Region.Level.CITY, parent_id=str(province)).order_by("code")
            self.fields["city"].choices = [("", "---------")] + [(c.pk, c.name) for c in cities]
        else:
            self.fields["city"].choices = [("", _("请先选择省份"))]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_grade(self):
        from customers.models import Grade

        return self.cleaned_data.get("grade") or self.instance.grade or Grade.C

    def clean(self):
        cleaned = super().clean()
        province, city = cleaned.get("province"), cleaned.get("city")
        if city and not province:
            self.add_error("province", _("请先选择省份。"))
        elif city and province and city.parent_id != province.pk:
            self.add_error("city", _("所选城市不属于%(province)s。") % {"province": province.name})
        if "owner" in self.fields and not cleaned.get("to_pool") and not cleaned.get("owner") \
                and not self.has_error("owner"):
            cleaned["owner"] = self.user
        name = cleaned.get("name")
        if name and not self.has_error("name"):
            near = [] if cleaned.get("confirm_duplicate") else list(
                near_duplicates(name, exclude_pk=self.instance.pk).order_by("name", "pk")[:20])
            exact = self.exact_duplicates(name)  # asked second, it sees every customer the first query saw
            if exact:
                self.refuse_duplicate_name(name, exact)
            elif near:
                self.duplicates = near
                self.add_error(None, _("已有名称相近的客户，请核对；确认不是同一客户时勾选“仍然保存”后再保存。"))
        return cleaned

    def exact_duplicates(self, name: str) -> list:
        return list(same_name(name, exclude_pk=self.instance.pk).order_by("pk")[:5])

    def refuse_duplicate_name(self, name: str, existing=None, error=None) -> None:
        """Refuse ``name`` as taken (found by the check, or ``error`` from the service when another save of the
        same name came first), listing the customer(s) that have it."""
        self.exact_duplicate = True
        self.duplicates = list(existing if existing is not None else self.exact_duplicates(name))
        if error is not None and hasattr(error, "error_dict"):
            error = error.error_dict.get("name", error.messages)
        self.add_error("name", error if error is not None else duplicate_name_message(name))

    def customer_fields(self) -> dict:
        """The model fields to hand to the create service (owner and pool are passed separately)."""
        return {name: value for name, value in self.cleaned_data.items()
                if name not in ("owner", "to_pool", "confirm_duplicate")}


class ArchiveForm(forms.ModelForm):
    """大客户档案: the text sections of the key-account archive."""

    class Meta:
        model = Customer
        fields = ARCHIVE_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ARCHIVE_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ContactForm(forms.ModelForm):
    """A contact (联系人); on the create page the same form, prefixed, is the primary contact (首要联系人)."""

    class Meta:
        model = Contact
        fields = ["name", "salutation", "position", "mobile", "email", "qq", "remarks", "is_primary"]
        widgets = {"remarks": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, optional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        limits = {"name": _("姓名"), "salutation": _("称呼"), "position": _("职务"), "email": _("邮箱")}
        for field_name, label in limits.items():
            self.fields[field_name].error_messages["max_length"] = _("%(label)s不能超过 50 个字符。") % {"label": label}
        self.fields["name"].error_messages["required"] = _("请填写联系人姓名。")
        self.fields["email"].error_messages["invalid"] = _("请输入有效的邮箱地址。")
        self.fields["qq"].error_messages["max_length"] = _("QQ 号只能是数字，最多 20 位。")
        # "138 0013 8000" is accepted: the 11 digits are checked after spaces are dropped (validate_mobile)
        mobile = self.fields["mobile"]
        mobile.max_length = None
        mobile.widget.attrs.pop("maxlength", None)
        mobile.validators = [v for v in mobile.validators if not isinstance(v, MaxLengthValidator)]
        self.fields["remarks"].error_messages["max_length"] = _("备注不能超过 500 个字符。")
        if optional:  # the primary contact of the create page: nothing typed, no contact
            self.fields["name"].required = False
            del self.fields["is_primary"]
        self._build_helper()

    def _build_helper(self):
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        row = lambda *names: Row(*[Column(name, css_class="col-md") for name in names])  # noqa: E731
        self.helper.layout = Layout(row("name", "salutation", "position"), row("mobile", "email", "qq"), "remarks",
                                    *(["is_primary"] if "is_primary" in self.fields else []))

    def clean_mobile(self):
        mobile = self.cleaned_data["mobile"].replace(" ", "").replace("-", "")
        if mobile:
            validate_mobile(mobile)
        return mobile

    def is_empty(self) -> bool:
        return self.optional and not any(
            str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)

    def clean(self):
        cleaned = super().clean()
        if self.optional and not cleaned.get("name") and not self.is_empty() and not self.has_error("name"):
            self.add_error("name", _("请填写联系人姓名。"))
        return cleaned


class StatusForm(forms.Form):
    """The quick status change of the overview tab."""

    status = forms.ModelChoiceField(label=_("客户状态"), queryset=CustomerOption.objects.none(), required=False,
                                    empty_label=_("（未设置）"))
    expected = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("理由"), max_length=200, required=False)

    def __init__(self, *args, customer: Customer, **kwargs):
        kwargs.setdefault("initial", {"status": customer.status_id, "expected": customer.status_id or ""})
        super().__init__(*args, **kwargs)
        self.fields["status"].queryset = CustomerOption.objects.filter(
            Q(kind=OptionKind.STATUS, is_active=True) | Q(pk=customer.status_id or 0)).order_by("order", "id")


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["kind", "occurred_at", "contact", "content", "next_step"]
        widgets = {"occurred_at": DateTimeInput(),
                   "content": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = FollowUpKind.CALL
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.fields["content"].error_messages["required"] = _("请填写跟进内容。")
        self.fields["contact"].queryset = customer.contacts.filter(is_active=True)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at and occurred_at > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("跟进时间不能晚于现在。"))
        return occurred_at


class BusinessRecordForm(forms.ModelForm):
    class Meta:
        model = BusinessRecord
        fields = ["occurred_on", "amount", "description"]
        widgets = {"occurred_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].initial = timezone.localdate()
        self.fields["amount"].error_messages["min_value"] = _("金额不能为负数。")
        self.fields["amount"].widget.attrs["min"] = "0"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class TransferTargetForm(forms.Form):
    """转移 (the ticked customers of the list, or the pool page's transfer): the new owner (the people
    ``pool.transfer_targets`` allows) or the pool, and the reason."""

    to_owner = OwnerChoiceField(label=_("新负责人"), queryset=None, required=False,
                                empty_label=_("— 请选择 —"))
    to_pool = forms.BooleanField(label=_("放入客户池"), required=False)
    reason = forms.CharField(label=_("转移原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请填写转移原因。")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_owner"].queryset = pool_service.transfer_targets(user)

    def clean(self):
        data = super().clean()
        if data.get("to_owner") and data.get("to_pool"):
            raise forms.ValidationError(_("请选择新负责人或放入客户池，二者只能选其一。"))
        if not data.get("to_owner") and not data.get("to_pool") and "to_owner" not in self.errors:
            raise forms.ValidationError(_("请选择新负责人，或勾选“放入客户池”。"))
        return data
