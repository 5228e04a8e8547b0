"""Production pages: process cards, task orders and lots (route cards) — lists with filters and export, detail
pages with the shared tabs, the route card as a PDF, and the actions an operation records."""
from django.db.models import Prefetch
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms.pdf import PrintForm
from qms.views.actions import RecordActionView, RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordLabelView, RecordPdfView
from production.labels import lot_label, order_labels
from production.filtersets import LotFilter, ProcessCardFilter, TaskOrderFilter
from production.forms import CheckForm, InspectionForm, MaterialForm, TaskOrderForm, WorkForm
from production.models import InspectionRecord, Lot, LotOperation, MaterialIssue, ProcessCard, TaskOrder
from production.selectors import card_list_queryset, lot_list_queryset, order_list_queryset
from production.services import lots, orders
from production.services.setup import setup_context
from production.tables import LotTable, ProcessCardTable, TaskOrderTable


# --- process cards ---------------------------------------------------------------------------------------------
class ProcessCardListView(RecordListView):
    model = ProcessCard
    table_class = ProcessCardTable
    filterset_class = ProcessCardFilter
    permission_required = "production.use_production"
    title = gettext_lazy("工艺卡")
    export_url_name = "production:card_export"
    import_key = "production_process_cards"

    def base_queryset(self):
        return card_list_queryset()


class ProcessCardDetailView(RecordDetailView):
    model = ProcessCard
    permission_required = "production.view_processcard"  # anyone signed in; a record they may not see: 404
    attachments = True  # the card's drawings and work instructions
    tabs = [("overview", gettext_lazy("工序"), "production/card_tab_overview.html")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["steps"] = self.object.steps.order_by("sequence")
        return context


# --- task orders -------------------------------------------------------------------------------------------------
class TaskOrderListView(RecordListView):
    model = TaskOrder
    table_class = TaskOrderTable
    filterset_class = TaskOrderFilter
    permission_required = "production.use_production"
    title = gettext_lazy("生产任务书")
    create_url_name = "production:order_create"
    create_permission = "production.raise_taskorder"
    export_url_name = "production:order_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("未完成"), lambda qs, user: qs.exclude(status__in=["completed", "cancelled"])),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return order_list_queryset()


class TaskOrderCreateView(RecordFormView):
    form_class = TaskOrderForm
    template_name = "production/form_page.html"
    permission = "production.raise_taskorder"
    title = gettext_lazy("下达生产任务书")
    intro = gettext_lazy("《生产任务书》由 PMC 根据已登记合同的明细或直接下达；下达后生成路线跟踪卡。")

    def get_form_kwargs(self, record):
        return {"initial": {"contract_line": self.request.GET.get("line") or None}}

    def save(self, record, form, formsets):
        return orders.raise_order(self.request.user, **form.cleaned_data)

    def get_success_message(self, order):
        return _("已创建生产任务书 %(number)s。") % {"number": order.number}


class TaskOrderDetailView(RecordDetailView):
    model = TaskOrder
    permission_required = "production.view_taskorder"  # anyone signed in; a record they may not see: 404
    template_name = "production/order_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("概览"), "production/order_tab_overview.html")]

    def base_queryset(self):
        return order_list_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lots"] = self.object.lots.select_related("current")
        context["holds"] = orders.held_contract(self.object)
        return context


class TaskOrderPdfView(RecordPdfView):
    model = TaskOrder
    print_form = PrintForm(code="QR-7.5-01", title=gettext_lazy("生产任务书"), revision="A/0",
                           template="print/production_task_order.html")

    def get_queryset(self):
        return order_list_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"steps": self.object.process_card.steps.order_by("sequence"),
                        "lots": self.object.lots.select_related("current")})
        return context


# --- lots (route cards) ------------------------------------------------------------------------------------------
class LotListView(RecordListView):
    model = Lot
    table_class = LotTable
    filterset_class = LotFilter
    permission_required = "production.use_production"
    title = gettext_lazy("路线跟踪卡")
    export_url_name = "production:lot_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("在制"), lambda qs, user: qs.filter(status__in=["in_process", "isolated"])),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return lot_list_queryset()


def route_card(lot: Lot) -> list[LotOperation]:
    """The lot's operations with what each recorded, in a fixed number of queries."""
    return list(lot.operations.select_related(
        "operator", "self_check_by", "mutual_check_by", "dedicated_check_by", "inspected_by").prefetch_related(
        Prefetch("materials", queryset=MaterialIssue.objects.select_related("issued_by")),
        Prefetch("inspections", queryset=InspectionRecord.objects.select_related("inspector"))).order_by("sequence"))


class LotDetailView(RecordDetailView):
    model = Lot
    permission_required = "production.view_lot"  # anyone signed in; a record they may not see: 404
    template_name = "production/lot_detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("路线跟踪卡"), "production/lot_tab_overview.html")]

    def base_queryset(self):
        return lot_list_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, lot = self.request.user, self.object
        context.update({
            "operations": route_card(lot),
            "holds": lots.held_contract(lot),
            "isolation_entry": lot.isolation_entries.order_by("-placed_at", "-pk").first(),
            "may_record": user.has_perm("production.record_operation"),
            "may_check": user.has_perm("production.record_check"),
            "may_inspect": user.has_perm("production.inspect_lot"),
            **setup_context(lot, user),
        })
        return context


