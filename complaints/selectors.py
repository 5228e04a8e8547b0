"""Querysets of the complaint pages: every list starts from one of these (visibility is applied by the views)."""
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
from django.utils import timezone

from complaints.models import Clock, Complaint
from complaints.services.complaints import open_clock_due
from qms.deadlines import Deadline


def _open_clocks():
    return Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Complaint),
                                   object_id=OuterRef("pk"), state=Deadline.State.OPEN, kind__in=Clock.values)


def overdue_clock_exists():
    """Exists: one of the complaint's clocks is open past its due time."""
    return Exists(_open_clocks().filter(due_at__lt=timezone.now()))


def complaint_list_queryset():
    return (Complaint.objects.select_related("customer", "responsible", "responsible_department", "received_by")
            .annotate(next_due=open_clock_due(), has_overdue=overdue_clock_exists()))


def complaint_detail_queryset():
    return Complaint.objects.select_related("customer__owner", "responsible__department", "responsible_department",
                                            "received_by__department")
