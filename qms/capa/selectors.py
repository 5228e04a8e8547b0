"""Who sees which CAPA, and the querysets of the CAPA pages."""
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from qms.capa.models import Capa, CapaAction, CapaStatus
from qms.deadlines import Deadline
from qms.people import Role


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




def open_capa_deadlines():
    """The open deadline rows of CAPAs: the one source of a CAPA's due times (no copy on the CAPA)."""
    return Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Capa, for_concrete_model=False),
                                   state=Deadline.State.OPEN)


def capa_list_queryset():
    """Every CAPA page reads from here: ``current_due_at`` / ``current_due_kind`` are those of the open deadline
    row of the current step (the earliest if several are open), None when nothing is open."""
    current = open_capa_deadlines().filter(object_id=OuterRef("pk")).order_by("due_at", "pk")
    return Capa.objects.select_related("responsible", "responsible_department", "raised_by").annotate(
        current_due_at=Subquery(current.values("due_at")[:1]), current_due_kind=Subquery(current.values("kind")[:1]))


def plan_overdue():
    """A CAPA whose plan deadline row is open and past due (as a filter)."""
    return Exists(open_capa_deadlines().filter(object_id=OuterRef("pk"), kind="plan", due_at__lt=timezone.now()))


def overdue_capas():
    """Open CAPAs whose plan is overdue (still being planned past its 2-working-day limit)."""
    return Capa.objects.filter(plan_overdue(), status=CapaStatus.RAISED)
