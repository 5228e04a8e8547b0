"""The staff list (通讯录) import: HR creates accounts from an .xlsx, one row per person.

New accounts get an unusable password: the person sets one through "forgot password" or an administrator's
reset, so that no password ever travels in a spreadsheet.
"""
from django import forms
from django.contrib.auth.models import Group
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from qms.excel.imports import Column, ImportDefinition
from qms.people import Department, User


mobile_number = RegexValidator(r"^1[3-9]\d{9}$", _("请填写 11 位手机号码。"))


class StaffForm(forms.ModelForm):
    """A member of staff as HR enters them: account, name, department, roles, contact details."""

    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.filter(is_active=True))
    groups = forms.ModelMultipleChoiceField(label=_("岗位"), queryset=Group.objects.order_by("name"), required=False)
    phone = forms.CharField(label=_("手机"), max_length=20, required=False, validators=[mobile_number])

    class Meta:
        model = User
        fields = ["username", "full_name", "department", "groups", "email", "phone"]
        labels = {"username": _("账号")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True


def save_staff(form: StaffForm, batch, user) -> User:
    staff = form.save(commit=False)
    staff.set_unusable_password()
    staff.save()
    form.save_m2m()
    return staff


STAFF_IMPORT = ImportDefinition(
    key="staff",
    title=_("通讯录"),
    form_class=StaffForm,
    permission="qms.import_staff",
    columns=[
        Column("账号", "username", help=_("登录用的账号，字母、数字或 @/./+/-/_")),
        Column("姓名", "full_name"),
        Column("部门", "department"),
        Column("岗位", "groups"),
        Column("邮箱", "email", help=_("用于“忘记密码”找回密码")),
        Column("手机", "phone", help=_("11 位手机号码")),
    ],
    unique=("账号",),
    save_row=save_staff,
    list_url_name="qms:staff_list",
)
