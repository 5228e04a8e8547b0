"""Who may see and do what in the complaints app: every permission and every visibility rule of the app is declared
here, once (autodiscovered by ``rules.apps.AutodiscoverRulesConfig``). The role sets and the record-level
helpers they use (``may_handle``, ``may_flag``, ``may_enter``) are the services'; views and services ask
``user.has_perm(...)`` or ``qms.people.visible_to(...)`` and never declare a rule themselves.

Visibility (``<app>.view_<model>``; anything else answers 404):
- complaints: customer service, quality, the MR and the GM see every complaint; everyone else those they received
  or handle, of their department (or a department they manage) and of the customers they own;
- returns: quality, customer service, the MR and the GM see every return; others those they raised, those of their
  customers, of their department's people (a manager), and of complaints they handle;
- advisory notices: the MR, GM, quality and customer service see every notice (drafts included); others the issued
  notices that name a customer they own (and those notices' recipients);
- survey campaigns and responses: customer service, the MR, quality and the GM see every one; an owner (and their
  department manager) the open or closed campaigns that survey their customers, and those customers' responses.
"""
from __future__ import annotations

import rules
from django.db.models import Exists, OuterRef, Q

from complaints.models import (AdvisoryNotice, CampaignStatus, Complaint, NoticeRecipient, NoticeStatus, ReturnOrder,
                               SurveyCampaign, SurveyResponse)
from complaints.imports import PERMISSION as SURVEY_IMPORT
from complaints.services import adverse, dashboard, notices, returns, surveys
from complaints.services import complaints as complaint_service
from qms.people import Role, has_role, is_department_manager, register_visibility


# --- visibility -----------------------------------------------------------------------------------------
def complaint_visibility(user) -> Q:
    if user.has_role(*complaint_service.SEES_ALL):
        return Q()
    q = (Q(received_by=user) | Q(responsible=user) | Q(responsible_department__manager=user)
         | Q(customer__owner=user))
    if user.department_id:
        q |= Q(responsible_department_id=user.department_id)
    return q


def return_visibility(user) -> Q:
    if user.has_role(*returns.SEES_ALL):
        return Q()
    return (Q(created_by=user) | Q(customer__owner=user) | Q(created_by__department__manager=user)
            | Q(customer__owner__department__manager=user) | Q(complaint__responsible=user)
            | Q(complaint__received_by=user))


def notice_visibility(user) -> Q:
    if user.has_role(*notices.SEES_ALL):
        return Q()
    owns_a_recipient = Exists(NoticeRecipient.objects.filter(notice=OuterRef("pk"), customer__owner=user))
    return Q(owns_a_recipient) & ~Q(status=NoticeStatus.DRAFT)


def notice_recipient_visibility(user) -> Q:
    return Q(notice__in=AdvisoryNotice.objects.filter(notice_visibility(user)))


def campaign_visibility(user) -> Q:
    if user.has_role(*surveys.SEES_ALL):
        return Q()
    mine = SurveyResponse.objects.filter(campaign=OuterRef("pk")).filter(
        Q(customer__owner=user) | Q(customer__owner__department__manager=user))
    return Q(Exists(mine)) & ~Q(status=CampaignStatus.DRAFT)


def response_visibility(user) -> Q:
    if user.has_role(*surveys.SEES_ALL):
        return Q()
    return (Q(customer__owner=user) | Q(customer__owner__department__manager=user)) & ~Q(
        campaign__status=CampaignStatus.DRAFT)


register_visibility(Complaint, complaint_visibility)
register_visibility(ReturnOrder, return_visibility)
register_visibility(AdvisoryNotice, notice_visibility)
register_visibility(NoticeRecipient, notice_recipient_visibility)
register_visibility(SurveyCampaign, campaign_visibility)
register_visibility(SurveyResponse, response_visibility)


# --- predicates -----------------------------------------------------------------------------------------
@rules.predicate
def signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


@rules.predicate
def may_handle_complaint(user, complaint=None) -> bool:
    """The person responsible now, the responsible department's manager or a coordinator; without a complaint,
    a coordinator."""
    if complaint is None:
        return bool(user and user.is_authenticated
                    and (user.is_superuser or user.has_role(*complaint_service.COORDINATORS)))
    return user.is_superuser or complaint_service.may_handle(complaint, user)


@rules.predicate
def may_flag_adverse_event(user, complaint=None) -> bool:
    if complaint is None:
        return bool(user and user.is_authenticated)
    return adverse.may_flag(complaint, user)


@rules.predicate
def may_enter_survey_response(user, response=None) -> bool:
    return response is not None and surveys.may_enter(user, response)


# --- complaints (§3) --------------------------------------------------------------------------------------
rules.set_perm("complaints.add_complaint", signed_in)  # §3 intake: whoever receives it records it
rules.set_perm("complaints.change_complaint", may_handle_complaint)
rules.set_perm("complaints.override_capa_close", has_role(Role.MR))
# the dashboard: customer service, quality, the MR, the GM and every department manager (each sees the figures
# of the complaints they may see)
rules.set_perm("complaints.view_dashboard", has_role(*dashboard.DASHBOARD_ROLES) | is_department_manager)

# --- adverse events and advisory notices -------------------------------------------------------------------
rules.set_perm("complaints.flag_adverse_event", may_flag_adverse_event)
rules.set_perm("complaints.report_adverse_event", has_role(*adverse.REPORTERS))
# the quarterly aggregate report (every event of a quarter): the reporters and the GM
rules.set_perm("complaints.export_adverse_report", has_role(*adverse.REPORTERS, Role.GM))
rules.set_perm("complaints.add_advisorynotice", has_role(Role.MR))
rules.set_perm("complaints.change_advisorynotice", has_role(Role.MR))

# --- returns ---------------------------------------------------------------------------------------------
rules.set_perm("complaints.add_returnorder",
               has_role(Role.SALES, Role.CUSTOMER_SERVICE, Role.QUALITY, Role.MR, Role.GM))

# --- satisfaction surveys ----------------------------------------------------------------------------------
rules.set_perm("complaints.add_surveycampaign", has_role(*surveys.MANAGERS))
rules.set_perm("complaints.change_surveycampaign", has_role(*surveys.MANAGERS))
rules.set_perm("complaints.analyse_survey", has_role(*surveys.SEES_ALL))
rules.set_perm("complaints.enter_survey_response", may_enter_survey_response)
rules.set_perm(SURVEY_IMPORT, has_role(*surveys.MANAGERS))  # superusers too (has_role admits them)
