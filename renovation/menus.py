"""The 装修管理 entry of the navigation (registered by ``RenovationConfig.ready()``)."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms.registry import MenuEntry

RENOVATION_MENU = MenuEntry(label=pgettext_lazy("menu", "装修管理"), icon="bi-hammer", order=40, children=[
    (_("装修申请"), "renovation:list", "renovation.use_renovation"),
    (_("今日巡查"), "renovation:site_inspections", "renovation.use_renovation"),
    (_("装修违章"), "renovation:violation_list", "renovation.use_renovation"),
    (_("装修管理看板"), "renovation:dashboard", "renovation.use_renovation"),
    (_("房号及业主"), "renovation:units", "renovation.use_renovation"),
])
