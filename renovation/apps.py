from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RenovationConfig(AppConfig):
    name = "renovation"
    verbose_name = _("装修管理")

    def ready(self):
        from renovation import parts  # noqa: F401  (each part registers its pages, menu, work and demo data)
        from renovation.services.fees import ensure_fee_items

        post_migrate.connect(ensure_fee_items, sender=self, dispatch_uid="renovation_fee_items")
