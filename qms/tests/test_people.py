"""People, roles and the one object-permission mechanism."""
import importlib

import pytest
from django.contrib.auth.models import Group
from django.db.models import Q
from django.urls import reverse

from qms import people as people_module
from qms.people import Role, User, register_visibility, visible_to

pytestmark = pytest.mark.django_db


def test_every_role_of_the_procedures_exists_as_a_group():
    migrated = {name for module in ("0002_roles", "0023_sales_vp_role", "0024_board_role")
                for name in importlib.import_module(f"qms.migrations.{module}").ROLE_NAMES}
    assert set(Role.NAMES) == migrated
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.NAMES)


def test_user_belongs_to_one_department_and_may_hold_several_roles(people):
    mr = people["mr"]
    mr.groups.add(Group.objects.get(name=Role.QUALITY))
    assert mr.department.name == "总经办"
    assert mr.has_role(Role.QUALITY)
    assert User.objects.get(pk=mr.pk).role_names() == {Role.MR, Role.QUALITY}


def test_escalation_goes_to_the_department_manager_then_one_level_up(people):
    assert people["sales2"].manager() == people["sales"]
    # The sales manager's own escalation goes to the manager of the parent department (总经办).
    assert people["sales"].manager() == people["gm"]


@pytest.fixture
def owner_only_users(monkeypatch):
    """Make users visible only to themselves (a stand-in for an owner-only record type)."""
    monkeypatch.setattr(people_module, "_visibility", dict(people_module._visibility))
    register_visibility(User, lambda user: Q(pk=user.pk))


def test_visibility_rule_answers_querysets_and_object_permissions_alike(people, owner_only_users):
    sales, sales2 = people["sales"], people["sales2"]
    assert list(visible_to(sales, User.objects.all())) == [sales]
    assert sales.has_perm("qms.view_user", sales)
    assert not sales.has_perm("qms.view_user", sales2)
    assert visible_to(people["admin"], User.objects.all()).count() == User.objects.count()


def test_an_object_the_user_may_not_see_answers_404_whatever_its_id(people, login, owner_only_users):
    client = login(people["sales2"])
    assert client.get(reverse("qms:staff_detail", args=[people["sales2"].pk])).status_code == 200
    assert client.get(reverse("qms:staff_detail", args=[people["sales"].pk])).status_code == 404
    assert client.get(reverse("qms:staff_detail", args=[999999])).status_code == 404


def test_visible_to_refuses_a_model_without_a_declared_rule(people):
    with pytest.raises(LookupError):
        visible_to(people["sales"], Group.objects.all())
