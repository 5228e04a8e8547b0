"""Medical-device adverse events (医疗器械不良事件) and advisory notices (忠告性通知), PROCEDURES.md §3.

Adverse-event pages: flagging a complaint as a suspected adverse event (``complaints:adverse_flag``, linked from
the complaint's page and its 不良事件 tab), recording the report to the regulator (signed), asking production and
quality to freeze a batch, the list of adverse events with filters (consequence, reported or not, overdue,
quarter) and export, 《医疗器械不良事件报告书》 as a PDF, and the quarterly aggregate report as an Excel workbook.
The advisory-notice pages are in ``complaints.views.notices``.

Permissions:
- ``complaints.view_complaint`` — the complaint's visibility (``complaints.services.complaints``); the list
  shows only the adverse events of complaints the user may see, and another's is a 404.
- ``complaints.flag_adverse_event`` — whoever handles the complaint, quality and the MR.
- ``complaints.report_adverse_event`` — quality and the MR record the report and ask for stock to be frozen.
- ``complaints.export_adverse_report`` — quality, the MR and the GM export the quarterly aggregate report.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.forms_adverse import AdverseFlagForm, AdverseReportForm, FreezeForm
from complaints.models import AdverseSeriousness, Complaint
from complaints.services import adverse as service
from qms import company
from qms.excel.export import ExportWorkbook, write_rows, xlsx_response
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.actions import RecordActionView
from qms.tables import StatusColumn
from qms.views.generic import RecordListView
from qms.views.records import RecordPdfView

def adverse_queryset():
    return service.with_report_due(Complaint.objects.filter(is_adverse_event=True)
                                   .select_related("customer", "received_by"))


# --- the list --------------------------------------------------------------------------------------------
class AdverseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("编号/客户/产品/批号"), method="search")
    adverse_seriousness = django_filters.ChoiceFilter(label=gettext_lazy("事件后果"),
                                                      choices=AdverseSeriousness.choices)
    reported = django_filters.ChoiceFilter(label=gettext_lazy("是否已报告"), method="filter_reported",
                                           choices=[("yes", gettext_lazy("已报告")), ("no", gettext_lazy("未报告"))])
    overdue = django_filters.ChoiceFilter(label=gettext_lazy("逾期"), method="filter_overdue",
                                          choices=[("yes", gettext_lazy("逾期未报告")),
                                                   ("late", gettext_lazy("超期报告"))])
    quarter = django_filters.ChoiceFilter(label=gettext_lazy("获知季度"), method="filter_quarter", choices=[])

    class Meta:
        model = Complaint
        fields = ["q", "adverse_seriousness", "reported", "overdue", "quarter"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["quarter"].extra["choices"] = service.recent_quarters(12)  # before the form is built

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(customer_name__icontains=value)
                               | Q(product__icontains=value) | Q(batch__icontains=value))

    def filter_reported(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(adverse_reported_at__isnull=False)
        return queryset.filter(adverse_reported_at__isnull=True)

    def filter_overdue(self, queryset, name, value):
        if value == "late":
            return queryset.filter(adverse_reported_at__gt=F("report_due_at"))
        return queryset.filter(adverse_reported_at__isnull=True, report_due_at__lt=timezone.now())

    def filter_quarter(self, queryset, name, value):
        parsed = service.parse_quarter(value)
        if parsed is None:
            return queryset.none()
        start, end = service.quarter_bounds(*parsed)
        return queryset.filter(received_at__gte=start, received_at__lt=end)


class AdverseTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("投诉编号"),
                           linkify=lambda record: reverse("complaints:detail", args=[record.pk]) + "?tab=adverse")
    customer_name = tables.Column(verbose_name=gettext_lazy("客户/使用单位"))
    product = tables.Column(verbose_name=gettext_lazy("产品"))
    batch = tables.Column(verbose_name=gettext_lazy("批号"))
    adverse_seriousness = tables.Column(verbose_name=gettext_lazy("事件后果"))
    received_at = tables.DateTimeColumn(verbose_name=gettext_lazy("获知时间"), format="Y-m-d H:i")
    report_due_at = tables.DateTimeColumn(verbose_name=gettext_lazy("报告期限"), format="Y-m-d H:i")
    adverse_reported_at = tables.DateTimeColumn(verbose_name=gettext_lazy("报告时间"), format="Y-m-d H:i")
    state = tables.Column(verbose_name=gettext_lazy("报告状态"), empty_values=(),
                          order_by=("adverse_reported_at", "report_due_at"))
    status = StatusColumn(verbose_name=gettext_lazy("投诉状态"))
    pdf = tables.Column(verbose_name=gettext_lazy("报告书"), empty_values=(), orderable=False,
                        exclude_from_export=True)

    class Meta:
        model = Complaint
        fields = ["number", "customer_name", "product", "batch", "adverse_seriousness", "received_at",
                  "report_due_at", "adverse_reported_at", "state", "status", "pdf"]
        sequence = fields
        order_by = ("-received_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "adverse-table"}
        row_attrs = {"class": lambda record: "table-danger" if service.adverse_state(record)[1] == "danger" else "",
                     "data-complaint": lambda record: record.pk}

    def render_adverse_seriousness(self, record):
        css = {"death": "dark", "serious": "danger"}.get(record.adverse_seriousness, "secondary")
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_adverse_seriousness_display())

    def value_adverse_seriousness(self, record):
        return record.get_adverse_seriousness_display()

    def render_state(self, record):
        label, css = service.adverse_state(record)
        return format_html('<span class="badge text-bg-{}">{}</span>', css, label)

    def value_state(self, record):
        return service.adverse_state(record)[0]

    def render_pdf(self, record):
        label = _("打印报告 %(number)s") % {"number": record.number}
        return format_html('<a class="btn btn-sm btn-outline-secondary" href="{}" aria-label="{}" title="{}">'
                           '<i class="bi bi-printer" aria-hidden="true"></i></a>',
                           reverse("complaints:adverse_pdf", args=[record.pk]), label, label)


class AdverseListView(RecordListView):
    model = Complaint
    table_class = AdverseTable
    filterset_class = AdverseFilter
    permission_required = "complaints.view_complaint"
    title = gettext_lazy("医疗器械不良事件")
    template_name = "complaints/adverse_list.html"
    count_by = ("adverse_seriousness",)
    export_exclude = ("pdf",)
    scopes = {
        "pending": (gettext_lazy("待报告"), lambda qs, user: qs.filter(adverse_reported_at__isnull=True)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return adverse_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        quarters = service.recent_quarters(12)
        context.update({
            "rule_text": service.DUE_RULE_TEXT,
            "can_export_quarter": self.request.user.has_perm("complaints.export_adverse_report"),
            "quarters": quarters,
            "default_quarter": quarters[1][0],  # the quarter whose aggregate report is prepared now
        })
        return context


# --- flagging, reporting, freezing ---------------------------------------------------------------------------
class AdverseActionView(RecordActionView):
    """An action on a complaint's adverse event, on its own page; back to the complaint's 不良事件 tab."""

    model = Complaint
    queryset = Complaint.objects.select_related("customer", "responsible_department", "received_by")
    tab = "adverse"
    title_text = ""  # with %(number)s

    def get_context_data(self, record, form, **kwargs):
        context = super().get_context_data(record, form, **kwargs)
        context.update({"complaint": record, "title": str(self.title_text) % {"number": record.number},
                        "rule_text": service.DUE_RULE_TEXT,
                        "report_due_at": service.report_due_at(record) if record.is_adverse_event else None})
        return context


class AdverseFlagView(AdverseActionView):
    """标记为疑似医疗器械不良事件 (or re-classify it until reported)."""

    form_class = AdverseFlagForm
    permission = "complaints.flag_adverse_event"
    template_name = "complaints/adverse_flag.html"
    title_text = gettext_lazy("标记疑似医疗器械不良事件 · %(number)s")

    def refusal(self, record):
        if record.adverse_reported_at is not None:
            return _("此不良事件已上报，不能再修改；如有新情况请提交补充报告。")
        return None

    def perform(self, record, form):
        return service.flag_adverse_event(record, seriousness=form.cleaned_data["seriousness"],
                                          description=form.cleaned_data["description"], by=self.request.user)

    def get_success_message(self, record, result):
        return _("已标记为疑似医疗器械不良事件，须于 %(due)s 前向监管部门报告。") % {
            "due": timezone.localtime(service.report_due_at(record)).strftime("%Y-%m-%d %H:%M")}


class AdverseReportView(AdverseActionView):
    """登记上报: the report to the regulator, signed."""

    form_class = AdverseReportForm
    template_name = "complaints/adverse_report_form.html"
    title_text = gettext_lazy("登记不良事件上报 · %(number)s")
    success_message = gettext_lazy("已登记向监管部门的报告。")

    def refusal(self, record):
        return service.report_refusal(record, self.request.user)

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "state": service.adverse_state(record)}

    def perform(self, record, form):
        data = form.cleaned_data
        return service.record_report(record, reported_at=data["reported_at"], by=self.request.user,
                                     password=data["password"], authority=data["authority"],
                                     reference=data["reference"])


class AdverseFreezeView(AdverseActionView):
    """Ask production and quality to freeze the affected batch (kept on the audit trail)."""

    form_class = FreezeForm
    template_name = "complaints/adverse_freeze.html"
    title_text = gettext_lazy("冻结库存 · %(number)s")

    def refusal(self, record):
        return service.freeze_refusal(record, self.request.user)

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "freezes": service.freezes_of(record)}

    def perform(self, record, form):
        self.batch = form.cleaned_data["batch"]
        return service.freeze_stock(record, batch=self.batch, note=form.cleaned_data["note"], by=self.request.user)

    def get_success_message(self, record, told):
        return _("已通知 %(n)d 位生产/品质人员冻结批号 %(batch)s 的库存。") % {"n": len(told), "batch": self.batch}


# --- the 不良事件 tab of a complaint ------------------------------------------------------------------------
def render_adverse_tab(request, complaint: Complaint) -> str:
    user = request.user
    signature = service.report_signature(complaint)
    return render_to_string("complaints/adverse_tab.html", {
        "object": complaint,
        "state": service.adverse_state(complaint) if complaint.is_adverse_event else None,
        "report_due_at": service.report_due_at(complaint) if complaint.is_adverse_event else None,
        "rule_text": service.DUE_RULE_TEXT,
        "can_flag": complaint.adverse_reported_at is None and user.has_perm("complaints.flag_adverse_event",
                                                                             complaint),
        "can_report": service.report_refusal(complaint, user) is None,
        "can_freeze": service.freeze_refusal(complaint, user) is None,
        "signature": signature,
        "signature_valid": signature.is_valid_for(complaint) if signature else None,
        "freezes": service.freezes_of(complaint) if complaint.is_adverse_event else [],
        "notices": list(visible_to(user, complaint.advisory_notices.all()).order_by("-created_at")),
        "can_draft_notice": user.has_perm("complaints.add_advisorynotice"),
    }, request=request)


# --- 《医疗器械不良事件报告书》 --------------------------------------------------------------------------------
class AdversePdfView(RecordPdfView):
    model = Complaint
    print_form = PrintForm(code="QR-8.2-06", title=gettext_lazy("医疗器械不良事件报告书"), revision="A/0",
                           template="print/adverse_report.html")

    def base_queryset(self):
        return adverse_queryset().select_related("responsible_department")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        complaint = self.object
        signature = service.report_signature(complaint)
        context.update({
            "complaint": complaint,
            "state": service.adverse_state(complaint), "report_due_at": service.report_due_at(complaint),
            "report_signature": signature,
            "freezes": service.freezes_of(complaint), "rule_text": service.DUE_RULE_TEXT,
            "seriousness_choices": AdverseSeriousness.choices,
            # the complaint has no specification of its own; a return order raised from it may
            "specification": complaint.returns.exclude(specification="").values_list("specification", flat=True)
            .first() or "",
            "notices": list(complaint.advisory_notices.order_by("created_at")),
        })
        return context


# --- the quarterly aggregate report ---------------------------------------------------------------------------
def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


EVENT_HEADERS = [gettext_lazy("序号"), gettext_lazy("投诉编号"), gettext_lazy("获知时间"),
                 gettext_lazy("客户/使用单位"), gettext_lazy("产品"), gettext_lazy("批号"), gettext_lazy("数量"),
                 gettext_lazy("事件后果"), gettext_lazy("事件经过"), gettext_lazy("原因分析"),
                 gettext_lazy("采取的措施"), gettext_lazy("报告期限"), gettext_lazy("报告时间"),
                 gettext_lazy("报告状态")]


def _event_rows(queryset):
    for index, c in enumerate(queryset.iterator(chunk_size=2000), start=1):
        yield [index, c.number, _local(c.received_at), c.customer_name, c.product, c.batch, c.quantity,
               c.get_adverse_seriousness_display(), c.adverse_description, c.cause, c.correction,
               _local(c.report_due_at), _local(c.adverse_reported_at), service.adverse_state(c)[0]]


def quarter_events(user, year: int, quarter: int):
    start, end = service.quarter_bounds(year, quarter)
    return (visible_to(user, service.with_report_due(Complaint.objects.filter(is_adverse_event=True)))
            .filter(received_at__gte=start, received_at__lt=end).order_by("received_at", "pk"))


def quarter_totals(events) -> list[list]:
    """One row per consequence and a total: events, reported, reported on time, overdue or late."""
    now = timezone.now()
    rows = (events.order_by().values("adverse_seriousness").annotate(
        n=Count("pk"), reported=Count("pk", filter=Q(adverse_reported_at__isnull=False)),
        on_time=Count("pk", filter=Q(adverse_reported_at__isnull=False,
                                     adverse_reported_at__lte=F("report_due_at"))),
        overdue=Count("pk", filter=Q(adverse_reported_at__isnull=True, report_due_at__lt=now)
                      | Q(adverse_reported_at__gt=F("report_due_at")))))
    by_value = {row["adverse_seriousness"]: row for row in rows}
    result, total = [], [_("合计"), 0, 0, 0, 0]
    for value, label in AdverseSeriousness.choices:
        row = by_value.get(value, {"n": 0, "reported": 0, "on_time": 0, "overdue": 0})
        line = [str(label), row["n"], row["reported"], row["on_time"], row["overdue"]]
        result.append(line)
        for i in range(1, 5):
            total[i] += line[i]
    result.append(total)
    return result


@login_required
def adverse_quarterly_export(request):
    """The quarterly aggregate report: the quarter's "other" suspected events (the aggregate report proper),
    every event of the quarter, and the totals; events belong to the quarter in which they were learned of."""
    if not request.user.has_perm("complaints.export_adverse_report"):
        raise PermissionDenied
    parsed = service.parse_quarter(request.GET.get("quarter", ""))
    if parsed is None:
        parsed = service.parse_quarter(service.recent_quarters(2)[1][0])
    year, quarter = parsed
    events = quarter_events(request.user, year, quarter)
    label = service.quarter_label(year, quarter)
    headers = [str(h) for h in EVENT_HEADERS]

    workbook = ExportWorkbook()
    summary = workbook.sheet(_("汇总"))
    due = service.quarterly_report_due(year, quarter)
    write_rows(summary, [_("医疗器械不良事件季度汇总报告"), label], [
        [_("报告单位"), company.current(request).display_name],
        [_("报告期限"), _local(due)],
        [_("导出时间"), _local(timezone.now())],
        [],
        [_("事件后果"), _("事件数"), _("已报告"), _("按期报告"), _("逾期或超期")],
        *quarter_totals(events),
    ])
    write_rows(workbook.sheet(_("季度汇总（其他可疑事件）")), headers,
               _event_rows(events.filter(adverse_seriousness=AdverseSeriousness.OTHER)))
    write_rows(workbook.sheet(_("全部不良事件")), headers, _event_rows(events))
    filename = _("医疗器械不良事件季度汇总-%(q)s.xlsx") % {"q": service.quarter_key(year, quarter)}
    return xlsx_response(workbook.finish(), filename)


urlpatterns = [
    path("adverse/", AdverseListView.as_view(), name="adverse_list"),
    path("adverse/quarterly.xlsx", adverse_quarterly_export, name="adverse_quarterly"),
    path("<int:pk>/adverse/", AdverseFlagView.as_view(), name="adverse_flag"),
    path("<int:pk>/adverse/report/", AdverseReportView.as_view(), name="adverse_report"),
    path("<int:pk>/adverse/freeze/", AdverseFreezeView.as_view(), name="adverse_freeze"),
    path("<int:pk>/adverse/report.pdf", AdversePdfView.as_view(), name="adverse_pdf"),
]
