"""Every URL of production answers anonymous → login, a user who may not see the record (sales) → 404, a
production role → 200."""
import pytest

from production.services.discipline import request_spec_change, schedule_discipline_checks
from production.tests import factories
from qms.tests.cases import RecordUrls, UrlWalk

INSIDER, OUTSIDER = "quality", "sales2"


def current_operation(people):
    return factories.lot(people).current


def discipline_check(people):
    factories.card(code="GY-W", steps=((10, "下料"),))
    return schedule_discipline_checks()[0]


def spec_change(people):
    return request_spec_change(people["production"], title="保压时间调整", description="8s → 10s", reason="缩痕")


def isolation_entry(people, step=None):
    """A lot found nonconforming: a line of the isolation ledger, taken to ``step`` (review, rework, reinspection)."""
    from production.models import InspectionStatus
    from production.services import isolation

    lot = factories.lot(people)
    factories.inspect(people, lot, InspectionStatus.NONCONFORMING)
    entry = lot.isolation_entries.get()
    if step in ("rework", "reinspection"):
        isolation.review(entry, people["engineering"], disposition="rework", instruction="返工",
                         password=factories.PASSWORD)
    if step == "reinspection":
        isolation.complete_rework(entry, people["production"], rework_note="已返工")
    return entry


WALK = UrlWalk(
    "production",
    pages=("card_list", "card_export", "order_list", "order_export", "order_create", "lot_list", "lot_export",
           "isolation_list", "isolation_export", "isolation_rate",
           "trace", "field_service_list", "field_service_export", "field_service_create", "opinion_list",
           "opinion_export", "opinion_create",
           "setup_list", "setup_export", "discipline_list", "discipline_export", "specchange_list",
           "specchange_export", "specchange_create"),
    records=[
        RecordUrls(make=lambda people: factories.card(), insider=INSIDER, outsider=OUTSIDER, pages=("card_detail",)),
        RecordUrls(make=lambda people: factories.order(people), insider=INSIDER, outsider=OUTSIDER,
                   pages=("order_detail", "order_pdf", "order_labels")),
        RecordUrls(make=factories.lot, insider=INSIDER, outsider=OUTSIDER, pages=("lot_detail", "lot_pdf", "lot_label")),
        RecordUrls(make=current_operation, insider="production", outsider=OUTSIDER,
                   pages=("operation_work", "operation_material", "operation_check")),
        RecordUrls(make=current_operation, insider=INSIDER, outsider=OUTSIDER, pages=("operation_inspect",)),
        RecordUrls(make=isolation_entry, insider=INSIDER, outsider=OUTSIDER,
                   pages=("isolation_detail", "isolation_pdf", "isolation_tag")),
        RecordUrls(make=isolation_entry, insider="engineering", outsider=OUTSIDER, pages=("isolation_review",)),
        RecordUrls(make=lambda people: isolation_entry(people, "rework"), insider="production", outsider=OUTSIDER,
                   pages=("isolation_rework",)),
        RecordUrls(make=lambda people: isolation_entry(people, "reinspection"), insider=INSIDER,
                   outsider=OUTSIDER, pages=("isolation_reinspect",)),
        RecordUrls(make=lambda people: isolation_entry(people, "rework"), insider=INSIDER, outsider=OUTSIDER,
                   actions=("isolation_capa",)),
        # the service records: the roles that serve customers see them; finance sees none (404)
        RecordUrls(make=factories.field_service, insider="sales", outsider="finance",
                   pages=("field_service_detail", "field_service_pdf")),
        RecordUrls(make=factories.opinion, insider="quality", outsider="finance", pages=("opinion_detail", "opinion_pdf")),
        RecordUrls(make=current_operation, insider="production", outsider=OUTSIDER, pages=("setup_request",)),
        RecordUrls(make=lambda people: factories.setup_verified(people, factories.lot(people).current),
                   insider=INSIDER, outsider=OUTSIDER, pages=("setup_detail", "setup_pdf")),
        RecordUrls(make=discipline_check, insider="engineering", outsider=OUTSIDER,
                   pages=("discipline_detail", "discipline_pdf")),
        RecordUrls(make=spec_change, insider="engineering", outsider=OUTSIDER,
                   pages=("specchange_detail", "specchange_pdf")),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    WALK.assert_complete()
