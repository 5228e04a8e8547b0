"""Who sees which CAPA, and the querysets of the CAPA pages."""
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qms.capa.models import Capa, CapaAction, CapaStatus
from qms.people import Role, register_visibility


def capa_visibility(user) -> Q:
    """GM, MR and quality see every CAPA; others those of their department, raised by them or with an action
    of theirs."""
    if user.has_role(Role.GM, Role.MR, Role.QUALITY):
        return Q()
    has_action = Exists(CapaAction.objects.filter(capa=OuterRef("pk"), owner=user))
    q = Q(responsible=user) | Q(raised_by=user) | Q(responsible_department__manager=user) | has_action
    if user.department_id:
        q |= Q(responsible_department_id=user.department_id)
    return q


register_visibility(Capa, capa_visibility)


def capa_list_queryset():
    return Capa.objects.select_related("responsible", "responsible_department", "raised_by")


def overdue_capas():
    """Open CAPAs whose plan is overdue (still being planned past its 2-working-day limit)."""
    return Capa.objects.filter(status=CapaStatus.RAISED, plan_due_at__lt=timezone.now())
