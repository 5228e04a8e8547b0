"""What holds a contract's production back, as the core's hold registry (``qms.blocks.holds``) answers it: an unmet
special requirement, an open change that blocks the product… declared by the apps that know them. Production
reads them here only, without importing those apps."""
from __future__ import annotations

from qms import blocks


def contract_holds(contract_id) -> list[str]:
    """Why production of contract ``contract_id`` may not go ahead now (empty: it may, or no contract)."""
    if not contract_id:
        return []
    holds = getattr(blocks, "holds", None)
    if holds is None:  # the core's hold registry is not there yet: nothing is declared that could hold
        return []
    return [str(reason) for reason in holds("customers.Contract", contract_id, "production")]


def product_holds(process_card_id) -> list[str]:
    """Why the product made on process card ``process_card_id`` may not move on now: e.g. a change not yet
    confirmed by the MR (change control, §7), declared by the app that knows it."""
    if not process_card_id:
        return []
    return [str(reason) for reason in blocks.holds("production.ProcessCard", process_card_id, "production")]
