"""Demo contracts in every state of the review and the register (PROCEDURES.md §2), for the demo customers of
``customers.demo.seed_customers``; idempotent (nothing is added when the first demo contract exists).

- 草稿: a regular written order, and a phone order still waiting for its written confirmation (the move to review
  is shown refused with the reason);
- 评审中: a special contract (new product, over capacity) with engineering and quality agreed, production
  disagreeing with a countermeasure, purchasing and sales still to answer (their clocks run);
- 待批准: a regular contract without stock, countersigned by PMC, purchasing and sales, for the sales VP;
- 已批准, 已登记 (original with finance, not yet received), 已完成 (received), 未接受 and 已取消;
- contract changes in every state: a delivery date moved 3 days by phone record (已生效), a change of payment
  terms we refused, one cancelled, one moved 20 days in re-review waiting for the customer's confirmation, a draft.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from customers.contracts.models import ChangeSource, ChangeStatus, Contract, ContractStatus, OrderForm
from customers.contracts.services import capture
from customers.contracts.services import change as change_service
from customers.contracts.services import review as service
from customers.models import Customer
from qms import attachments, countersign, workflow
from qms.countersign import Verdict
from qms.demo import DEMO_PASSWORD
from qms.people import Role

S = ContractStatus
FIRST_TITLE = "演示：一次性输液器季度订单"


def _line(product, quantity, price, *, standard=True, new=False, spec="标准型"):
    return {"product": product, "specification": spec, "quantity": Decimal(quantity), "unit": "支",
            "unit_price": Decimal(price), "delivery_date": None, "is_standard_product": standard,
            "is_new_product": new}


def _draft(owner, customer, title, lines, **fields):
    today = timezone.localdate()
    values = {"order_form": OrderForm.WRITTEN, "delivery_date": today + dt.timedelta(days=45),
              "packaging": "纸箱包装，每箱 500 支，外箱标注批号", "payment_terms": "货到验收合格后 30 天内付款",
              "margin_percent": Decimal("26"), "in_stock": False,
              "stated_requirements": "符合 GB 8368 及产品注册技术要求；随货附出厂检验报告",
              "statutory_requirements": "医疗器械经营许可证在有效期内；标签符合《医疗器械说明书和标签管理规定》"}
    values.update(fields)
    return capture.save_draft(Contract(customer=customer, owner=owner, title=title, **values), lines, by=owner)


def _answer(contract, verdicts: dict):
    for opinion in countersign.missing(contract):
        verdict = verdicts.get(opinion.party)
        if verdict is None:
            continue
        text, solution = {Verdict.AGREE: ("可以满足", ""),
                          Verdict.CONDITIONAL: ("需增加一项出厂检验", "外送第三方检测"),
                          Verdict.DISAGREE: ("本月产能已排满，交期内无法完成", "加开夜班或分两批交货")}[verdict]
        countersign.give_opinion(opinion, opinion.responsible, verdict=verdict, text=text, solution=solution,
                                 password=DEMO_PASSWORD)


def _agree_all(contract):
    _answer(contract, {opinion.party: Verdict.AGREE for opinion in countersign.missing(contract)})


def _approved_regular_in_stock(owner, customer, title):
    contract = _draft(owner, customer, title, [_line("一次性使用输液器", 2000, "3.20")], in_stock=True)
    workflow.perform(contract, S.IN_REVIEW, owner)
    _agree_all(contract)
    workflow.perform(contract, S.APPROVED, owner)
    return contract


@transaction.atomic
def seed_contracts(users, stdout):
    if Contract.objects.filter(title=FIRST_TITLE).exists():
        return
    sales, sales2 = users["sales"], users["sales2"]
    customers = list(Customer.objects.filter(owner__in=[sales, sales2]).select_related("owner").order_by("pk")[:8])
    if len(customers) < 4:
        return
    mine = [c for c in customers if c.owner_id == sales.pk] or customers
    theirs = [c for c in customers if c.owner_id == sales2.pk] or customers

    _draft(sales, mine[0], FIRST_TITLE, [_line("一次性使用输液器", 5000, "3.20"), _line("一次性使用注射器", 3000, "0.85",
                                                                              spec="5ml")], in_stock=True)
    _draft(sales2, theirs[0], "演示：电话订单（待书面确认）", [_line("医用外科口罩", 20000, "0.45")],
           order_form=OrderForm.PHONE, in_stock=True)

    special = _draft(sales, mine[1 % len(mine)], "演示：新型防针刺留置针首单",
                     [_line("防针刺静脉留置针", 50000, "6.80", standard=False, new=True, spec="22G")],
                     order_form=OrderForm.ORAL, within_capacity=False)
    attachments.attach(special, ContentFile(b"%PDF-1.4\n% demo written confirmation\n%%EOF\n",
                                            name="客户确认邮件.pdf"), by=sales, description="顾客书面确认（邮件）")
    workflow.perform(special, S.IN_REVIEW, sales)
    _answer(special, {Role.ENGINEERING: Verdict.AGREE, Role.QUALITY: Verdict.CONDITIONAL,
                      Role.PRODUCTION: Verdict.DISAGREE})

    awaiting = _draft(sales2, theirs[1 % len(theirs)], "演示：无库存常规订单（待销售副总批准）",
                      [_line("一次性使用输液器", 30000, "3.10")])
    workflow.perform(awaiting, S.IN_REVIEW, sales2)
    _agree_all(awaiting)
    workflow.perform(awaiting, S.AWAITING_APPROVAL, sales2)

    _approved_regular_in_stock(sales, mine[2 % len(mine)], "演示：现货订单（已批准待登记）")

    registered = _approved_regular_in_stock(sales, mine[3 % len(mine)], "演示：现货订单（已登记，原件已交财务）")
    workflow.perform(registered, S.REGISTERED, sales)
    registered.refresh_from_db()
    service.hand_original_to_finance(registered, sales)

    completed = _approved_regular_in_stock(sales2, theirs[2 % len(theirs)], "演示：已履行完毕的订单")
    workflow.perform(completed, S.REGISTERED, sales2)
    completed.refresh_from_db()
    service.hand_original_to_finance(completed, sales2)
    service.confirm_finance_receipt(completed, users["finance"])
    workflow.perform(completed, S.COMPLETED, sales2)

    rejected = _draft(sales, mine[0], "演示：超出技术要求的订单（未接受）", [_line("定制导管", 800, "45.00", standard=False)],
                      over_technical_requirements=True)
    workflow.perform(rejected, S.IN_REVIEW, sales)
    _answer(rejected, {Role.ENGINEERING: Verdict.DISAGREE})
    workflow.perform(rejected, S.REJECTED, sales, reason="客户要求的导管材质我司无法提供，已与客户沟通不接单")

    cancelled = _draft(sales2, theirs[0], "演示：客户撤回的订单", [_line("医用外科口罩", 5000, "0.45")], in_stock=True)
    workflow.perform(cancelled, S.CANCELLED, sales2, reason="客户撤回订单")
    _seed_changes(sales, users, registered, approved_contract=Contract.objects.get(title="演示：现货订单（已批准待登记）"),
                  spare=_approved_regular_in_stock(sales, mine[1 % len(mine)], "演示：现货订单（有待提交的变更）"))
    stdout.write(f"合同/订单：{Contract.objects.count()} 份演示合同\n")


def _seed_changes(sales, users, registered, *, approved_contract, spare):
    C = ChangeStatus
    raise_change = change_service.raise_change
    phone = raise_change(registered, sales, source=ChangeSource.CUSTOMER, description="客户仓库盘点，交货顺延 3 天",
                         new_delivery_date=registered.delivery_date + dt.timedelta(days=3))
    workflow.perform(phone, C.EFFECTIVE, sales, password=DEMO_PASSWORD,
                     values={"phone_record": "与客户采购王建国电话确认：交货顺延 3 天，其余不变"})
    registered.refresh_from_db()
    refused = raise_change(registered, sales, source=ChangeSource.CUSTOMER, description="客户要求改为货到 90 天付款",
                           new_payment_terms="货到验收合格后 90 天内付款", affected_parties=[Role.FINANCE])
    workflow.perform(refused, C.IN_REVIEW, sales)
    _answer(refused, {Role.FINANCE: Verdict.DISAGREE})
    workflow.perform(refused, C.REJECTED, sales, reason="账期超出公司信用政策，已与客户沟通维持原付款条件")

    withdrawn = raise_change(approved_contract, sales, source=ChangeSource.OURS, description="改用托盘包装",
                             new_packaging="托盘包装，缠绕膜固定", affected_parties=[Role.PRODUCTION])
    workflow.perform(withdrawn, C.CANCELLED, sales, reason="客户仓库无叉车，维持纸箱包装")
    later = raise_change(approved_contract, sales, source=ChangeSource.CUSTOMER, description="客户要求整单推迟 20 天交货",
                         new_delivery_date=approved_contract.delivery_date + dt.timedelta(days=20),
                         affected_parties=[Role.PMC, Role.PRODUCTION])
    workflow.perform(later, C.IN_REVIEW, sales)
    _answer(later, {Role.PMC: Verdict.AGREE})

    raise_change(spare, sales, source=ChangeSource.CUSTOMER, description="客户希望增加外箱唛头",
                 new_packaging="纸箱包装，外箱加印客户唛头", affected_parties=[Role.PRODUCTION])
