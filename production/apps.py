from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    name = "production"
    verbose_name = _("生产与检验状态")

    def ready(self):
        from qms.excel.imports import register_import
        from qms.registry import (DetailTab, register_demo_seeder, register_detail_tab, register_menu,
                                  register_nonconforming_intake, register_review_input, register_work_provider)
        from complaints.models import Complaint
        from production.views import service as service_views
        from production import demo, imports, menus, work
        from qms import blocks, trace as batch_trace
        from qms.taskqueue import periodic
        from production import tasks
        from production.services import (discipline, isolation, lots, orders, service_records, setup,  # noqa: F401
                                         trace)  # the workflows

        register_menu(menus.PRODUCTION_MENU)
        register_work_provider(work.production_work)
        register_work_provider(work.isolation_work)
        # a customer's return handed over to nonconforming control becomes a line of the isolation ledger
        register_nonconforming_intake(isolation.receive_returned_goods)
        register_review_input("isolation", isolation.REVIEW_LABEL, isolation.review_figures, order=45)
        register_demo_seeder(demo.seed)
        register_import(imports.PROCESS_CARD_IMPORT)
        register_work_provider(work.process_control_work)
        # 工艺纪律检查 every two months (seed 003 §5.2.3): the period's checks are created on its first day
        periodic(tasks.DISCIPLINE_SCHEDULE_NAME, tasks.DISCIPLINE_TASK, minute="30", hour="1", day_of_month="1",
                 month_of_year="1,3,5,7,9,11",
                 description="Creates the two-monthly process discipline check of every production line "
                             "(PROCEDURES.md §6).")
        # only a lot in stock, conforming or under concession, ships; who received a batch, for complaints' notices
        blocks.register_block(blocked="customers.Shipment", targets=("shipped",), reason=trace.unshippable)
        batch_trace.register_recipients(trace.recipients)
        register_detail_tab(DetailTab("service", _("现场服务与顾客意见"), Complaint, service_views.render_complaint_tab,
                                      order=60))
