"""Who may read the management review's pages (autodiscovered by ``rules``): the GM, who chairs the review, the
MR, who organises it, quality and document control (who keep its records)."""
import rules

from qms.people import Role, has_role

PACK_ROLES = (Role.GM, Role.MR, Role.QUALITY, Role.DOCUMENT_CONTROL)

rules.set_perm("reviews.view_pack", has_role(*PACK_ROLES))
