"""The complaint pages (PROCEDURES.md §3; issue 7 "Records and flow"): list with filters and export, intake,
the complaint's page (概览, 处理过程, 时限, 纠正措施, 附件, 历史记录) with its moves, the clock actions,
raising a CAPA, the printed record and reply letter, and the 投诉 tab of a customer.

Permissions:
- ``complaints.view_complaint`` — visibility (``complaints.rules.complaint_visibility``): customer
  service, quality, MR and GM see every complaint; everyone else those they received or handle, of their
  department (or a department they manage) and of the customers they own. Another's complaint answers 404.
- ``complaints.add_complaint`` — anyone signed in (首问负责制: whoever receives a complaint records it).
- each move: the actor of its ``Move`` (receiver or coordinator assigns; the handler, their department manager
  or a coordinator handles; a coordinator or the department manager signs the closing).
- ``complaints.override_capa_close`` — the MR signs a closing while a linked CAPA is unverified.

"我的待办": ``complaints.services.complaints.complaint_work`` lists each open complaint to the person responsible
now (the receiver until the hand-over, then the handler); its clocks are listed by ``qms.deadlines``.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.decorators import permission_required as permission_required_decorator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.filtersets import ComplaintFilter
from complaints.forms import CapaFromComplaintForm, ClockActionForm, ComplaintForm, MoveDataForm
from complaints.models import Complaint, ComplaintStatus
from complaints.selectors import complaint_detail_queryset, complaint_list_queryset
from complaints.services import complaints as service
from complaints.tables import STATUS_CSS, ComplaintTable
from customers.models import Customer
from customers.services.names import name_matches
from qms import attachments, workflow
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.signatures import SignatureRefused
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView

# --- the list ------------------------------------------------------------------------------------------
class ComplaintListView(RecordListView):
    model = Complaint
    table_class = ComplaintTable
    filterset_class = ComplaintFilter
    permission_required = "complaints.view_complaint"
    title = gettext_lazy("客户投诉与反馈")
    create_url_name = "complaints:create"
    create_permission = "complaints.add_complaint"
    count_by = ("status", "type")
    scopes = {
        "open": (gettext_lazy("处理中"), lambda qs, user: qs.filter(status__in=service.OPEN_STATUSES)),
        "mine": (gettext_lazy("我负责的"), lambda qs, user: qs.filter(
            Q(responsible=user) | Q(responsible__isnull=True, received_by=user), status__in=service.OPEN_STATUSES)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return complaint_list_queryset()


# --- intake --------------------------------------------------------------------------------------------
@permission_required_decorator("complaints.add_complaint", raise_exception=True)
def complaint_create(request):
    initial = {}
    customer_id = request.GET.get("customer")
    if customer_id and customer_id.isdigit():
        customer = visible_to(request.user, Customer.objects.all()).filter(pk=customer_id).first()
        if customer is not None:
            initial = {"customer": customer, "customer_name": customer.name}
    form = ComplaintForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            files = data.pop("attachments") or []
            try:
                with transaction.atomic():
                    complaint = service.receive(by=request.user, **data)
                    for uploaded in files:
                        attachments.attach(complaint, uploaded, by=request.user)
            except (workflow.TransitionRefused, attachments.AttachmentRefused) as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已登记 %(number)s。在分派给责任部门之前，您是此投诉的责任人（首问负责制）。")
                                 % {"number": complaint.number})
                return HttpResponseRedirect(complaint.get_absolute_url())
        return render(request, "complaints/complaint_form.html", {"form": form, "title": _("登记客户投诉/反馈")},
                      status=400)
    return render(request, "complaints/complaint_form.html", {"form": form, "title": _("登记客户投诉/反馈")})


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
def _visible_complaint(request, pk) -> Complaint:
    return get_object_or_404(visible_to(request.user, complaint_detail_queryset()), pk=pk)


def move_buttons(complaint, user) -> list[dict]:
    """The moves the user may make now; those that record data open their form page."""
    buttons = []
    for to, move in service.WORKFLOW.pipeline.get(complaint.status, {}).items():
        if not service.may_attempt(complaint, to, user):
            continue
        needs_page = bool(service.fields_for_move(complaint, to) or move.reason or move.signature)
        buttons.append({"to": to, "label": move.label, "style": move.style, "signature": bool(move.signature),
                        "needs_page": needs_page, "url": reverse("complaints:move", args=[complaint.pk, to])})
    return buttons


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
            "status_css": STATUS_CSS.get(complaint.status, "light"),
            "moves": move_buttons(complaint, user),
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


def _move_page(request, complaint, form, status=200):
    move = form.move
    return render(request, "complaints/complaint_move.html", {
        "complaint": complaint, "form": form, "move": move, "title": f"{move.label} · {complaint.number}",
        "unverified_capas": list(service.unverified_capas(complaint)) if form.to == ComplaintStatus.CLOSED else [],
        "on_site_missing": form.to == ComplaintStatus.CLOSED and service.on_site_missing(complaint),
    }, status=status)


def complaint_move(request, pk, to):
    """GET: the move's form (its data, reason or signature); POST: record the data and make the move."""
    complaint = _visible_complaint(request, pk)
    if service.move_for(complaint, to) is None:
        messages.error(request, workflow.refusal(complaint, to, request.user) or _("不能执行此操作。"))
        return HttpResponseRedirect(complaint.get_absolute_url())
    if not service.may_attempt(complaint, to, request.user):
        messages.error(request, _("您没有权限执行“%(move)s”。") % {"move": service.move_for(complaint, to).label})
        return HttpResponseRedirect(complaint.get_absolute_url())
    prefix = "move"
    if request.method != "POST":
        return _move_page(request, complaint, MoveDataForm(complaint=complaint, to=to, user=request.user,
                                                           prefix=prefix))
    form = MoveDataForm(request.POST, complaint=complaint, to=to, user=request.user, prefix=prefix)
    if request.POST.get("expected_from") and request.POST["expected_from"] != complaint.status:
        form.is_valid()
        form.add_error(None, _("此记录已被他人更新，请刷新后重试。"))
        return _move_page(request, complaint, form, status=409)
    if not form.is_valid():
        return _move_page(request, complaint, form, status=400)
    move = form.move
    try:
        service.advance(complaint, to, request.user, data=form.data_for_service(),
                        reason=form.cleaned_data.get("reason", ""), password=form.cleaned_data.get("password", ""),
                        comment=form.cleaned_data.get("comment", ""),
                        override_reason=form.cleaned_data.get("override_reason", ""),
                        on_site_waiver=form.cleaned_data.get("on_site_waiver", ""))
    except (workflow.TransitionRefused, SignatureRefused) as refusal:
        form.add_error(None, str(refusal))
        return _move_page(request, complaint, form, status=409)
    messages.success(request, _("已完成“%(move)s”。") % {"move": move.label})
    return HttpResponseRedirect(complaint.get_absolute_url())


