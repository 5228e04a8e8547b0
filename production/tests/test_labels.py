"""The status label of a lot and the sheet of a task order's labels: the QR code read back from the printed page
is the lot's absolute portal URL, the status is printed, and scanning it while signed out lands on the lot after
login."""
import pytest
from django.test import override_settings
from django.urls import reverse

from production.models import Lot, LotOperation
from production.tests import factories
from qms.tests.labels_helpers import qr_codes_in_pdf
from qms.tests.test_pdf import pdf_text

BASE = "https://qms.example.cn"


@override_settings(PORTAL_BASE_URL=BASE)
def test_the_lot_label_shows_its_status_and_its_qr_opens_the_lot(people, login):
    from qms.company import CompanyProfile

    CompanyProfile.objects.filter(pk=1).update(name="苏州精工医疗器械有限公司")
    lot = factories.lot(people)
    factories.inspect(people, lot, "conforming")
    response = login(people["production"]).get(reverse("production:lot_label", args=[lot.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert qr_codes_in_pdf(response.content) == [[f"{BASE}/production/lots/{lot.pk}/"]]
    text = pdf_text(response.content)
    assert "苏州精工医疗器械有限公司" in text
    assert "检验状态标识" in text and lot.number in text and "一次性使用输液器" in text and "1.5m" in text
    assert "合格" in text and "10 下料" in text and people["quality"].display_name in text


@override_settings(PORTAL_BASE_URL=BASE)
def test_a_lot_not_yet_inspected_prints_awaiting_inspection(people, login):
    lot = factories.lot(people)
    text = pdf_text(login(people["quality"]).get(reverse("production:lot_label", args=[lot.pk])).content)
    assert "待检" in text


@override_settings(PORTAL_BASE_URL=BASE)
def test_the_task_order_sheet_has_one_label_per_lot(people, login):
    lot = factories.lot(people)
    second = Lot.objects.create(task_order=lot.task_order, number=f"{lot.task_order.number}-02", quantity=40)
    first_op = LotOperation.objects.create(lot=second, sequence=10, name="下料")
    Lot.objects.filter(pk=second.pk).update(current=first_op)
    factories.inspect(people, lot, "nonconforming")
    response = login(people["pmc"]).get(reverse("production:order_labels", args=[lot.task_order_id]))
    assert response.status_code == 200
    assert qr_codes_in_pdf(response.content) == [sorted(
        [f"{BASE}/production/lots/{lot.pk}/", f"{BASE}/production/lots/{second.pk}/"])]
    text = pdf_text(response.content)
    assert lot.number in text and second.number in text and "不合格" in text and "待检" in text


def test_scanning_the_label_signed_out_lands_on_the_lot_after_login(people, client):
    lot = factories.lot(people)
    path = reverse("production:lot_detail", args=[lot.pk])
    response = client.get(path)
    assert response.status_code == 302 and "next=" in response["Location"]
    login_page = response["Location"]
    response = client.post(login_page, {"username": people["production"].username,
                                        "password": factories.PASSWORD}, follow=False)
    assert response.status_code == 302 and response["Location"] == path


@pytest.mark.parametrize("role", ["sales2"])
def test_someone_outside_production_gets_no_label(people, login, role):
    lot = factories.lot(people)
    assert login(people[role]).get(reverse("production:lot_label", args=[lot.pk])).status_code == 404
