"""Who sees a change and who may act on it (autodiscovered by ``rules``). The GM, the MR, the board and quality (who
files the change records) see every change; anyone else sees the changes of his department (requesting or
affected), those he drafted, coordinates, has a task or a notice in, that affect a customer he owns, or is asked to evaluate — another change is a
404."""
import rules
from django.db.models import Q

from qms import countersign
from qms.people import Role, has_role, register_visibility
from changes.models import ChangeRequest

SEE_ALL = (Role.GM, Role.MR, Role.BOARD, Role.QUALITY)


def change_visibility(user) -> Q:
    if user.has_role(*SEE_ALL):
        return Q()
    q = (Q(created_by=user) | Q(coordinator=user) | Q(tasks__responsible=user) | Q(notices__recipient=user)
         | Q(customers__owner=user) | countersign.asked_of(user, ChangeRequest))
    if user.department_id:
        q |= Q(requesting_department_id=user.department_id) | Q(affected_departments=user.department_id)
    return Q(pk__in=ChangeRequest.objects.filter(q).values("pk"))


register_visibility(ChangeRequest, change_visibility)


@rules.predicate
def has_department(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.department_id))


@rules.predicate
def is_authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


rules.set_perm("changes.use_changes", is_authenticated)
rules.set_perm("changes.add_changerequest", has_department)
rules.set_perm("changes.manage_change", has_role(Role.MR))
rules.set_perm("changes.raise_capa", has_role(Role.MR, Role.QUALITY))
rules.set_perm("changes.notify_customer", has_role(Role.MR, Role.SALES, Role.CUSTOMER_SERVICE))
rules.set_perm("changes.issue_spec", has_role(Role.ENGINEERING, Role.MR))
