"""Advisory-notice pages 《忠告性通知》 (PROCEDURES.md §3): list, drafting and editing (the MR), the notice's page with
its recipients and their acknowledgements, recording the authority's notification, and the printed notice. Issuing
(the MR's signature), closing and withdrawing a draft are the workflow's moves, made on the core move view
(``{% record_moves %}``, the forms of ``complaints.forms_moves``). Business rules live in ``complaints.services.notices``.

Permissions: ``complaints.view_advisorynotice`` (visibility: the MR, GM, quality and customer service see every
notice; a customer's owner the issued notices sent to that customer — anything else is a 404);
``complaints.add_advisorynotice`` / ``change_advisorynotice`` (the MR); acknowledgements: the customer's owner,
customer service, quality or the MR.
"""
from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.forms_adverse import AcknowledgementForm, AuthorityForm, NoticeForm
from complaints.models import AdvisoryNotice, Complaint, NoticeRecipient, NoticeStatus
from complaints.services import notices as service
from qms.filters import YesNoFilter
from qms import Refused, workflow
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.actions import RecordActionView
from qms.tables import StatusColumn
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView

def notice_queryset():
    return AdvisoryNotice.objects.select_related("drafted_by", "complaint")


def notice_list_queryset():
    return notice_queryset().annotate(
        recipient_count=Count("recipients", distinct=True),
        acknowledged_count=Count("recipients", filter=Q(recipients__acknowledged_at__isnull=False), distinct=True),
    ).order_by("-created_at", "-id")


# --- the list --------------------------------------------------------------------------------------------
class NoticeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("编号/标题/产品"), method="search")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=NoticeStatus.choices)
    unacknowledged = YesNoFilter(label=gettext_lazy("有客户未确认"), method="filter_unacknowledged")

    class Meta:
        model = AdvisoryNotice
        fields = ["q", "status", "unacknowledged"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value) | Q(product__icontains=value))

    def filter_unacknowledged(self, queryset, name, value):
        pending = NoticeRecipient.objects.filter(acknowledged_at__isnull=True).values("notice_id")
        return queryset.filter(pk__in=pending) if value else queryset.exclude(pk__in=pending)


class NoticeTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("编号"), linkify=True)
    title = tables.Column(verbose_name=gettext_lazy("标题"))
    product = tables.Column(verbose_name=gettext_lazy("产品"))
    batches = tables.Column(verbose_name=gettext_lazy("涉及批号"))
    status = StatusColumn()
    acknowledged = tables.Column(verbose_name=gettext_lazy("已确认/接收方"), empty_values=(),
                                 order_by=("acknowledged_count",))
    issued_at = tables.DateTimeColumn(verbose_name=gettext_lazy("发布时间"), format="Y-m-d H:i")
    authority_notified_at = tables.DateTimeColumn(verbose_name=gettext_lazy("报告监管部门时间"), format="Y-m-d H:i")
    drafted_by = tables.Column(verbose_name=gettext_lazy("起草人"), order_by=("drafted_by__full_name",))

    class Meta:
        model = AdvisoryNotice
        fields = ["number", "title", "product", "batches", "status", "acknowledged", "issued_at",
                  "authority_notified_at", "drafted_by"]
        sequence = fields
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "notice-table"}

    def render_acknowledged(self, record):
        css = "success" if record.acknowledged_count == record.recipient_count else "warning"
        if record.status == NoticeStatus.DRAFT:
            css = "light"
        return format_html('<span class="badge text-bg-{}">{} / {}</span>', css, record.acknowledged_count,
                           record.recipient_count)

    def value_acknowledged(self, record):
        return f"{record.acknowledged_count} / {record.recipient_count}"

    def render_drafted_by(self, record):
        return record.drafted_by.display_name

    def value_drafted_by(self, record):
        return record.drafted_by.display_name


