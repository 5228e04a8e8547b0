"""Navigation entries of the shared core's own pages (registered by QmsConfig.ready)."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms.registry import MenuEntry

MENU = [
    # The organisation's pages and the system's records under one heading: one entry less in the navigation bar,
    # which has to fit a 1,366 px screen in English.
    MenuEntry(label=pgettext_lazy("menu", "体系"), icon="bi-journal-check", order=90, children=[
        (_("通讯录"), "qms:staff_list", "qms.view_user"),
        (_("导入记录"), "qms:import_list", "qms.view_importbatch"),
        (_("审计追踪"), "qms:audit_trail", "qms.view_audit_trail"),
    ]),
    MenuEntry(label=_("纠正预防"), icon="bi-arrow-repeat", order=80, children=[
        (_("纠正和预防措施"), "qms:capa_list", "qms.view_capa"),
        (_("提出纠正和预防措施"), "qms:capa_raise", "qms.raise_capa"),
    ]),
]
