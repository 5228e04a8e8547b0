"""Who does what in renovation: every role tuple of the app, declared once (``renovation/rules.py`` turns them into
permissions; the services and the workflows use the same tuples)."""
from qms.people import Role, refusal_for
from qms.refusals import Refused

# Who registers, edits, resubmits and withdraws applications and reports completion (seed 4.2 物业助理 受理; the
# resident centre).
DESK_ROLES = (Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD, Role.PROPERTY_MANAGER)

# The roles that see renovations: the property team, the developer's engineering dept, finance clerk, GM, MR.
PROPERTY_ROLES = (Role.PROPERTY_MANAGER, Role.PROPERTY_ASSISTANT, Role.ENGINEERING_SUPERVISOR,
                  Role.RESIDENT_CENTRE_HEAD, Role.SECURITY, Role.FINANCE_CLERK, Role.ENGINEERING, Role.GM, Role.MR)

# --- fees (seed 4.6 物业财务部负责装修相关费用的收取) ---------------------------------------------------------
CASHIER_ROLES = (Role.FINANCE_CLERK, Role.FINANCE)
CHARGE_ROLES = (Role.FINANCE_CLERK, Role.FINANCE, Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD)
UTILITIES_ROLES = (Role.ENGINEERING_SUPERVISOR, Role.RESIDENT_CENTRE_HEAD)
# who checks the ledger and reverses a mistyped entry (the finance clerk records, finance or the manager check);
# nobody reverses an entry they recorded themselves
REVERSAL_ROLES = (Role.FINANCE, Role.PROPERTY_MANAGER)

# --- during the works ---------------------------------------------------------------------------------------
# The daily round of the site, violations and their measures, baseline photos (seed 5.3.1: the property assistant
# goes round every day; seed 4.5 security patrols for safety and fire; the engineering supervisor and the resident
# centre patrol too). Not the same people as the acceptance below: security patrols but does not accept works.
SITE_PATROL_ROLES = (Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD, Role.ENGINEERING_SUPERVISOR, Role.SECURITY,
                     Role.PROPERTY_MANAGER)
# register workers and issue, take back or cancel their passes (the resident centre; security at the gate)
PASS_ROLES = (Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD, Role.SECURITY, Role.PROPERTY_MANAGER)

# --- completion ---------------------------------------------------------------------------------------------
# The joint inspection at completion (初验) and three months later (复验): seed 5.4.2 engineering with the resident
# centre's staff, the owner and the contractor; signed "初验合格" / "复验合格" (seed 5.4.3, 5.4.6).
ACCEPTANCE_INSPECTOR_ROLES = (Role.ENGINEERING_SUPERVISOR, Role.PROPERTY_ASSISTANT, Role.PROPERTY_MANAGER)
# who records an amount owed out of the deposits
CLAIM_ROLES = (Role.ENGINEERING_SUPERVISOR, Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD, Role.PROPERTY_MANAGER)


def require(user, perm: str, obj=None) -> None:
    """A service's "who may" check: refused (``qms.Refused``, naming the roles of ``perm``'s rules declaration)
    unless ``user`` holds ``perm``."""
    if not user.has_perm(perm, obj):
        raise Refused(refusal_for(perm))
