from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("管理评审")

    def ready(self):
        """What the management review plugs into the portal (its permissions are in ``reviews.rules``,
        autodiscovered). It reads the other procedures only through ``qms.review_inputs``."""
        from qms.registry import register_demo_seeder, register_menu, register_review_input
        from qms.taskqueue import periodic
        from reviews import demo, inputs, menus, tasks
        from reviews.services import plans  # noqa: F401  (the workflows)

        register_menu(menus.REVIEWS_MENU)
        register_review_input("previous_outputs", _("上次管理评审输出的跟踪"), inputs.previous_outputs_figures,
                              order=90)
        register_demo_seeder(demo.seed_reviews)
        periodic(tasks.SCHEDULE_NAME, tasks.TASK, _("每天 6:00；评审月份的前一个月起草拟当年的定期评审计划"),
                 minute="0", hour="6")
