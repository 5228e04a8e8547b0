"""The archive of a renovation: the whole file of the application as one PDF dossier."""
import pytest
from django.urls import reverse

from qms.tests.test_pdf import pdf_text
from renovation.models import ApplicationStatus as S
from renovation.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def permitted(people):
    return factories.advance(people, factories.submit(people, factories.unit()), S.PERMITTED)


def test_the_dossier_holds_the_form_the_review_history_and_the_ledger(people, login):
    application = permitted(people)
    response = login(people["propmanager"]).get(reverse("renovation:dossier_pdf", args=[application.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "装修档案" in text and application.number in text and application.permit_number in text
    assert "一、装修申请表" in text and "未改动、破坏房屋结构" in text
    # the status history: every step of the review, in order
    history = text[text.index("二、审批及状态记录"):text.index("三、收费台账")]
    assert history.index("待工程初审 → 待安全消防审核") < history.index("待物业经理审批 → 已批准，待缴费") \
        < history.index("已批准，待缴费 → 已发许可证，施工中")
    # the ledger with its receipt numbers, and the balances
    ledger = text[text.index("三、收费台账"):]
    assert ledger.count("收款") == application.ledger.filter(kind="payment").count() == 3
    assert "ZX-2026-0001" in ledger  # the receipt numbers (wrapped in their narrow column)
    assert "¥2,000.00" in text and "押金余额" in text


def test_the_dossier_is_not_shown_to_someone_outside_the_property_team(people, login):
    application = permitted(people)
    response = login(people["sales"]).get(reverse("renovation:dossier_pdf", args=[application.pk]))
    assert response.status_code in (403, 404)
