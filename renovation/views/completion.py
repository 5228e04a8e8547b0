"""Pages after the permit: workers and passes, acceptance and re-inspection, claims against the deposits and the
refund (the rules are in ``renovation.services.completion``)."""
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms.pdf import PrintForm
from qms.views.actions import RecordActionView, get_visible_or_404
from qms.views.records import RecordPdfView
from renovation.forms import ClaimForm, InspectionForm, LostPassForm, RefundForm, WorkerForm
from renovation.models import (AcceptanceInspection, Application, ApplicationStatus, InspectionStage, PassStatus,
                               Worker)
from renovation.selectors import application_list_queryset
from renovation.services import completion
from renovation.services.fees import balances

S = ApplicationStatus


class FormPageAction(RecordActionView):
    """An action of the renovation pages with its own form page (``renovation/completion_form.html``): a heading
    with the application's number, a line saying what the step is, and what to compare beside the form."""

    queryset = application_list_queryset()
    template_name = "renovation/completion_form.html"
    intro = ""

    def get_title(self, record) -> str:
        return str(record)

    def get_extra(self, record) -> str:
        return ""

    def get_context_data(self, record, form, **kwargs):
        application = record if isinstance(record, Application) else record.application
        return super().get_context_data(record, form, application=application, title=self.get_title(record),
                                        intro=self.intro, extra=self.get_extra(record), **kwargs)


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


class WorkerCreateView(FormPageAction):
    """《施工人员登记表》: a worker with a photo, and the numbered pass."""

    form_class = WorkerForm
    permission = "renovation.register_worker"
    tab = "workers"
    intro = gettext_lazy("《施工人员登记表》：登记后发放《施工出入证》，按收费一览表向施工单位计收证件工本费和出入证押金。")

    def refusal(self, record):
        return None if record.status in completion.WORKER_STATES else _("申请批准后、竣工验收前才能登记施工人员。")

    def get_title(self, record):
        return _("登记施工人员 · %(number)s") % {"number": record.number}

    def perform(self, record, form):
        return completion.register_worker(record, self.request.user, photo=form.cleaned_data["photo"],
                                          **{name: form.cleaned_data[name] for name in
                                             ("name", "id_number", "phone", "trade")})

    def get_success_message(self, record, worker):
        return _("已登记 %(name)s，出入证编号 %(number)s。") % {"name": worker.name, "number": worker.pass_number}


class WorkerAction(RecordActionView):
    """A button on a worker's line of the workers tab (back to that tab: ``Worker.get_absolute_url``)."""

    queryset = Worker.objects.select_related("application")
    permission = "renovation.register_worker"

    def get_record(self):
        return get_visible_or_404(self.request.user, self.get_queryset(), pk=self.kwargs["worker_pk"],
                                  application=self.kwargs["pk"])


class WorkerReturnView(WorkerAction):
    def perform(self, record, form):
        return completion.return_pass(record, self.request.user)

    def get_success_message(self, record, worker):
        return _("已收回出入证 %(number)s。") % {"number": worker.pass_number}


class WorkerLostView(WorkerAction):
    form_class = LostPassForm

    def perform(self, record, form):
        return completion.report_lost_pass(record, self.request.user, reason=form.cleaned_data["reason"])

    def get_success_message(self, record, worker):
        return _("出入证 %(number)s 已挂失，押金 %(amount)s 计入应扣款项。") % {
            "number": worker.pass_number, "amount": f"¥{worker.pass_deposit:,.2f}"}


class WorkerReplaceView(WorkerAction):
    def perform(self, record, form):
        return completion.replace_lost_pass(record, self.request.user)

    def get_success_message(self, record, worker):
        return _("已为 %(name)s 补办出入证 %(number)s（原证 %(lost)s 遗失），已按收费一览表计收证件工本费和押金。") % {
            "name": worker.name, "number": worker.pass_number, "lost": record.pass_number}


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
        "reinspection_due": completion.reinspection_due_at(application),
        "balances": balances(application),
        "may_inspect": stage is not None and user.has_perm("renovation.inspect_completion"),
        "stage_label": InspectionStage(stage).label if stage else "",
        "may_claim": application.status in completion.CLAIM_STATES and user.has_perm("renovation.record_claim"),
        "may_refund": application.status == S.REFUND_PAYMENT and user.has_perm("renovation.pay_refund"),
        "refund_refusal": (completion.holding_back(application, S.REFUND_PAYMENT, completion.refund_refusal(application))
                           if application.status == S.REFUND_APPROVAL else None),
        "completion_refusal": (completion.holding_back(application, S.ACCEPTANCE)
                               if application.status == S.PERMITTED else None),
        "acceptance_refusal": (completion.holding_back(application, S.REINSPECTION, completion.passes_refusal(application))
                               if application.status == S.ACCEPTANCE else None),
    }, request=request)


