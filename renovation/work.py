"""我的待办 of renovation: the applications waiting for the user's step (registered by
``RenovationConfig.ready()``)."""
from django.db.models import F
from django.utils.translation import gettext as _

from qms.deadlines import with_open_due
from qms.registry import WorkItem
from renovation.models import REVIEW_STATES, ApplicationStatus
from renovation.services import applications as service
from renovation.services.completion import REINSPECTION_DEADLINE


def renovation_work(user) -> list[WorkItem]:
    if not user.has_perm("renovation.use_renovation"):
        return []
    items = []
    # the due times read from the deadline rows of the review and the re-inspection
    awaiting = with_open_due(with_open_due(service.awaiting(user), service.REVIEW_DEADLINE.kind, name="review_due_at"),
                             REINSPECTION_DEADLINE.kind, name="reinspection_due_at")
    for application in awaiting.order_by(F("review_due_at").asc(nulls_last=True), "pk")[:100]:
        unit = application.unit
        items.append(WorkItem(
            title=_("%(status)s：%(number)s %(unit)s") % {
                "status": application.get_status_display(), "number": application.number,
                "unit": f"{unit.building.project.name} {unit.building.name} {unit.number}"},
            url=application.get_absolute_url(), category=_("装修管理"),
            due=(application.review_due_at if application.status in REVIEW_STATES else
                 application.reinspection_due_at if application.status == ApplicationStatus.REINSPECTION else None),
            detail=(_("退回原因：%(reason)s") % {"reason": application.return_reason}
                    if application.status == ApplicationStatus.RETURNED else "")))
    return items
