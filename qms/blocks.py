"""What holds a record's moves back, declared by whichever app knows the reason.

    blocks.register_block(blocked=Application, targets=(S.ACCEPTANCE, S.REFUND_APPROVAL),
                          reason=open_violations_reason)

``reason(record) -> str | list[str] | None``. ``blocked`` is the model or its ``"app_label.Model"`` label, so an
app can hold back the moves of another app's records (an unmet special requirement of a contract holds back the
release of a production order) without importing it. ``qms.workflow.refusal`` refuses a move with every reason
that holds it — the guard's and every block's — so the user sees all that is in the way at once.

Holds: what an activity on a record may not go ahead for, asked by the record's label and id
    blocks.register_hold(subject="customers.Contract", activities=("production", "delivery"),
                         reason=unmet_special_requirements)           # (pk, activity) -> str | list[str] | None
    blocks.holds("customers.Contract", contract_id, "production")  # ["顾客特殊要求 TY-… 尚未验证满足：…"]
so that an app that knows nothing of the subject's model (production/ asking whether a contract may be produced)
can refuse with the reasons, e.g. from a ``register_block`` of its own: ``reason=lambda order: blocks.holds(
"customers.Contract", order.contract_id, "production")``.
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


# --- holds: "may activity X go ahead on record Y, and if not why", by label and id ---------------------------
@dataclass(frozen=True)
class Hold:
    subject: str  # "app_label.modelname", lower case
    reason: Callable  # (pk, activity) -> str | list[str] | None
    activities: tuple | None = None  # the activities it holds back (None: every one)


_holds: list[Hold] = []


def register_hold(*, subject, reason: Callable, activities=None) -> Hold:
    """Declare that ``reason(pk, activity)`` may hold back ``activities`` (or any) of ``subject`` records."""
    hold = Hold(_label(subject), reason, tuple(str(a) for a in activities) if activities is not None else None)
    if hold not in _holds:
        _holds.append(hold)
    return hold


def holds(subject, pk, activity: str) -> list[str]:
    """Every declared reason why ``activity`` may not go ahead on the ``subject`` record ``pk`` now (empty: it
    may). ``subject`` is the model or its ``"app_label.Model"`` label."""
    label = _label(subject)
    reasons: list[str] = []
    if pk is None:
        return reasons
    for hold in _holds:
        if hold.subject != label or (hold.activities is not None and str(activity) not in hold.activities):
            continue
        found = hold.reason(pk, str(activity))
        if not found:
            continue
        for text in [found] if isinstance(found, str) or not isinstance(found, (list, tuple)) else found:
            if text and str(text) not in reasons:
                reasons.append(str(text))
    return reasons


def is_held(subject, pk, activity: str) -> bool:
    return bool(holds(subject, pk, activity))
