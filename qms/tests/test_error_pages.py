"""The portal's own 403 and 404 pages: in the user's language, inside the portal's navigation, saying what
happened and, for a refusal, which roles may do it; and a notification opened is a notification read."""
import pytest
from django.urls import reverse

from customers.tests.factories import make_customer
from qms.notifications import Notification, notify

pytestmark = pytest.mark.django_db


def test_another_salespersons_customer_is_a_chinese_404_in_the_portal_frame(people, login):
    customer = make_customer(people["sales"], name="杭州某医疗器械有限公司")
    response = login(people["sales2"]).get(customer.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in html and "Not Found" not in html
    assert "不存在，或者不在您的权限范围内" in html and 'id="portal-nav"' in html
    assert 'href="/"' in html  # a way back to my work


def test_the_404_speaks_english_to_an_english_user(people, login):
    people["sales"].language = "en"
    people["sales"].save(update_fields=["language"])
    response = login(people["sales"]).get("/customers/999999999/")
    html = response.content.decode()
    assert response.status_code == 404 and '<html lang="en">' in html
    assert "does not exist" in html and "不存在" not in html


def test_the_403_names_the_roles_that_may_open_the_page(people, login):
    response = login(people["sales"]).get(reverse("qms:audit_trail"))
    html = response.content.decode()
    assert response.status_code == 403 and 'id="portal-nav"' in html and "Forbidden" not in html
    assert "没有权限" in html
    roles = html[html.index('id="roles-needed"'):].split("</strong>")[0]
    for role in ("管理者代表", "总经理", "品质", "文管中心"):
        assert role in roles


def test_opening_a_notification_marks_it_read_and_follows_its_link(people, login, django_capture_on_commit_callbacks):
    customer = make_customer(people["sales"], name="宁波某器械有限公司")
    with django_capture_on_commit_callbacks(execute=False):
        notify(people["sales"], "客户已转给您", link=customer.get_absolute_url())
    note = Notification.objects.get(recipient=people["sales"])
    client = login(people["sales"])
    page = client.get(reverse("notifications")).content.decode()
    assert reverse("notification_open", args=[note.pk]) in page
    response = client.get(reverse("notification_open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_opens_another_users_notification(people, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notify(people["sales2"], "私人通知", link="/")
    note = Notification.objects.get(recipient=people["sales2"])
    assert login(people["sales"]).get(reverse("notification_open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


@pytest.mark.parametrize("value, message", [
    ("1.234", "确认小数不超过 2 位。"),
    ("123456789.5", "确认总共不超过 8 个数字。"),
])
def test_djangos_number_messages_read_as_proper_chinese(value, message):
    from django import forms
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        forms.DecimalField(max_digits=8, decimal_places=2).clean(value)
    assert refused.value.messages == [message]