class InspectionCreateView(FormPageAction):
    """The joint inspection at completion (初验) or the re-inspection (复验), and the move it leads to."""

    form_class = InspectionForm
    permission = "renovation.inspect_completion"
    tab = "completion"
    intro = gettext_lazy("工程主管会同物业助理、业主及施工单位共同验收；合格须电子签名，不合格须列明整改项目和期限。")

    def refusal(self, record):
        if record.status not in completion.STAGE_OF_STATE:
            return _("只有“待竣工验收”或“待复验”的装修可以登记验收。")
        return None

    def stage_label(self, record) -> str:
        return InspectionStage(completion.STAGE_OF_STATE[record.status]).label

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "initial": {"passed": "1"}}

    def get_title(self, record):
        return _("登记%(stage)s · %(number)s") % {"stage": self.stage_label(record), "number": record.number}

    def get_extra(self, record):
        return render_to_string("renovation/_acceptance_reference.html", {"object": record}, request=self.request)

    def perform(self, record, form):
        data = form.cleaned_data
        self.label = self.stage_label(record)  # before the move changes the state
        return completion.record_inspection(
            record, self.request.user, passed=data["passed"], participants=data["participants"],
            findings=data["findings"], rectification_items=data["rectification_items"],
            rectification_due=data["rectification_due"], damage_amount=data["damage_amount"],
            damage_note=data["damage_note"], password=data["password"])

    def get_success_url(self, record, inspection):
        if inspection.passed:
            messages.success(self.request, _("%(stage)s合格，已签名。") % {"stage": self.label})
        else:
            messages.warning(self.request, _("%(stage)s不合格，已生成《装修验收整改通知书》%(number)s，请打印交申请人。") % {
                "stage": self.label, "number": inspection.notice_number})
        return super().get_success_url(record, inspection)


class RectificationNoticePdfView(RecordPdfView):
    """《装修验收整改通知书》 of a failed acceptance or re-inspection."""

    model = AcceptanceInspection
    print_form = PrintForm(code="QR-ZX-04", title=gettext_lazy("装修验收整改通知书"), revision="A/0",
                           template="print/renovation_rectification_notice.html")
    with_signatures = False  # handed to the applicant, signed for on paper

    def get_permission_required(self):
        return ["renovation.view_application"]

    def get_object(self, queryset=None):
        application = get_visible_or_404(self.request.user, Application, pk=self.kwargs["pk"])
        return get_object_or_404(AcceptanceInspection.objects.select_related("recorded_by"), pk=self.kwargs["inspection_pk"],
                                 application=application, passed=False)

    def document_number(self, obj) -> str:
        return obj.notice_number

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.object
        context["application"] = self.object.application
        return context



class ClaimCreateView(FormPageAction):
    """An amount owed out of the deposits."""

    form_class = ClaimForm
    permission = "renovation.record_claim"
    tab = "completion"
    success_message = gettext_lazy("已登记应扣款项。")
    intro = gettext_lazy("应扣款项在退款审批时依次从施工单位押金、业主押金中扣除，不足部分向业主补收。")

    def refusal(self, record):
        return None if record.status in completion.CLAIM_STATES else _("发放施工许可证后、批准退款前才能登记扣款。")

    def get_title(self, record):
        return _("登记应扣款项 · %(number)s") % {"number": record.number}

    def perform(self, record, form):
        return completion.add_claim(record, self.request.user, **form.cleaned_data)


class RefundView(FormPageAction):
    """The finance clerk pays the deposits back (a receipt number per payer) and the renovation is closed."""

    form_class = RefundForm
    permission = "renovation.pay_refund"
    tab = "completion"
    intro = gettext_lazy("按物业经理批准的结算退还各缴费方的押金余额；业主须补缴的款项收清后才能结案。")

    def refusal(self, record):
        return None if record.status == S.REFUND_PAYMENT else _("退款经物业经理批准后才能办理。")

    def get_form_kwargs(self, record):
        payers = [(b.payer, b.label, b.deposit_held) for b in balances(record) if b.deposit_held > 0]
        return {**super().get_form_kwargs(record), "payers": payers}

    def get_title(self, record):
        return _("退还押金并结案 · %(number)s") % {"number": record.number}

    def perform(self, record, form):
        return completion.pay_refunds(record, self.request.user, receipts=form.cleaned_data)

    def get_success_message(self, record, result):
        return _("押金已退还，装修 %(number)s 已结案。") % {"number": record.number}


urlpatterns = [
    path("<int:pk>/workers/new/", WorkerCreateView.as_view(), name="worker_create"),
    path("<int:pk>/workers/<int:worker_pk>/return/", WorkerReturnView.as_view(), name="worker_return"),
    path("<int:pk>/workers/<int:worker_pk>/lost/", WorkerLostView.as_view(), name="worker_lost"),
    path("<int:pk>/workers/<int:worker_pk>/replace/", WorkerReplaceView.as_view(), name="worker_replace"),
    path("<int:pk>/passes/", PassCardsPdfView.as_view(), name="passes_pdf"),
    path("<int:pk>/acceptance/new/", InspectionCreateView.as_view(), name="inspection_create"),
    path("<int:pk>/acceptance/<int:inspection_pk>/notice/", RectificationNoticePdfView.as_view(),
         name="rectification_notice_pdf"),
    path("<int:pk>/claims/new/", ClaimCreateView.as_view(), name="claim_create"),
    path("<int:pk>/refund/", RefundView.as_view(), name="refund"),
]
