from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RenovationConfig(AppConfig):
    name = "renovation"
    verbose_name = _("装修管理")

    def ready(self):
        from qms.blocks import register_block
        from qms.excel.imports import register_import
        from qms.registry import (DetailTab, register_demo_seeder, register_detail_tab, register_menu,
                                  register_review_input, register_work_provider)
        from qms.taskqueue import periodic
        from renovation import demo, imports, menus, review, tasks, work
        from renovation.models import Application, Unit
        from renovation.services import applications, completion, site  # noqa: F401  (the workflows)
        from renovation.services.fees import ensure_fee_items
        from renovation.views import completion as completion_views
        from renovation.views import site as site_views

        register_menu(menus.RENOVATION_MENU)
        register_work_provider(work.renovation_work)
        register_demo_seeder(demo.seed)
        register_import(imports.UNIT_IMPORT)
        register_detail_tab(DetailTab("workers", _("施工人员及出入证"), Application, completion_views.render_workers_tab,
                                      order=20))
        register_detail_tab(DetailTab("site", _("巡查及违章"), Application, site_views.render_site_tab, order=22))
        register_detail_tab(DetailTab("completion", _("验收及退款"), Application,
                                      completion_views.render_completion_tab, order=25))
        register_detail_tab(DetailTab("violations", _("违章记录"), Unit, site_views.render_unit_violations_tab,
                                      order=30))
        # an open violation holds completion, acceptance and the refund back (seed 5.4.2)
        register_block(blocked=Application, reason=site.open_violations_refusal, targets=site.VIOLATIONS_HOLD)
        register_review_input("renovation", review.LABEL, review.figures, order=40)
        periodic(tasks.SCHEDULE_NAME, tasks.TASK, tasks.DESCRIPTION, minute=str(site.REMINDER_TIME.minute),
                 hour=str(site.REMINDER_TIME.hour))
        post_migrate.connect(ensure_fee_items, sender=self, dispatch_uid="renovation_fee_items")
