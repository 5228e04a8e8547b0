"""Who may do what in the management review, and who sees its records (autodiscovered by ``rules``).

- the input pack and every review: the GM (who chairs it), the MR (who organises it), quality and document control
  (who keep its records); everyone else sees the reviews once their plan is issued (5.2.1 下达到各部门);
- an input report: those, and the holders of its role and its responsible person.
"""
import rules
from django.db.models import Q

from qms.people import Role, has_role, is_department_manager, register_visibility
from reviews.models import InputReport, Review, ReviewOutput, ReviewStatus

PACK_ROLES = (Role.GM, Role.MR, Role.QUALITY, Role.DOCUMENT_CONTROL)
NOT_ISSUED = (ReviewStatus.DRAFT, ReviewStatus.AWAITING_APPROVAL)


def review_visibility(user) -> Q:
    return Q() if user.has_role(*PACK_ROLES) else ~Q(status__in=NOT_ISSUED)


def input_visibility(user) -> Q:
    if user.has_role(*PACK_ROLES):
        return Q()
    return Q(responsible=user) | Q(role__in=list(user.role_names()))


register_visibility(Review, review_visibility)
register_visibility(InputReport, input_visibility)
# an output is seen by whoever sees its review (issued reviews: everyone)
register_visibility(ReviewOutput, lambda user: Q() if user.has_role(*PACK_ROLES) else ~Q(
    review__status__in=NOT_ISSUED))

rules.set_perm("reviews.view_pack", has_role(*PACK_ROLES))
rules.set_perm("reviews.view_review", rules.is_authenticated)
rules.set_perm("reviews.view_inputreport", rules.is_authenticated)
rules.set_perm("reviews.view_reviewoutput", rules.is_authenticated)
rules.set_perm("reviews.plan_review", has_role(Role.MR))
rules.set_perm("reviews.change_review", has_role(Role.MR))
rules.set_perm("reviews.call_review", has_role(Role.GM))
rules.set_perm("reviews.keep_minutes", has_role(Role.MR, Role.DOCUMENT_CONTROL))
rules.set_perm("reviews.acknowledge_review", is_department_manager)
