"""The back office of renovation: the property structure and the fee items are master data edited here;
applications and their ledger are controlled records, shown read-only (they change through the portal)."""
from django.contrib import admin

from qms.records_admin import ReadOnlyInline, ReadOnlyRecordAdmin
from renovation.models import (AcceptanceInspection, Application, ApplicationDocument, BaselinePhoto, Building,
                               DepositClaim, FeeItem, InspectionReminder, LedgerEntry, Project, SiteInspection, Unit,
                               Violation, ViolationAction, Worker)


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(NoDeleteAdmin):
    list_display = ["name", "address"]
    search_fields = ["name"]


@admin.register(Building)
class BuildingAdmin(NoDeleteAdmin):
    list_display = ["name", "project"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]
    list_select_related = ["project"]


@admin.register(Unit)
class UnitAdmin(NoDeleteAdmin):
    list_display = ["number", "building", "usage", "is_large_commercial", "owner_name", "owner_phone", "tenant_name"]
    list_filter = ["usage", "is_large_commercial", "building__project"]
    search_fields = ["number", "owner_name", "tenant_name", "owner_phone"]
    autocomplete_fields = ["building"]
    list_select_related = ["building__project"]


@admin.register(FeeItem)
class FeeItemAdmin(NoDeleteAdmin):
    list_display = ["name", "code", "payer", "default_amount", "is_deposit", "per_worker", "required_for_permit",
                    "order", "is_active"]
    list_editable = ["default_amount", "order", "is_active"]
    readonly_fields = []

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry


@admin.register(Application)
class ApplicationAdmin(ReadOnlyRecordAdmin):
    list_display = ["number", "unit", "applicant_name", "contractor_name", "status", "submitted_at", "permit_number"]
    list_filter = ["status", "contractor_kind", "applicant_kind"]
    search_fields = ["number", "applicant_name", "contractor_name", "unit__number", "permit_number"]
    date_hierarchy = "submitted_at"
    list_select_related = ["unit__building__project"]
    inlines = [LedgerInline]


@admin.register(ApplicationDocument)
class ApplicationDocumentAdmin(ReadOnlyRecordAdmin):
    list_display = ["application", "kind", "attachment", "round"]
    list_filter = ["kind"]
    list_select_related = ["application", "attachment"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyRecordAdmin):
    list_display = ["application", "payer", "kind", "fee_item", "amount", "receipt_number", "recorded_by",
                    "recorded_at"]
    list_filter = ["kind", "payer", "fee_item"]
    search_fields = ["application__number", "receipt_number"]
    list_select_related = ["application", "fee_item", "recorded_by"]


@admin.register(Worker)
class WorkerAdmin(ReadOnlyRecordAdmin):
    list_display = ["name", "pass_number", "application", "trade", "pass_status", "registered_at"]
    list_filter = ["pass_status"]
    search_fields = ["name", "pass_number", "id_number", "application__number"]
    list_select_related = ["application"]


@admin.register(AcceptanceInspection)
class AcceptanceInspectionAdmin(ReadOnlyRecordAdmin):
    list_display = ["application", "stage", "inspected_at", "passed", "notice_number", "rectification_due",
                    "recorded_by"]
    list_filter = ["stage", "passed"]
    search_fields = ["application__number", "notice_number"]
    list_select_related = ["application", "recorded_by"]


@admin.register(DepositClaim)
class DepositClaimAdmin(ReadOnlyRecordAdmin):
    list_display = ["application", "source", "amount", "reason", "recorded_by", "recorded_at"]
    list_filter = ["source"]
    search_fields = ["application__number", "reason"]
    list_select_related = ["application", "recorded_by"]


@admin.register(SiteInspection)
class SiteInspectionAdmin(ReadOnlyRecordAdmin):
    list_display = ["application", "inspected_at", "inspector", *SiteInspection.CHECK_FIELDS]
    date_hierarchy = "inspected_at"
    search_fields = ["application__number"]
    list_select_related = ["application", "inspector"]


class ViolationActionInline(ReadOnlyInline):
    model = ViolationAction


@admin.register(Violation)
class ViolationAdmin(ReadOnlyRecordAdmin):
    list_display = ["number", "application", "kind", "status", "found_at", "found_by", "closed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["number", "application__number", "description"]
    date_hierarchy = "found_at"
    list_select_related = ["application", "found_by"]
    inlines = [ViolationActionInline]


@admin.register(BaselinePhoto)
class BaselinePhotoAdmin(ReadOnlyRecordAdmin):
    list_display = ["application", "caption", "taken_by", "taken_at"]
    search_fields = ["application__number", "caption"]
    list_select_related = ["application", "taken_by"]


@admin.register(InspectionReminder)
class InspectionReminderAdmin(ReadOnlyRecordAdmin):
    list_display = ["day", "sites", "sent_at"]
