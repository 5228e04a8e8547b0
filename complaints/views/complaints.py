"""The complaint pages (PROCEDURES.md §3; issue 7 "Records and flow"): list with filters and export, intake,
the complaint's page (概览, 处理过程, 时限, 纠正措施, 附件, 历史记录) with its moves, the clock actions,
raising a CAPA, the printed record and reply letter, and the 投诉 tab of a customer.

Permissions:
- ``complaints.view_complaint`` — visibility (``complaints.rules.complaint_visibility``): customer
  service, quality, MR and GM see every complaint; everyone else those they received or handle, of their
  department (or a department they manage) and of the customers they own. Another's complaint answers 404.
- ``complaints.add_complaint`` — anyone signed in (首问负责制: whoever receives a complaint records it).
- each move: the actor of its ``Move`` (receiver or coordinator assigns; the handler, their department manager
  or a coordinator handles; a coordinator or the department manager signs the closing). The moves are made on the
  core move view (``{% record_moves %}``), with the forms of ``complaints.forms_moves``.
- ``complaints.override_capa_close`` — the MR signs a closing while a linked CAPA is unverified.

"我的待办": ``complaints.services.complaints.complaint_work`` lists each open complaint to the person responsible
now (the receiver until the hand-over, then the handler); its clocks are listed by ``qms.deadlines``.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.filtersets import ComplaintFilter
from complaints.forms import CapaFromComplaintForm, ClockActionForm, ComplaintForm
from complaints.forms_moves import StaffChoiceField, departments_of_staff, staff
from complaints.models import Complaint, ComplaintStatus
from complaints.selectors import complaint_detail_queryset, complaint_list_queryset
from complaints.services import closing
from complaints.services import complaints as service
from complaints.tables import ComplaintTable
from customers.models import Customer
from customers.services.names import name_matches
from qms import attachments, workflow
from qms.pdf import PrintForm
from qms.lists import BulkAction, export_selected
from qms.people import Department, visible_to, works_in
from qms.views.actions import RecordActionView, RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView

# --- the list ------------------------------------------------------------------------------------------
class BulkAssignForm(forms.Form):
    """分派 of the ticked complaints: one department and handler for all (the department's manager when none is
    chosen), each complaint then assigned by the workflow's 受理分派 move with its own checks."""

    responsible_department = forms.ModelChoiceField(label=gettext_lazy("责任部门"), queryset=Department.objects.none())
    responsible = StaffChoiceField(label=gettext_lazy("处理人"), queryset=None, required=False,
                                   help_text=gettext_lazy("不选则为责任部门的经理。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_department"].queryset = Department.objects.filter(is_active=True)
        self.fields["responsible"].queryset = staff()
        self.fields["responsible"].widget.attrs.update({
            "data-department-from": self["responsible_department"].auto_id,
            "data-departments": departments_of_staff(self.fields["responsible"].queryset)})

    def clean(self):
        cleaned = super().clean()
        department, handler = cleaned.get("responsible_department"), cleaned.get("responsible")
        if department is not None and handler is None:
            handler = closing.default_handler(department)
            if handler is None:
                self.add_error("responsible", _("%(department)s 没有部门经理，请选择处理人。") % {"department": department})
            cleaned["responsible"] = handler
        if department is not None and handler is not None and not works_in(handler, department):
            self.add_error("responsible", _("%(name)s 不属于%(department)s，请选择该部门的人员。") % {
                "name": handler.display_name, "department": department})
        return cleaned


def _assign_refusal(complaint, user):
    """What the core move page answers for 受理分派 on this complaint (its state, who may)."""
    return workflow.refusal(complaint, ComplaintStatus.ASSIGNED, user, holding_back=False)


def _assign(complaint, user, data):
    return service.advance(complaint, ComplaintStatus.ASSIGNED, user, data={
        "responsible_department": data["responsible_department"], "responsible": data["responsible"]})


class ComplaintListView(RecordListView):
    model = Complaint
    table_class = ComplaintTable
    filterset_class = ComplaintFilter
    permission_required = "complaints.view_complaint"
    title = gettext_lazy("客户投诉与反馈")
    create_url_name = "complaints:create"
    create_permission = "complaints.add_complaint"
    count_by = ("status", "type")
    # 分派: whoever receives complaints (首问负责制) may assign those they received; each is checked by its move
    bulk_actions = [
        BulkAction("assign", gettext_lazy("分派"), "complaints.add_complaint", perform=_assign,
                   form_class=BulkAssignForm, refusal=_assign_refusal),
        export_selected(),
    ]
    scopes = {
        "open": (gettext_lazy("处理中"), lambda qs, user: qs.filter(status__in=service.OPEN_STATUSES)),
        "mine": (gettext_lazy("我负责的"), lambda qs, user: qs.filter(
            Q(responsible=user) | Q(responsible__isnull=True, received_by=user), status__in=service.OPEN_STATUSES)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return complaint_list_queryset()


# --- intake --------------------------------------------------------------------------------------------
class ComplaintCreateView(RecordFormView):
    """登记客户投诉/反馈, ``?customer=<id>`` from a key account's page; the uploads are attached in the same
    transaction as the complaint."""

    form_class = ComplaintForm
    permission = "complaints.add_complaint"
    template_name = "complaints/complaint_form.html"
    title = gettext_lazy("登记客户投诉/反馈")

    def prepare(self, record):
        self.initial = {}
        customer_id = self.request.GET.get("customer")
        if customer_id and customer_id.isdigit():
            customer = visible_to(self.request.user, Customer.objects.all()).filter(pk=customer_id).first()
            if customer is not None:
                self.initial = {"customer": customer, "customer_name": customer.name}

    def get_form_kwargs(self, record):
        return {"user": self.request.user, "initial": self.initial}

    def save(self, record, form, formsets):
        data = dict(form.cleaned_data)
        files = data.pop("attachments") or []
        with transaction.atomic():
            complaint = service.receive(by=self.request.user, **data)
            for uploaded in files:
                attachments.attach(complaint, uploaded, by=self.request.user)
        return complaint

    def get_success_message(self, complaint):
        return _("已登记 %(number)s。在分派给责任部门之前，您是此投诉的责任人（首问负责制）。") % {"number": complaint.number}


@login_required
def customer_search(request):
    """Customers the user may see that the term finds (name, pinyin or initials, as on the customer list), for
    the intake form's search box (at most 20)."""
    q = (request.GET.get("q") or "").strip()
    rows = []
    if q:
        customers = visible_to(request.user, Customer.objects.all()).filter(name_matches(q)).order_by("name")[:20]
        rows = [{"id": c.pk, "name": c.name, "label": f"{c.name}（{c.get_grade_display()}）",
                 "key_account": service.is_key_account_customer(c)} for c in customers]
    return JsonResponse({"results": rows})


# --- a complaint's page --------------------------------------------------------------------------------
class ComplaintDetailView(RecordDetailView):
    model = Complaint
    permission_required = "complaints.view_complaint"
    template_name = "complaints/complaint_detail.html"
    attachments = True
    tabs = [
        ("overview", gettext_lazy("概览"), "complaints/complaint_tab_overview.html"),
        ("handling", gettext_lazy("处理过程"), "complaints/complaint_tab_handling.html"),
        ("clocks", gettext_lazy("时限"), "complaints/complaint_tab_clocks.html"),
        ("capa", gettext_lazy("纠正措施"), "complaints/complaint_tab_capa.html"),
    ]

    def base_queryset(self):
        return complaint_detail_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        complaint, user = self.object, self.request.user
        capas = list(service.capas_of(complaint))
        clock_rows = service.clock_rows(complaint)
        context.update({
            "title": f"{complaint.number} · {complaint.customer_name}",
            "complaint": complaint,
            "clock_actions": service.available_clock_actions(complaint, user),
            "clock_rows": clock_rows,
            "has_overdue": any(row["overdue"] for row in clock_rows),
            "capas": capas,
            "unverified_capas": [c for c in capas if c.is_open],
            "can_raise_capa": service.capa_refusal(complaint, user) is None,
            "transitions": workflow.status_history(complaint),
            "next_step": service.NEXT_STEP.get(complaint.status, ""),
            "owner": service.owner(complaint),
            "can_see_customer": complaint.customer_id and user.has_perm("customers.view_customer", complaint.customer),
        })
        return context


class ComplaintClockView(RecordActionView):
    """Record a clock's action (首次答复, 到场处理, 客户认可的答复, 书面答复)."""

    model = Complaint
    queryset = complaint_detail_queryset()
    form_class = ClockActionForm
    template_name = "complaints/complaint_clock.html"
    tab = "clocks"

    def dispatch(self, request, *args, **kwargs):
        self.clock = kwargs["clock"]
        if self.clock not in service.CLOCK_ACTIONS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def refusal(self, record):
        return service.clock_action_refusal(record, self.clock, self.request.user)

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "clock": self.clock}

    def get_context_data(self, record, form, **kwargs):
        label = service.CLOCK_ACTIONS[self.clock]
        return {**super().get_context_data(record, form, **kwargs), "complaint": record, "label": label,
                "title": f"{label} · {record.number}",
                "row": next((r for r in service.clock_rows(record) if r["clock"] == self.clock), None)}

    def perform(self, record, form):
        return service.record_clock(record, self.clock, self.request.user, note=form.cleaned_data["note"],
                                    written_reply=form.cleaned_data.get("written_reply", ""))

    def get_success_message(self, record, result):
        return _("已%(action)s。") % {"action": service.CLOCK_ACTIONS[self.clock]}


class ComplaintCapaView(RecordActionView):
    """Raise a CAPA from the complaint (the shared CAPA service), prefilled from the investigation."""

    model = Complaint
    queryset = complaint_detail_queryset()
    form_class = CapaFromComplaintForm
    template_name = "complaints/complaint_capa_form.html"
    tab = "capa"

    def refusal(self, record):
        return service.capa_refusal(record, self.request.user)

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "initial": {
            "title": _("客户投诉 %(number)s：%(product)s") % {"number": record.number,
                                                           "product": record.product or record.customer_name},
            "nonconformity": record.cause or record.description,
            "responsible": record.responsible or record.received_by,
            "responsible_department": record.responsible_department,
        }}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "complaint": record,
                "title": _("提出纠正和预防措施 · %(number)s") % {"number": record.number}}

    def perform(self, record, form):
        data = form.cleaned_data
        return service.raise_capa(record, self.request.user, title=data["title"], nonconformity=data["nonconformity"],
                                  responsible=data["responsible"], responsible_department=data["responsible_department"],
                                  kind=data["kind"])

    def get_success_message(self, record, capa):
        return _("已提出 %(number)s，责任人须在 2 个工作日内提交计划。") % {"number": capa.number}


