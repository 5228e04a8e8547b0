"""Who may do what in renovation, and who sees its records: every permission and visibility of the app, declared
once (autodiscovered by ``rules``). The role tuples are those of ``renovation.services.roles``."""
import rules
from django.db.models import Q

from qms.people import Role, has_role, register_visibility
from renovation.models import Application, Unit, Violation, Worker
from renovation.services.roles import (ACCEPTANCE_INSPECTOR_ROLES, CASHIER_ROLES, CHARGE_ROLES, CLAIM_ROLES,
                                       DESK_ROLES, PASS_ROLES, PROPERTY_ROLES, REVERSAL_ROLES, SITE_PATROL_ROLES,
                                       UTILITIES_ROLES)


def renovation_visibility(user) -> Q:
    """The property team, the developer's engineering department, finance, GM and MR see every unit and
    renovation; nobody else sees any (404)."""
    return Q() if user.has_role(*PROPERTY_ROLES, *CASHIER_ROLES) else Q(pk__in=[])


register_visibility(Unit, renovation_visibility)
register_visibility(Application, renovation_visibility)
register_visibility(Violation, renovation_visibility)
register_visibility(Worker, renovation_visibility)

property_team = has_role(*PROPERTY_ROLES, *CASHIER_ROLES)
# the renovation pages and menu (object visibility answers view_unit / view_application)
rules.set_perm("renovation.use_renovation", property_team)
rules.set_perm("renovation.add_application", has_role(*DESK_ROLES))
rules.set_perm("renovation.change_application", has_role(*DESK_ROLES))
rules.set_perm("renovation.import_unit", has_role(*DESK_ROLES))
rules.set_perm("renovation.review_engineering", has_role(Role.ENGINEERING_SUPERVISOR))
rules.set_perm("renovation.check_identity", has_role(Role.PROPERTY_ASSISTANT))
rules.set_perm("renovation.record_utilities", has_role(*UTILITIES_ROLES))
rules.set_perm("renovation.record_charge", has_role(*CHARGE_ROLES))
rules.set_perm("renovation.record_payment", has_role(*CASHIER_ROLES))
rules.set_perm("renovation.reverse_ledger_entry", has_role(*REVERSAL_ROLES))
rules.set_perm("renovation.register_worker", has_role(*PASS_ROLES))
rules.set_perm("renovation.inspect_completion", has_role(*ACCEPTANCE_INSPECTOR_ROLES))
rules.set_perm("renovation.record_claim", has_role(*CLAIM_ROLES))
rules.set_perm("renovation.pay_refund", has_role(*CASHIER_ROLES))
rules.set_perm("renovation.inspect_site", has_role(*SITE_PATROL_ROLES))
