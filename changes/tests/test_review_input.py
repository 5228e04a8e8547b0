"""Change control's figures in the management review's input pack match the change register for the period."""
import datetime as dt

import pytest
from django.utils import timezone

from changes import review
from changes.models import ChangeRequest, ChangeStatus
from changes.services import implementation
from changes.tests import factories
from qms.review_inputs import collect

pytestmark = pytest.mark.django_db


def test_the_periods_changes_open_ones_and_slips_are_counted(people):
    slipping = factories.to_implementing(people, factories.change(people))
    task = factories.tasks(people, slipping)[0]
    implementation.report_slip(task, task.responsible, reason="模具推迟",
                               new_date=timezone.localdate(implementation.due_of(task)) + dt.timedelta(days=10))
    factories.change(people)  # a draft: open too
    earlier = factories.change(people)
    ChangeRequest.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - dt.timedelta(days=400),
                                                       status=ChangeStatus.CANCELLED)
    today = timezone.localdate()
    section = review.figures(today - dt.timedelta(days=30), today)
    figures = {f.label: (f.value, f.note) for f in section.figures}
    assert figures["期间提出的变更"][0] == 2  # the one cancelled last year is outside the period
    assert figures["期末未关闭的变更"] == (2, "")
    assert figures["实施延期"] == (1, "涉及 1 项变更")
    assert sum(section.charts[0].series[0][1]) == 2  # by kind, every kind on the axis
    # it is in the pack under the key the review's input plan reads (适宜性: changes)
    assert [s.key for s in collect(today - dt.timedelta(days=30), today, keys={"changes"})] == ["changes"]
