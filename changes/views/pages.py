"""Change control pages: the register (filters, export), the request form, the change's page with its tabs, the
actions of each step, the change form and the customer letter as PDFs."""
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms import countersign, workflow
from qms.pdf import PrintForm
from qms.people import visible_to
from qms.views.actions import RecordActionView, RecordFormView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from changes import forms
from changes.filtersets import ChangeFilter
from changes.models import ChangeRequest, ChangeStatus, Kind, OPEN_STATUSES, TaskStatus
from changes.selectors import change_detail_queryset, change_list_queryset
from changes.services import implementation, release, requests
from changes.tables import ChangeTable

S = ChangeStatus


class ChangeListView(RecordListView):
    model = ChangeRequest
    table_class = ChangeTable
    filterset_class = ChangeFilter
    permission_required = "changes.use_changes"
    title = gettext_lazy("变更登记台账")
    create_url_name = "changes:create"
    create_permission = "changes.add_changerequest"
    export_url_name = "changes:export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("进行中"), lambda qs, user: qs.filter(status__in=OPEN_STATUSES)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return change_list_queryset()


class ChangeCreateView(RecordFormView):
    form_class = forms.ChangeRequestForm
    template_name = "changes/form_page.html"
    permission = "changes.add_changerequest"
    title = gettext_lazy("提出变更申请")
    intro = gettext_lazy("申请部门提出详细的变更方案和依据（重大变更附可行性报告），选择受影响的部门、产品和客户。")

    def get_form_kwargs(self, record):
        # raised from a contract change's 变更控制 tab: the link, not a copy
        contract_change = self.request.GET.get("contract_change")
        return {"initial": {"kind": "contract", "contract_change": contract_change} if contract_change else {}}

    def save(self, record, form, formsets):
        data = form.cleaned_data
        return requests.create_request(
            self.request.user, title=data["title"], kind=data["kind"], process_class=data["process_class"],
            contract_change=data["contract_change"], plan=data["plan"], basis=data["basis"],
            wanted_effective_date=data["wanted_effective_date"], affected_departments=data["affected_departments"],
            process_cards=data["process_cards"], customers=data["customers"])

    def get_success_message(self, change):
        return _("已提出变更申请 %(number)s。") % {"number": change.number}


class ChangeDetailView(RecordDetailView):
    model = ChangeRequest
    permission_required = "changes.view_changerequest"
    template_name = "changes/detail.html"
    signatures = attachments = True
    tabs = [("overview", gettext_lazy("变更申请"), "changes/tab_overview.html"),
            ("risks", gettext_lazy("风险评估"), "changes/tab_risks.html")]

    def base_queryset(self):
        return change_detail_queryset()

    def all_tabs(self):
        tabs = super().all_tabs()
        tabs.insert(2, {"slug": "opinions", "label": _("评估小组"), "render": countersign.render_opinions_tab})
        tabs.insert(3, {"slug": "implementation", "label": _("实施"), "template": "changes/tab_implementation.html"})
        tabs.insert(4, {"slug": "release", "label": _("确认与通知"), "template": "changes/tab_release.html"})
        return tabs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change, user = self.object, self.request.user
        tasks = list(change.tasks.select_related("department", "responsible").prefetch_related("slips"))
        for task in tasks:
            task.due_at = implementation.due_of(task)
            task.may_report = task.status == TaskStatus.OPEN and implementation.may_report(task, user)
        risks = list(requests.current_risks(change))
        for risk in risks:
            risk.level = requests.level(risk.score)
            risk.residual_level = requests.level(risk.residual_score)
            risk.acceptable = requests.is_acceptable(risk.residual_score)
        is_mr = user.has_perm("changes.manage_change")
        context.update({
            "change": change,
            "departments": change.affected_departments.order_by("code"),
            "cards": change.process_cards.order_by("code"),
            "customers": change.customers.order_by("name"),
            "evidence": change.evidence.select_related("attachment", "added_by"),
            "required_evidence": [{"kind": kind, "missing": kind in missing}
                                  for missing in [requests.missing_evidence(change)]
                                  for kind in requests.required_evidence(change)],
            "approver_role": _(requests.approver_role(change)),
            "class_changes": change.class_changes.select_related("by"),
            "attendees": change.meeting_attendees.order_by("username"),
            "risks": risks, "tasks": tasks,
            "notices": change.notices.select_related("recipient"),
            "notification_rows": release.notification_rows(change),
            "holds_products": change.status in release.HOLDING,
            "may_edit_evidence": change.status not in (S.CONFIRMED, S.REJECTED, S.CANCELLED)
            and requests.may_add_evidence(change, user),
            "may_set_class": change.kind == Kind.PROCESS and change.status in requests.EDITABLE_CLASS
            and (requests.may_assess(change, user)),
            "may_assess": change.status in (S.DRAFT, S.RISK) and requests.may_assess(change, user),
            "may_meet": change.status == S.EVALUATION and is_mr,
            "may_coordinate": change.status == S.IMPLEMENTING and is_mr,
            "may_add_task": change.status == S.IMPLEMENTING and implementation.is_coordinator(change, user),
            "may_notify": change.status in release.HOLDING and user.has_perm("changes.notify_customer"),
            "may_announce": change.status in (*release.HOLDING, S.CONFIRMED) and is_mr,
            "may_issue_spec": change.kind == Kind.PROCESS and change.approved_at and not change.spec_issued_at
            and user.has_perm("changes.issue_spec"),
            "may_raise_capa": user.has_perm("changes.raise_capa"),
            "user_notices": [n for n in change.notices.all() if n.recipient_id == user.pk and not n.acknowledged_at],
        })
        return context


