"""Who received a batch: answered by the app that can trace it, asked by those that must reach its customers.

    trace.register_recipients(production_recipients)      # (batches: list[str]) -> list[Recipient]
    trace.recipients_for(trace.split_batches("B-01、B-02"))  # [Recipient(customer_id=…, name=…, shipments=…)]

An advisory notice or an adverse event's recall (complaints, §3) proposes its recipients from the trace of its
batches (production, §6: material batch → lots → shipments → customers) without importing the app that traces,
which itself reads complaints; the user confirms the proposal. With nothing registered nobody is proposed.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s,，、;；]+")  # not "/": a heat number may hold one


@dataclass(frozen=True)
class Recipient:
    """A customer that received one of the batches, with the shipments (numbers) and batches that reached it."""

    customer_id: int
    name: str
    shipments: tuple[str, ...] = ()
    batches: tuple[str, ...] = ()


_tracers: list[Callable] = []


def register_recipients(tracer: Callable) -> None:
    """Declare ``tracer(batches) -> list[Recipient]``: the customers that received any of ``batches``."""
    if tracer not in _tracers:
        _tracers.append(tracer)


def split_batches(text: str) -> list[str]:
    """The batch numbers written in ``text`` ("B-01、B-02, B-03"), each once, in the order written."""
    seen: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        if part and part.upper() not in (s.upper() for s in seen):
            seen.append(part)
    return seen


def recipients_for(batches) -> list[Recipient]:
    """Every registered tracer's customers for ``batches``, one per customer (shipments and batches merged),
    ordered by name."""
    batches = [b for b in batches if b]
    if not batches:
        return []
    merged: dict[int, Recipient] = {}
    for tracer in _tracers:
        for found in tracer(batches):
            known = merged.get(found.customer_id)
            if known is None:
                merged[found.customer_id] = found
            else:
                merged[found.customer_id] = Recipient(
                    found.customer_id, known.name,
                    tuple(dict.fromkeys(known.shipments + found.shipments)),
                    tuple(dict.fromkeys(known.batches + found.batches)))
    return sorted(merged.values(), key=lambda r: (r.name, r.customer_id))
