"""What holds a record's moves back, declared by whichever app knows the reason.

    blocks.register_block(blocked=Application, targets=(S.ACCEPTANCE, S.REFUND_APPROVAL),
                          reason=open_violations_reason)

``reason(record) -> str | list[str] | None``. ``blocked`` is the model or its ``"app_label.Model"`` label, so an
app can hold back the moves of another app's records (an unmet special requirement of a contract holds back the
release of a production order) without importing it. ``qms.workflow.refusal`` refuses a move with every reason
that holds it — the guard's and every block's — so the user sees all that is in the way at once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    blocked: str  # "app_label.modelname", lower case
    reason: Callable
    targets: tuple | None = None  # the target states it holds back (None: every move)


_blocks: list[Block] = []


def _label(model_or_label) -> str:
    if isinstance(model_or_label, str):
        return model_or_label.lower()
    return model_or_label._meta.label_lower


def register_block(*, blocked, reason: Callable, targets=None) -> Block:
    """Declare that ``reason(record)`` may hold back moves of ``blocked`` records (to ``targets``, or any)."""
    block = Block(_label(blocked), reason, tuple(str(t) for t in targets) if targets is not None else None)
    if block not in _blocks:
        _blocks.append(block)
    return block


def block_reasons(record, to) -> list[str]:
    """Every declared reason that holds back the move of ``record`` to ``to`` now (empty: nothing in the way)."""
    label = type(record)._meta.label_lower
    reasons: list[str] = []
    for block in _blocks:
        if block.blocked != label or (block.targets is not None and str(to) not in block.targets):
            continue
        found = block.reason(record)
        if not found:
            continue
        for text in [found] if isinstance(found, str) or not isinstance(found, (list, tuple)) else found:
            if text and str(text) not in reasons:
                reasons.append(str(text))
    return reasons
