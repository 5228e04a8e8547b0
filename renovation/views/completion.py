"""Pages after the permit: workers and passes, acceptance and re-inspection, claims against the deposits and the
refund (the rules are in ``renovation.services.completion``)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qms.pdf import PrintForm
from qms.people import visible_to
from qms.signatures import SignatureRefused
from qms.views.records import RecordPdfView
from qms.workflow import TransitionRefused
from renovation.forms import ClaimForm, InspectionForm, LostPassForm, RefundForm, WorkerForm
from renovation.models import (AcceptanceInspection, Application, ApplicationStatus, InspectionStage, PassStatus,
                               Worker)
from renovation.selectors import application_list_queryset
from renovation.services import completion
from renovation.services.fees import balances

S = ApplicationStatus


def _visible(request, pk) -> Application:
    return get_object_or_404(visible_to(request.user, application_list_queryset()), pk=pk)


def _form_page(request, application, form, title: str, *, intro: str = "", extra: str = "", status: int = 200):
    return render(request, "renovation/completion_form.html", {
        "application": application, "form": form, "title": title, "intro": intro, "extra": extra},
        status=status)


def _back(application, tab: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{application.get_absolute_url()}?tab={tab}")


# --- workers and passes ----------------------------------------------------------------------------------
def render_workers_tab(request, application: Application) -> str:
    workers = list(application.workers.select_related("photo", "pass_closed_by", "registered_by", "replaces",
                                                      "replacement"))
    may_manage = request.user.has_perm("renovation.register_worker")
    issued = sum(1 for w in workers if w.pass_status == PassStatus.ISSUED)
    return render_to_string("renovation/application_tab_workers.html", {
        "object": application, "workers": workers,
        "may_register": may_manage and completion.may_register_workers(application, request.user),
        "cards_refusal": completion.pass_cards_refusal(application) if issued else None,
        "may_manage": may_manage, "lost_form": LostPassForm(),
        "issued": issued,
        "pass_items": completion.pass_fee_items(application),
    }, request=request)


@login_required
def worker_create(request, pk):
    application = _visible(request, pk)
    if not completion.may_register_workers(application, request.user):
        raise PermissionDenied
    form = WorkerForm(request.POST or None, request.FILES or None)
    title = _("登记施工人员 · %(number)s") % {"number": application.number}
    if request.method == "POST" and form.is_valid():
        try:
            worker = completion.register_worker(application, request.user, photo=form.cleaned_data["photo"],
                                                **{name: form.cleaned_data[name] for name in
                                                   ("name", "id_number", "phone", "trade")})
        except TransitionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("已登记 %(name)s，出入证编号 %(number)s。") % {
                "name": worker.name, "number": worker.pass_number})
            return _back(application, "workers")
    return _form_page(request, application, form, title, status=400 if request.method == "POST" else 200,
                      intro=_("《施工人员登记表》：登记后发放《施工出入证》，按收费一览表向施工单位计收证件工本费和出入证押金。"))


def _worker(application, worker_pk) -> Worker:
    return get_object_or_404(Worker, pk=worker_pk, application=application)


@require_POST
@login_required
def worker_return(request, pk, worker_pk):
    application = _visible(request, pk)
    worker = _worker(application, worker_pk)
    try:
        completion.return_pass(worker, request.user)
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("已收回出入证 %(number)s。") % {"number": worker.pass_number})
    return _back(application, "workers")


@require_POST
@login_required
def worker_lost(request, pk, worker_pk):
    application = _visible(request, pk)
    worker = _worker(application, worker_pk)
    form = LostPassForm(request.POST)
    try:
        completion.report_lost_pass(worker, request.user, reason=form.data.get("reason", ""))
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("出入证 %(number)s 已挂失，押金 %(amount)s 计入应扣款项。") % {
            "number": worker.pass_number, "amount": f"¥{worker.pass_deposit:,.2f}"})
    return _back(application, "workers")


@require_POST
@login_required
def worker_replace(request, pk, worker_pk):
    application = _visible(request, pk)
    lost = _worker(application, worker_pk)
    try:
        worker = completion.replace_lost_pass(lost, request.user)
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("已为 %(name)s 补办出入证 %(number)s（原证 %(lost)s 遗失），已按收费一览表计收证件工本费和押金。") % {
            "name": worker.name, "number": worker.pass_number, "lost": lost.pass_number})
    return _back(application, "workers")


class PassCardsPdfView(RecordPdfView):
    """《施工出入证》: a card per worker whose pass is in use, with the photo, several per A4 page."""

    model = Application
    print_form = PrintForm(code="QR-ZX-03", title=gettext_lazy("施工出入证"), revision="A/0",
                           template="print/renovation_passes.html")
    with_signatures = False  # cards handed out to the workers

    def base_queryset(self):
        return application_list_queryset()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        refusal = completion.pass_cards_refusal(self.object)
        if refusal:
            messages.error(request, refusal)
            return _back(self.object, "workers")
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.object
        context["workers"] = self.object.workers.filter(pass_status=PassStatus.ISSUED).select_related("photo")
        return context

    def file_name(self, obj, number: str) -> str:
        return f"{number}-passes.pdf"


# --- acceptance, claims, refund ----------------------------------------------------------------------------
def render_completion_tab(request, application: Application) -> str:
    user = request.user
    stage = completion.STAGE_OF_STATE.get(application.status)
    settlement = completion.settlement_for(application)
    return render_to_string("renovation/application_tab_completion.html", {
        "object": application,
        "inspections": application.acceptance_inspections.select_related("recorded_by"),
        "claims": application.claims.select_related("recorded_by", "worker"),
        "settlement": settlement,
        "balances": balances(application),
        "may_inspect": stage is not None and user.has_perm("renovation.inspect_completion"),
        "stage_label": InspectionStage(stage).label if stage else "",
        "may_claim": application.status in completion.CLAIM_STATES and user.has_perm("renovation.record_claim"),
        "may_refund": application.status == S.REFUND_PAYMENT and user.has_perm("renovation.pay_refund"),
        "refund_refusal": completion.refund_refusal(application) if application.status == S.REFUND_APPROVAL else None,
        "completion_refusal": (completion.blocking_refusal(application) if application.status == S.PERMITTED else None),
        "acceptance_refusal": (completion.passes_refusal(application) if application.status == S.ACCEPTANCE else None),
    }, request=request)


@login_required
def inspection_create(request, pk):
    application = _visible(request, pk)
    stage = completion.STAGE_OF_STATE.get(application.status)
    if stage is None or not request.user.has_perm("renovation.inspect_completion"):
        raise PermissionDenied
    form = InspectionForm(request.POST or None, initial={"passed": "1"})
    label = InspectionStage(stage).label
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = completion.record_inspection(
                application, request.user, passed=data["passed"], participants=data["participants"],
                findings=data["findings"], rectification_items=data["rectification_items"],
                rectification_due=data["rectification_due"], damage_amount=data["damage_amount"],
                damage_note=data["damage_note"], password=data["password"])
        except (TransitionRefused, SignatureRefused) as refusal:
            form.add_error(None, str(refusal))
        else:
            if inspection.passed:
                messages.success(request, _("%(stage)s合格，已签名。") % {"stage": label})
            else:
                messages.warning(request, _("%(stage)s不合格，已生成《装修验收整改通知书》%(number)s，请打印交申请人。") % {
                    "stage": label, "number": inspection.notice_number})
            return _back(application, "completion")
    return _form_page(request, application, form, _("登记%(stage)s · %(number)s") % {
        "stage": label, "number": application.number}, status=400 if request.method == "POST" else 200,
        intro=_("工程主管会同物业助理、业主及施工单位共同验收；合格须电子签名，不合格须列明整改项目和期限。"),
        extra=render_to_string("renovation/_acceptance_reference.html", {"object": application}, request=request))


class RectificationNoticePdfView(RecordPdfView):
    """《装修验收整改通知书》 of a failed acceptance or re-inspection."""

    model = AcceptanceInspection
    print_form = PrintForm(code="QR-ZX-04", title=gettext_lazy("装修验收整改通知书"), revision="A/0",
                           template="print/renovation_rectification_notice.html")
    with_signatures = False  # handed to the applicant, signed for on paper

    def get_permission_required(self):
        return ["renovation.view_application"]

    def get_object(self, queryset=None):
        application = _visible(self.request, self.kwargs["pk"])
        return get_object_or_404(AcceptanceInspection.objects.select_related("recorded_by"), pk=self.kwargs["inspection_pk"],
                                 application=application, passed=False)

    def document_number(self, obj) -> str:
        return obj.notice_number

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.object
        context["application"] = self.object.application
        return context



@login_required
def claim_create(request, pk):
    application = _visible(request, pk)
    if application.status not in completion.CLAIM_STATES or not request.user.has_perm("renovation.record_claim"):
        raise PermissionDenied
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            completion.add_claim(application, request.user, **form.cleaned_data)
        except TransitionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("已登记应扣款项。"))
            return _back(application, "completion")
    return _form_page(request, application, form, _("登记应扣款项 · %(number)s") % {"number": application.number},
                      status=400 if request.method == "POST" else 200,
                      intro=_("应扣款项在退款审批时依次从施工单位押金、业主押金中扣除，不足部分向业主补收。"))


@login_required
def refund(request, pk):
    application = _visible(request, pk)
    if application.status != S.REFUND_PAYMENT or not request.user.has_perm("renovation.pay_refund"):
        raise PermissionDenied
    payers = [(b.payer, b.label, b.deposit_held) for b in balances(application) if b.deposit_held > 0]
    form = RefundForm(request.POST or None, payers=payers)
    if request.method == "POST" and form.is_valid():
        try:
            completion.pay_refunds(application, request.user, receipts=form.cleaned_data)
        except TransitionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("押金已退还，装修 %(number)s 已结案。") % {"number": application.number})
            return _back(application, "completion")
    return _form_page(request, application, form, _("退还押金并结案 · %(number)s") % {"number": application.number},
                      status=400 if request.method == "POST" else 200,
                      intro=_("按物业经理批准的结算退还各缴费方的押金余额；业主须补缴的款项收清后才能结案。"))


urlpatterns = [
    path("<int:pk>/workers/new/", worker_create, name="worker_create"),
    path("<int:pk>/workers/<int:worker_pk>/return/", worker_return, name="worker_return"),
    path("<int:pk>/workers/<int:worker_pk>/lost/", worker_lost, name="worker_lost"),
    path("<int:pk>/workers/<int:worker_pk>/replace/", worker_replace, name="worker_replace"),
    path("<int:pk>/passes/", PassCardsPdfView.as_view(), name="passes_pdf"),
    path("<int:pk>/acceptance/new/", inspection_create, name="inspection_create"),
    path("<int:pk>/acceptance/<int:inspection_pk>/notice/", RectificationNoticePdfView.as_view(),
         name="rectification_notice_pdf"),
    path("<int:pk>/claims/new/", claim_create, name="claim_create"),
    path("<int:pk>/refund/", refund, name="refund"),
]
