from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("客户投诉与反馈")

    def ready(self):
        """What the app plugs into the portal (its permissions and visibility are in ``complaints.rules``)."""
        from complaints import demo, imports, review, survey_tasks
        from complaints.models import Complaint
        from complaints.services import complaints as complaint_service
        from complaints.services import notices as notice_service
        from complaints.views import adverse, returns
        from complaints.views import complaints as complaint_views
        from customers.models import Customer
        from qms import deadlines
        from qms.excel.imports import register_import_family
        from qms.registry import (DetailTab, MenuEntry, register_demo_seeder, register_detail_tab, register_menu,
                                  register_review_input, register_work_provider)
        from qms.taskqueue import periodic

        register_menu(MenuEntry(label=pgettext_lazy("menu", "客户投诉"), icon="bi-chat-left-dots", order=20, children=[
            (_("投诉与反馈"), "complaints:list", "complaints.view_complaint"),
            (_("登记投诉/反馈"), "complaints:create", "complaints.add_complaint"),
            (_("退货单"), "complaints:return_list", "complaints.view_returnorder"),
            (_("不良事件"), "complaints:adverse_list", "complaints.view_complaint"),
            (_("忠告性通知"), "complaints:notice_list", "complaints.view_advisorynotice"),
            (_("满意度调查"), "complaints:surveys", "complaints.view_surveycampaign"),
            (_("投诉统计"), "complaints:dashboard", "complaints.view_dashboard"),
        ]))
        register_work_provider(complaint_service.complaint_work)
        register_work_provider(notice_service.notice_work)
        deadlines.register_escalation(Complaint, complaint_service.escalation_target)
        register_detail_tab(DetailTab("complaints", _("投诉"), Customer, complaint_views.render_complaints_tab,
                                      order=45))
        register_detail_tab(DetailTab("returns", _("退货单"), Complaint, returns.render_complaint_returns_tab,
                                      order=30))
        register_detail_tab(DetailTab("adverse", _("不良事件"), Complaint, adverse.render_adverse_tab, order=35))
        for seeder in (demo.seed_complaints, demo.seed_returns, demo.seed_adverse_events, demo.seed_surveys):
            register_demo_seeder(seeder)
        register_import_family(imports.KEY_PREFIX, imports.family)
        # §2 the yearly survey: every day at 07:00, the task acts only in the survey month
        periodic(survey_tasks.SCHEDULE_NAME, survey_tasks.TASK, survey_tasks.SCHEDULE_DESCRIPTION, minute="0",
                 hour="7")
        # ISO 9001 §9.3.2 c) 1): customer satisfaction and feedback, for the management review
        register_review_input("complaints", _("客户投诉与反馈"), review.complaint_figures, order=20)
        register_review_input("returns", _("退货单"), review.return_figures, order=21)
        register_review_input("adverse_events", _("不良事件"), review.adverse_figures, order=22)
        register_review_input("satisfaction", _("客户满意度调查"), review.satisfaction_figures, order=23)
