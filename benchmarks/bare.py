"""The bare pages that bench_lists.py measures the portal's lists against.

Each bare page checks the login and renders the same rows of the same list as the portal's page: the list view's own
queryset (its selector, ``qms.people.visible_to`` and its default scope), the table's default order, the same 50 rows
(``?page=N``) and the same values in each column, in a plain HTML table — no base template, no filters, no counts,
no pagination links, no django-tables2. Its queries: Django's session and user (the site's middleware reads them on
every request) and the rows. The user's roles, which the visibility rule reads, and the customer policy (the due
days) are kept per worker process, so that they are no queries of their own.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

import rules

_ROLES: dict[int, set[str]] = {}
_POLICY = []


def _signed_in_user(request):
    user = request.user  # session and user: the two queries every signed-in page makes
    if not user.is_authenticated:
        return None
    if user.pk not in _ROLES:
        _ROLES[user.pk] = set(user.groups.values_list("name", flat=True))
    user._role_names = _ROLES[user.pk]
    return user


def _local(value, fmt="%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return value.strftime(fmt)


def _rows(request, view_class, user):
    """The page's rows: the list view's queryset (selector, visibility, default scope), the table's order."""
    view = view_class()
    view.setup(request)
    queryset = view.get_queryset()
    order = getattr(view_class.table_class._meta, "order_by", None)
    if order:
        queryset = queryset.order_by(*order)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    size = settings.LIST_PAGE_SIZE
    return list(queryset[(page - 1) * size:page * size])


