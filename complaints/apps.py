from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("客户投诉与反馈")

    def ready(self):
        from complaints import parts  # noqa: F401  (each part registers its pages, tabs, work and demo data)