def complaint_clock(request, pk, clock):
    """Record a clock's action (首次答复, 到场处理, 客户认可的答复, 书面答复)."""
    complaint = _visible_complaint(request, pk)
    if clock not in service.CLOCK_ACTIONS:
        raise Http404
    why_not = service.clock_action_refusal(complaint, clock, request.user)
    if why_not:
        messages.error(request, why_not)
        return HttpResponseRedirect(complaint.get_absolute_url() + "?tab=clocks")
    form = ClockActionForm(request.POST or None, clock=clock)
    context = {"complaint": complaint, "form": form, "label": service.CLOCK_ACTIONS[clock],
               "title": f"{service.CLOCK_ACTIONS[clock]} · {complaint.number}",
               "row": next((r for r in service.clock_rows(complaint) if r["clock"] == clock), None)}
    if request.method == "POST":
        if form.is_valid():
            try:
                service.record_clock(complaint, clock, request.user, note=form.cleaned_data["note"],
                                     written_reply=form.cleaned_data.get("written_reply", ""))
            except workflow.TransitionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已%(action)s。") % {"action": service.CLOCK_ACTIONS[clock]})
                return HttpResponseRedirect(complaint.get_absolute_url() + "?tab=clocks")
        return render(request, "complaints/complaint_clock.html", context, status=400)
    return render(request, "complaints/complaint_clock.html", context)


