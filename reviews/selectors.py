"""Reads of the management review pages."""
from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from qms.capa.models import CapaStatus
from qms.capa.selectors import open_capa_deadlines
from qms.people import visible_to
from reviews.models import Review, ReviewOutput, ReviewStatus

HELD = (ReviewStatus.MEETING_HELD, ReviewStatus.REPORT_REVIEWED, ReviewStatus.REPORT_APPROVED,
        ReviewStatus.OUTPUTS_RAISED)


def year_view(user, year: int, now) -> dict:
    """The year's reviews (those the user may see) and their outputs: raised as CAPA, open, closed, overdue —
    two grouped queries."""
    reviews = list(visible_to(user, Review.objects.filter(year=year)).order_by("meeting_at")
                   .annotate(outputs_total=Count("outputs")))
    overdue = Exists(open_capa_deadlines().filter(object_id=OuterRef("capa_id"), due_at__lt=now))
    finished = (CapaStatus.CLOSED, CapaStatus.VOIDED)
    outputs = ReviewOutput.objects.filter(review__in=[r.pk for r in reviews]).aggregate(
        total=Count("pk"), raised=Count("pk", filter=Q(capa__isnull=False)),
        closed=Count("pk", filter=Q(capa__status=CapaStatus.CLOSED)),
        open=Count("pk", filter=Q(capa__isnull=False) & ~Q(capa__status__in=finished)),
        overdue=Count("pk", filter=Q(overdue) & ~Q(capa__status__in=finished)))
    return {"reviews": reviews, "held": sum(1 for r in reviews if r.status in HELD), "outputs": outputs}
