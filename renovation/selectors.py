"""The querysets of the renovation pages (who sees what is declared in ``renovation/rules.py``)."""
from django.db.models import Count

from renovation.models import Application, Unit, Violation


def unit_list_queryset():
    return Unit.objects.select_related("building__project").annotate(
        renovation_count=Count("applications", distinct=True)).order_by("building__project__name", "building__name",
                                                                        "number")


def application_list_queryset():
    return Application.objects.select_related("unit__building__project", "received_by")


def violation_list_queryset():
    return Violation.objects.select_related("application__unit__building__project", "found_by")
