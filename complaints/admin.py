"""The back-office view of complaints, returns, adverse events, advisory notices and surveys.

They are controlled records that change only through the portal's services and workflow (checks, audit
entries, signatures, deadlines), so the admin lists and searches them read-only and never deletes.
"""
from django.contrib import admin

from complaints.models import (AdvisoryNotice, Complaint, NoticeRecipient, ReturnOrder, SurveyAnswer, SurveyCampaign,
                               SurveyQuestion, SurveyResponse)
from qms.records_admin import ReadOnlyInline, ReadOnlyRecordAdmin


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyRecordAdmin):
    list_display = ["number", "type", "customer_name", "is_key_account", "product", "batch", "status",
                    "responsible_department", "responsible", "received_by", "received_at", "closed_at"]
    list_filter = ["status", "type", "channel", "is_key_account", "is_adverse_event", "severity", "responsibility",
                   "responsible_department"]
    search_fields = ["number", "customer_name", "product", "batch", "description", "contact_name"]
    date_hierarchy = "received_at"
    list_select_related = ["responsible", "responsible_department", "received_by"]


@admin.register(ReturnOrder)
class ReturnOrderAdmin(ReadOnlyRecordAdmin):
    list_display = ["number", "customer_name", "product", "batch", "quantity", "is_batch_return", "status", "outcome",
                    "created_by", "created_at"]
    list_filter = ["status", "outcome", "is_batch_return"]
    search_fields = ["number", "customer_name", "product", "batch", "complaint__number", "nonconforming_reference"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by", "complaint"]


class NoticeRecipientInline(ReadOnlyInline):
    model = NoticeRecipient


@admin.register(AdvisoryNotice)
class AdvisoryNoticeAdmin(ReadOnlyRecordAdmin):
    list_display = ["number", "title", "product", "status", "drafted_by", "created_at", "issued_at",
                    "authority_notified_at"]
    list_filter = ["status"]
    search_fields = ["number", "title", "product", "batches"]
    date_hierarchy = "created_at"
    list_select_related = ["drafted_by"]
    inlines = [NoticeRecipientInline]


@admin.register(NoticeRecipient)
class NoticeRecipientAdmin(ReadOnlyRecordAdmin):
    list_display = ["notice", "customer", "sent_at", "acknowledged_at", "acknowledged_by"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter)]
    search_fields = ["notice__number", "customer__name", "acknowledged_by"]
    list_select_related = ["notice", "customer"]


class SurveyQuestionInline(ReadOnlyInline):
    model = SurveyQuestion


@admin.register(SurveyCampaign)
class SurveyCampaignAdmin(ReadOnlyRecordAdmin):
    list_display = ["title", "year", "opens_on", "closes_on", "low_score", "status", "created_by"]
    list_filter = ["status", "year"]
    search_fields = ["title"]
    list_select_related = ["created_by"]
    inlines = [SurveyQuestionInline]


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(ReadOnlyRecordAdmin):
    list_display = ["campaign", "order", "text"]
    list_filter = ["campaign"]
    search_fields = ["text"]
    list_select_related = ["campaign"]


class SurveyAnswerInline(ReadOnlyInline):
    model = SurveyAnswer


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyRecordAdmin):
    list_display = ["campaign", "customer", "respondent", "sent_at", "submitted_at", "entered_by"]
    list_filter = ["campaign", ("submitted_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__name", "respondent", "comment"]
    list_select_related = ["campaign", "customer", "entered_by"]
    inlines = [SurveyAnswerInline]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyRecordAdmin):
    list_display = ["response", "question", "score"]
    list_filter = ["score", "question__campaign"]
    search_fields = ["response__customer__name", "question__text"]
    list_select_related = ["response__customer", "response__campaign", "question"]
