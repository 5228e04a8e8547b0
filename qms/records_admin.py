"""The back-office view of controlled records: CAPAs, their moves, signatures, deadlines and attachments.

Controlled records change only through the portal's workflow (with its checks, audit entries and
signatures), so the admin shows them read-only and never offers delete: voiding is a move with a reason.
"""
from django.contrib import admin

from qms.attachments import Attachment
from qms.capa.models import Capa, CapaAction, CapaRound, CapaVerification
from qms.deadlines import Deadline, DeadlineNotice
from qms.signatures import Signature
from qms.workflow import Transition


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """Every field read-only; no add, no delete (records control: nothing controlled is hard-deleted)."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """The rows of a controlled record's child model, shown read-only under the record (they change in the portal)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CapaActionInline(admin.TabularInline):
    model = CapaAction
    extra = 0
    can_delete = False
    fields = ["round", "description", "owner", "due_date", "done_at", "result"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CapaRoundInline(CapaActionInline):
    model = CapaRound
    fields = ["number", "cause_analysis", "plan", "ended_at"]
    readonly_fields = fields


class CapaVerificationInline(CapaActionInline):
    model = CapaVerification
    fields = ["round", "result", "comment", "verified_by", "verified_at"]
    readonly_fields = fields


@admin.register(Capa)
class CapaAdmin(ReadOnlyRecordAdmin):
    list_display = ["number", "title", "source", "status", "responsible_department", "responsible", "raised_at"]
    list_filter = ["status", "source", "kind", "responsible_department"]
    search_fields = ["number", "title", "source_reference", "nonconformity"]
    date_hierarchy = "raised_at"
    list_select_related = ["responsible", "responsible_department"]
    inlines = [CapaRoundInline, CapaActionInline, CapaVerificationInline]


@admin.register(Transition)
class TransitionAdmin(ReadOnlyRecordAdmin):
    list_display = ["at", "content_type", "object_id", "from_status", "to_status", "by", "reason"]
    list_filter = ["content_type", "to_status"]
    search_fields = ["reason", "by__full_name", "by__username"]
    date_hierarchy = "at"
    list_select_related = ["content_type", "by"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyRecordAdmin):
    list_display = ["signed_at", "signer_name", "meaning", "step", "round", "content_type", "object_id", "content_hash"]
    list_filter = ["meaning", "content_type"]
    search_fields = ["signer_name", "comment", "step"]
    date_hierarchy = "signed_at"
    list_select_related = ["content_type"]


class DeadlineNoticeInline(admin.TabularInline):
    model = DeadlineNotice
    extra = 0
    can_delete = False
    fields = ["stage", "due_at", "recipient", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyRecordAdmin):
    list_display = ["title", "kind", "responsible", "due_at", "state", "escalation_level", "escalated_to"]
    list_filter = ["state", "kind", "escalation_level"]
    search_fields = ["title", "responsible__full_name", "responsible__username"]
    date_hierarchy = "due_at"
    list_select_related = ["responsible", "escalated_to"]
    inlines = [DeadlineNoticeInline]


@admin.register(DeadlineNotice)
class DeadlineNoticeAdmin(ReadOnlyRecordAdmin):
    list_display = ["sent_at", "deadline", "stage", "recipient"]
    list_filter = ["stage"]
    search_fields = ["deadline__title", "recipient__full_name"]
    list_select_related = ["deadline", "recipient"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyRecordAdmin):
    list_display = ["original_name", "content_type", "object_id", "size", "uploaded_by", "uploaded_at", "voided_at"]
    list_filter = ["content_type", "mime_type"]
    search_fields = ["original_name", "description", "sha256"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["content_type", "uploaded_by"]
