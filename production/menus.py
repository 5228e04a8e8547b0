"""The 生产管理 entry of the navigation (registered by ``ProductionConfig.ready()``)."""
from django.utils.translation import gettext_lazy as _

from qms.registry import MenuEntry

PRODUCTION_MENU = MenuEntry(label=_("生产管理"), icon="bi-gear-wide-connected", order=35, children=[
    (_("生产任务书"), "production:order_list", "production.use_production"),
    (_("路线跟踪卡"), "production:lot_list", "production.use_production"),
    (_("工艺卡"), "production:card_list", "production.use_production"),
    (_("作业准备验证"), "production:setup_list", "production.use_production"),
    (_("工艺纪律检查"), "production:discipline_list", "production.use_production"),
    (_("工程规范更改"), "production:specchange_list", "production.use_production"),
    (_("隔离区产品跟踪台账"), "production:isolation_list", "production.use_production"),
    (_("隔离品处置及时率"), "production:isolation_rate", "production.use_production"),
    (_("批号追溯"), "production:trace", "production.trace_batch"),
    (_("现场服务处理记录单"), "production:field_service_list", "production.use_service_records"),
    (_("顾客意见处理表"), "production:opinion_list", "production.use_service_records"),
])
