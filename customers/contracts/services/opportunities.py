"""Opportunities (商机, §2 "Opportunities and payments"): an opportunity per key account with its stage, expected
amount and close date; the stage pipeline (won and lost need a reason, lost is final); the customer form's
"同时创建商机" (seed 001); the funnel by stage and owner; what a contract won from an opportunity carries over.

Stage moves go through ``qms.workflow`` (the shared move view, the status log, the audit row); the other changes
are the ``do``-functions below, each one transaction with its audit context.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.contracts.models import OPEN_STAGES, STAGE_PROBABILITY, Opportunity, OpportunityStage
from customers.services.records import create_customer
from qms import Refused, audit, workflow
from qms.people import User, visible_to
from qms.workflow import Move, Workflow

S = OpportunityStage
CHANGE = "customers.change_opportunity"
EDITABLE_FIELDS = ("title", "expected_amount", "expected_close_on", "owner", "notes")


def _pipeline() -> dict:
    """Between the open stages an opportunity moves forward or back; from any of them it is won or lost (with a
    reason). Won and lost are final: a lost chance is a new opportunity if it comes back."""
    pipeline = {}
    for position, source in enumerate(OPEN_STAGES):
        targets = {}
        for other, target in enumerate(OPEN_STAGES):
            if other == position:
                continue
            if other > position:
                targets[target] = Move(format_lazy(_("推进至{stage}"), stage=target.label), perm=CHANGE)
            else:
                targets[target] = Move(format_lazy(_("退回至{stage}"), stage=target.label), perm=CHANGE,
                                       style="outline-secondary")
        targets[S.WON] = Move(_("赢单"), perm=CHANGE, reason=True, style="success")
        targets[S.LOST] = Move(_("输单"), perm=CHANGE, reason=True, style="outline-danger")
        pipeline[source] = targets
    return pipeline


PIPELINE = _pipeline()
WORKFLOW = workflow.register(Workflow(Opportunity, PIPELINE, status_field="stage",
                                      badges={S.LEAD: "secondary", S.NEEDS: "info", S.PROPOSAL: "primary",
                                              S.NEGOTIATION: "warning", S.WON: "success", S.LOST: "dark"}))


# --- create and edit ---------------------------------------------------------------------------------------
def _refuse_unless_open(opportunity: Opportunity) -> None:
    if not opportunity.is_open:
        raise Refused(gettext("商机已%(stage)s，不能再修改。") % {"stage": opportunity.get_stage_display()})


def _check_values(expected_amount, customer) -> None:
    if expected_amount is None or expected_amount < 0:
        raise Refused(gettext("预计金额不能为负数。"))
    if customer.owner_id is None:
        raise Refused(gettext("客户“%(name)s”在客户池中：请先领取客户，再创建商机。") % {"name": customer.name})


@transaction.atomic
def create_opportunity(*, by, customer, title: str, expected_amount: Decimal, expected_close_on: dt.date,
                       owner=None, stage: str = S.LEAD, notes: str = "") -> Opportunity:
    """A new opportunity of ``customer`` in an open stage; its owner defaults to the customer's owner."""
    _check_values(expected_amount, customer)
    if stage not in OPEN_STAGES:
        raise Refused(gettext("新商机只能处于进行中的阶段；赢单或输单请在商机页面上操作。"))
    now = timezone.now()
    with audit.context(user=by, reason=gettext("新建商机")):
        return Opportunity.objects.create(
            customer=customer, title=title.strip(), stage=stage, expected_amount=expected_amount,
            expected_close_on=expected_close_on, owner=owner or customer.owner, notes=notes, created_by=by,
            created_at=now, status_changed_at=now)


