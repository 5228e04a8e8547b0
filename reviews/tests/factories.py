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


def distributed(people, **kwargs):
    review = issued(people, **kwargs)
    submit_all(review)
    perform(review, ReviewStatus.PACK_DISTRIBUTED, people["mr"])
    review.refresh_from_db()
    return review


def meeting_held(people, **kwargs):
    review = distributed(people, **kwargs)
    plans.record_meeting(review, people["mr"], present=[people["gm"], people["mr"], people["quality"]],
                         apologies=[people["hr"]], conclusion="体系总体适宜、充分、有效。",
                         notes={"feedback": "重大投诉已处理，需加强来料检验。"})
    perform(review, ReviewStatus.MEETING_HELD, people["mr"])
    return review


def reported(people, **kwargs):
    """Through the meeting to the GM's approval of the report, with one output in section a)."""
    review = meeting_held(people, **kwargs)
    plans.write_report(review, people["mr"], result_system="完善来料检验流程", result_product="改进输液器滴斗",
                       result_resources="增加一台拉力试验机", result_market="无")
    plans.add_output(review, people["mr"], section="system", title="完善来料检验流程",
                     description="修订来料检验规程，增加滴斗应力检验；品质部验证。",
                     department=people["quality"].department, responsible=people["quality"])
    perform(review, ReviewStatus.REPORT_REVIEWED, people["mr"], password=DEMO_PASSWORD, comment="审核")
    perform(review, ReviewStatus.REPORT_APPROVED, people["gm"], password=DEMO_PASSWORD, comment="批准")
    review.refresh_from_db()
    return review
