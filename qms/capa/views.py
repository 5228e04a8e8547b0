"""CAPA pages: list, raise, detail with tabs, plan, actions, export, PDF."""
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qms.capa import services
from qms.capa.filtersets import CapaFilter
from qms.capa.forms import ActionResultForm, CapaActionForm, CapaPlanForm, CapaRaiseForm
from qms.capa.models import Capa, CapaAction, CapaStatus
from qms.capa.selectors import capa_list_queryset
from qms.capa.tables import CapaTable
from qms.pdf import PrintForm
from qms.refusals import Refused
from qms.views.actions import RecordActionView
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView


class CapaListView(RecordListView):
    model = Capa
    table_class = CapaTable
    filterset_class = CapaFilter
    permission_required = "qms.view_capa"
    title = gettext_lazy("纠正和预防措施")
    create_url_name = "qms:capa_raise"
    create_permission = "qms.raise_capa"
    export_url_name = "qms:capa_export"
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("未关闭"), lambda qs, user: qs.exclude(status__in=[CapaStatus.CLOSED, CapaStatus.VOIDED])),
        "mine": (gettext_lazy("我负责的"), lambda qs, user: qs.filter(responsible=user)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return capa_list_queryset()


def _due_context(capa) -> dict:
    """The due time shown on the page and the PDF: the open deadline row's (annotated by capa_list_queryset)."""
    due_at = getattr(capa, "current_due_at", None)
    return {"due_label": services.due_label(getattr(capa, "current_due_kind", None)), "due_at": due_at,
            "due_overdue": due_at is not None and due_at < timezone.now()}


class CapaDetailView(RecordDetailView):
    model = Capa
    permission_required = "qms.view_capa"
    template_name = "qms/capa/detail.html"
    attachments = True
    tabs = [
        ("overview", gettext_lazy("概览"), "qms/capa/tab_overview.html"),
        ("actions", gettext_lazy("措施"), "qms/capa/tab_actions.html"),
        ("verification", gettext_lazy("有效性验证"), "qms/capa/tab_verification.html"),
    ]

    def base_queryset(self):
        return capa_list_queryset().select_related("submitted_by", "source_type")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        capa = self.object
        user = self.request.user
        can_plan = capa.status == CapaStatus.RAISED and (user.is_superuser or services.is_responsible(capa, user))
        context.update({
            "actions": capa.actions.select_related("owner").order_by("round", "due_date", "pk"),
            "verifications": capa.verifications.select_related("verified_by"),
            "can_plan": can_plan,
            "plan_form": CapaPlanForm(instance=capa) if can_plan else None,
            "action_form": CapaActionForm() if can_plan else None,
            "result_form": ActionResultForm(),
            "can_complete": capa.status == CapaStatus.APPROVED,
            "past_rounds": capa.rounds.order_by("number"),
            **_due_context(capa),
        })
        return context


@permission_required("qms.raise_capa", raise_exception=True)
def capa_raise(request):
    form = CapaRaiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            capa = services.raise_capa(
                source=data["source"], kind=data["kind"], title=data["title"], nonconformity=data["nonconformity"],
                responsible=data["responsible"], responsible_department=data["responsible_department"],
                source_reference=data["source_reference"], raised_by=request.user,
            )
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("已提出 %(number)s，责任人须在 2 个工作日内提交计划。") % {"number": capa.number})
            return HttpResponseRedirect(capa.get_absolute_url())
    return render(request, "qms/capa/raise.html", {"form": form, "title": _("提出纠正和预防措施")})


class CapaPlanView(RecordActionView):
    """制定计划: the responsible person's cause analysis and plan (its own page without JavaScript)."""

    queryset = Capa.objects.select_related("responsible_department")
    form_class = CapaPlanForm
    template_name = "qms/capa/plan.html"
    title = gettext_lazy("制定计划")
    success_message = gettext_lazy("计划已保存。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record}

    def perform(self, record, form):
        return services.edit_plan(record, self.request.user, cause_analysis=form.cleaned_data["cause_analysis"],
                                  plan=form.cleaned_data["plan"])


class CapaActionAddView(RecordActionView):
    """增加措施: one more action of the plan, with its owner and due date."""

    queryset = Capa.objects.select_related("responsible_department")
    form_class = CapaActionForm
    template_name = "qms/capa/action_form.html"
    title = gettext_lazy("增加措施")
    success_message = gettext_lazy("措施已添加。")
    tab = "actions"

    def perform(self, record, form):
        return services.add_action(record, self.request.user, **form.cleaned_data)


class CapaActionCompleteView(RecordActionView):
    """登记措施完成: the owner records what was done."""

    queryset = Capa.objects.select_related("responsible_department")
    form_class = ActionResultForm
    success_message = gettext_lazy("已登记措施完成。")
    tab = "actions"

    def perform(self, record, form):
        action = get_object_or_404(CapaAction.objects.select_related("capa__responsible_department"),
                                   pk=self.kwargs["action_pk"], capa=record)
        return services.complete_action(action, self.request.user, result=form.cleaned_data["result"])


class CapaPdfView(RecordPdfView):
    model = Capa
    print_form = PrintForm(code="QR-10-01", title=gettext_lazy("纠正和预防措施单"), revision="A/0",
                           template="print/capa.html")

    def base_queryset(self):
        return capa_list_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["actions"] = self.object.actions.select_related("owner").order_by("round", "due_date", "pk")
        context["verifications"] = self.object.verifications.select_related("verified_by")
        context["past_rounds"] = self.object.rounds.order_by("number")
        context.update(_due_context(self.object))
        return context