class ChangePdfView(RecordPdfView):
    model = ChangeRequest
    print_form = PrintForm(code="QR-7.3-09", title=gettext_lazy("变更申请及评估表"), revision="A/0",
                           template="print/change_request.html")

    def get_queryset(self):
        return change_detail_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change = self.object
        risks = list(requests.current_risks(change))
        for risk in risks:
            risk.residual_level = requests.level(risk.residual_score)
        context.update({
            "departments": change.affected_departments.order_by("code"), "cards": change.process_cards.order_by("code"),
            "customers": change.customers.order_by("name"), "risks": risks,
            "opinion_rows": countersign.rows_for(change), "attendees": change.meeting_attendees.order_by("username"),
            "tasks": change.tasks.select_related("department", "responsible").prefetch_related("slips"),
            "evidence": change.evidence.select_related("attachment"),
            "transitions": workflow.status_history(change)})
        return context


class CustomerLetterView(RecordPdfView):
    """《变更通知函》 to one customer, with the company's name."""

    model = ChangeRequest
    with_signatures = False
    print_form = PrintForm(code="QR-7.3-10", title=gettext_lazy("变更通知函"), revision="A/0",
                           template="print/change_customer_letter.html")

    def get_queryset(self):
        return change_detail_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = self.object.customers.filter(pk=self.kwargs["customer"]).first()
        if customer is None:
            raise Http404
        context.update({"customer": customer, "cards": self.object.process_cards.order_by("code")})
        return context

    def file_name(self, obj, number):
        return f"{number}-{self.kwargs['customer']}.pdf"


# --- actions ------------------------------------------------------------------------------------------------------
class ChangeAction(RecordActionView):
    model = ChangeRequest
    template_name = "changes/form_page.html"
    intro = ""

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, title=f"{self.title} · {record.number}", intro=self.intro,
                                        **kwargs)


class EvidenceView(ChangeAction):
    form_class = forms.EvidenceForm
    title = gettext_lazy("上传变更证据")
    intro = gettext_lazy("按类型上传证据；变更等级决定批准前必须具备的证据。")
    success_message = gettext_lazy("证据已上传。")
    tab = "overview"

    def perform(self, record, form):
        data = form.cleaned_data
        return requests.add_evidence(record, self.request.user, kind=data["kind"], uploaded=data["file"],
                                     description=data["description"])


class ClassView(ChangeAction):
    form_class = forms.ClassForm
    title = gettext_lazy("调整变更等级")
    intro = gettext_lazy("评估中可以提高等级；降低等级须由管理者代表填写理由并签名。")
    success_message = gettext_lazy("变更等级已调整。")
    tab = "overview"

    def perform(self, record, form):
        data = form.cleaned_data
        return requests.set_class(record, self.request.user, process_class=data["process_class"],
                                  reason=data["reason"], password=data["password"])


