from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("变更管理")

    def ready(self):
        from qms.registry import (DetailTab, register_demo_seeder, register_detail_tab, register_menu,
                                  register_work_provider)
        from customers.contracts.models import ContractChange
        from changes.views.pages import render_contract_change_tab
        from changes import demo, menus, work
        from changes.services import pipeline, release  # noqa: F401  (the workflow, the countersign and the hold)

        register_menu(menus.CHANGES_MENU)
        register_work_provider(work.changes_work)
        register_detail_tab(DetailTab("change_control", _("变更控制"), ContractChange, render_contract_change_tab,
                                      order=60))
        register_demo_seeder(demo.seed)
