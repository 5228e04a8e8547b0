"""Every URL of the management review answers anonymous → login, a role without the permission → 403 (a page that
is no record: its existence is no secret), the MR → 200."""
import pytest

from qms.tests.cases import RecordUrls, UrlWalk

WALK = UrlWalk(
    "reviews",
    records=[
        RecordUrls(make=lambda people: None, kwargs=lambda record: {}, insider="mr", outsider="sales2",
                   outsider_status=403, pages=("pack",)),
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
