"""Import pages: upload (with the template and its instructions), preview and progress, commit, revert,
and the list of a user's import batches. Included under /qms/imports/ by qms/urls_core.py."""
import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.middleware.csrf import get_token
from django.utils.encoding import force_str
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qms.excel import imports
from qms.excel.export import xlsx_response
from qms.excel.models import ImportBatch
from qms.excel.reading import ImportFileError
from qms.excel.workbooks import error_workbook, field_format, template_workbook
from qms.people import visible_to
from qms.views.generic import RecordListView

ERRORS_PER_PAGE = 200


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel 文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )


def _definition(request, key) -> imports.ImportDefinition:
    try:
        definition = imports.get_definition(key)
    except LookupError:
        raise Http404 from None
    if not definition.allowed(request.user):
        raise PermissionDenied(_("您没有导入“%(title)s”的权限。") % {"title": definition.title})
    return definition


def _batch(request, pk) -> ImportBatch:
    return get_object_or_404(visible_to(request.user, ImportBatch.objects.select_related("created_by")), pk=pk)


def import_start(request, key):
    """The upload page: what the file must hold, the template, and the file field."""
    definition = _definition(request, key)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = imports.start_import(definition, form.cleaned_data["file"], request.user)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect(batch)
    columns = []
    for column in definition.columns:
        field = definition.form_field(column)
        columns.append({
            "header": column.header,
            "required": definition.is_required(column),
            "format": "；".join(s for s in (field_format(field), force_str(column.help)) if s),
        })
    recent = visible_to(request.user, ImportBatch.objects.filter(definition_key=key))[:5]
    return render(request, "qms/excel/import_start.html", {
        "definition": definition, "form": form, "columns": columns, "recent": recent,
        "title": _("导入%(title)s") % {"title": definition.title},
    })


def import_template(request, key):
    definition = _definition(request, key)
    return xlsx_response(template_workbook(definition), f"{definition.title}导入模板.xlsx")


def batch_detail(request, pk):
    """Progress while it runs; the preview (every bad row, the commit form); the result and revert."""
    batch = _batch(request, pk)
    try:
        definition = imports.get_definition(batch.definition_key)
    except LookupError:
        raise Http404 from None
    errors = Paginator(batch.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "qms/excel/batch_detail.html", {
        "batch": batch, "definition": definition, "page_obj": errors, "can_act": definition.allowed(request.user),
        "list_url": reverse(definition.list_url_name) if definition.list_url_name else None,
        "title": _("导入%(title)s：%(file)s") % {"title": definition.title, "file": batch.file_name},
    })


def batch_progress(request, pk):
    """Polled by static/js/import_progress.js while a large file is validated or imported."""
    batch = _batch(request, pk)
    return JsonResponse({
        "status": batch.status, "status_label": batch.get_status_display(), "running": batch.is_running,
        "started": not batch.is_waiting,
        "done": batch.progress_done, "total": batch.total_rows, "percent": batch.progress_percent,
    })


def batch_errors(request, pk):
    """The bad rows as uploaded, with the column 错误原因, to correct and upload again."""
    batch = _batch(request, pk)
    if not batch.errors:
        raise Http404
    definition = imports.get_definition(batch.definition_key)
    try:
        handle = error_workbook(batch, definition)
    except ImportFileError as error:
        messages.error(request, str(error))
        return redirect(batch)
    name = batch.file_name.rsplit(".", 1)[0]
    return xlsx_response(handle, f"{name}-错误行.xlsx")


@require_POST
def batch_commit(request, pk):
    batch = _batch(request, pk)
    try:
        batch = imports.request_commit(batch, request.user, good_rows_only=request.POST.get("good_rows_only") == "1")
    except imports.ImportRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(batch)
    if batch.status == ImportBatch.Status.IMPORTED:
        messages.success(request, _("已导入 %(count)d 条记录。") % {"count": batch.created_count})
    elif batch.status == ImportBatch.Status.IMPORTING:
        messages.info(request, _("文件较大，正在后台导入，请稍候。"))
    elif batch.message:
        messages.error(request, batch.message)
    return redirect(batch)


@require_POST
def batch_revert(request, pk):
    batch = _batch(request, pk)
    try:
        count = imports.revert_batch(batch, request.user)
    except imports.ImportRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if imports.get_definition(batch.definition_key).revert_objects:
            messages.success(request, _("已撤销导入：%(count)d 条记录已作废或移入回收站。") % {"count": count})
        else:
            messages.success(request, _("已撤销导入，删除了 %(count)d 条记录。") % {"count": count})
    if request.POST.get("next") == "list":
        return redirect("qms:import_list")
    return redirect(batch)


class ImportBatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ImportBatch.Status.choices)

    class Meta:
        model = ImportBatch
        fields = ["status"]


class ImportBatchTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("上传时间"), format="Y-m-d H:i")
    file_name = tables.Column(verbose_name=gettext_lazy("文件名"), linkify=True)
    definition_key = tables.Column(verbose_name=gettext_lazy("导入类型"))
    created_by = tables.Column(verbose_name=gettext_lazy("导入人"))
    status = tables.Column(verbose_name=gettext_lazy("状态"))
    total_rows = tables.Column(verbose_name=gettext_lazy("数据行数"))
    error_rows = tables.Column(verbose_name=gettext_lazy("错误行数"))
    created_count = tables.Column(verbose_name=gettext_lazy("已创建"))
    actions = tables.Column(verbose_name="", orderable=False, exclude_from_export=True, empty_values=())

    class Meta:
        model = ImportBatch
        fields = ["created_at", "file_name", "definition_key", "created_by", "status", "total_rows", "error_rows",
                  "created_count"]
        order_by = ("-created_at",)

    def render_actions(self, record):
        if record.status != ImportBatch.Status.IMPORTED:
            return ""
        return format_html(
            '<form method="post" action="{}" class="d-inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="list">'
            '<button class="btn btn-outline-danger btn-sm" type="submit" data-confirm="{}">{}</button></form>',
            reverse("qms:import_revert", args=[record.pk]), get_token(self.request),
            _("撤销将删除本次导入创建的全部记录。确定撤销吗？"), _("撤销"),
        )

    def render_definition_key(self, value):
        try:
            return imports.get_definition(value).title
        except LookupError:
            return value


class ImportBatchListView(RecordListView):
    model = ImportBatch
    table_class = ImportBatchTable
    filterset_class = ImportBatchFilter
    permission_required = "qms.view_importbatch"
    template_name = "qms/excel/batch_list.html"
    title = gettext_lazy("导入记录")

    def base_queryset(self):
        return ImportBatch.objects.select_related("created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["definitions"] = imports.definitions_for(self.request.user)
        return context


urlpatterns = [
    path("", ImportBatchListView.as_view(), name="import_list"),
    path("new/<slug:key>/", import_start, name="import_start"),
    path("new/<slug:key>/template.xlsx", import_template, name="import_template"),
    path("<int:pk>/", batch_detail, name="import_batch"),
    path("<int:pk>/progress.json", batch_progress, name="import_progress"),
    path("<int:pk>/errors.xlsx", batch_errors, name="import_errors"),
    path("<int:pk>/commit/", batch_commit, name="import_commit"),
    path("<int:pk>/revert/", batch_revert, name="import_revert"),
]
