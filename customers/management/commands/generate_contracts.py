"""Generate a large, plausible set of contracts with their lines (for benchmarks and load tests, never production).

    manage.py generate_contracts --contracts 50000 --lines 200000 [--years 3] [--no-audit]

The contracts belong to the existing customers (run ``generate_customers`` first), owned by the customer's owner
(a pool customer's contract by one of the salespeople), ordered over the last ``--years`` years and spread over
every state of §2 (about half registered, a quarter completed, the rest drafts, in review, awaiting approval,
approved, not accepted or cancelled); the registered and completed ones have a register number HT-<year>-G<n>
(a G series, apart from the portal's own numbering). Each contract has at least one line (products of a medical
consumables maker with specification, quantity, unit and price); its amount is the sum of its lines and its
delivery date the earliest of theirs.

Rows are streamed to PostgreSQL with COPY in batches (``--batch-size`` contracts), inside an audit context (the
reason "生成模拟合同数据"); ``--no-audit`` skips the audit events (for throwaway benchmark databases only). Columns
the generator does not know (added by later work on contracts) get their model default.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import time
from decimal import Decimal

import pgtrigger
from django.core.management.base import BaseCommand, CommandError
from django.db.models import NOT_PROVIDED
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.contracts.models import Contract, ContractClass, ContractLine, ContractStatus, OrderForm
from customers.generation import copy_rows, new_pks
from customers.models import Customer
from qms import audit
from qms.people import Role, User

S = ContractStatus
STATUS_WEIGHTS = [(S.REGISTERED, 50), (S.COMPLETED, 25), (S.DRAFT, 8), (S.IN_REVIEW, 6), (S.AWAITING_APPROVAL, 3),
                  (S.APPROVED, 2), (S.REJECTED, 2), (S.CANCELLED, 4)]
NUMBERED = {S.REGISTERED, S.COMPLETED}
PRODUCTS = [("一次性使用输液器", ["20 滴/ml", "60 滴/ml", "带针"], "套", "2.80"),
            ("一次性使用注射器", ["1 ml", "5 ml", "10 ml", "20 ml"], "支", "0.60"),
            ("医用胶带", ["1.25 cm × 9.1 m", "2.5 cm × 9.1 m"], "卷", "3.50"),
            ("医用脱脂纱布", ["8 cm × 10 cm", "10 cm × 10 cm"], "包", "4.20"),
            ("一次性医用口罩", ["平面型", "耳挂式"], "只", "0.35"),
            ("医用外科手套", ["6.5 号", "7 号", "7.5 号"], "副", "1.10"),
            ("静脉留置针", ["22G", "24G"], "支", "6.50"),
            ("三通阀", ["标准型"], "个", "1.80"),
            ("延长管", ["30 cm", "150 cm"], "根", "2.20"),
            ("输液贴", ["4 cm × 6 cm"], "片", "0.25")]
TITLES = ["年度框架合同", "季度采购订单", "补充订单", "样品订单", "招标项目合同", "备货订单", "紧急补货订单"]
PAYMENT_TERMS = ["货到 30 天付款", "预付 30%，发货前付清", "月结 60 天", "款到发货", "验收合格后 90 天付款"]
ADDRESSES = ["客户仓库", "客户工厂收货处", "指定物流中转仓", "医院库房"]


class Command(BaseCommand):
    help = _("生成大量模拟合同及明细数据，用于性能测试。")

    def add_arguments(self, parser):
        parser.add_argument("--contracts", type=int, default=1000)
        parser.add_argument("--lines", type=int, default=None, help=_("默认：合同数 × 4"))
        parser.add_argument("--years", type=float, default=3.0, help=_("下单日期分布的年数"))
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-audit", action="store_true",
                            help=_("不写审计记录（仅用于一次性的性能测试数据库）"))

    def handle(self, *args, **options):
        n = options["contracts"]
        lines = n * 4 if options["lines"] is None else options["lines"]
        if n < 1 or lines < n:
            raise CommandError(_("合同数至少为 1，明细行数不能少于合同数。"))
        customers = list(Customer.objects.values_list("pk", "owner_id"))
        if not customers:
            raise CommandError(_("没有客户：请先运行 generate_customers。"))
        sales = list(User.objects.filter(groups__name=Role.SALES, is_active=True).values_list("pk", flat=True))
        if not sales:
            raise CommandError(_("没有销售人员。"))
        self.rng = random.Random(options["seed"])
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.days = max(1, int(365 * options["years"]))
        self.serial = Contract.objects.filter(number__contains="-G").count()
        batch = max(100, options["batch_size"])
        per_contract = _spread(self.rng, lines, n)
        skip_audit = pgtrigger.ignore(*_audit_triggers()) if options["no_audit"] else contextlib.nullcontext()
        started = time.perf_counter()
        made = made_lines = 0
        with audit.context(reason=_("生成模拟合同数据")), skip_audit:
            for start in range(0, n, batch):
                counts = per_contract[start:start + batch]
                contracts, contract_lines = self.build(counts, customers, sales)
                copy_rows(Contract, contracts)
                copy_rows(ContractLine, contract_lines)
                made += len(contracts)
                made_lines += len(contract_lines)
        seconds = time.perf_counter() - started
        self.stdout.write(_("完成：%(n)d 份合同，%(lines)d 行明细，共 %(s).1f 秒（%(rate).0f 行/秒）。") % {
            "n": made, "lines": made_lines, "s": seconds, "rate": (made + made_lines) / seconds if seconds else 0})

    def build(self, counts: list[int], customers, sales) -> tuple[list[dict], list[dict]]:
        rng = self.rng
        pks = new_pks(Contract, len(counts))
        line_pks = iter(new_pks(ContractLine, sum(counts)))
        contracts, lines = [], []
        statuses = [s for s, _w in STATUS_WEIGHTS]
        weights = [w for _s, w in STATUS_WEIGHTS]
        for pk, count in zip(pks, counts):
            customer, owner = rng.choice(customers)
            owner = owner or rng.choice(sales)
            ordered_on = self.today - dt.timedelta(days=rng.randrange(self.days))
            created_at = timezone.make_aware(dt.datetime.combine(ordered_on, dt.time(9))) + dt.timedelta(
                minutes=rng.randrange(600))
            status = rng.choices(statuses, weights)[0]
            number = ""
            if status in NUMBERED:
                self.serial += 1
                number = f"HT-{ordered_on.year}-G{self.serial:06d}"
            total = Decimal("0")
            first_delivery = None
            for line_no in range(1, count + 1):
                product, specs, unit, price = rng.choice(PRODUCTS)
                quantity = Decimal(rng.choice([100, 200, 500, 1000, 2000, 5000, 10000]))
                unit_price = (Decimal(price) * Decimal(rng.randint(85, 120)) / 100).quantize(Decimal("0.01"))
                delivery = ordered_on + dt.timedelta(days=rng.randint(7, 60))
                first_delivery = min(first_delivery or delivery, delivery)
                amount = quantity * unit_price
                total += amount
                new = rng.random() < 0.03
                lines.append(_complete(ContractLine, {
                    "id": next(line_pks), "contract_id": pk, "line_no": line_no, "product": product,
                    "specification": rng.choice(specs), "quantity": quantity, "unit": unit, "unit_price": unit_price,
                    "amount": amount, "delivery_date": delivery, "is_standard_product": not new,
                    "is_new_product": new}))
            special = rng.random() < 0.15
            registered = status in NUMBERED
            changed = created_at + dt.timedelta(days=rng.randint(0, 5))
            contracts.append(_complete(Contract, {
                "id": pk, "number": number, "customer_id": customer, "title": f"{ordered_on.year} 年{rng.choice(TITLES)}",
                "customer_reference": f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.6 else "",
                "order_form": rng.choice([OrderForm.WRITTEN] * 6 + [OrderForm.EMAIL, OrderForm.FAX, OrderForm.PHONE]),
                "ordered_on": ordered_on, "delivery_date": first_delivery,
                "delivery_address": rng.choice(ADDRESSES), "payment_terms": rng.choice(PAYMENT_TERMS),
                "total_amount": total, "contract_class": ContractClass.SPECIAL if special else ContractClass.REGULAR,
                "class_reasons": json.dumps([_("新产品")] if special else [], ensure_ascii=False),
                "owner_id": owner, "created_by_id": owner, "created_at": created_at, "status": status,
                "status_changed_at": changed, "updated_at": changed,
                "registered_at": changed if registered else None, "registered_by_id": owner if registered else None,
            }))
        return contracts, lines


def _complete(model, row: dict) -> dict:
    """``row`` with every other concrete column at its model default (JSON as text for COPY)."""
    for field in model._meta.concrete_fields:
        if field.attname in row:
            continue
        if field.default is not NOT_PROVIDED:
            value = field.get_default()
        elif field.null:
            value = None
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now()
        else:
            value = ""
        if isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        row[field.attname] = value
    return row


def _spread(rng: random.Random, total: int, n: int) -> list[int]:
    """``total`` lines over ``n`` contracts, each at least one, a few contracts with many."""
    counts = [1] * n
    for index in rng.choices(range(n), [rng.random() ** 2 + 0.05 for _ in range(n)], k=total - n):
        counts[index] += 1
    return counts


def _audit_triggers() -> list[str]:
    """The audit (pghistory) triggers of the tables written here, as pgtrigger URIs."""
    return [f"{model._meta.label}:{trigger.name}"
            for model in (Contract, ContractLine)
            for trigger in getattr(model._meta, "triggers", []) if audit.is_tracked(model)
            and trigger.name.startswith(("insert", "update", "delete"))]
