"""Pages during the works: today's inspection round, the 《装修巡视检查记录表》, baseline photos, violations with
their measures and notices, and the 装修管理看板 (the rules are in ``renovation.services.site``)."""
import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from qms.pdf import PrintForm
from qms.views.actions import get_visible_or_404
from qms.views.generic import RecordDetailView, RecordListView
from qms.views.records import RecordPdfView
from renovation.filtersets import ViolationFilter
from renovation.forms import BaselinePhotoForm, CloseViolationForm, SiteInspectionForm, ViolationActionForm
from renovation.models import (ActionKind, Application, SiteInspection, Unit, Violation, ViolationAction,
                               ViolationStatus)
from renovation.services import site
from renovation.selectors import violation_list_queryset
from renovation.services.dashboard import renovation_dashboard
from renovation.tables import ViolationTable
from renovation.views.completion import FormPageAction


# --- today's round ---------------------------------------------------------------------------------------
class SiteInspectionsView(PermissionRequiredMixin, TemplateView):
    """今日巡查: every active site and whether it has been inspected on the day (default today)."""

    template_name = "renovation/site_inspections.html"
    permission_required = "renovation.use_renovation"
    raise_exception = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = parse_date(self.request.GET.get("day") or "") or timezone.localdate()
        latest = SiteInspection.objects.filter(application=OuterRef("pk")).order_by("-inspected_at")
        sites = list(site.sites_with_coverage(day).annotate(
            last_inspected_at=Subquery(latest.values("inspected_at")[:1])))
        done = sum(1 for s in sites if s.inspected)
        context.update({
            "title": _("今日巡查"), "day": day, "sites": sites, "done": done,
            "coverage": round(100 * done / len(sites)) if sites else None,
            "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
            "may_inspect": self.request.user.has_perm("renovation.inspect_site"),
        })
        return context


class SiteInspectionCreateView(FormPageAction):
    """A line of 《装修巡视检查记录表》, with a violation found on the round."""

    form_class = SiteInspectionForm
    permission = "renovation.inspect_site"
    tab = "site"
    intro = gettext_lazy("《装修巡视检查记录表》：施工期间每个工作日至少巡查一次；不符合的项目请取消勾选并填写巡查情况，发现违章一并登记。")

    def refusal(self, record):
        return None if record.status in site.SITE_STATES else _("只有施工中的装修可以登记巡查。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "initial": {name: True for name in SiteInspection.CHECK_FIELDS}}

    def get_title(self, record):
        return _("装修巡视检查 · %(unit)s") % {"unit": record.unit}

    def perform(self, record, form):
        data = form.cleaned_data
        return site.record_inspection(
            record, self.request.user, checks={name: data[name] for name in SiteInspection.CHECK_FIELDS},
            findings=data["findings"], photos=data["photos"], violation_kind=data["violation_kind"],
            violation_description=data["violation_description"])

    def get_success_url(self, record, inspection):
        found = list(inspection.violations.all())
        if found:
            messages.warning(self.request, _("巡查记录已保存，已登记违章 %(number)s。") % {"number": found[0].number})
        else:
            messages.success(self.request, _("巡查记录已保存。"))
        # back to today's round when the round was started there (a path of this site only)
        back = self.request.GET.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={self.request.get_host()}):
            return back
        return super().get_success_url(record, inspection)


# --- the application's site tab, baseline photos -----------------------------------------------------------
def render_site_tab(request, application: Application) -> str:
    user = request.user
    return render_to_string("renovation/application_tab_site.html", {
        "object": application,
        "inspections": application.site_inspections.select_related("inspector")[:200],
        "violations": application.violations.select_related("found_by"),
        "may_inspect": application.status in site.SITE_STATES and user.has_perm("renovation.inspect_site"),
        "may_photograph": application.status in site.BASELINE_STATES and user.has_perm("renovation.inspect_site"),
    }, request=request)


class BaselinePhotosView(FormPageAction):
    """Photos of the unit before the works start, compared at acceptance."""

    form_class = BaselinePhotoForm
    permission = "renovation.inspect_site"
    tab = "site"
    intro = gettext_lazy("开工前拍摄房屋现状，竣工验收时对照检查。")

    def refusal(self, record):
        return None if record.status in site.BASELINE_STATES else _("开工前照片须在申请批准后、申报竣工前上传。")

    def get_title(self, record):
        return _("开工前现场照片 · %(unit)s") % {"unit": record.unit}

    def perform(self, record, form):
        return site.add_baseline_photos(record, self.request.user, photos=form.cleaned_data["photos"],
                                        caption=form.cleaned_data["caption"])

    def get_success_message(self, record, added):
        return _("已上传 %(n)d 张开工前照片。") % {"n": len(added)}


# --- violations ------------------------------------------------------------------------------------------
class ViolationListView(RecordListView):
    model = Violation
    table_class = ViolationTable
    filterset_class = ViolationFilter
    permission_required = "renovation.use_renovation"
    title = gettext_lazy("装修违章")
    count_by = ("status",)
    scopes = {
        "open": (gettext_lazy("待整改"), lambda qs, user: qs.filter(status=ViolationStatus.OPEN)),
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
    }

    def base_queryset(self):
        return violation_list_queryset()


