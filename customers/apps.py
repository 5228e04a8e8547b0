from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("大客户管理")

    def ready(self):
        """What key accounts plug into the portal, from fixed imports (permissions and visibility are declared
        in ``customers.rules``, autodiscovered)."""
        from django.db.models.signals import post_migrate

        from customers import demo, imports, menus, tabs, tasks, visit_tasks, work
        from customers.services.options import ensure_default_options
        from customers.services.regions import load_regions
        from qms.excel.imports import register_import
        from qms.registry import register_demo_seeder, register_detail_tab, register_menu, register_work_provider

        register_menu(menus.MENU)
        for tab in tabs.TABS:
            register_detail_tab(tab)
        register_work_provider(work.customers_returning_to_pool)
        for seeder in demo.SEEDERS:
            register_demo_seeder(seeder)
        register_import(imports.CUSTOMER_IMPORT)
        post_migrate.connect(load_regions, sender=self, dispatch_uid="customers_regions")
        post_migrate.connect(ensure_default_options, sender=self, dispatch_uid="customers_options")
        post_migrate.connect(tasks.schedule_daily_run, sender=self, dispatch_uid="customers_pool_daily_schedule")
        post_migrate.connect(visit_tasks.schedule_monthly_plans, sender=self,
                             dispatch_uid="customers_visit_plan_schedule")
