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
        from django.db.models.signals import post_migrate

        from qms.people import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="qms_role_groups")
        from qms import directory, signals  # noqa: F401  (registers visibility and receivers)
        from qms.views import audit  # noqa: F401  (the audit trail's permission and menu entry)
        from qms import people_import  # noqa: F401  (the 通讯录 Excel import)
        from qms import deadlines, menu  # noqa: F401  (my-work provider, navigation)
        from qms import workdays  # noqa: F401  (calendar-maintenance work provider, holiday sync after migrate)
        from qms.capa import demo, selectors, services  # noqa: F401  (CAPA visibility, workflow, demo records)
