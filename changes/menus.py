"""The 变更 entry of the navigation (registered by ``ChangesConfig.ready()``)."""
from django.utils.translation import gettext_lazy as _

from qms.registry import MenuEntry

CHANGES_MENU = MenuEntry(label=_("变更"), icon="bi-shuffle", order=45, children=[
    (_("变更登记台账"), "changes:list", "changes.use_changes"),
    (_("提出变更申请"), "changes:create", "changes.add_changerequest"),
])