def complaint_capa(request, pk):
    """Raise a CAPA from the complaint (the shared CAPA service), prefilled from the investigation."""
    complaint = _visible_complaint(request, pk)
    why_not = service.capa_refusal(complaint, request.user)
    if why_not:
        messages.error(request, why_not)
        return HttpResponseRedirect(complaint.get_absolute_url() + "?tab=capa")
    initial = {
        "title": _("客户投诉 %(number)s：%(product)s") % {"number": complaint.number,
                                                       "product": complaint.product or complaint.customer_name},
        "nonconformity": complaint.cause or complaint.description,
        "responsible": complaint.responsible or complaint.received_by,
        "responsible_department": complaint.responsible_department,
    }
    form = CapaFromComplaintForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                capa = service.raise_capa(complaint, request.user, title=data["title"],
                                          nonconformity=data["nonconformity"], responsible=data["responsible"],
                                          responsible_department=data["responsible_department"], kind=data["kind"])
            except workflow.TransitionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已提出 %(number)s，责任人须在 2 个工作日内提交计划。") % {"number": capa.number})
                return HttpResponseRedirect(complaint.get_absolute_url() + "?tab=capa")
        status = 400
    else:
        status = 200
    return render(request, "complaints/complaint_capa_form.html",
                  {"complaint": complaint, "form": form, "title": _("提出纠正和预防措施 · %(number)s")
                   % {"number": complaint.number}}, status=status)


# --- PDFs ----------------------------------------------------------------------------------------------
class ComplaintPdfView(RecordPdfView):
    """《客户投诉记录表》: intake, handling, clocks, CAPAs and signatures."""

    model = Complaint
    print_form = PrintForm(code="QR-8.2-03", title=gettext_lazy("客户投诉记录表"), revision="A/0",
                           template="print/complaint_record.html")

    def get_queryset(self):
        return visible_to(self.request.user, complaint_detail_queryset())

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

    def get_queryset(self):
        return visible_to(self.request.user, complaint_detail_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"complaint": self.object, "today": timezone.localdate()})
        return context


# --- the customer's 投诉 tab ----------------------------------------------------------------------------
def render_complaints_tab(request, customer: Customer) -> str:
    rows = list(visible_to(request.user, complaint_list_queryset().filter(customer=customer))
                .order_by("-received_at", "-pk")[:100])
    return render_to_string("complaints/complaint_customer_tab.html", {
        "object": customer, "rows": rows, "status_css": STATUS_CSS,
        "create_url": reverse("complaints:create") + f"?customer={customer.pk}",
        "can_create": request.user.has_perm("complaints.add_complaint"),
    }, request=request)


urlpatterns = [
    path("", ComplaintListView.as_view(), name="list"),
    path("new/", complaint_create, name="create"),
    path("customers/", customer_search, name="customer_search"),
    path("<int:pk>/", ComplaintDetailView.as_view(), name="detail"),
    path("<int:pk>/move/<str:to>/", complaint_move, name="move"),
    path("<int:pk>/clock/<str:clock>/", complaint_clock, name="clock"),
    path("<int:pk>/capa/", complaint_capa, name="capa"),
    path("<int:pk>/record.pdf", ComplaintPdfView.as_view(), name="pdf"),
    path("<int:pk>/reply.pdf", ComplaintReplyPdfView.as_view(), name="reply_pdf"),
]
