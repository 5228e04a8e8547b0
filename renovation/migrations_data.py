"""Data shared by the fee-items migration and the post-migrate check (kept free of model imports)."""
from decimal import Decimal

# code, name, payer, amount, deposit, per worker, required before the permit, order (seed 5.2.4)
DEFAULT_FEE_ITEMS = [
    ("owner_deposit", "业主装修押金", "owner", Decimal("2000.00"), True, False, True, 10),
    ("garbage_fee", "装修垃圾清运费", "owner", Decimal("300.00"), False, False, True, 20),
    ("contractor_deposit", "施工单位装修押金", "contractor", Decimal("3000.00"), True, False, True, 30),
    ("worker_pass_fee", "施工人员证件工本费", "contractor", Decimal("20.00"), False, True, False, 40),
    ("pass_deposit", "施工出入证押金", "contractor", Decimal("50.00"), True, True, False, 50),
    # billed to the owner at the refund when the claims exceed both deposits (not charged before the permit)
    ("owner_compensation", "业主补缴赔偿款", "owner", Decimal("0.00"), False, False, False, 90),
]
