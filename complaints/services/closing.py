"""What a complaint's assignment and closing forms and its service both ask (so the forms never import the
service): the handler proposed for a department, whether someone should have gone on site, the CAPAs still
unverified, and the reason a closing records."""
from __future__ import annotations

from django.utils.translation import gettext

from complaints.models import ComplaintStatus
from qms.capa import services as capa_services


def default_handler(department):
    """The handler proposed on assignment: the department's manager (the one a key account requires)."""
    if department is None:
        return None
    return department.manager if department.manager_id else None


def unverified_capas(complaint):
    return capa_services.unverified_capas_for_source(complaint)


def on_site_missing(complaint) -> bool:
    """§3: the complaint needed someone on site, and nobody recorded going."""
    return complaint.requires_on_site and complaint.on_site_at is None


def close_override_needed(complaint) -> bool:
    return complaint.status == ComplaintStatus.RETURN_VISIT and unverified_capas(complaint).exists()


def closing_reason(complaint, *, reason: str = "", override_reason: str = "", on_site_waiver: str = "") -> str:
    """The closing's recorded reason: the MR's override of an unverified CAPA and why nobody went on site, in the
    words the audit trail shows."""
    override_reason, on_site_waiver = (override_reason or "").strip(), (on_site_waiver or "").strip()
    if override_reason and close_override_needed(complaint):
        reason = gettext("纠正措施未验证，管理者代表签字关闭：%(reason)s") % {"reason": override_reason}
    if on_site_waiver and on_site_missing(complaint):
        waiver = gettext("未到场处理：%(reason)s") % {"reason": on_site_waiver}
        reason = f"{reason}；{waiver}" if reason else waiver
    return reason
