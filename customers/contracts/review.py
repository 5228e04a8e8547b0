"""Contracts' part of the management review's input pack (PROCEDURES.md §2, §5 inputs: customer requirements;
registered in ``CustomersConfig.ready``): the contract reviews concluded in the period by route, the orders not
accepted, and the customers' special requirements captured in the period and still unmet at the review."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from customers.contracts.fulfilment_models import RequirementKind, RequirementStatus, SpecialRequirement
from customers.contracts.models import Contract, ContractStatus, ReviewRoute
from qms.registry import ReviewFigure
from qms.review_inputs import ReviewSection, bar, bounds

UNMET = (RequirementStatus.CAPTURED, RequirementStatus.COMMUNICATED)


def contract_figures(start: dt.date, end: dt.date) -> ReviewSection:
    since, until = bounds(start, end)
    approved = dict(Contract.objects.filter(approved_at__gte=since, approved_at__lt=until).order_by()
                    .values_list("review_route").annotate(n=Count("pk")))
    rejected = Contract.objects.filter(status=ContractStatus.REJECTED, status_changed_at__gte=since,
                                       status_changed_at__lt=until).count()
    requirements = SpecialRequirement.objects.order_by().aggregate(
        captured=Count("pk", filter=Q(captured_at__gte=since, captured_at__lt=until)),
        unmet=Count("pk", filter=Q(status__in=UNMET, captured_at__lt=until)),
        verified=Count("pk", filter=Q(status=RequirementStatus.VERIFIED, captured_at__gte=since,
                                      captured_at__lt=until)))
    unmet_by_kind = dict(SpecialRequirement.objects.filter(status__in=UNMET, captured_at__lt=until).order_by()
                         .values_list("kind").annotate(n=Count("pk")))
    held = sum(approved.values()) + rejected
    figures = [ReviewFigure(_("合同评审"), held, _("批准 %(approved)d，未接受 %(rejected)d") % {
        "approved": sum(approved.values()), "rejected": rejected})]
    for route, label in ReviewRoute.choices:
        if approved.get(route):
            figures.append(ReviewFigure(_("评审路线：%(label)s") % {"label": label}, approved[route]))
    figures += [
        ReviewFigure(_("新登记特殊要求"), requirements["captured"],
                     _("期内已验证满足 %(n)d") % {"n": requirements["verified"]}),
        ReviewFigure(_("未满足的特殊要求"), requirements["unmet"], _("待管代审核或已传递未验证")),
    ]
    charts = [bar(_("未满足的特殊要求（按类别）"), [label for _k, label in RequirementKind.choices],
                  (_("数量"), [unmet_by_kind.get(kind, 0) for kind, _l in RequirementKind.choices]))]
    return ReviewSection(figures, charts)
