"""Who may do what in the shared core, and who sees which of its records: every permission and visibility rule of
the ``qms`` app, declared here once (autodiscovered by rules.apps.AutodiscoverRulesConfig)."""
import rules
from django.db.models import Q

from qms.capa.models import Capa
from qms.capa.selectors import capa_visibility
from qms.excel.models import ImportBatch
from qms.people import Role, User, everyone, has_role, is_department_manager, register_visibility

# --- visibility ------------------------------------------------------------------------------------------
register_visibility(User, everyone)  # the staff directory
register_visibility(ImportBatch, lambda user: Q(created_by=user))  # one's own imports; superusers all
register_visibility(Capa, capa_visibility)

# --- permissions -----------------------------------------------------------------------------------------
# Who may raise a CAPA: quality, the MR, the GM, and any department manager (PROCEDURES.md §3).
rules.add_perm("qms.raise_capa", has_role(Role.QUALITY, Role.MR, Role.GM) | is_department_manager)
rules.add_perm("qms.view_audit_trail", has_role(Role.MR, Role.GM, Role.QUALITY, Role.DOCUMENT_CONTROL))
rules.set_perm("qms.import_staff", has_role(Role.HR_ADMIN))  # superusers too (has_role admits them)

# Document control maintains the working-day calendar and the document numbering beside superusers (the admin
# pages check these).
_document_control = has_role(Role.DOCUMENT_CONTROL)
for _action in ("view", "add", "change", "delete"):
    rules.add_perm(f"qms.{_action}_calendarday", _document_control)
    rules.add_perm(f"qms.{_action}_calendaryear", _document_control)
rules.add_perm("qms.view_unknowncalendaryear", _document_control)
for _action in ("view", "add", "change"):
    rules.add_perm(f"qms.{_action}_documenttype", _document_control)
rules.add_perm("qms.view_numbercounter", _document_control)
