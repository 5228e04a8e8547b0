from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from qms import company, records_admin, workdays  # noqa: F401  (records_admin registers CAPA, moves, signatures)
from qms.excel.models import ImportBatch
from qms.notifications import Notification
from qms.numbering import DocumentType, NumberCounter
from qms.people import Department, Role, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "manager", "parent", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "manager__full_name", "manager__username")
    autocomplete_fields = ("manager", "parent")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "department", "roles", "email", "is_active", "last_login")
    list_filter = ("department", "groups", "is_active", "is_staff")
    search_fields = ("username", "full_name", "email", "phone")
    list_select_related = ("department",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("部门与联系方式"), {"fields": ("full_name", "department", "phone", "language")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("部门与联系方式"), {"fields": ("full_name", "department", "email", "groups")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("岗位"))
    def roles(self, obj):
        return "、".join(g.name for g in obj.groups.all())


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "level", "title", "read_at", "emailed_at")
    list_filter = ("level", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "body", "recipient__username", "recipient__full_name")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "level", "title", "body", "link", "created_at", "read_at", "emailed_at", "email_wanted")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only: batches change only through the import pages (preview, commit, revert)."""

    list_display = ("created_at", "definition_key", "file_name", "created_by", "status", "total_rows", "error_rows",
                    "created_count")
    list_filter = ("definition_key", "status")
    search_fields = ("file_name", "created_by__username", "created_by__full_name")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- working-day calendar (qms/workdays.py) -----------------------------------------------------------
class DocumentControlModuleMixin:
    """文管中心 maintains these models (rules permissions in their modules); list them on its admin index."""

    def has_module_permission(self, request):
        # The admin login page builds the app list for the anonymous visitor too, who has no roles.
        user = request.user
        return super().has_module_permission(request) or (
            user.is_authenticated and user.has_role(Role.DOCUMENT_CONTROL))


WEEKDAYS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


class CalendarYearFilter(admin.SimpleListFilter):
    title = _("年份")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = set(workdays.CalendarYear.objects.values_list("year", flat=True))
        years |= set(workdays.UnknownCalendarYear.objects.values_list("year", flat=True))
        return [(str(year), str(year)) for year in sorted(years, reverse=True)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return queryset.filter(date__year=int(self.value()))
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(workdays.CalendarDay)
class CalendarDayAdmin(DocumentControlModuleMixin, admin.ModelAdmin):
    """Saving or deleting here goes through qms.workdays so that the library sync keeps the change."""

    list_display = ("date", "weekday", "kind", "name", "source", "updated_by", "updated_at")
    list_filter = (CalendarYearFilter, "kind", "source")
    search_fields = ("name",)
    list_select_related = ("updated_by",)
    fields = ("date", "kind", "name", "source", "updated_by", "updated_at")
    readonly_fields = ("source", "updated_by", "updated_at")
    actions = ("confirm_years",)

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        workdays.save_day(obj, request.user)

    def delete_model(self, request, obj):
        workdays.delete_day(obj, request.user)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            workdays.delete_day(day, request.user)

    @admin.action(description=_("确认所选日期所在年份的节假日已维护完整"), permissions=["change"])
    def confirm_years(self, request, queryset):
        years = sorted({day.date.year for day in queryset})
        for year in years:
            workdays.confirm_year(year, request.user)
        self.message_user(request, gettext("已确认：%(years)s 年。") % {"years": "、".join(map(str, years))},
                          messages.SUCCESS)


def _day_count(kind):
    return Coalesce(Subquery(
        workdays.CalendarDay.objects.filter(date__year=OuterRef("year"), kind=kind).order_by()
        .values("kind").annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


@admin.register(workdays.CalendarYear)
class CalendarYearAdmin(DocumentControlModuleMixin, admin.ModelAdmin):
    """Adding a year here confirms it: computations in it stop warning and the maintenance task closes."""

    list_display = ("year", "source", "confirmed_by", "confirmed_at", "holidays", "adjusted_workdays")
    list_filter = ("source",)
    search_fields = ("year",)
    list_select_related = ("confirmed_by",)
    fields = ("year", "source", "confirmed_by", "confirmed_at")
    readonly_fields = ("source", "confirmed_by", "confirmed_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            holiday_count=_day_count(workdays.DayKind.HOLIDAY), workday_count=_day_count(workdays.DayKind.WORKDAY))

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("year",) if obj else ())

    @admin.display(description=_("节假日天数"), ordering="holiday_count")
    def holidays(self, obj):
        return obj.holiday_count

    @admin.display(description=_("调休上班天数"), ordering="workday_count")
    def adjusted_workdays(self, obj):
        return obj.workday_count

    def save_model(self, request, obj, form, change):
        confirmed = workdays.confirm_year(obj.year, request.user)
        obj.pk, obj.source, obj.confirmed_by, obj.confirmed_at = (
            confirmed.pk, confirmed.source, confirmed.confirmed_by, confirmed.confirmed_at)


@admin.register(workdays.UnknownCalendarYear)
class UnknownCalendarYearAdmin(DocumentControlModuleMixin, admin.ModelAdmin):
    """Read-only: the years computations needed before anyone maintained them."""

    list_display = ("year", "first_needed_at", "is_known")
    search_fields = ("year",)
    actions = ("confirm_years",)

    def get_queryset(self, request):
        known = workdays.CalendarYear.objects.filter(year=OuterRef("year"))
        return super().get_queryset(request).annotate(known=Exists(known))

    @admin.display(description=_("已维护"), boolean=True, ordering="known")
    def is_known(self, obj):
        return obj.known

    @admin.action(description=_("确认所选年份的节假日已维护完整"))
    def confirm_years(self, request, queryset):
        years = sorted(queryset.values_list("year", flat=True))
        for year in years:
            workdays.confirm_year(year, request.user)
        self.message_user(request, ngettext("已确认 %(count)d 个年份。", "已确认 %(count)d 个年份。", len(years))
                          % {"count": len(years)}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- document numbers (qms/numbering.py) ------------------------------------------------------------------
@admin.register(DocumentType)
class DocumentTypeAdmin(DocumentControlModuleMixin, admin.ModelAdmin):
    """The format is read by every next_number() call: an edit applies to the next number."""

    list_display = ("key", "name", "prefix", "pattern", "example", "updated_at")
    search_fields = ("key", "name", "prefix")
    fields = ("key", "name", "prefix", "pattern", "example", "updated_at")
    readonly_fields = ("example", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return (("key",) if obj else ()) + self.readonly_fields

    @admin.display(description=_("示例编号"))
    def example(self, obj):
        try:
            return obj.format(timezone.localdate().year, 1)
        except (KeyError, IndexError, TypeError, ValueError):  # an invalid pattern being corrected in the form
            return "—"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NumberCounter)
class NumberCounterAdmin(DocumentControlModuleMixin, admin.ModelAdmin):
    """Read-only: only next_number() moves a counter, so that numbers stay gapless and unique."""

    list_display = ("document_type", "year", "last", "last_number")
    list_filter = ("year", "document_type")
    search_fields = ("document_type__key", "document_type__name", "document_type__prefix")
    list_select_related = ("document_type",)

    @admin.display(description=_("最近编号"))
    def last_number(self, obj):
        return obj.last_number

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the company profile (qms/company.py) -----------------------------------------------------------------
@admin.register(company.CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    """One row, never added or deleted here: the list opens the row's change page."""

    fieldsets = (
        (None, {"fields": ("name", "short_name", "address", "phone")}),
        (_("图片"), {"fields": ("logo", "logo_preview", "seal", "seal_preview")}),
        (None, {"fields": ("updated_at",)}),
    )
    readonly_fields = ("logo_preview", "seal_preview", "updated_at")

    def changelist_view(self, request, extra_context=None):
        profile = company.load()
        return HttpResponseRedirect(reverse("admin:qms_companyprofile_change", args=[profile.pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _preview(self, image):
        # MEDIA_ROOT is not served to browsers: show the stored image inline, as the PDF will print it
        uri = company.image_data_uri(image)
        return format_html('<img src="{}" alt="" style="max-height: 120px; max-width: 240px">', uri) if uri else "—"

    @admin.display(description=_("标志预览"))
    def logo_preview(self, obj):
        return self._preview(obj.logo)

    @admin.display(description=_("公章预览"))
    def seal_preview(self, obj):
        return self._preview(obj.seal)
