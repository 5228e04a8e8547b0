"""Every page in the navigation opens for the people who see it, in Chinese, and shows only what they may open."""
import pytest
from django.urls import reverse

from qms.registry import menu_for


@pytest.mark.parametrize("role", ["gm", "mr", "quality", "production", "sales", "hr", "doccontrol", "security"])
def test_every_menu_link_a_user_sees_opens(people, login, role):
    user = people[role]
    client = login(user)
    links = [link for entry in menu_for(user) for link in entry["links"]]
    assert links, f"{role} sees no navigation"
    for link in links:
        response = client.get(link["url"])
        assert response.status_code == 200, (role, link["url"], response.status_code)
        assert '<html lang="zh-hans">' in response.content.decode()


def test_the_navigation_hides_what_a_role_may_not_open(people, login):
    mr_links = {link["url"] for entry in menu_for(people["mr"]) for link in entry["links"]}
    sales_links = {link["url"] for entry in menu_for(people["sales2"]) for link in entry["links"]}
    assert reverse("qms:audit_trail") in mr_links and reverse("qms:audit_trail") not in sales_links
    assert reverse("qms:capa_raise") in mr_links and reverse("qms:capa_raise") not in sales_links
    assert login(people["sales2"]).get(reverse("qms:audit_trail")).status_code == 403