class RiskView(ChangeAction):
    form_class = forms.RiskForm
    title = gettext_lazy("识别风险")
    intro = gettext_lazy("严重度和可能性各按 1–5 评分，风险值 = 严重度 × 可能性；只有剩余风险可接受的变更才能继续。")
    success_message = gettext_lazy("风险已登记。")
    tab = "risks"

    def get_form_kwargs(self, record):
        kwargs = super().get_form_kwargs(record)
        kwargs.pop("record", None)
        return kwargs

    def perform(self, record, form):
        return requests.add_risk(record, self.request.user, **form.cleaned_data)


class WithdrawRiskView(ChangeAction):
    template_name = None
    success_message = gettext_lazy("风险已撤销。")
    tab = "risks"

    def perform(self, record, form):
        risk = get_object_or_404(record.risks, pk=self.kwargs["risk"])
        return requests.withdraw_risk(risk, self.request.user)


class MeetingView(ChangeAction):
    form_class = forms.MeetingForm
    permission = "changes.manage_change"
    title = gettext_lazy("评估小组会议")
    success_message = gettext_lazy("评估会议已登记。")
    tab = "opinions"

    def perform(self, record, form):
        data = form.cleaned_data
        return requests.record_meeting(record, self.request.user, meeting_date=data["meeting_date"],
                                       attendees=data["attendees"], minutes=data["minutes"])


class CoordinatorView(ChangeAction):
    form_class = forms.CoordinatorForm
    permission = "changes.manage_change"
    title = gettext_lazy("指定变更协调人")
    success_message = gettext_lazy("变更协调人已指定。")
    tab = "implementation"

    def perform(self, record, form):
        return implementation.set_coordinator(record, self.request.user, **form.cleaned_data)


class TaskView(ChangeAction):
    form_class = forms.TaskForm
    title = gettext_lazy("下达实施任务")
    intro = gettext_lazy("期限按工作日计算，到期前提醒，逾期升级。")
    success_message = gettext_lazy("实施任务已下达。")
    tab = "implementation"

    def perform(self, record, form):
        return implementation.add_task(record, self.request.user, **form.cleaned_data)


class _TaskAction(ChangeAction):
    tab = "implementation"

    def get_record(self):
        record = super().get_record()
        self.task = get_object_or_404(record.tasks.select_related("department", "change"), pk=self.kwargs["task"])
        return record

    def get_context_data(self, record, form, **kwargs):
        context = super().get_context_data(record, form, **kwargs)
        context["title"] = f"{self.title} · {self.task}"
        return context


class SlipView(_TaskAction):
    form_class = forms.SlipForm
    title = gettext_lazy("延期报告")
    intro = gettext_lazy("任务不能按期完成时，书面说明原因并给出新的完成日期。")
    success_message = gettext_lazy("延期报告已提交。")

    def perform(self, record, form):
        return implementation.report_slip(self.task, self.request.user, **form.cleaned_data)


class CompleteTaskView(_TaskAction):
    form_class = forms.CompleteTaskForm
    title = gettext_lazy("完成实施任务")
    success_message = gettext_lazy("任务已完成。")

    def perform(self, record, form):
        return implementation.complete_task(self.task, self.request.user, **form.cleaned_data)


class NotificationView(ChangeAction):
    form_class = forms.NotificationForm
    permission = "changes.notify_customer"
    title = gettext_lazy("登记顾客变更通知")
    success_message = gettext_lazy("顾客通知已登记。")
    tab = "release"

    def perform(self, record, form):
        return release.record_notification(record, self.request.user, **form.cleaned_data)


class CustomerApprovalView(ChangeAction):
    form_class = forms.CustomerApprovalForm
    permission = "changes.notify_customer"
    title = gettext_lazy("登记顾客批准")
    success_message = gettext_lazy("顾客批准已登记。")
    tab = "release"

    def get_record(self):
        record = super().get_record()
        self.notification = get_object_or_404(record.customer_notifications, pk=self.kwargs["notification"])
        return record

    def perform(self, record, form):
        return release.record_customer_approval(self.notification, self.request.user, **form.cleaned_data)


class AnnounceView(ChangeAction):
    form_class = forms.EffectiveDateForm
    permission = "changes.manage_change"
    title = gettext_lazy("公告生效日期")
    intro = gettext_lazy("生效日期通知所有受影响的人员，并跟踪其确认。")
    success_message = gettext_lazy("生效日期已公告。")
    tab = "release"

    def perform(self, record, form):
        return release.announce_effective_date(record, self.request.user, **form.cleaned_data)


