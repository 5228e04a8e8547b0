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


def _menu_links(html: str) -> set[str]:
    import re

    return set(re.findall(r'<a class="dropdown-item" href="([^"]+)">', html))


def test_each_page_draws_its_users_own_menu_in_its_language_though_menus_are_rendered_once(people, client):
    # qms_tags.portal_menu keeps the rendered drop-downs per menu and language: the MR's menu must not be drawn for a
    # salesperson who opens a page after him, nor the Chinese labels on an English page.
    from django.test import Client
    from django.utils import translation

    mr, sales = Client(), Client()
    mr.force_login(people["mr"])
    sales.force_login(people["sales2"])
    for _ in range(2):  # the second time from what the first kept
        mr_page, sales_page = mr.get(reverse("home")).content.decode(), sales.get(reverse("home")).content.decode()
        assert reverse("qms:audit_trail") in _menu_links(mr_page)
        assert reverse("qms:audit_trail") not in _menu_links(sales_page)
        assert _menu_links(sales_page) >= {link["url"] for entry in menu_for(people["sales2"]) for link in entry["links"]}
    sales.post(reverse("set_language"), {"language": "en"})
    english = sales.get(reverse("home")).content.decode()
    with translation.override("en"):
        labels = [str(entry["label"]) for entry in menu_for(people["sales2"])]
    assert labels and all(f"</i> {label}</a>" in english for label in labels)
    assert "</i> 客户</a>" not in english


def test_the_navigation_s_permission_answers_are_user_has_perm_s(people):
    # qms.auth_backends.has_perm answers without Django's loop over the backends: for every declared permission,
    # some undeclared ones (the admin's), an active and an inactive superuser and every demo role, the same answer.
    import rules
    from django.contrib.auth.models import Permission

    from qms.auth_backends import has_perm
    from qms.people import User

    declared = sorted(rules.permissions.permissions.keys())
    undeclared = [f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")[:40]]
    root = User.objects.create_superuser("root2", "root2@example.com", "x")
    gone = User.objects.create_superuser("gone", "gone@example.com", "x", is_active=False)
    User.objects.filter(pk=people["quality"].pk).update(is_active=False)
    for pk in [*(user.pk for user in people.values()), root.pk, gone.pk]:
        ours, djangos = User.objects.get(pk=pk), User.objects.get(pk=pk)  # each remembers only its own answers
        for perm in declared + undeclared:
            assert has_perm(ours, perm) == djangos.has_perm(perm), (ours, perm)
    assert any(has_perm(people["mr"], perm) for perm in declared)
    assert not all(has_perm(people["sales2"], perm) for perm in declared)


@pytest.mark.parametrize("role", ["gm", "mr", "production", "sales2", "hr"])
def test_the_menu_holds_each_link_whose_permission_the_user_has(people, role):
    from qms.registry import registry

    user = people[role]
    expected = [(str(entry.label), [str(label) for label, _url, perm in entry.children if perm is None or user.has_perm(perm)])
                for entry in sorted(registry.menu, key=lambda e: e.order)]
    assert [(str(e["label"]), [str(link["label"]) for link in e["links"]]) for e in menu_for(user)] == [
        (label, links) for label, links in expected if links]
