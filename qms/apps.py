from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoginProtectionConfig(AxesAppConfig):
    """django-axes (login throttling) under a Chinese name in the admin; its models' and fields' names are in
    the project's catalogue (qms/django_messages.py)."""

    verbose_name = _("登录保护")


class QmsConfig(AppConfig):
    name = "qms"
    verbose_name = _("质量管理平台")

    def ready(self):
        """What the shared core plugs into itself, from fixed imports (its permissions and visibility are in
        qms/rules.py, autodiscovered); every procedure app does the same in its own ``ready()``."""
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        # qms.tasks: the Celery tasks, which the services send by name (they never import the tasks module)
        from qms import deadlines, menu, registry, signals, taskqueue, tasks, workdays  # noqa: F401
        from qms.capa import demo as capa_demo
        from qms.capa import review as capa_review
        from qms.capa import services as capa_services  # noqa: F401  (the CAPA workflow and signature rounds)
        from qms.excel.imports import register_import
        from qms.people import ensure_role_groups
        from qms.people_import import STAFF_IMPORT

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="qms_role_groups")
        post_migrate.connect(workdays.sync_holidays_after_migrate, sender=self, dispatch_uid="qms.workdays.sync_holidays")
        post_migrate.connect(taskqueue.create_periodic_rows, sender=self, dispatch_uid="qms_periodic_rows")
        user_logged_in.connect(signals.remember_language_on_login, dispatch_uid="qms_language_on_login")
        workdays.calendar_changed.connect(deadlines.recompute_on_calendar_change, dispatch_uid="qms_recompute")
        for entry in menu.MENU:
            registry.register_menu(entry)
        registry.register_work_provider(deadlines.open_deadlines_as_work)
        registry.register_work_provider(workdays.calendar_maintenance_work)
        registry.register_demo_seeder(capa_demo.seed_capas)
        registry.register_review_input("capa", _("纠正和预防措施"), capa_review.capa_figures, order=30)
        register_import(STAFF_IMPORT)
