"""The 客户 and 合同 menus (registered in ``CustomersConfig.ready``): each page with the permission that shows it."""
from django.utils.translation import gettext_lazy as _

from qms.registry import MenuEntry

MENU = MenuEntry(label=_("客户"), icon="bi-people", order=10, children=[
    (_("客户列表"), "customers:list", "customers.view_customer"),
    (_("新建客户"), "customers:create", "customers.add_customer"),
    (_("客户池"), "customers:pool", "customers.view_pool"),
    (_("批量转移"), "customers:transfer", "customers.transfer_customer"),
    (_("回收站"), "customers:bin", "customers.view_customer"),
    (_("客户回访"), "customers:visits", "customers.view_visit"),
    (_("等级评定"), "customers:grading", "customers.confirm_grade"),
    (_("客户分析"), "customers:analysis", "customers.view_customer"),
])

# §2 the sales chain around contracts: opportunities, contracts and their changes, payments, special requirements,
# shipments and customer property
CONTRACT_MENU = MenuEntry(label=_("合同"), icon="bi-file-earmark-text", order=11, children=[
    (_("合同/订单"), "customers:contract_list", "customers.view_contract"),
    (_("新建合同/订单"), "customers:contract_create", "customers.add_contract"),
    (_("合同变更"), "customers:change_list", "customers.view_contractchange"),
    (_("商机"), "customers:opportunity_list", "customers.view_opportunity"),
    (_("销售漏斗"), "customers:opportunity_funnel", "customers.view_opportunity"),
    (_("回款计划"), "customers:instalment_list", "customers.view_paymentinstalment"),
    (_("回款记录"), "customers:payment_list", "customers.view_payment"),
    (_("应收款"), "customers:receivables", "customers.view_paymentinstalment"),
    (_("顾客特殊要求"), "customers:special_requirement_list", "customers.view_specialrequirement"),
    (_("发货与售后确认"), "customers:shipment_list", "customers.view_shipment"),
    (_("顾客财产"), "customers:property_list", "customers.view_customerproperty"),
])