class NoticeListView(RecordListView):
    model = AdvisoryNotice
    table_class = NoticeTable
    filterset_class = NoticeFilter
    permission_required = "complaints.view_advisorynotice"
    title = gettext_lazy("忠告性通知")
    create_url_name = "complaints:notice_create"
    create_permission = "complaints.add_advisorynotice"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("未关闭"), lambda qs, user: qs.exclude(status=NoticeStatus.CLOSED)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return notice_list_queryset()


# --- drafting --------------------------------------------------------------------------------------------
def _complaints_for(request):
    return visible_to(request.user, Complaint.objects.all())


def _form_page(request, form, notice=None, status=200, proposal=None):
    title = _("修改忠告性通知 · %(number)s") % {"number": notice.number} if notice else _("起草忠告性通知")
    return render(request, "complaints/notice_form.html", {"form": form, "notice": notice, "title": title,
                                                           "proposal": proposal}, status=status)


PROPOSE = "propose"  # the form's 按批号追溯 button: the same form again, its recipients proposed from the trace
TYPED = ("title", "product", "batches", "risk", "actions", "complaint_number")


@login_required
def notice_create(request):
    if not request.user.has_perm("complaints.add_advisorynotice"):
        raise PermissionDenied
    initial = {}
    complaint_pk = request.GET.get("complaint")
    if complaint_pk and complaint_pk.isdigit():
        complaint = _complaints_for(request).filter(pk=complaint_pk).first()
        if complaint is not None:
            initial = {"complaint_number": complaint.number, "product": complaint.product,
                       "batches": complaint.batch,
                       "risk": complaint.adverse_description or complaint.description}
    proposal = None
    if request.method == "POST" and PROPOSE in request.POST:
        initial = {name: request.POST.get(name, "") for name in TYPED}
    if initial.get("batches") and (request.method == "GET" or PROPOSE in request.POST):
        # an adverse event's recall or a notice for batches: who received them, for the MR to confirm
        proposal = service.proposed_recipients(initial["batches"])
        initial["customers"] = [recipient.customer_id for recipient in proposal]
    if PROPOSE in request.POST:
        form = NoticeForm(initial=initial, complaints_queryset=_complaints_for(request))
        return _form_page(request, form, proposal=proposal or [])
    form = NoticeForm(request.POST or None, initial=initial, complaints_queryset=_complaints_for(request))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = service.draft_notice(by=request.user, title=data["title"], product=data["product"],
                                              batches=data["batches"], risk=data["risk"], actions=data["actions"],
                                              customers=data["customers"], complaint=data["complaint_number"])
            except Refused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已起草 %(number)s，核对后请签发。") % {"number": notice.number})
                return HttpResponseRedirect(notice.get_absolute_url())
        return _form_page(request, form, status=400)
    return _form_page(request, form, proposal=proposal)


class NoticeActionView(RecordActionView):
    model = AdvisoryNotice
    queryset = notice_queryset()

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "notice": record,
                "title": str(self.title) % {"number": record.number}}


class NoticeEditView(NoticeActionView):
    form_class = NoticeForm
    permission = "complaints.change_advisorynotice"
    template_name = "complaints/notice_form.html"
    title = gettext_lazy("修改忠告性通知 · %(number)s")
    success_message = gettext_lazy("草稿已保存。")

    def refusal(self, record):
        return _("只有草稿可以修改。") if record.status != NoticeStatus.DRAFT else None

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record,
                "complaints_queryset": _complaints_for(self.request)}

    def perform(self, record, form):
        data = form.cleaned_data
        return service.update_draft(record, by=self.request.user, customers=data["customers"], title=data["title"],
                                    product=data["product"], batches=data["batches"], risk=data["risk"],
                                    actions=data["actions"], complaint=data["complaint_number"])


# --- the notice's page -------------------------------------------------------------------------------------
def recipient_rows(notice, user) -> list[dict]:
    rows = []
    for recipient in notice.recipients.select_related("customer__owner").order_by("pk"):
        recipient.notice = notice
        rows.append({"recipient": recipient, "owner": recipient.customer.owner,
                     "can_acknowledge": service.acknowledgement_refusal(recipient, user) is None})
    return rows


