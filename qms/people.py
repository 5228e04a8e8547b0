"""Departments, users, roles, and the permission rules that views and selectors share.

Roles (岗位) are Django groups created by a data migration (PROCEDURES.md, introduction). Each user belongs
to one department and may hold several roles. Object visibility is declared once per model with
``register_visibility`` and used both to filter querysets and to answer the ``rules`` permission
``<app>.view_<model>`` for a single object, so that the two can never disagree.
"""
from __future__ import annotations

import re
from typing import Callable

import rules
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.links import detail_url


class Role:
    """The roles of PROCEDURES.md; each is a Django group whose name is the Chinese title."""

    BOARD = "董事会"  # the board / its chairman: approves organisation changes (§7)
    GM = "总经理"
    MR = "管理者代表"
    SALES = "销售"
    SALES_VP = "销售副总"
    CUSTOMER_SERVICE = "客户服务"
    QUALITY = "品质"
    ENGINEERING = "技术工程"
    PRODUCTION = "生产"
    PURCHASING = "采购"
    PMC = "PMC"
    FINANCE = "财务"
    HR_ADMIN = "人事行政"
    PROPERTY_MANAGER = "物业经理"
    PROPERTY_ASSISTANT = "物业助理"
    ENGINEERING_SUPERVISOR = "工程主管"
    RESIDENT_CENTRE_HEAD = "住户中心主任"
    SECURITY = "保安"
    FINANCE_CLERK = "财务内勤"
    DOCUMENT_CONTROL = "文管中心"

    # code (demo user name, English label), group name
    ALL = [
        ("board", BOARD, "Board (chairman)"),
        ("gm", GM, "General manager"),
        ("mr", MR, "Management representative"),
        ("sales", SALES, "Sales"),
        ("salesvp", SALES_VP, "Sales VP"),
        ("service", CUSTOMER_SERVICE, "Customer service"),
        ("quality", QUALITY, "Quality"),
        ("engineering", ENGINEERING, "Engineering"),
        ("production", PRODUCTION, "Production"),
        ("purchasing", PURCHASING, "Purchasing"),
        ("pmc", PMC, "Production & material control"),
        ("finance", FINANCE, "Finance"),
        ("hr", HR_ADMIN, "HR / admin"),
        ("propmanager", PROPERTY_MANAGER, "Property manager"),
        ("propassistant", PROPERTY_ASSISTANT, "Property assistant"),
        ("engsupervisor", ENGINEERING_SUPERVISOR, "Engineering supervisor"),
        ("residentcentre", RESIDENT_CENTRE_HEAD, "Resident-centre head"),
        ("security", SECURITY, "Security"),
        ("financeclerk", FINANCE_CLERK, "Finance clerk"),
        ("doccontrol", DOCUMENT_CONTROL, "Document control"),
    ]
    NAMES = [name for _code, name, _en in ALL]

    # Roles that see every record of every procedure (GM, MR) — PROCEDURES.md §1 visibility.
    SEE_ALL = (GM, MR)


@audit.track()
class Department(models.Model):
    code = models.SlugField(_("部门代码"), max_length=30, unique=True)
    name = models.CharField(_("部门名称"), max_length=50, unique=True)
    manager = models.ForeignKey(
        "qms.User", verbose_name=_("部门经理"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="managed_departments",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self):
        return self.name


@audit.track(exclude=("password", "last_login"))
class User(AbstractUser):
    """A member of staff. ``full_name`` is the Chinese name shown everywhere (signatures, lists)."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, blank=True, default="")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]
        indexes = [models.Index(fields=["department", "username"])]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    def role_names(self) -> set[str]:
        """The user's roles; cached on the instance (one query per request at most)."""
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, *names: str) -> bool:
        return bool(self.role_names() & set(names))

    def manages_a_department(self) -> bool:
        """Whether the user manages any department; cached on the instance like the roles."""
        if not hasattr(self, "_manages_a_department"):
            self._manages_a_department = self.managed_departments.exists()
        return self._manages_a_department

    def manager(self) -> "User | None":
        """The person a deadline of this user's escalates to: their department's manager."""
        department = self.department
        if department is None:
            return None
        if department.manager_id and department.manager_id != self.pk:
            return department.manager
        # The manager's own escalation goes one department up.
        parent = department.parent
        return parent.manager if parent else None

    get_absolute_url = detail_url("qms:staff_detail")


def role_group(name: str) -> Group:
    return Group.objects.get(name=name)


