"""Reads of change control: the register's queryset with what its columns show, in a fixed number of queries."""
from django.db.models import Count, Q

from qms import deadlines
from changes.models import ChangeRequest


def change_list_queryset():
    return (ChangeRequest.objects.select_related("requesting_department", "created_by", "coordinator")
            .annotate(open_tasks=Count("tasks", filter=Q(tasks__status="open"), distinct=True)))


def change_detail_queryset():
    return ChangeRequest.objects.select_related("requesting_department", "created_by", "coordinator",
                                                "contract_change__contract")


def open_spec_due(queryset):
    return deadlines.with_open_due(queryset, "change_spec_issue", name="spec_due_at")
