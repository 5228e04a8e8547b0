from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("大客户管理")

    def ready(self):
        from django.db.models.signals import post_migrate

        from customers import selectors  # noqa: F401  (visibility)
        from customers.services.options import ensure_default_options
        from customers.services.regions import load_regions

        post_migrate.connect(load_regions, sender=self, dispatch_uid="customers_regions")
        post_migrate.connect(ensure_default_options, sender=self, dispatch_uid="customers_options")
        # Each part of the app registers its pages, tabs, menu entries, tasks and demo data on import.
        from customers import parts  # noqa: F401
