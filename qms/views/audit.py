"""The auditor's page: search the whole audit trail, page through it, export it to Excel (§8 records control).

Open to the MR, the GM, quality and document control (and superusers); the trail itself is read-only.
"""
from itertools import islice

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms import audit
from qms.excel.export import stream_xlsx
from qms.people import User
from qms.widgets import DateInput



EXPORT_HEADERS = [gettext_lazy("时间"), gettext_lazy("操作人"), gettext_lazy("记录类型"), gettext_lazy("记录"),
                  gettext_lazy("操作"), gettext_lazy("字段"), gettext_lazy("原值"), gettext_lazy("新值"),
                  gettext_lazy("理由")]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.username}）"


def model_choices():
    models = sorted(audit.tracked_models(), key=lambda m: (m._meta.app_label, str(m._meta.verbose_name)))
    return [("", "---------")] + [(m._meta.label_lower, m._meta.verbose_name) for m in models]


class AuditFilterForm(forms.Form):
    user = UserChoiceField(label=gettext_lazy("操作人"), required=False, queryset=User.objects.order_by("username"))
    model = forms.ChoiceField(label=gettext_lazy("记录类型"), required=False, choices=model_choices)
    date_from = forms.DateField(label=gettext_lazy("起始日期"), required=False,
                                widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("截止日期"), required=False,
                              widget=DateInput())
    field = forms.CharField(label=gettext_lazy("字段"), required=False, max_length=50,
                            help_text=gettext_lazy("字段名称，如“状态”：只列出修改了该字段的记录"))
    text = forms.CharField(label=gettext_lazy("内容"), required=False, max_length=100,
                           help_text=gettext_lazy("在记录的值、理由和操作人中查找"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def search(self):
        """(the events matching the filters, {model: columns} of the searched field or None)."""
        if not self.is_valid():
            return audit.trail().none(), None
        data = self.cleaned_data
        model = apps.get_model(data["model"]) if data.get("model") else None
        fields = None
        if data.get("field"):
            fields = audit.matching_columns(data["field"], [model] if model else audit.tracked_models())
        events = audit.trail(user=data.get("user"), model=model, date_from=data.get("date_from"),
                             date_to=data.get("date_to"), field=data.get("field", ""), text=data.get("text", ""))
        return events, fields


@permission_required("qms.view_audit_trail", raise_exception=True)
def audit_trail(request):
    """审计追踪: every change of every controlled record, newest first, with who, when, old/new and why."""
    form = AuditFilterForm(request.GET)
    events, fields = form.search()
    page = Paginator(events, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "qms/audit_trail.html", {
        "title": _("审计追踪"), "form": form, "page_obj": page, "rows": audit.describe(page.object_list, fields),
        "export_query": query.urlencode(),
    })


@permission_required("qms.view_audit_trail", raise_exception=True)
def audit_export(request):
    """The filtered trail as .xlsx, one row per changed field, read and written in chunks."""
    events, fields = AuditFilterForm(request.GET).search()

    def rows():
        iterator = events.iterator(chunk_size=1000)
        while chunk := list(islice(iterator, 1000)):
            for row in audit.flatten(audit.describe(chunk, fields)):
                yield [row["time"], row["user"], row["model"], row["record"], row["action"], row["field"],
                       row["old"], row["new"], row["reason"]]

    title = _("审计追踪")
    return stream_xlsx(f"{title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", EXPORT_HEADERS, rows(), sheet_title=title)
