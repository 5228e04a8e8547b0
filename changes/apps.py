from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("变更管理")

    def ready(self):
        from qms.registry import register_demo_seeder, register_menu, register_work_provider
        from changes import demo, menus, work
        from changes.services import pipeline, release  # noqa: F401  (the workflow, the countersign and the hold)

        register_menu(menus.CHANGES_MENU)
        register_work_provider(work.changes_work)
        register_demo_seeder(demo.seed)
