"""Who does what in renovation, shared by the parts of the flow."""
from qms.people import Role

# Who registers, edits, resubmits and withdraws applications and reports completion (seed 4.2 物业助理 受理; the
# resident centre).
DESK_ROLES = (Role.PROPERTY_ASSISTANT, Role.RESIDENT_CENTRE_HEAD, Role.PROPERTY_MANAGER)