# --- PDFs ----------------------------------------------------------------------------------------------
class ComplaintPdfView(RecordPdfView):
    """《客户投诉记录表》: intake, handling, clocks, CAPAs and signatures."""

    model = Complaint
    print_form = PrintForm(code="QR-8.2-03", title=gettext_lazy("客户投诉记录表"), revision="A/0",
                           template="print/complaint_record.html")

    def base_queryset(self):
        return complaint_detail_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        complaint = self.object
        if complaint.type != "complaint":
            self.print_form = PrintForm(code="QR-8.2-04", title=gettext_lazy("顾客信息反馈记录表"), revision="A/0",
                                        template="print/complaint_record.html")
        context.update({"complaint": complaint, "clock_rows": service.clock_rows(complaint),
                        "capas": list(service.capas_of(complaint)),
                        "transitions": workflow.status_history(complaint)})
        return context


class ComplaintReplyPdfView(RecordPdfView):
    """The reply letter to the customer (处理答复函): the investigation's finding and what is done about it."""

    model = Complaint
    print_form = PrintForm(code="QR-8.2-05", title=gettext_lazy("客户投诉处理答复函"), revision="A/0",
                           template="print/complaint_reply.html")

    def base_queryset(self):
        return complaint_detail_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"complaint": self.object, "today": timezone.localdate()})
        return context


# --- the customer's 投诉 tab ----------------------------------------------------------------------------
def render_complaints_tab(request, customer: Customer) -> str:
    rows = list(visible_to(request.user, complaint_list_queryset().filter(customer=customer))
                .order_by("-received_at", "-pk")[:100])
    return render_to_string("complaints/complaint_customer_tab.html", {
        "object": customer, "rows": rows,
        "create_url": reverse("complaints:create") + f"?customer={customer.pk}",
        "can_create": request.user.has_perm("complaints.add_complaint"),
    }, request=request)


urlpatterns = [
    path("", ComplaintListView.as_view(), name="list"),
    path("new/", ComplaintCreateView.as_view(), name="create"),
    path("customers/", customer_search, name="customer_search"),
    path("<int:pk>/", ComplaintDetailView.as_view(), name="detail"),
    path("<int:pk>/clock/<str:clock>/", ComplaintClockView.as_view(), name="clock"),
    path("<int:pk>/capa/", ComplaintCapaView.as_view(), name="capa"),
    path("<int:pk>/record.pdf", ComplaintPdfView.as_view(), name="pdf"),
    path("<int:pk>/reply.pdf", ComplaintReplyPdfView.as_view(), name="reply_pdf"),
]