@transaction.atomic
def update_opportunity(opportunity: Opportunity, *, by, **values) -> Opportunity:
    """Edit an open opportunity's title, amount, close date, owner or notes (won and lost ones are closed)."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"update_opportunity does not change {sorted(unknown)}")
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    _refuse_unless_open(locked)
    if "expected_amount" in values and (values["expected_amount"] is None or values["expected_amount"] < 0):
        raise Refused(gettext("预计金额不能为负数。"))
    for name, value in values.items():
        setattr(opportunity, name, value)
    with audit.context(user=by, reason=gettext("修改商机")):
        opportunity.save(update_fields=[*values, "updated_at"])
    return opportunity


def create_customer_with_opportunity(*, by, opportunity: dict, owner=None, to_pool: bool = False, contacts=(),
                                     **customer_fields):
    """Seed 001 "同时创建商机": the customer (``customers.services.records.create_customer``) and its first
    opportunity in one transaction — either both are saved or neither. Returns ``(customer, opportunity)``."""
    if to_pool:
        raise Refused(gettext("放入客户池的客户没有负责人，不能同时创建商机。"))
    with transaction.atomic():
        customer = create_customer(by=by, owner=owner, to_pool=False, contacts=contacts, **customer_fields)
        created = create_opportunity(by=by, customer=customer, **opportunity)
    return customer, created


def contract_initial_from_opportunity(opportunity: Opportunity) -> dict:
    """What the contract create form starts from when a won opportunity is turned into a contract
    (``?opportunity=<id>``): the customer, title and owner, and the opportunity itself, which the contract keeps
    (``Contract.opportunity``). Only a won opportunity becomes a contract."""
    if opportunity.stage != S.WON:
        raise Refused(gettext("只有已赢单的商机可以转为合同（当前阶段：%(stage)s）。")
                      % {"stage": opportunity.get_stage_display()})
    return {"customer": opportunity.customer, "title": opportunity.title, "owner": opportunity.owner,
            "opportunity": opportunity}


def of_customer(user, customer):
    """The customer's opportunities ``user`` may see, newest first (the customer's 商机 tab)."""
    return (visible_to(user, Opportunity.objects.filter(customer=customer)).select_related("owner")
            .order_by("-created_at", "-id"))


# --- the funnel --------------------------------------------------------------------------------------------
@dataclass
class FunnelCell:
    label: str = ""  # the stage's
    count: int = 0
    amount: Decimal = Decimal("0")


@dataclass
class FunnelRow:
    stage: str
    label: str
    probability: int
    count: int = 0
    amount: Decimal = Decimal("0")
    width: int = 0  # the bar's width in % of the widest stage

    @property
    def weighted(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))


@dataclass
class FunnelOwner:
    owner: User
    cells: list = field(default_factory=list)  # FunnelCell per stage, in stage order
    count: int = 0
    amount: Decimal = Decimal("0")


@dataclass
class Funnel:
    stages: list
    owners: list
    open_count: int = 0
    open_amount: Decimal = Decimal("0")
    weighted_amount: Decimal = Decimal("0")
    won_amount: Decimal = Decimal("0")
    win_rate: Decimal | None = None  # won ÷ (won + lost), by count, in %


def funnel(user, *, owner=None, close_from: dt.date | None = None, close_to: dt.date | None = None) -> Funnel:
    """The opportunities ``user`` may see, by stage and by owner: count and expected amount of each, from ONE
    grouped query (plus one for the owners' names), whatever the number of opportunities."""
    queryset = visible_to(user, Opportunity.objects.all())
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if close_from:
        queryset = queryset.filter(expected_close_on__gte=close_from)
    if close_to:
        queryset = queryset.filter(expected_close_on__lte=close_to)
    groups = list(queryset.order_by().values_list("stage", "owner_id").annotate(n=Count("id"),
                                                                                 amount=Sum("expected_amount")))
    order = [value for value, _label in S.choices]
    rows = {value: FunnelRow(value, label, STAGE_PROBABILITY[value]) for value, label in S.choices}
    people = User.objects.in_bulk({owner_id for _stage, owner_id, _n, _amount in groups})
    owners: dict[int, FunnelOwner] = {}
    for stage, owner_id, count, amount in groups:
        amount = amount or Decimal("0")
        row = rows[stage]
        row.count += count
        row.amount += amount
        entry = owners.setdefault(owner_id, FunnelOwner(people[owner_id],
                                                                [FunnelCell(rows[value].label) for value in order]))
        cell = entry.cells[order.index(stage)]
        cell.count += count
        cell.amount += amount
        if stage in OPEN_STAGES:
            entry.count += count
            entry.amount += amount
    widest = max((row.amount for row in rows.values()), default=0) or 1
    for row in rows.values():
        row.width = int(row.amount * 100 / widest) if row.amount else 0
    stages = [rows[value] for value in order]
    open_rows = [rows[value] for value in OPEN_STAGES]
    won, lost = rows[S.WON], rows[S.LOST]
    closed = won.count + lost.count
    return Funnel(
        stages=stages,
        owners=sorted(owners.values(), key=lambda entry: (-entry.amount, entry.owner.display_name)),
        open_count=sum(row.count for row in open_rows),
        open_amount=sum((row.amount for row in open_rows), Decimal("0")),
        weighted_amount=sum((row.weighted for row in open_rows), Decimal("0")),
        won_amount=won.amount,
        win_rate=(Decimal(won.count * 100) / closed).quantize(Decimal("0.1")) if closed else None,
    )
