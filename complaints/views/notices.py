"""Advisory-notice pages 《忠告性通知》 (PROCEDURES.md §3): list, drafting and editing (the MR), the notice's page with
its recipients and their acknowledgements, issuing (the MR's signature), recording the authority's notification,
closing, and the printed notice. Business rules live in ``complaints.services.notices``.

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
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.forms_adverse import AcknowledgementForm, AuthorityForm, IssueForm, NoticeCloseForm, NoticeForm
from complaints.models import AdvisoryNotice, Complaint, NoticeRecipient, NoticeStatus
from complaints.services import notices as service
from qms.filters import YesNoFilter
from qms import workflow
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.signatures import SignatureRefused
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from qms.workflow import TransitionRefused

STATUS_CSS = {NoticeStatus.DRAFT: "secondary", NoticeStatus.ISSUED: "primary", NoticeStatus.CLOSED: "success"}


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
    status = tables.Column(verbose_name=gettext_lazy("状态"))
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

    def render_status(self, record):
        return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_CSS.get(record.status, "light"),
                           record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

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


def _form_page(request, form, notice=None, status=200):
    title = _("修改忠告性通知 · %(number)s") % {"number": notice.number} if notice else _("起草忠告性通知")
    return render(request, "complaints/notice_form.html", {"form": form, "notice": notice, "title": title},
                  status=status)


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
    form = NoticeForm(request.POST or None, initial=initial, complaints_queryset=_complaints_for(request))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                notice = service.draft_notice(by=request.user, title=data["title"], product=data["product"],
                                              batches=data["batches"], risk=data["risk"], actions=data["actions"],
                                              customers=data["customers"], complaint=data["complaint_number"])
            except TransitionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("已起草 %(number)s，核对后请签发。") % {"number": notice.number})
                return HttpResponseRedirect(notice.get_absolute_url())
        return _form_page(request, form, status=400)
    return _form_page(request, form)


def _visible_notice(request, pk) -> AdvisoryNotice:
    return get_object_or_404(visible_to(request.user, notice_queryset()), pk=pk)


@login_required
def notice_edit(request, pk):
    notice = _visible_notice(request, pk)
    if not request.user.has_perm("complaints.change_advisorynotice"):
        raise PermissionDenied
    if notice.status != NoticeStatus.DRAFT:
        messages.error(request, _("只有草稿可以修改。"))
        return HttpResponseRedirect(notice.get_absolute_url())
    form = NoticeForm(request.POST or None, instance=notice, complaints_queryset=_complaints_for(request))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.update_draft(notice, by=request.user, customers=data["customers"], title=data["title"],
                                     product=data["product"], batches=data["batches"], risk=data["risk"],
                                     actions=data["actions"], complaint=data["complaint_number"])
            except TransitionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("草稿已保存。"))
                return HttpResponseRedirect(notice.get_absolute_url())
        return _form_page(request, form, notice, status=400)
    return _form_page(request, form, notice)


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
            "status_css": STATUS_CSS.get(notice.status, "light"),
            "rows": rows,
            "pending_count": sum(1 for r in rows if r["recipient"].acknowledged_at is None),
            "can_edit": is_mr and notice.status == NoticeStatus.DRAFT,
            "can_issue": workflow.refusal(notice, NoticeStatus.ISSUED, user) is None,
            "can_withdraw": is_mr and notice.status == NoticeStatus.DRAFT,
            "can_close": service.close_refusal(notice, user) is None,
            "authority_form": AuthorityForm() if (is_mr and notice.status != NoticeStatus.DRAFT
                                                  and notice.authority_notified_at is None) else None,
            "can_see_complaint": bool(notice.complaint_id and user.has_perm("complaints.view_complaint",
                                                                            notice.complaint)),
        })
        return context


def _action_page(request, notice, template, form, status=200, **extra):
    return render(request, template, {"notice": notice, "form": form, **extra}, status=status)


@login_required
def notice_issue(request, pk):
    """签发: the MR re-enters the password; every recipient is sent the notice now."""
    notice = _visible_notice(request, pk)
    why_not = workflow.refusal(notice, NoticeStatus.ISSUED, request.user)
    if why_not:
        messages.error(request, why_not)
        return HttpResponseRedirect(notice.get_absolute_url())
    form = IssueForm(request.POST or None)
    context = {"rows": recipient_rows(notice, request.user),
               "title": _("签发忠告性通知 · %(number)s") % {"number": notice.number}}
    if request.method == "POST":
        if form.is_valid():
            try:
                service.issue_notice(notice, by=request.user, password=form.cleaned_data["password"],
                                     comment=form.cleaned_data["comment"])
            except (TransitionRefused, SignatureRefused) as refusal:
                form.add_error(None, str(refusal))
                return _action_page(request, notice, "complaints/notice_issue.html", form, 409, **context)
            messages.success(request, _("已签发 %(number)s，已通知各客户的负责人转达并记录确认。") % {"number": notice.number})
            return HttpResponseRedirect(notice.get_absolute_url())
        return _action_page(request, notice, "complaints/notice_issue.html", form, 400, **context)
    return _action_page(request, notice, "complaints/notice_issue.html", form, **context)


@login_required
def notice_close(request, pk):
    """关闭 an issued notice (a reason while recipients have not acknowledged), or 撤销草稿 (a reason)."""
    notice = _visible_notice(request, pk)
    if notice.status == NoticeStatus.DRAFT:
        why_not = workflow.refusal(notice, NoticeStatus.CLOSED, request.user)
    else:
        why_not = service.close_refusal(notice, request.user)
    if why_not:
        messages.error(request, why_not)
        return HttpResponseRedirect(notice.get_absolute_url())
    form = NoticeCloseForm(request.POST or None)
    pending = list(service.unacknowledged(notice).select_related("customer"))
    context = {"pending": pending, "withdraw": notice.status == NoticeStatus.DRAFT,
               "title": (_("撤销草稿 · %(number)s") if notice.status == NoticeStatus.DRAFT
                         else _("关闭忠告性通知 · %(number)s")) % {"number": notice.number}}
    if request.method == "POST":
        if form.is_valid():
            try:
                service.close_notice(notice, by=request.user, reason=form.cleaned_data["reason"])
            except TransitionRefused as refusal:
                form.add_error(None, str(refusal))
                return _action_page(request, notice, "complaints/notice_close.html", form, 409, **context)
            messages.success(request, _("%(number)s 已关闭。") % {"number": notice.number})
            return HttpResponseRedirect(notice.get_absolute_url())
        return _action_page(request, notice, "complaints/notice_close.html", form, 400, **context)
    return _action_page(request, notice, "complaints/notice_close.html", form, **context)


@login_required
def notice_acknowledge(request, pk, recipient_pk):
    """Record one recipient's acknowledgement: who at the customer, when."""
    notice = _visible_notice(request, pk)
    recipient = get_object_or_404(NoticeRecipient.objects.select_related("customer__owner"), pk=recipient_pk,
                                  notice=notice)
    recipient.notice = notice
    why_not = service.acknowledgement_refusal(recipient, request.user)
    if why_not:
        messages.error(request, why_not)
        return HttpResponseRedirect(notice.get_absolute_url())
    form = AcknowledgementForm(request.POST or None)
    context = {"recipient": recipient, "title": _("登记确认收到 · %(customer)s") % {"customer": recipient.customer.name}}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                service.record_acknowledgement(recipient, by=request.user, acknowledged_by=data["acknowledged_by"],
                                               acknowledged_at=data["acknowledged_at"], note=data["note"])
            except TransitionRefused as refusal:
                form.add_error(None, str(refusal))
                return _action_page(request, notice, "complaints/notice_acknowledge.html", form, 409, **context)
            messages.success(request, _("已登记 %(customer)s 确认收到。") % {"customer": recipient.customer.name})
            return HttpResponseRedirect(notice.get_absolute_url())
        return _action_page(request, notice, "complaints/notice_acknowledge.html", form, 400, **context)
    return _action_page(request, notice, "complaints/notice_acknowledge.html", form, **context)