def ensure_role_groups(**kwargs) -> None:
    """The roles exist as groups: created by migration 0002 and again after every migrate or flush
    (post_migrate), so that a database emptied by ``flush`` still has them."""
    existing = set(Group.objects.filter(name__in=[name for _code, name, _en in Role.ALL]).values_list("name", flat=True))
    Group.objects.bulk_create([Group(name=name) for _code, name, _en in Role.ALL if name not in existing])


# --- rules predicates shared by every app ----------------------------------------------------------
@rules.predicate
def sees_everything(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(*Role.SEE_ALL)))


def has_role(*names: str):
    name = "has_role:" + ",".join(names)

    @rules.predicate(name=name)
    def predicate(user) -> bool:
        return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(*names)))

    return predicate


@rules.predicate
def is_department_manager(user) -> bool:
    return bool(user and user.is_authenticated and user.manages_a_department())


# --- visibility: one declaration per model, used by querysets and by object permissions ------------
_visibility: dict[type, Callable] = {}


def register_visibility(model: type, q_for_user: Callable) -> None:
    """Declare which rows of ``model`` a user may see: ``q_for_user(user) -> Q``.

    It also registers the object permission ``<app_label>.view_<model>`` with ``rules`` so that
    ``user.has_perm("app.view_model", obj)`` answers from the same declaration.
    """
    _visibility[model] = q_for_user
    perm = f"{model._meta.app_label}.view_{model._meta.model_name}"

    @rules.predicate(name=f"can_see_{model._meta.label_lower}")
    def can_see(user, obj=None) -> bool:
        if obj is None:
            return bool(user and user.is_authenticated)
        return visible_to(user, model._default_manager.filter(pk=obj.pk)).exists()

    rules.set_perm(perm, can_see)


def visible_to(user, queryset):
    """Filter ``queryset`` to what ``user`` may see, by the model's registered visibility."""
    if not (user and user.is_authenticated):
        return queryset.none()
    q_for_user = _visibility.get(queryset.model)
    if q_for_user is None:
        raise LookupError(f"No visibility declared for {queryset.model._meta.label}")
    if user.is_superuser:
        return queryset
    return queryset.filter(q_for_user(user))


def everyone(user) -> Q:
    return Q()


def department_users(user):
    """Users of the departments ``user`` manages (and their own)."""
    return User.objects.filter(Q(department__manager=user) | Q(pk=user.pk))


def department_chain(department) -> list:
    """The department and its parents, nearest first (at most ten levels: a cycle entered by hand stops)."""
    chain = []
    while department is not None and len(chain) < 10 and department not in chain:
        chain.append(department)
        department = department.parent
    return chain


def works_in(user, department) -> bool:
    """Whether ``user`` belongs to ``department`` (directly or through a sub-department) or manages it."""
    if user is None or department is None:
        return False
    return department.manager_id == user.pk or department in department_chain(user.department)


# --- what a refusal tells the user: the roles a permission needs ---------------------------------------
_ROLE_IN_PREDICATE = re.compile(r"has_role:([^()|&~\s]+)")


def roles_needed(perm: str) -> list[str]:
    """The labels of the roles that hold ``perm``, read from its rules declaration (``has_role(...)``,
    ``sees_everything`` → GM and MR, ``is_department_manager``), for the 403 page. Empty when unknown."""
    predicate = rules.permissions.permissions.get(perm) if rules.permissions.permissions.rule_exists(perm) else None
    if predicate is None:
        return []
    names: list[str] = []
    for group in _ROLE_IN_PREDICATE.findall(predicate.name):
        names.extend(group.split(","))
    if "sees_everything" in predicate.name.replace("~sees_everything", ""):
        names.extend(Role.SEE_ALL)
    labels = [_(name) for name in dict.fromkeys(names) if name in Role.NAMES]
    if "is_department_manager" in predicate.name:
        labels.append(_("部门经理"))
    return labels


def refusal_for(perm: str) -> str:
    """What a refused ``perm`` tells the user: "只有质量经理、管理者代表可以执行此操作。", from the roles its rules
    declaration names (``roles_needed``); a plain refusal when the declaration names none."""
    labels = roles_needed(perm)
    if not labels:
        return str(_("您没有权限执行此操作。"))
    return str(_("只有%(roles)s可以执行此操作。") % {"roles": "、".join(str(label) for label in labels)})


def require(user, perm: str, obj=None) -> None:
    """Raise ``PermissionDenied`` with ``refusal_for(perm)`` unless ``user`` holds ``perm`` (on ``obj``)."""
    if not user.has_perm(perm, obj):
        raise PermissionDenied(refusal_for(perm))