def _page(title: str, headers: list[str], rows: list[list[str]]) -> HttpResponse:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return HttpResponse(f"<!doctype html><html lang=\"zh-hans\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
                        f"</title></head><body><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                        "</body></html>")


def _link(record, text) -> str:
    return f'<a href="{record.get_absolute_url()}">{escape(text)}</a>'


def bare_view(function):
    """A bare page: its own login check (a page of a signed-in user, as the portal's), its rows, its cells."""

    @login_not_required
    def view(request):
        user = _signed_in_user(request)
        if user is None:
            return HttpResponseForbidden()
        return function(request, user)

    return view


@bare_view
def customers(request, user):
    from customers.models import CustomerPolicy
    from customers.views.customers import CustomerListView

    if not _POLICY:
        _POLICY.append(CustomerPolicy.current())
    policy = _POLICY[0]
    today = timezone.localdate()
    rows = []
    for c in _rows(request, CustomerListView, user):
        due = policy.return_due(c)
        days = "—" if due is None else (timezone.localtime(due).date() - today).days
        address = " ".join(p for p in (c.province and c.province.name, c.city and c.city.name, c.address) if p)
        actions = f'<a href="{c.get_absolute_url()}">{escape(_("查看"))}</a>'
        if rules.has_perm("customers.change_customer", user, c):
            actions += f' <a href="{reverse("customers:edit", args=[c.pk])}">{escape(_("编辑"))}</a>'
        rows.append([_link(c, c.name), escape(c.industry or ""), escape(c.get_rating_display() or ""),
                     escape(address or "—"), escape(c.owner.display_name if c.owner_id else _("客户池")),
                     escape(c.created_by or ""), _local(c.created_at), str(days), escape(c.get_grade_display()),
                     escape(c.status or ""), actions])
    return _page(_("客户列表"), ["客户名称", "客户行业", "评分", "地址", "负责人", "创建人", "创建时间", "距到期天数",
                                 "客户等级", "客户状态", "操作"], rows)


@bare_view
def complaints(request, user):
    from complaints.views.complaints import ComplaintListView
    from qms.workflow import status_label

    rows = []
    for c in _rows(request, ComplaintListView, user):
        handler = c.responsible if c.responsible_id else c.received_by
        rows.append([_link(c, c.number), escape(_("大客户")) if c.is_key_account else "",
                     escape(c.get_type_display()), escape(c.customer_name),
                     escape(c.customer.get_grade_display() if c.customer_id else "—"), escape(c.product),
                     escape(c.batch), escape(status_label(type(c), c.status)),
                     escape(c.responsible_department.name if c.responsible_department_id else ""),
                     escape(handler.display_name), _local(c.received_at), _local(c.next_due) or "—",
                     escape(_("已逾期")) if c.has_overdue else ""])
    return _page(_("客户投诉与反馈"), ["编号", "大客户", "类型", "客户", "客户等级", "产品", "批号", "状态", "责任部门",
                                      "当前责任人", "受理时间", "最近时限", "逾期"], rows)


@bare_view
def applications(request, user):
    from qms.workflow import status_label
    from renovation.views.applications import ApplicationListView

    rows = []
    for a in _rows(request, ApplicationListView, user):
        unit = a.unit
        rows.append([_link(a, a.number), escape(f"{unit.building.project.name} {unit.building.name} {unit.number}"),
                     escape(a.applicant_name), escape(a.contractor_name or a.get_contractor_kind_display()),
                     escape(status_label(type(a), a.status)), _local(a.review_due_at) or "—",
                     _local(a.planned_start, "%Y-%m-%d"), _local(a.submitted_at, "%Y-%m-%d")])
    return _page(_("装修申请"), ["申请编号", "房号", "申请人", "施工单位", "状态", "审批期限", "计划开工", "提交时间"], rows)


@bare_view
def capas(request, user):
    from qms.capa.views import CapaListView
    from qms.workflow import status_label

    rows = []
    for c in _rows(request, CapaListView, user):
        rows.append([_link(c, c.number), escape(c.title), escape(c.get_source_display()),
                     escape(status_label(type(c), c.status)), escape(c.responsible_department),
                     escape(c.responsible), _local(c.current_due_at) or "—", _local(c.raised_at, "%Y-%m-%d")])
    return _page(_("纠正和预防措施"), ["编号", "标题", "来源", "状态", "责任部门", "责任人", "当前期限", "提出时间"], rows)


@bare_view
def contracts(request, user):
    """The contract list (``customers:contract_list``) and its search ``?q=`` (title, number or customer name)."""
    from django.db.models import Q
    from django.urls import resolve

    from customers.contracts.models import Contract
    from qms.people import visible_to
    from qms.workflow import status_label

    view_class = resolve(reverse("customers:contract_list")).func.view_class
    view = view_class()
    view.setup(request)
    queryset = view.get_queryset() if hasattr(view, "get_queryset") else visible_to(user, Contract.objects.all())
    queryset = queryset.select_related("customer", "owner")
    text = request.GET.get("q", "").strip()
    if text:
        queryset = queryset.filter(Q(title__icontains=text) | Q(number__icontains=text)
                                   | Q(customer__name__icontains=text))
    order = getattr(getattr(view_class, "table_class", None), "_meta", None)
    queryset = queryset.order_by(*(getattr(order, "order_by", None) or ("-created_at", "-id")))
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    size = settings.LIST_PAGE_SIZE
    rows = []
    for c in queryset[(page - 1) * size:page * size]:
        rows.append([_link(c, c.number or _("草稿")), escape(c.title), escape(c.customer.name),
                     f"{c.total_amount:.2f}", _local(c.ordered_on, "%Y-%m-%d"), _local(c.delivery_date, "%Y-%m-%d"),
                     escape(c.owner.display_name), escape(c.get_contract_class_display()),
                     escape(status_label(type(c), c.status))])
    return _page(_("合同/订单"), ["合同编号", "合同名称", "客户", "合同金额（元）", "下单日期", "交货日期", "业务员",
                                 "合同类别", "状态"], rows)


@bare_view
def lots(request, user):
    """The lot list (``production:lot_list``, default scope 在制): the list view's queryset, 50 rows, its columns."""
    from django.urls import resolve

    from qms.workflow import status_label

    view_class = resolve(reverse("production:lot_list")).func.view_class
    rows = []
    for lot in _rows(request, view_class, user):
        rows.append([_link(lot, lot.number), escape(lot.task_order.number), escape(lot.task_order.product),
                     str(lot.quantity), escape(lot.current.name if lot.current else "—"),
                     escape(lot.current.get_inspection_status_display() if lot.current else "—"),
                     escape(status_label(type(lot), lot.status)), _local(lot.created_at, "%Y-%m-%d")])
    return _page(_("路线跟踪卡"), ["批号", "生产任务书", "产品名称", "数量", "当前工序", "检验状态", "状态", "创建时间"], rows)


@bare_view
def trace(request, user):
    """The trace page (``production:trace?batch=…``): the same four queries, who got the batch in a plain table."""
    from production.services import trace as service

    result = service.trace(request.GET.get("batch", ""))
    rows = [[escape(str(cell)) for cell in row] for row in service.export_rows(result)]
    return _page(_("批号追溯"), [str(h) for h in service.EXPORT_HEADERS], rows)