class NoticeDetailView(RecordDetailView):
    model = AdvisoryNotice
    permission_required = "complaints.view_advisorynotice"
    template_name = "complaints/notice_detail.html"
    attachments = True
    signatures = True
    tabs = [
        ("overview", gettext_lazy("概览"), "complaints/notice_tab_overview.html"),
    ]

    def base_queryset(self):
        return notice_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notice, user = self.object, self.request.user
        rows = recipient_rows(notice, user)
        is_mr = user.has_perm("complaints.change_advisorynotice")
        context.update({
            "title": f"{notice.number} · {notice.title}",
            "notice": notice,
            "rows": rows,
            "pending_count": sum(1 for r in rows if r["recipient"].acknowledged_at is None),
            "can_edit": is_mr and notice.status == NoticeStatus.DRAFT,
            "authority_form": AuthorityForm() if (is_mr and notice.status != NoticeStatus.DRAFT
                                                  and notice.authority_notified_at is None) else None,
            "can_see_complaint": bool(notice.complaint_id and user.has_perm("complaints.view_complaint",
                                                                            notice.complaint)),
        })
        return context


class NoticeAuthorityView(NoticeActionView):
    """Record when the authority was told of the notice."""

    form_class = AuthorityForm
    template_name = "complaints/notice_authority.html"
    title = gettext_lazy("登记报告监管部门的时间 · %(number)s")
    success_message = gettext_lazy("已登记报告监管部门的时间。")

    def perform(self, record, form):
        return service.record_authority_notified(record, by=self.request.user,
                                                 notified_at=form.cleaned_data["notified_at"])


class NoticeAcknowledgeView(RecordActionView):
    """Record one recipient's acknowledgement: who at the customer, when."""

    model = NoticeRecipient
    form_class = AcknowledgementForm
    template_name = "complaints/notice_acknowledge.html"
    pk_url_kwarg = "recipient_pk"

    def get_queryset(self):
        return NoticeRecipient.objects.select_related("customer__owner", "notice").filter(notice_id=self.kwargs["pk"])

    def back_url(self, record):
        return record.notice.get_absolute_url()

    def refusal(self, record):
        return service.acknowledgement_refusal(record, self.request.user)

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "notice": record.notice, "recipient": record,
                "title": _("登记确认收到 · %(customer)s") % {"customer": record.customer.name}}

    def perform(self, record, form):
        data = form.cleaned_data
        return service.record_acknowledgement(record, by=self.request.user, acknowledged_by=data["acknowledged_by"],
                                              acknowledged_at=data["acknowledged_at"], note=data["note"])

    def get_success_message(self, record, result):
        return _("已登记 %(customer)s 确认收到。") % {"customer": record.customer.name}


class NoticePdfView(RecordPdfView):
    model = AdvisoryNotice
    print_form = PrintForm(code="QR-8.2-07", title=gettext_lazy("忠告性通知"), revision="A/0",
                           template="print/advisory_notice.html")

    def base_queryset(self):
        return notice_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"notice": self.object,
                        "recipients": list(self.object.recipients.select_related("customer").order_by("pk")),
                        "transitions": workflow.status_history(self.object)})
        return context


urlpatterns = [
    path("notices/", NoticeListView.as_view(), name="notice_list"),
    path("notices/new/", notice_create, name="notice_create"),
    path("notices/<int:pk>/", NoticeDetailView.as_view(), name="notice_detail"),
    path("notices/<int:pk>/edit/", NoticeEditView.as_view(), name="notice_edit"),
    path("notices/<int:pk>/authority/", NoticeAuthorityView.as_view(), name="notice_authority"),
    path("notices/<int:pk>/recipients/<int:recipient_pk>/acknowledge/", NoticeAcknowledgeView.as_view(),
         name="notice_acknowledge"),
    path("notices/<int:pk>/notice.pdf", NoticePdfView.as_view(), name="notice_pdf"),
]
