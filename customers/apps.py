from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("大客户管理")

    def ready(self):
        """What key accounts plug into the portal, from fixed imports (permissions and visibility are declared
        in ``customers.rules``, autodiscovered)."""
        from django.db.models.signals import post_migrate

        from customers import demo, imports, menus, review, tabs, tasks, visit_tasks, work
        from customers.contracts.services import change as contract_change  # noqa: F401  (workflow, countersign)
        from customers.contracts.services import review as contract_review  # noqa: F401  (workflow, countersign)
        from customers.contracts import sales_tabs
        from customers.contracts import imports as contract_imports
        from customers.contracts import fulfilment_tabs
        from customers.contracts import review as contract_review_inputs
        from customers.contracts.services import property, shipments, special_requirements  # noqa: F401 (workflows)
        from customers.services.options import ensure_default_options
        from customers.services.regions import load_regions
        from qms.excel.imports import register_import
        from qms.registry import (register_demo_seeder, register_detail_tab, register_menu, register_review_input,
                                  register_work_provider)
        from qms.taskqueue import periodic

        register_menu(menus.MENU)
        register_menu(menus.CONTRACT_MENU)
        for tab in [*tabs.TABS, *sales_tabs.TABS]:
            register_detail_tab(tab)
        for tab in fulfilment_tabs.TABS:
            register_detail_tab(tab)
        register_work_provider(work.customers_returning_to_pool)
        for seeder in demo.SEEDERS:
            register_demo_seeder(seeder)
        register_import(imports.CUSTOMER_IMPORT)
        register_import(contract_imports.CONTRACT_IMPORT)
        register_review_input("customers", _("大客户管理"), review.key_account_figures, order=10)
        register_review_input("contracts", _("合同评审与顾客特殊要求"), contract_review_inputs.contract_figures,
                              order=12)
        periodic(tasks.SCHEDULE_NAME, tasks.DAILY_TASK, minute="0", hour="2",
                 description="Returns customers without follow-up to the pool and warns their owners before "
                             "(PROCEDURES.md §1 Customer pool).")
        periodic(visit_tasks.SCHEDULE_NAME, visit_tasks.TASK, minute="0", hour="1", day_of_month="1",
                 description="Generates the month's visits, weekly phone contacts for grade C and service return "
                             "visits (PROCEDURES.md §1 Visits).")
        post_migrate.connect(load_regions, sender=self, dispatch_uid="customers_regions")
        post_migrate.connect(ensure_default_options, sender=self, dispatch_uid="customers_options")
