"""Querysets of the complaint pages: every list starts from one of these (visibility is applied by the views).
Due times and overdue flags are read from the complaints' deadline rows (qms.deadlines)."""
from complaints.models import Clock, Complaint
from qms.deadlines import overdue_q, with_open_due, with_overdue_flag


def overdue_clock_exists():
    """Exists: one of the complaint's clocks is open past its due time."""
    return overdue_q(Complaint, *Clock.values)


def complaint_list_queryset():
    """``next_due``: the earliest due time among the complaint's open deadlines; ``has_overdue``: one of its
    clocks is open past its due time."""
    queryset = Complaint.objects.select_related("customer", "responsible", "responsible_department", "received_by")
    return with_overdue_flag(with_open_due(queryset, name="next_due"), *Clock.values, name="has_overdue")


def complaint_detail_queryset():
    return Complaint.objects.select_related("customer__owner", "responsible__department", "responsible_department",
                                            "received_by__department")
