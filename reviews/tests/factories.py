"""Building management reviews in tests through the real services."""
import datetime as dt

from django.utils import timezone

from qms.demo import DEMO_PASSWORD
from qms.workflow import perform
from reviews.models import InputStatus, ReviewStatus, Trigger
from reviews.services import plans


def meeting_in(days: int) -> dt.datetime:
    return (timezone.localtime() + dt.timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)


def planned(people, *, days=30, **fields):
    fields.setdefault("period_start", dt.date(2026, 1, 1))
    fields.setdefault("period_end", dt.date(2026, 11, 30))
    return plans.call_extra_review(people["gm"], trigger=fields.pop("trigger", Trigger.COMPLAINT),
                                   trigger_note="重大投诉", meeting_at=meeting_in(days), **fields)


def issued(people, review=None, **kwargs):
    review = review or planned(people, **kwargs)
    perform(review, ReviewStatus.AWAITING_APPROVAL, people["mr"])
    perform(review, ReviewStatus.ISSUED, people["gm"], password=DEMO_PASSWORD, comment="同意")
    review.refresh_from_db()
    return review


def submit_all(review, text="本期情况正常。"):
    for report in review.input_reports.select_related("responsible"):
        plans.save_text(report, report.responsible, text=text)
        perform(report, InputStatus.SUBMITTED, report.responsible)
