"""The 管理评审 entry of the navigation (registered by ``ReviewsConfig.ready()``)."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms.registry import MenuEntry

REVIEWS_MENU = MenuEntry(label=pgettext_lazy("menu", "管理评审"), icon="bi-clipboard-data", order=85, children=[
    (_("管理评审"), "reviews:list", "reviews.view_review"),
    (_("年度视图"), "reviews:year", "reviews.view_review"),
    (_("评审输入报告"), "reviews:input_list", "reviews.view_inputreport"),
    (_("评审输出"), "reviews:output_list", "reviews.view_reviewoutput"),
    (_("评审输入数据包"), "reviews:pack", "reviews.view_pack"),
    (_("提出追加管理评审"), "reviews:extra", "reviews.call_review"),
])
