"""The archive of a renovation: the whole file of the application as one PDF dossier."""
import pytest
from django.urls import reverse
from django.utils import timezone

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
    from renovation.models import SiteInspection, ViolationKind
    from renovation.services import site

    application = permitted(people)
    site.record_inspection(application, people["propassistant"],
                           checks={name: True for name in SiteInspection.CHECK_FIELDS}, findings="现场整洁",
                           violation_kind=ViolationKind.PERMIT_NOT_POSTED, violation_description="许可证未张贴")
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
    # the receipt numbers (wrapped in their narrow column), numbered in the year they were taken
    assert f"ZX-{timezone.localdate().year}-0001" in ledger
    assert "¥2,000.00" in text and "押金余额" in text
    site_part = text[text.index("五、施工巡查及违章"):text.index("六、竣工验收及复验")]
    assert "现场整洁" in site_part and "许可证未张贴" in site_part and "待整改" in site_part


def test_the_dossier_is_not_shown_to_someone_outside_the_property_team(people, login):
    application = permitted(people)
    response = login(people["sales"]).get(reverse("renovation:dossier_pdf", args=[application.pk]))
    assert response.status_code == 404


def test_the_dossier_of_a_closed_renovation_holds_workers_acceptance_claims_and_the_settlement(people, login):
    from decimal import Decimal

    from renovation.models import ClaimSource
    from renovation.services import completion

    application = permitted(people)
    factories.add_workers(people, application)
    completion.add_claim(application, people["engsupervisor"], source=ClaimSource.DAMAGE, amount=Decimal("3600.00"),
                         reason="损坏消防喷淋管")
    factories.advance(people, application, S.CLOSED)
    text = pdf_text(login(people["propmanager"]).get(reverse("renovation:dossier_pdf", args=[application.pk])).content)
    assert "四、施工人员及出入证" in text and "刘师傅" in text and "已交回" in text
    acceptance = text[text.index("六、竣工验收及复验"):text.index("七、应扣款项及押金结算")]
    assert "竣工验收" in acceptance and "复验：无渗漏" in acceptance and acceptance.count("合格") >= 2
    settlement = text[text.index("七、应扣款项及押金结算"):]
    assert "损坏消防喷淋管" in settlement and "¥3,600.00" in settlement
    assert "¥3,100.00" in settlement and "¥500.00" in settlement  # contractor 3,000 + 2 passes × 50, then the owner
    assert "已结案" in text


def test_the_dossier_states_what_a_failed_patrol_check_found(people, login):
    from renovation.models import SiteInspection, ViolationKind
    from renovation.services import site

    application = permitted(people)
    site.record_inspection(application, people["propassistant"],
                           checks={**{name: True for name in SiteInspection.CHECK_FIELDS}, "within_scope": False},
                           findings="拆除卫生间非承重墙，超出申报范围",
                           violation_kind=ViolationKind.BEYOND_SCOPE,
                           violation_description="擅自拆墙")
    response = login(people["propmanager"]).get(reverse("renovation:dossier_pdf", args=[application.pk]))
    text = pdf_text(response.content)
    site_part = text[text.index("五、施工巡查及违章"):text.index("六、竣工验收及复验")]
    assert "超出申报范围施工" in site_part
    assert "未超出申报范围" not in site_part  # the compliant wording of the check is never printed for a failure
