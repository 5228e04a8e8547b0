"""Business rules of complaints and feedback, one module per concern."""

import dataclasses

from qms.deadlines import DeadlineRule


def worded(rule: DeadlineRule, title: str, **changes) -> DeadlineRule:
    """``rule`` opening its deadline under ``title``, already worded for this record (what it names — the event's
    consequence and product, a collector's count of customers — is more than the rule's ``{record}``); ``changes``
    e.g. ``kind`` for one deadline per collector. Same due, reminders and escalation as ``rule``."""
    return dataclasses.replace(rule, title=title.replace("{", "{{").replace("}", "}}"), **changes)
