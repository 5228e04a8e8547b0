"""The editable lists of PROCEDURES.md §1, with their initial entries (administrators change them later)."""
from __future__ import annotations

from customers.models import CustomerOption, OptionKind

DEFAULTS = {
    OptionKind.INDUSTRY: ["教育/培训", "电子商务", "对外贸易", "制造业", "物业/地产", "其他"],
    OptionKind.SOURCE: ["电话营销", "网络营销", "客户介绍", "展会", "其他"],
    OptionKind.NATURE: ["合资", "国企", "事业单位", "民营", "外资", "其他"],
    OptionKind.REVENUE: ["0-10万", "10-20万", "20-50万", "50万以上"],
    OptionKind.EMPLOYEES: ["5-20人", "20-50人", "50人以上"],
    OptionKind.STATUS: ["潜在客户", "意向客户", "合作中", "暂停合作", "流失"],
}


def ensure_default_options(**kwargs) -> None:
    """Fill each list that is still empty (idempotent; connected to post_migrate)."""
    present = set(CustomerOption.objects.values_list("kind", flat=True).distinct())
    CustomerOption.objects.bulk_create([
        CustomerOption(kind=kind, label=label, order=index)
        for kind, labels in DEFAULTS.items() if kind not in present
        for index, label in enumerate(labels)
    ])


def options(kind: str):
    return CustomerOption.objects.filter(kind=kind, is_active=True).order_by("order", "id")
