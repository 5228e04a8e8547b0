"""The 《装修申请表》 pages: list, register, detail (review forms, fees ledger, water and power, permit), edit after a
return, the application form and the construction permit as PDF; 我的待办 for the reviewers."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qms.attachments import AttachmentRefused
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from qms.workflow import TransitionRefused
from renovation.filtersets import ApplicationFilter
from qms.signatures import SignatureRefused
from renovation.forms import (ApplicationForm, ChecklistForm, IdentityCheckForm, LedgerEntryForm, ReverseEntryForm,
                              UtilitiesForm)
from renovation.models import (CLOSED_STATES, REVIEW_STATES, Application, ApplicationStatus, DocumentKind,
                               LedgerEntry, Unit)
from renovation.selectors import application_list_queryset
from renovation.services import applications as service
from renovation.services import fees
from renovation.services.dossier import dossier_context
from renovation.tables import ApplicationTable

S = ApplicationStatus


class ApplicationListView(RecordListView):
    model = Application
    table_class = ApplicationTable
    filterset_class = ApplicationFilter
    permission_required = "renovation.use_renovation"
    title = gettext_lazy("装修申请")
    create_url_name = "renovation:create"
    create_permission = "renovation.add_application"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("进行中"), lambda qs, user: qs.exclude(status__in=CLOSED_STATES)),
        "review": (gettext_lazy("审批中"), lambda qs, user: qs.filter(status__in=REVIEW_STATES)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return application_list_queryset()


class ApplicationDetailView(RecordDetailView):
    model = Application
    permission_required = "renovation.view_application"  # anyone signed in; an application they may not see: 404
    template_name = "renovation/application_detail.html"
    attachments = True
    tabs = [
        ("overview", gettext_lazy("申请表"), "renovation/application_tab_overview.html"),
        ("fees", gettext_lazy("收费及许可证"), "renovation/application_tab_fees.html"),
    ]

    def base_queryset(self):
        return application_list_queryset().select_related("checklist_by", "checked_by", "utilities_on_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        user = self.request.user
        documents = application.documents.select_related("attachment").filter(attachment__voided_at__isnull=True)
        present = {d.kind for d in documents}
        context.update({
            "documents": documents,
            "required_documents": [(DocumentKind(k).label, k in present) for k in service.required_for(application)],
            "may_edit": application.status == S.RETURNED and user.has_perm("renovation.change_application"),
        })
        if application.status == S.ENGINEERING_REVIEW and user.has_perm("renovation.review_engineering"):
            context["checklist_form"] = ChecklistForm(application=application)
        if application.status == S.ASSISTANT_CHECK and user.has_perm("renovation.check_identity"):
            context["identity_form"] = IdentityCheckForm(initial={
                "identity_verified": application.identity_verified,
                "regulations_handed_over": application.regulations_handed_over,
                "contractor_checked": application.contractor_checked, "note": application.check_note})
        if context["current_tab"]["slug"] == "fees":
            context.update(_fees_context(application, user))
        return context


def _fees_context(application, user) -> dict:
    in_ledger_state = application.status in fees.LEDGER_STATES
    may_charge = in_ledger_state and (user.has_perm("renovation.record_charge")
                                      or user.has_perm("renovation.record_payment"))
    may_reverse = in_ledger_state and user.has_perm("renovation.reverse_ledger_entry")
    return {
        "ledger": application.ledger.select_related("fee_item", "recorded_by", "reversal", "reverses__fee_item"),
        "may_reverse": may_reverse, "reversible_kinds": fees.REVERSIBLE_KINDS,
        "balances": fees.balances(application),
        "schedule": fees.fee_schedule(application),
        "ledger_form": LedgerEntryForm(application=application) if may_charge else None,
        "utilities_form": UtilitiesForm() if (in_ledger_state and application.utilities_on_at is None
                                               and user.has_perm("renovation.record_utilities")) else None,
        "permit_refusal": fees.permit_refusal(application) if application.status == S.APPROVED else None,
    }


def _visible(request, pk) -> Application:
    return get_object_or_404(visible_to(request.user, application_list_queryset()), pk=pk)


@login_required
def application_create(request):
    if not request.user.has_perm("renovation.add_application"):
        raise PermissionDenied
    initial = {}
    unit_id = request.GET.get("unit")
    if unit_id and unit_id.isdigit():
        unit = visible_to(request.user, Unit.objects.all()).filter(pk=unit_id).first()
        if unit is not None:
            initial = {"unit": unit, "applicant_name": unit.owner_name, "applicant_phone": unit.owner_phone,
                       "applicant_id_number": unit.owner_id_number}
    form = ApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = service.submit_application(by=request.user, unit=form.cleaned_data["unit"],
                                                     documents=form.documents(), **form.fields_for_service())
        except (TransitionRefused, AttachmentRefused) as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("已受理装修申请 %(number)s，审批须在 %(due)s 前完成。") % {
                "number": application.number, "due": timezone.localtime(application.review_due_at).strftime("%Y-%m-%d %H:%M")})
            return HttpResponseRedirect(application.get_absolute_url())
    return render(request, "renovation/application_form.html", {"form": form, "title": _("受理装修申请")},
                  status=400 if request.method == "POST" else 200)


@login_required
def application_edit(request, pk):
    application = _visible(request, pk)
    if not request.user.has_perm("renovation.change_application"):
        raise PermissionDenied
    if application.status != S.RETURNED:
        messages.error(request, _("只有“退回修改”的申请可以修改。"))
        return HttpResponseRedirect(application.get_absolute_url())
    form = ApplicationForm(request.POST or None, request.FILES or None, instance=application)
    if request.method == "POST" and form.is_valid():
        try:
            service.update_application(application, request.user, documents=form.documents(),
                                       **form.fields_for_service())
        except (TransitionRefused, AttachmentRefused) as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("申请已修改，请核对后“重新提交”。"))
            return HttpResponseRedirect(application.get_absolute_url())
    return render(request, "renovation/application_form.html",
                  {"form": form, "application": application, "title": _("修改装修申请 %(number)s") % {
                      "number": application.number}}, status=400 if request.method == "POST" else 200)


@require_POST
@login_required
def application_checklist(request, pk):
    application = _visible(request, pk)
    form = ChecklistForm(request.POST, application=application)
    if not form.is_valid():
        messages.error(request, _("请填写工程初审意见。"))
    else:
        try:
            service.record_checklist(application, request.user, opinion=form.cleaned_data["opinion"], **form.points())
        except TransitionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("工程初审检查表已保存。"))
    return HttpResponseRedirect(application.get_absolute_url())


@require_POST
@login_required
def application_identity(request, pk):
    application = _visible(request, pk)
    form = IdentityCheckForm(request.POST)
    form.is_valid()
    try:
        service.record_identity_check(application, request.user,
                                      identity_verified=form.cleaned_data.get("identity_verified", False),
                                      regulations_handed_over=form.cleaned_data.get("regulations_handed_over", False),
                                      contractor_checked=form.cleaned_data.get("contractor_checked", False),
                                      note=form.cleaned_data.get("note", ""))
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("核验结果已保存。"))
    return HttpResponseRedirect(application.get_absolute_url())


@require_POST
@login_required
def ledger_add(request, pk):
    application = _visible(request, pk)
    form = LedgerEntryForm(request.POST, application=application)
    back = HttpResponseRedirect(application.get_absolute_url() + "?tab=fees")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return back
    data = form.cleaned_data
    try:
        entry = fees.post_entry(application, request.user, kind=data["kind"], fee_item=data["fee_item"],
                                amount=data["amount"], quantity=data["quantity"],
                                receipt_number=data["receipt_number"], note=data["note"])
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("已登记%(kind)s：%(item)s %(amount)s。") % {
            "kind": entry.get_kind_display(), "item": entry.fee_item.name, "amount": fees.yuan(entry.amount)})
    return back


@login_required
def ledger_reverse(request, pk, entry_pk):
    """冲销 one ledger entry: GET the form (with why not, when not), POST the reversal."""
    application = _visible(request, pk)
    if not request.user.has_perm("renovation.reverse_ledger_entry"):
        raise PermissionDenied
    entry = get_object_or_404(LedgerEntry.objects.select_related("fee_item", "recorded_by"), pk=entry_pk,
                              application=application)
    back = HttpResponseRedirect(application.get_absolute_url() + "?tab=fees")
    refusal = fees.reversal_refusal(entry, request.user)
    if refusal and request.method != "POST":
        messages.error(request, refusal)
        return back
    form = ReverseEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reversal = fees.reverse_entry(entry, request.user, reason=form.cleaned_data["reason"],
                                          password=form.cleaned_data["password"])
        except (TransitionRefused, SignatureRefused) as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("已冲销%(kind)s：%(item)s %(amount)s。") % {
                "kind": entry.get_kind_display(), "item": entry.fee_item.name, "amount": fees.yuan(-reversal.amount)})
            return back
    return render(request, "renovation/completion_form.html", {
        "application": application, "form": form,
        "title": _("冲销台账记录 · %(number)s") % {"number": application.number},
        "intro": _("冲销：%(when)s %(kind)s %(item)s %(amount)s（收据号 %(receipt)s，经办人 %(who)s）。原记录保留并划线显示，"
                   "冲销记录金额相反，须填写原因并电子签名；如需更正，冲销后重新登记。") % {
            "when": timezone.localtime(entry.recorded_at).strftime("%Y-%m-%d %H:%M"), "kind": entry.get_kind_display(),
            "item": entry.fee_item.name, "amount": fees.yuan(entry.amount), "receipt": entry.receipt_number or "—",
            "who": entry.recorded_by}}, status=400 if request.method == "POST" else 200)


@require_POST
@login_required
def utilities_on(request, pk):
    application = _visible(request, pk)
    form = UtilitiesForm(request.POST)
    form.is_valid()
    try:
        fees.record_utilities_on(application, request.user, note=form.cleaned_data.get("note", ""))
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("已登记开通水电。"))
    return HttpResponseRedirect(application.get_absolute_url() + "?tab=fees")


class ApplicationPdfView(RecordPdfView):
    model = Application
    print_form = PrintForm(code="QR-ZX-01", title=gettext_lazy("装修申请表"), revision="A/0",
                           template="print/renovation_application.html")

    def base_queryset(self):
        return application_list_queryset().select_related("checklist_by", "checked_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        context["documents"] = application.documents.select_related("attachment").filter(
            attachment__voided_at__isnull=True)
        context["schedule"] = fees.fee_schedule(application)
        context["balances"] = fees.balances(application)
        return context


class PermitPdfView(RecordPdfView):
    model = Application
    with_signatures = False  # posted on site: the approval is stated on the card
    print_form = PrintForm(code="QR-ZX-02", title=gettext_lazy("施工许可证"), revision="A/0",
                           template="print/renovation_permit.html")

    def base_queryset(self):
        return application_list_queryset()

    def document_number(self, obj) -> str:
        return obj.permit_number

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.object.permit_issued_at:
            messages.error(request, fees.permit_refusal(self.object) or _("施工许可证尚未发放。"))
            return HttpResponseRedirect(self.object.get_absolute_url() + "?tab=fees")
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.object
        return context


class DossierPdfView(RecordPdfView):
    """The whole file of the application as one PDF (§4 档案)."""

    model = Application
    print_form = PrintForm(code="QR-ZX-00", title=gettext_lazy("装修档案"), revision="A/0",
                           template="print/renovation_dossier.html")

    def base_queryset(self):
        return application_list_queryset().select_related("checklist_by", "checked_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(dossier_context(self.object))
        return context


urlpatterns = [
    path("", ApplicationListView.as_view(), name="list"),
    path("new/", application_create, name="create"),
    path("<int:pk>/", ApplicationDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", application_edit, name="edit"),
    path("<int:pk>/checklist/", application_checklist, name="checklist"),
    path("<int:pk>/identity/", application_identity, name="identity"),
    path("<int:pk>/ledger/", ledger_add, name="ledger_add"),
    path("<int:pk>/ledger/<int:entry_pk>/reverse/", ledger_reverse, name="ledger_reverse"),
    path("<int:pk>/utilities/", utilities_on, name="utilities_on"),
    path("<int:pk>/pdf/", ApplicationPdfView.as_view(), name="pdf"),
    path("<int:pk>/permit/", PermitPdfView.as_view(), name="permit_pdf"),
    path("<int:pk>/dossier/", DossierPdfView.as_view(), name="dossier_pdf"),
]