class LotPdfView(RecordPdfView):
    model = Lot
    print_form = PrintForm(code="QR-7.5-03", title=gettext_lazy("路线跟踪卡"), revision="A/0",
                           template="print/production_route_card.html")

    def get_queryset(self):
        return lot_list_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["operations"] = route_card(self.object)
        return context


class LotLabelView(RecordLabelView):
    """The lot's status label 《检验状态标识》 with the QR code of its page."""
    model = Lot

    def get_queryset(self):
        return lot_list_queryset()

    def labels(self, obj):
        return [lot_label(obj)]


class TaskOrderLabelsView(RecordLabelView):
    """A sheet of status labels on A4: one for each lot of the task order."""
    model = TaskOrder
    sheet = True
    file_suffix = "labels"

    def get_queryset(self):
        return order_list_queryset()

    def labels(self, obj):
        return order_labels(obj)


# --- what an operation records -------------------------------------------------------------------------------------
class OperationAction(RecordActionView):
    """An action on the operation where the lot stands, on its own page, back to the route card."""

    queryset = LotOperation.objects.select_related("lot__task_order")
    template_name = "production/form_page.html"
    intro = ""

    def refusal(self, record):
        lot = record.lot
        if lot.status != "in_process" or lot.current_id != record.pk:
            return _("批次 %(lot)s 当前不在工序“%(op)s”。") % {"lot": lot.number, "op": record.name}
        return None

    def back_url(self, record):
        return record.lot.get_absolute_url()

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, title=f"{self.title} · {record}", intro=self.intro, **kwargs)


class WorkView(OperationAction):
    form_class = WorkForm
    permission = "production.record_operation"
    title = gettext_lazy("工序记录")
    success_message = gettext_lazy("工序记录已保存。")

    def get_form_kwargs(self, record):
        kwargs = super().get_form_kwargs(record)
        kwargs["initial"] = {"operator": record.operator_id or self.request.user.pk,
                             "quantity_in": record.quantity_in if record.quantity_in is not None
                             else record.lot.quantity, "quantity_out": record.quantity_out,
                             "quantity_scrap": record.quantity_scrap or 0}
        return kwargs

    def perform(self, record, form):
        return lots.record_work(record, self.request.user, **form.cleaned_data)


class MaterialView(OperationAction):
    form_class = MaterialForm
    permission = "production.record_operation"
    title = gettext_lazy("领料单")
    intro = gettext_lazy("登记本工序领用的物料及其批号/炉号，以便追溯。")
    success_message = gettext_lazy("领料记录已保存。")

    def perform(self, record, form):
        return lots.issue_material(record, self.request.user, **form.cleaned_data)


class CheckView(OperationAction):
    form_class = CheckForm
    permission = "production.record_check"
    title = gettext_lazy("三检")
    intro = gettext_lazy("自检由操作者进行，互检由他人进行，专检由品质部检验员进行。")
    success_message = gettext_lazy("检查结果已记录。")

    def perform(self, record, form):
        return lots.record_check(record, self.request.user, **form.cleaned_data)


class InspectView(OperationAction):
    form_class = InspectionForm
    permission = "production.inspect_lot"
    title = gettext_lazy("检验判定")
    intro = gettext_lazy("检验员根据检验结果判定本工序的检验状态；只有合格或让步接收的产品才能转序或入库，待判定的须重新检验。")
    success_message = gettext_lazy("检验结果已记录。")

    def perform(self, record, form):
        return lots.record_inspection(record, self.request.user, **form.cleaned_data)


urlpatterns = [
    path("cards/", ProcessCardListView.as_view(), name="card_list"),
    path("cards/export/", ProcessCardListView.as_view(export=True), name="card_export"),
    path("cards/<int:pk>/", ProcessCardDetailView.as_view(), name="card_detail"),
    path("orders/", TaskOrderListView.as_view(), name="order_list"),
    path("orders/export/", TaskOrderListView.as_view(export=True), name="order_export"),
    path("orders/new/", TaskOrderCreateView.as_view(), name="order_create"),
    path("orders/<int:pk>/", TaskOrderDetailView.as_view(), name="order_detail"),
    path("orders/<int:pk>/pdf/", TaskOrderPdfView.as_view(), name="order_pdf"),
    path("orders/<int:pk>/labels/", TaskOrderLabelsView.as_view(), name="order_labels"),
    path("lots/", LotListView.as_view(), name="lot_list"),
    path("lots/export/", LotListView.as_view(export=True), name="lot_export"),
    path("lots/<int:pk>/", LotDetailView.as_view(), name="lot_detail"),
    path("lots/<int:pk>/pdf/", LotPdfView.as_view(), name="lot_pdf"),
    path("lots/<int:pk>/label/", LotLabelView.as_view(), name="lot_label"),
    path("operations/<int:pk>/work/", WorkView.as_view(), name="operation_work"),
    path("operations/<int:pk>/material/", MaterialView.as_view(), name="operation_material"),
    path("operations/<int:pk>/check/", CheckView.as_view(), name="operation_check"),
    path("operations/<int:pk>/inspect/", InspectView.as_view(), name="operation_inspect"),
]
