"""Every URL of production answers anonymous → login, a user who may not see the record (sales) → 404, a
production role → 200."""
import pytest

from production.tests import factories
from qms.tests.cases import RecordUrls, UrlWalk

INSIDER, OUTSIDER = "quality", "sales2"


def current_operation(people):
    return factories.lot(people).current


WALK = UrlWalk(
    "production",
    pages=("card_list", "card_export", "order_list", "order_export", "order_create", "lot_list", "lot_export",
           "trace", "field_service_list", "field_service_export", "field_service_create", "opinion_list",
           "opinion_export", "opinion_create"),
    records=[
        RecordUrls(make=lambda people: factories.card(), insider=INSIDER, outsider=OUTSIDER, pages=("card_detail",)),
        RecordUrls(make=lambda people: factories.order(people), insider=INSIDER, outsider=OUTSIDER,
                   pages=("order_detail", "order_pdf")),
        RecordUrls(make=factories.lot, insider=INSIDER, outsider=OUTSIDER, pages=("lot_detail", "lot_pdf")),
        RecordUrls(make=current_operation, insider="production", outsider=OUTSIDER,
                   pages=("operation_work", "operation_material", "operation_check")),
        RecordUrls(make=current_operation, insider=INSIDER, outsider=OUTSIDER, pages=("operation_inspect",)),
        # the service records: the roles that serve customers see them; finance sees none (404)
        RecordUrls(make=factories.field_service, insider="sales", outsider="finance",
                   pages=("field_service_detail", "field_service_pdf")),
        RecordUrls(make=factories.opinion, insider="quality", outsider="finance", pages=("opinion_detail", "opinion_pdf")),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    WALK.assert_complete()
