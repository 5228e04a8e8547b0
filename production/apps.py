from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    name = "production"
    verbose_name = _("生产与检验状态")

    def ready(self):
        from qms.excel.imports import register_import
        from qms.registry import register_demo_seeder, register_menu, register_work_provider
        from production import demo, imports, menus, work
        from production.services import discipline, lots, orders, setup  # noqa: F401  (the workflows, blocks)
        from production import tasks
        from qms.taskqueue import periodic

        register_menu(menus.PRODUCTION_MENU)
        register_work_provider(work.production_work)
        register_demo_seeder(demo.seed)
        register_import(imports.PROCESS_CARD_IMPORT)
        register_work_provider(work.process_control_work)
        # 工艺纪律检查 every two months (seed 003 §5.2.3): the period's checks are created on its first day
        periodic(tasks.DISCIPLINE_SCHEDULE_NAME, tasks.DISCIPLINE_TASK, minute="30", hour="1", day_of_month="1",
                 month_of_year="1,3,5,7,9,11",
                 description="Creates the two-monthly process discipline check of every production line "
                             "(PROCEDURES.md §6).")
