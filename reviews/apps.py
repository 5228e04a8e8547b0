from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("管理评审")

    def ready(self):
        """What the management review plugs into the portal (its permissions are in ``reviews.rules``,
        autodiscovered). It reads the other procedures only through ``qms.review_inputs``."""
        from qms.registry import register_menu, register_review_input
        from reviews import inputs, menus

        register_menu(menus.REVIEWS_MENU)
        register_review_input("previous_outputs", _("上次管理评审输出的跟踪"), inputs.previous_outputs_figures,
                              order=90)
