"""The querysets of the production pages (who sees what is declared in ``production/rules.py``)."""
from django.db.models import Count

from production.models import IsolationEntry, Lot, ProcessCard, TaskOrder


def card_list_queryset():
    return ProcessCard.objects.annotate(step_count=Count("steps", distinct=True))


def order_list_queryset():
    return TaskOrder.objects.select_related("process_card", "contract", "contract_line", "created_by")


def lot_list_queryset():
    return Lot.objects.select_related("task_order", "task_order__contract", "current")


def isolation_list_queryset():
    return IsolationEntry.objects.select_related("lot", "lot__task_order", "operation", "placed_by", "reviewed_by",
                                                 "reworked_by", "reinspected_by")
