"""The 《装修申请表》 pages: list, register, detail (review forms, fees ledger, water and power, permit), edit after a
return, the application form and the construction permit as PDF; 我的待办 for the reviewers."""
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms.pdf import PrintForm
from qms.deadlines import with_open_due
from qms.people import visible_to
from qms.views.actions import RecordActionView, RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from renovation.filtersets import ApplicationFilter
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
        # the review's due time read from its deadline row (the 审批期限 column); the unit's names are joined, nothing
        # else is (the receiver is not a column)
        return with_open_due(Application.objects.select_related("unit__building__project"), service.REVIEW_DEADLINE.kind,
                             name="review_due_at")


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
        review_due_at = service.review_due_at(application) if application.status in REVIEW_STATES else None
        context.update({
            "review_due_at": review_due_at,
            "review_overdue": review_due_at is not None and review_due_at < timezone.now(),
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


class ApplicationCreateView(RecordFormView):
    """受理装修申请, ``?unit=<id>`` from a unit's page: the owner's details filled in."""

    form_class = ApplicationForm
    permission = "renovation.add_application"
    template_name = "renovation/application_form.html"
    title = gettext_lazy("受理装修申请")
    cancel_url = "renovation:list"

    def prepare(self, record):
        self.initial = {}
        unit_id = self.request.GET.get("unit")
        if unit_id and unit_id.isdigit():
            unit = visible_to(self.request.user, Unit.objects.all()).filter(pk=unit_id).first()
            if unit is not None:
                self.initial = {"unit": unit, "applicant_name": unit.owner_name, "applicant_phone": unit.owner_phone,
                                "applicant_id_number": unit.owner_id_number}

    def get_form_kwargs(self, record):
        return {"initial": self.initial}

    def save(self, record, form, formsets):
        return service.submit_application(by=self.request.user, unit=form.cleaned_data["unit"],
                                          documents=form.documents(), **form.fields_for_service())

    def get_success_message(self, application):
        due = service.review_due_at(application)
        return _("已受理装修申请 %(number)s，审批须在 %(due)s 前完成。") % {
            "number": application.number, "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "—"}


class ApplicationEditView(RecordActionView):
    """Change a returned application before it is resubmitted."""

    queryset = application_list_queryset()
    form_class = ApplicationForm
    permission = "renovation.change_application"
    template_name = "renovation/application_form.html"
    success_message = gettext_lazy("申请已修改，请核对后“重新提交”。")

    def refusal(self, record):
        return None if record.status == S.RETURNED else _("只有“退回修改”的申请可以修改。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record}

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, application=record, title=_("修改装修申请 %(number)s") % {
            "number": record.number}, **kwargs)

    def perform(self, record, form):
        return service.update_application(record, self.request.user, documents=form.documents(),
                                          **form.fields_for_service())


class ChecklistView(RecordActionView):
    """The engineering initial review's checklist (seed 5.2.1), on the application's overview."""

    model = Application
    form_class = ChecklistForm
    permission = "renovation.review_engineering"
    success_message = gettext_lazy("工程初审检查表已保存。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "application": record}

    def perform(self, record, form):
        return service.record_checklist(record, self.request.user, opinion=form.cleaned_data["opinion"],
                                        **form.points())


class IdentityCheckView(RecordActionView):
    """The property assistant's check of identity, regulations handed over and the contractor's qualification."""

    model = Application
    form_class = IdentityCheckForm
    permission = "renovation.check_identity"
    success_message = gettext_lazy("核验结果已保存。")

    def perform(self, record, form):
        return service.record_identity_check(record, self.request.user, **form.cleaned_data)


class LedgerAddView(RecordActionView):
    """A charge or a payment on the fees tab (who may record which is the service's rule)."""

    model = Application
    form_class = LedgerEntryForm
    tab = "fees"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "application": record}

    def perform(self, record, form):
        data = form.cleaned_data
        return fees.post_entry(record, self.request.user, kind=data["kind"], fee_item=data["fee_item"],
                               amount=data["amount"], quantity=data["quantity"],
                               receipt_number=data["receipt_number"], note=data["note"])

    def get_success_message(self, record, entry):
        return _("已登记%(kind)s：%(item)s %(amount)s。") % {
            "kind": entry.get_kind_display(), "item": entry.fee_item.name, "amount": fees.yuan(entry.amount)}


class LedgerReverseView(RecordActionView):
    """冲销 one ledger entry of the application: the form with the entry described, then the signed reversal."""

    queryset = application_list_queryset()
    form_class = ReverseEntryForm
    permission = "renovation.reverse_ledger_entry"
    template_name = "renovation/completion_form.html"
    tab = "fees"

    def entry(self, record) -> LedgerEntry:
        if not hasattr(self, "_entry"):
            self._entry = get_object_or_404(LedgerEntry.objects.select_related("fee_item", "recorded_by"),
                                            pk=self.kwargs["entry_pk"], application=record)
        return self._entry

    def refusal(self, record):
        return fees.reversal_refusal(self.entry(record), self.request.user)

    def get_context_data(self, record, form, **kwargs):
        entry = self.entry(record)
        return super().get_context_data(
            record, form, application=record, title=_("冲销台账记录 · %(number)s") % {"number": record.number},
            intro=_("冲销：%(when)s %(kind)s %(item)s %(amount)s（收据号 %(receipt)s，经办人 %(who)s）。原记录保留并划线显示，"
                    "冲销记录金额相反，须填写原因并电子签名；如需更正，冲销后重新登记。") % {
                "when": timezone.localtime(entry.recorded_at).strftime("%Y-%m-%d %H:%M"),
                "kind": entry.get_kind_display(), "item": entry.fee_item.name, "amount": fees.yuan(entry.amount),
                "receipt": entry.receipt_number or "—", "who": entry.recorded_by}, **kwargs)

    def perform(self, record, form):
        return fees.reverse_entry(self.entry(record), self.request.user, reason=form.cleaned_data["reason"],
                                  password=form.cleaned_data["password"])

    def get_success_message(self, record, reversal):
        entry = self.entry(record)
        return _("已冲销%(kind)s：%(item)s %(amount)s。") % {
            "kind": entry.get_kind_display(), "item": entry.fee_item.name, "amount": fees.yuan(-reversal.amount)}


class UtilitiesOnView(RecordActionView):
    """Water and power switched on (seed 5.2.4.6), on the fees tab."""

    model = Application
    form_class = UtilitiesForm
    tab = "fees"
    success_message = gettext_lazy("已登记开通水电。")

    def perform(self, record, form):
        return fees.record_utilities_on(record, self.request.user, note=form.cleaned_data["note"])


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
    path("new/", ApplicationCreateView.as_view(), name="create"),
    path("<int:pk>/", ApplicationDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", ApplicationEditView.as_view(), name="edit"),
    path("<int:pk>/checklist/", ChecklistView.as_view(), name="checklist"),
    path("<int:pk>/identity/", IdentityCheckView.as_view(), name="identity"),
    path("<int:pk>/ledger/", LedgerAddView.as_view(), name="ledger_add"),
    path("<int:pk>/ledger/<int:entry_pk>/reverse/", LedgerReverseView.as_view(), name="ledger_reverse"),
    path("<int:pk>/utilities/", UtilitiesOnView.as_view(), name="utilities_on"),
    path("<int:pk>/pdf/", ApplicationPdfView.as_view(), name="pdf"),
    path("<int:pk>/permit/", PermitPdfView.as_view(), name="permit_pdf"),
    path("<int:pk>/dossier/", DossierPdfView.as_view(), name="dossier_pdf"),
]
