"""Every URL of the management review answers anonymous → login, a user who may not see the record → 404 (a role
without the permission on a page that is no record → 403), an insider → 200."""
import pytest

from qms.tests.cases import RecordUrls, UrlWalk
from reviews.tests import factories


def draft(people):
    return factories.planned(people)


def distributed(people):
    return factories.distributed(people)


def meeting_held(people):
    return factories.meeting_held(people)


def reported(people):
    return factories.reported(people)


def feedback_report(people):
    return factories.issued(people).input_reports.get(item="feedback")


WALK = UrlWalk(
    "reviews",
    pages=("list", "export", "input_list", "input_export", "year", "output_list", "output_export"),
    records=[
        RecordUrls(make=lambda people: None, kwargs=lambda record: {}, insider="mr", outsider="sales2",
                   outsider_status=403, pages=("pack", "plan")),
        RecordUrls(make=lambda people: None, kwargs=lambda record: {}, insider="gm", outsider="mr",
                   outsider_status=403, pages=("extra",)),
        RecordUrls(make=draft, insider="mr", outsider="sales2", pages=("detail", "edit", "pdf")),
        # once issued a review is seen by everyone: another role is refused (403), not kept from seeing it
        RecordUrls(make=distributed, insider="mr", outsider="sales2", outsider_status=403, pages=("meeting",)),
        RecordUrls(make=meeting_held, insider="mr", outsider="sales2", outsider_status=403,
                   pages=("report", "output_add")),
        RecordUrls(make=reported, insider="mr", outsider=None, pages=("minutes_pdf", "report_pdf")),
        RecordUrls(make=reported, insider="mr", outsider="sales2", outsider_status=403, actions=("acknowledge",)),
        RecordUrls(make=feedback_report, insider="service", outsider="sales2", pages=("input_detail", "input_write")),
    ],
)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kwargs: True)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    WALK.assert_complete()
