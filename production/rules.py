"""Who may do what in production, and who sees its records (autodiscovered by ``rules``): the production roles
(production, PMC, quality, engineering, the GM and the MR) see everything of production; anyone else sees none of
it (404)."""
import rules
from django.db.models import Q

from qms.people import Role, has_role, register_visibility
from production.models import LotOperation, Lot, ProcessCard, TaskOrder
from production.setup_models import DisciplineCheck, SetupVerification, SpecChange
from production.services.lots import INSPECTOR_ROLES, OPERATOR_ROLES

PRODUCTION_ROLES = (Role.PRODUCTION, Role.PMC, Role.QUALITY, Role.ENGINEERING, Role.GM, Role.MR)


def production_visibility(user) -> Q:
    return Q() if user.has_role(*PRODUCTION_ROLES) else Q(pk__in=[])


for model in (ProcessCard, TaskOrder, Lot, LotOperation, SetupVerification, DisciplineCheck, SpecChange):
    register_visibility(model, production_visibility)

rules.set_perm("production.use_production", has_role(*PRODUCTION_ROLES))
rules.set_perm("production.raise_taskorder", has_role(Role.PMC))
rules.set_perm("production.import_processcard", has_role(Role.ENGINEERING, Role.PMC))
rules.set_perm("production.record_operation", has_role(*OPERATOR_ROLES))
rules.set_perm("production.record_check", has_role(*OPERATOR_ROLES, *INSPECTOR_ROLES))
rules.set_perm("production.inspect_lot", has_role(*INSPECTOR_ROLES))
rules.set_perm("production.request_setup", has_role(Role.PRODUCTION, Role.PMC, Role.ENGINEERING, Role.QUALITY))
rules.set_perm("production.request_specchange", has_role(Role.PRODUCTION, Role.PMC, Role.ENGINEERING, Role.QUALITY))
