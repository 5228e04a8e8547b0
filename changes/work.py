"""我的待办 of change control (registered by ``ChangesConfig.ready()``): the change notices the user has not
acknowledged, and the changes awaiting the user's approval or the MR's step. The clocks (tasks, opinions, the
specification change) come to 我的待办 from their deadline rows."""
from django.utils.translation import gettext as _

from qms import registry
from qms.registry import WorkItem
from qms.people import Role
from changes.models import ChangeNotice, ChangeRequest, ChangeStatus
from changes.services import requests

LIMIT = registry.WORK_ITEMS_PER_PROVIDER + 1


def changes_work(user) -> list[WorkItem]:
    items = []
    notices = (ChangeNotice.objects.filter(recipient=user, acknowledged_at__isnull=True)
               .select_related("change").order_by("sent_at", "pk")[:LIMIT])
    for notice in notices:
        items.append(WorkItem(title=_("待确认变更通知（%(kind)s）：%(change)s") % {
            "kind": notice.get_kind_display(), "change": notice.change},
            url=f"{notice.change.get_absolute_url()}?tab=release", category=_("变更")))
    awaiting = ChangeRequest.objects.filter(status=ChangeStatus.AWAITING_APPROVAL).exclude(created_by=user)
    for change in awaiting.order_by("created_at", "pk")[:LIMIT * 4]:
        if requests.is_approver(change, user) and not user.is_superuser:
            items.append(WorkItem(title=_("待批准变更：%(change)s") % {"change": change},
                                  url=change.get_absolute_url(), category=_("变更")))
    if user.has_role(Role.MR):
        steps = {ChangeStatus.EVALUATION: _("待召开评估会议并提交批准：%(change)s"),
                 ChangeStatus.AWAITING_CONFIRMATION: _("待跟踪确认：%(change)s")}
        for change in ChangeRequest.objects.filter(status__in=list(steps)).order_by("created_at", "pk")[:LIMIT]:
            items.append(WorkItem(title=steps[change.status] % {"change": change}, url=change.get_absolute_url(),
                                  category=_("变更")))
    return items