class ViolationDetailView(RecordDetailView):
    model = Violation
    permission_required = "renovation.view_violation"  # anyone signed in; a violation they may not see: 404
    template_name = "renovation/violation_detail.html"
    attachments = False
    tabs = [("overview", gettext_lazy("违章及处理"), "renovation/violation_tab_overview.html")]

    def base_queryset(self):
        return violation_list_queryset().select_related("closed_by", "inspection", "close_photo", "close_signature")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        violation, user = self.object, self.request.user
        context.update({
            "actions": violation.actions.select_related("by", "signature"),
            "may_act": violation.status == ViolationStatus.OPEN and user.has_perm("renovation.inspect_site"),
        })
        return context


class OpenViolationAction(FormPageAction):
    """An action on an open violation, on its own form page (back to the violation)."""

    queryset = violation_list_queryset()
    permission = "renovation.inspect_site"

    def refusal(self, record):
        if record.status != ViolationStatus.OPEN:
            return _("违章 %(number)s 已关闭。") % {"number": record.number}
        return None


class ViolationActionView(OpenViolationAction):
    """A measure taken on the violation (seed 5.5.1)."""

    form_class = ViolationActionForm
    intro = gettext_lazy("物业助理应立即要求业户停止违章装修，并视情况批评教育、发出整改通知书限期整改；停水停电、要求赔偿须物业经理批准并签名，赔偿金额在退押金时扣除。")

    def get_title(self, record):
        return _("处理违章 · %(number)s") % {"number": record.number}

    def perform(self, record, form):
        data = form.cleaned_data
        return site.take_action(record, self.request.user, kind=data["kind"], note=data["note"],
                                rectify_by=data["rectify_by"], amount=data["amount"], password=data["password"])

    def get_success_message(self, record, action):
        return _("已登记处理：%(kind)s。") % {"kind": action.get_kind_display()}


class ViolationCloseView(OpenViolationAction):
    """The rectification verified on site: the photo and the verifier's signature close the violation."""

    form_class = CloseViolationForm
    intro = gettext_lazy("到现场核实整改完成，拍摄整改后的现场照片，验证人电子签名后关闭违章；未关闭的违章会阻止申报竣工、验收和退款。")

    def get_title(self, record):
        return _("整改验证 · %(number)s") % {"number": record.number}

    def perform(self, record, form):
        return site.close_violation(record, self.request.user, note=form.cleaned_data["note"],
                                    photo=form.cleaned_data["photo"], password=form.cleaned_data["password"])

    def get_success_message(self, record, result):
        return _("违章 %(number)s 已整改关闭。") % {"number": record.number}


class ViolationNoticePdfView(RecordPdfView):
    """《违反装修规定整改通知书》 of a notice action."""

    model = ViolationAction
    print_form = PrintForm(code="QR-ZX-05", title=gettext_lazy("违反装修规定整改通知书"), revision="A/0",
                           template="print/renovation_violation_notice.html")
    with_signatures = False  # handed to the owner, signed for on paper

    def document_number(self, obj) -> str:
        return obj.notice_number

    def get_permission_required(self):
        return ["renovation.view_violation"]

    def get_object(self, queryset=None):
        violation = get_visible_or_404(self.request.user, violation_list_queryset(), pk=self.kwargs["pk"])
        return get_object_or_404(ViolationAction.objects.select_related("by"), pk=self.kwargs["action_pk"],
                                 violation=violation, kind=ActionKind.NOTICE)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(record=self.object, violation=self.object.violation,
                       application=self.object.violation.application)
        return context



def render_unit_violations_tab(request, unit: Unit) -> str:
    violations = (Violation.objects.filter(application__unit=unit).select_related("application", "found_by")
                  .order_by("-found_at")[:200])
    return render_to_string("renovation/unit_tab_violations.html", {"object": unit, "violations": violations},
                            request=request)


# --- dashboard ---------------------------------------------------------------------------------------------
class RenovationDashboardView(PermissionRequiredMixin, TemplateView):
    template_name = "renovation/dashboard.html"
    permission_required = "renovation.use_renovation"
    raise_exception = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board = renovation_dashboard()
        context.update({"title": _("装修管理看板"), "board": board, "chart_data": board.chart_data(),
                        "list_url": reverse("renovation:list")})
        return context


urlpatterns = [
    path("inspections/", SiteInspectionsView.as_view(), name="site_inspections"),
    path("<int:pk>/inspections/new/", SiteInspectionCreateView.as_view(), name="site_inspection_create"),
    path("<int:pk>/baseline-photos/new/", BaselinePhotosView.as_view(), name="baseline_photos_add"),
    path("violations/", ViolationListView.as_view(), name="violation_list"),
    path("violations/<int:pk>/", ViolationDetailView.as_view(), name="violation_detail"),
    path("violations/<int:pk>/action/", ViolationActionView.as_view(), name="violation_action"),
    path("violations/<int:pk>/close/", ViolationCloseView.as_view(), name="violation_close"),
    path("violations/<int:pk>/notice/<int:action_pk>/", ViolationNoticePdfView.as_view(), name="violation_notice_pdf"),
    path("dashboard/", RenovationDashboardView.as_view(), name="dashboard"),
]