@login_required
def notice_authority(request, pk):
    """Record when the authority was told of the notice."""
    notice = _visible_notice(request, pk)
    form = AuthorityForm(request.POST or None)
    context = {"title": _("登记报告监管部门的时间 · %(number)s") % {"number": notice.number}}
    if request.method == "POST":
        if form.is_valid():
            try:
                service.record_authority_notified(notice, by=request.user,
                                                  notified_at=form.cleaned_data["notified_at"])
            except TransitionRefused as refusal:
                form.add_error(None, str(refusal))
                return _action_page(request, notice, "complaints/notice_authority.html", form, 409, **context)
            messages.success(request, _("已登记报告监管部门的时间。"))
            return HttpResponseRedirect(notice.get_absolute_url())
        return _action_page(request, notice, "complaints/notice_authority.html", form, 400, **context)
    return _action_page(request, notice, "complaints/notice_authority.html", form, **context)


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
    path("notices/<int:pk>/edit/", notice_edit, name="notice_edit"),
    path("notices/<int:pk>/issue/", notice_issue, name="notice_issue"),
    path("notices/<int:pk>/close/", notice_close, name="notice_close"),
    path("notices/<int:pk>/authority/", notice_authority, name="notice_authority"),
    path("notices/<int:pk>/recipients/<int:recipient_pk>/acknowledge/", notice_acknowledge,
         name="notice_acknowledge"),
    path("notices/<int:pk>/notice.pdf", NoticePdfView.as_view(), name="notice_pdf"),
]