class AcknowledgeView(ChangeAction):
    template_name = None
    success_message = gettext_lazy("已确认收到。")
    tab = "release"

    def perform(self, record, form):
        notice = get_object_or_404(record.notices, pk=self.kwargs["notice"])
        return requests.acknowledge(notice, self.request.user)


class SpecIssueView(ChangeAction):
    form_class = forms.SpecIssueForm
    permission = "changes.issue_spec"
    title = gettext_lazy("发布工程规范更改")
    intro = gettext_lazy("工程规范更改须在变更批准后 5 个工作日内评审并发布。")
    success_message = gettext_lazy("工程规范更改已发布。")
    tab = "overview"

    def perform(self, record, form):
        return release.record_spec_issue(record, self.request.user, **form.cleaned_data)


class CapaView(ChangeAction):
    form_class = forms.CapaForm
    permission = "changes.raise_capa"
    title = gettext_lazy("提出纠正和预防措施")
    success_message = gettext_lazy("已提出纠正和预防措施。")

    def perform(self, record, form):
        return release.raise_change_capa(record, self.request.user, **form.cleaned_data)

    def get_success_url(self, record, result):
        return result.get_absolute_url()


def render_contract_change_tab(request, contract_change) -> str:
    """The 变更控制 tab of a contract change (customers/): the change requests linked to it that the user may see."""
    rows = list(visible_to(request.user, change_list_queryset().filter(contract_change=contract_change))
                .order_by("-created_at", "-pk"))
    return render_to_string("changes/contract_change_tab.html", {
        "rows": rows, "can_create": request.user.has_perm("changes.add_changerequest"),
        "create_url": reverse("changes:create") + f"?contract_change={contract_change.pk}"}, request=request)


class ChangeOpinionView(countersign.GiveOpinionView):
    model = ChangeRequest


class ChangeResolveView(countersign.ResolveDisagreementView):
    model = ChangeRequest


urlpatterns = [
    path("", ChangeListView.as_view(), name="list"),
    path("export/", ChangeListView.as_view(export=True), name="export"),
    path("new/", ChangeCreateView.as_view(), name="create"),
    path("<int:pk>/", ChangeDetailView.as_view(), name="detail"),
    path("<int:pk>/pdf/", ChangePdfView.as_view(), name="pdf"),
    path("<int:pk>/letter/<int:customer>/", CustomerLetterView.as_view(), name="letter"),
    path("<int:pk>/evidence/", EvidenceView.as_view(), name="evidence"),
    path("<int:pk>/class/", ClassView.as_view(), name="set_class"),
    path("<int:pk>/risks/new/", RiskView.as_view(), name="risk_add"),
    path("<int:pk>/risks/<int:risk>/withdraw/", WithdrawRiskView.as_view(), name="risk_withdraw"),
    path("<int:pk>/meeting/", MeetingView.as_view(), name="meeting"),
    path("<int:pk>/opinions/<int:opinion>/", ChangeOpinionView.as_view(), name="opinion"),
    path("<int:pk>/opinions/<int:opinion>/resolve/", ChangeResolveView.as_view(), name="resolve"),
    path("<int:pk>/coordinator/", CoordinatorView.as_view(), name="coordinator"),
    path("<int:pk>/tasks/new/", TaskView.as_view(), name="task_add"),
    path("<int:pk>/tasks/<int:task>/slip/", SlipView.as_view(), name="task_slip"),
    path("<int:pk>/tasks/<int:task>/done/", CompleteTaskView.as_view(), name="task_done"),
    path("<int:pk>/notifications/new/", NotificationView.as_view(), name="notify_customer"),
    path("<int:pk>/notifications/<int:notification>/approval/", CustomerApprovalView.as_view(),
         name="customer_approval"),
    path("<int:pk>/announce/", AnnounceView.as_view(), name="announce"),
    path("<int:pk>/notices/<int:notice>/ack/", AcknowledgeView.as_view(), name="acknowledge"),
    path("<int:pk>/spec/", SpecIssueView.as_view(), name="spec_issue"),
    path("<int:pk>/capa/", CapaView.as_view(), name="capa"),
]
