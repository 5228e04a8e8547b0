"""Who may do what in production, and who sees its records (autodiscovered by ``rules``): the production roles
(production, PMC, quality, engineering, the GM and the MR) see everything of production; anyone else sees none of
it (404)."""
import rules
from django.db.models import Q

from qms.people import Role, has_role, register_visibility
from production.models import (CustomerOpinion, FieldServiceRecord, IsolationEntry, LotOperation, Lot, ProcessCard,
                               TaskOrder)
from production.services.isolation import ENGINEER_ROLES
from production.setup_models import DisciplineCheck, SetupVerification, SpecChange
from production.services.lots import INSPECTOR_ROLES, OPERATOR_ROLES
from production.services.service_records import MARKETING_ROLES, SEES as SERVICE_RECORD_ROLES, SERVICE_ROLES

PRODUCTION_ROLES = (Role.PRODUCTION, Role.PMC, Role.QUALITY, Role.ENGINEERING, Role.GM, Role.MR)


def production_visibility(user) -> Q:
    return Q() if user.has_role(*PRODUCTION_ROLES) else Q(pk__in=[])


for model in (ProcessCard, TaskOrder, Lot, LotOperation, IsolationEntry, SetupVerification, DisciplineCheck,
              SpecChange):
    register_visibility(model, production_visibility)

rules.set_perm("production.use_production", has_role(*PRODUCTION_ROLES))
rules.set_perm("production.raise_taskorder", has_role(Role.PMC))
rules.set_perm("production.import_processcard", has_role(Role.ENGINEERING, Role.PMC))
rules.set_perm("production.record_operation", has_role(*OPERATOR_ROLES))
rules.set_perm("production.record_check", has_role(*OPERATOR_ROLES, *INSPECTOR_ROLES))
rules.set_perm("production.inspect_lot", has_role(*INSPECTOR_ROLES))
rules.set_perm("production.review_isolationentry", has_role(*ENGINEER_ROLES))
rules.set_perm("production.rework_isolationentry", has_role(*OPERATOR_ROLES))
rules.set_perm("production.reinspect_isolationentry", has_role(*INSPECTOR_ROLES))

# the trace shows lots and every shipment of a batch: the roles that see both (customers' SEES_ALL of shipments)
TRACE_ROLES = (Role.QUALITY, Role.PRODUCTION, Role.PMC, Role.GM, Role.MR)
rules.set_perm("production.trace_batch", has_role(*TRACE_ROLES))


def service_record_visibility(user) -> Q:
    return Q() if user.has_role(*SERVICE_RECORD_ROLES) else Q(pk__in=[])


for model in (FieldServiceRecord, CustomerOpinion):
    register_visibility(model, service_record_visibility)

rules.set_perm("production.use_service_records", has_role(*SERVICE_RECORD_ROLES))
rules.set_perm("production.add_fieldservicerecord", has_role(*SERVICE_ROLES))
rules.set_perm("production.add_customeropinion", has_role(*MARKETING_ROLES))

rules.set_perm("production.request_setup", has_role(Role.PRODUCTION, Role.PMC, Role.ENGINEERING, Role.QUALITY))
rules.set_perm("production.request_specchange", has_role(Role.PRODUCTION, Role.PMC, Role.ENGINEERING, Role.QUALITY))
