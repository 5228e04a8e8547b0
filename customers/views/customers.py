"""The customer pages of PROCEDURES.md §1: create / edit (with the primary contact and the near-duplicate
warning), the list with its scopes, search and counts, the detail page with its tabs (overview and quick
status change, contacts, follow-ups, business records, archive) and the province → city look-up.

Permissions (``customers.rules``): ``customers.view_customer`` (visibility: another's customer answers 404),
``customers.add_customer`` and ``customers.change_customer``, which covers the customer's contacts, follow-ups,
business records, archive sections and quick status change: whoever may edit the customer keeps its file.
The owner picker offers: GM, MR, customer service — anyone; a department manager — their department's
members; a salesperson — themselves (customers.forms.owner_choices_for).
"""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Sum
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from customers.contracts.forms_sales import OpportunityInlineForm
from customers.contracts.services import opportunities as opportunity_service
from customers.filtersets import CustomerFilter
from customers.forms import (ArchiveForm, BusinessRecordForm, ContactForm, CustomerForm, FollowUpForm, StatusForm,
                             TransferTargetForm)
from customers.models import Contact, Customer, CustomerPolicy, Region
from customers.selectors import customer_list_queryset
from customers.services import pool as pool_service
from customers.services import recycle_bin
from customers.services.names import name_matches
from customers.services.records import (change_status, create_customer, deactivate_contact, record_business,
                                        record_follow_up, save_contact, save_customer)
from customers.tables import CustomerTable
from qms.lists import BulkAction, export_selected
from qms.refusals import Refused
from qms.people import visible_to
from qms.views.actions import RecordActionView
from qms.views.generic import RecordDetailView, RecordListView


# --- the list -------------------------------------------------------------------------------------------
def _local_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _created_since(day_of):
    return lambda qs, user: qs.filter(created_at__gte=_local_start(day_of(timezone.localdate())))


class BulkReasonForm(forms.Form):
    """The reason asked once for every ticked customer (release to the pool, delete)."""

    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": gettext_lazy("请填写原因。")})


def _transfer(customer, user, data):
    # the bulk transfer's own service, one customer at a time: each is refused or moved on its own
    return pool_service.transfer([customer], data["to_owner"], by=user, reason=data["reason"])


CUSTOMER_BULK_ACTIONS = [
    BulkAction("transfer", gettext_lazy("转移"), "customers.transfer_customer", perform=_transfer,
               form_class=TransferTargetForm),
    BulkAction("release", gettext_lazy("放入客户池"), "customers.release_customer",
               perform=lambda customer, user, data: pool_service.release(customer, user, data["reason"]),
               form_class=BulkReasonForm),
    BulkAction("delete", gettext_lazy("删除"), "customers.delete_customer",
               perform=lambda customer, user, data: recycle_bin.bin_customer(customer, by=user, reason=data["reason"]),
               form_class=BulkReasonForm, confirm=gettext_lazy("所选客户将移入回收站，可在回收站中恢复。"),
               style="outline-danger"),
    export_selected(),
]


class CustomerListView(RecordListView):
    import_key = "customers"
    model = Customer
    table_class = CustomerTable
    filterset_class = CustomerFilter
    permission_required = "customers.view_customer"
    template_name = "customers/list.html"
    title = gettext_lazy("客户列表")
    create_url_name = "customers:create"
    create_permission = "customers.add_customer"
    count_by = ("grade", "status")
    export_exclude = ("actions",)
    bulk_actions = CUSTOMER_BULK_ACTIONS
    scopes = {
        "all": (gettext_lazy("全部"), lambda qs, user: qs),
        "mine": (gettext_lazy("我的客户"), lambda qs, user: qs.filter(owner=user)),
        "today": (gettext_lazy("今日创建"), _created_since(lambda today: today)),
        "week": (gettext_lazy("本周新建"), _created_since(lambda today: today - dt.timedelta(days=today.weekday()))),
        "month": (gettext_lazy("本月新建"), _created_since(lambda today: today.replace(day=1))),
        "recent": (gettext_lazy("最近更新"), lambda qs, user: qs.filter(
            updated_at__gte=timezone.now() - relativedelta(months=1)).order_by("-updated_at", "-id")),
    }

    def base_queryset(self):
        # The page's labels (owner, creator, industry, status, province, city) come from small look-ups of the 50
        # rows' ids instead of joins: PostgreSQL spent 35 ms and more planning the eight-table join the rows query
        # was (executing it took 1.6 ms at 100,000 customers).
        return Customer.objects.prefetch_related("owner__department", "created_by", "industry", "status", "province",
                                                 "city")

    def get_table_kwargs(self):
        if not hasattr(self, "policy"):
            self.policy = CustomerPolicy.current()  # read once: 距到期天数 of every row is computed from it
        return {**super().get_table_kwargs(), "policy": self.policy, "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["filter"].form
        context["quick_search"] = form["q"]
        context["advanced_open"] = any(self.request.GET.get(name) for name in form.fields if name != "q")
        return context


# --- the detail page ------------------------------------------------------------------------------------
def _customer_queryset():
    return (customer_list_queryset()
            .select_related("owner__department", "source", "nature", "revenue_band", "employees_band")
            .prefetch_related(Prefetch("contacts", Contact.objects.order_by("-is_active", "-is_primary", "id"))))


class CustomerDetailView(RecordDetailView):
    model = Customer
    permission_required = "customers.view_customer"
    template_name = "customers/detail.html"
    attachments = True
    tabs = [
        ("overview", gettext_lazy("概览"), "customers/tab_overview.html"),
        ("contacts", gettext_lazy("联系人"), "customers/tab_contacts.html"),
        ("follow_ups", gettext_lazy("跟进记录"), "customers/tab_follow_ups.html"),
        ("business", gettext_lazy("业务记录"), "customers/tab_business.html"),
        ("archive", gettext_lazy("档案"), "customers/tab_archive.html"),
    ]
    bound_forms: dict = {}

    def base_queryset(self):
        return _customer_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer, user = self.object, self.request.user
        can_edit = user.has_perm("customers.change_customer", customer)
        policy = CustomerPolicy.current()
        due = policy.return_due(customer)
        context.update({
            "can_edit": can_edit,
            "return_due": due,
            "due_days": (timezone.localtime(due).date() - timezone.localdate()).days if due else None,
            "primary_contact": customer.primary_contact,
            "contacts": customer.contacts.all(),
        })
        tab = context["current_tab"]["slug"]
        forms = self.bound_forms
        if tab == "overview" and can_edit:
            context["status_form"] = forms.get("status_form") or StatusForm(customer=customer)
        elif tab == "follow_ups":
            context["follow_ups"] = customer.follow_ups.select_related("by", "contact")[:200]
            if can_edit:
                context["follow_up_form"] = forms.get("follow_up_form") or FollowUpForm(customer=customer)
        elif tab == "business":
            records = customer.business_records.select_related("recorded_by")
            context["business_records"] = records[:200]
            context["business_total"] = records.aggregate(total=Sum("amount"))["total"] or 0
            if can_edit:
                context["business_form"] = forms.get("business_form") or BusinessRecordForm()
        return context


def _render_detail(request, customer: Customer, tab: str, **bound_forms):
    """The detail page again, on ``tab``, with a form that failed (what was typed is kept)."""
    request.GET = request.GET.copy()
    request.GET["tab"] = tab
    view = CustomerDetailView(bound_forms=bound_forms)
    view.setup(request, pk=customer.pk)
    view.object = view.get_object()
    return view.render_to_response(view.get_context_data(object=view.object), status=400)


class CustomerActionView(RecordActionView):
    """An action on a customer's file, for whoever keeps the customer (``customers.change_customer``); anyone
    else who sees the customer is sent back to its page with who may."""

    model = Customer

    def get_queryset(self):
        return _customer_queryset()

    def refusal(self, record):
        if not self.request.user.has_perm("customers.change_customer", record):
            return _("只有负责人、其部门经理、总经理、管理者代表和客户服务部可以修改此客户。")
        return None


class CustomerTabActionView(CustomerActionView):
    """An action whose form is on a tab of the customer's page: an invalid form shows that tab again with the
    form keeping what was typed (400); a refusal is a message on the customer's page."""

    form_key = ""  # the form's name in the detail page's context

    def refused(self, record, form, reason, status):
        if reason is None:
            return _render_detail(self.request, record, self.tab, **{self.form_key: form})
        return super().refused(record, None, reason, status)


# --- create and edit ------------------------------------------------------------------------------------
@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request):
    post = request.POST if request.method == "POST" else None
    form = CustomerForm(post, user=request.user)
    contact_form = ContactForm(post, prefix="contact", optional=True)
    opportunity_form = OpportunityInlineForm(post)  # seed 001 "同时创建商机"
    if post is not None:
        # all run, so that every error shows at once
        valid = form.is_valid() & contact_form.is_valid() & opportunity_form.is_valid()
        if valid:
            contacts = []
            if not contact_form.is_empty():
                contact = contact_form.save(commit=False)
                contact.is_primary = True
                contacts.append(contact)
            data = form.cleaned_data
            opportunity = None
            try:
                if opportunity_form.wanted():
                    customer, opportunity = opportunity_service.create_customer_with_opportunity(
                        by=request.user, owner=data.get("owner"), to_pool=data.get("to_pool", False),
                        contacts=contacts, opportunity=opportunity_form.opportunity_fields(),
                        **form.customer_fields())
                else:
                    customer = create_customer(by=request.user, owner=data.get("owner"),
                                               to_pool=data.get("to_pool", False), contacts=contacts,
                                               **form.customer_fields())
            except ValidationError as error:  # the same name saved a moment ago by someone else
                form.refuse_duplicate_name(data["name"], error=error)
                valid = False
            except Refused as refusal:  # e.g. an opportunity for a customer put in the pool
                opportunity_form.add_error(None, str(refusal))
                valid = False
        if valid:
            if customer.in_pool:
                messages.success(request, _("已保存客户“%(name)s”，并放入客户池。") % {"name": customer.name})
            elif opportunity is not None:
                messages.success(request, _("已保存客户“%(name)s”，并创建商机“%(title)s”。")
                                 % {"name": customer.name, "title": opportunity.title})
            else:
                messages.success(request, _("已保存客户“%(name)s”。") % {"name": customer.name})
            if request.POST.get("action") == "save_new":
                messages.info(request, _("请继续新建下一个客户。"))
                return HttpResponseRedirect(reverse("customers:create"))
            if opportunity is not None:
                return HttpResponseRedirect(opportunity.get_absolute_url())
            return HttpResponseRedirect(reverse("customers:list"))
    return render(request, "customers/form.html", {
        "form": form, "contact_form": contact_form, "opportunity_form": opportunity_form, "title": _("新建客户"),
        "creating": True,
        "back_url": reverse("customers:list"),
    }, status=400 if post is not None else 200)


class CustomerEditView(CustomerActionView):
    form_class = CustomerForm
    template_name = "customers/form.html"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record, "user": self.request.user}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "creating": False,
                "title": _("修改客户：%(name)s") % {"name": record.name}}

    def perform(self, record, form):
        try:
            return save_customer(form.save(commit=False), by=self.request.user)
        except ValidationError as error:  # the same name saved a moment ago by someone else
            form.refuse_duplicate_name(form.cleaned_data["name"], error=error)
            raise Refused(form.errors["name"][0]) from error

    def refused(self, record, form, reason, status):
        if form is not None and getattr(form, "exact_duplicate", False):
            reason = None  # shown at the name, with the customers that have it
        return super().refused(record, form, reason, status)

    def get_success_message(self, record, result):
        return _("已保存客户“%(name)s”。") % {"name": record.name}


class ArchiveEditView(CustomerActionView):
    form_class = ArchiveForm
    template_name = "customers/contact_form.html"
    title = gettext_lazy("编辑客户档案")
    success_message = gettext_lazy("客户档案已保存。")
    tab = "archive"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": record}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "form_id": "archive-form"}

    def perform(self, record, form):
        return save_customer(form.save(commit=False), by=self.request.user, reason=_("修改客户档案"))


@require_GET
def cities(request):
    """The cities of a province, for the cascading select of the customer form."""
    province = request.GET.get("province", "")
    rows = Region.objects.filter(level=Region.Level.CITY, parent_id=province).order_by("code") if province else []
    return JsonResponse({"cities": [{"code": r.code, "name": r.name} for r in rows]})


# --- overview: quick status change ----------------------------------------------------------------------
class SetStatusView(CustomerTabActionView):
    form_class = StatusForm
    form_key = "status_form"
    tab = "overview"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "customer": record}

    def back_url(self, record):
        return record.get_absolute_url()

    def perform(self, record, form):
        data = form.cleaned_data
        if data["status"] == record.status:
            messages.info(self.request, _("客户状态没有变化。"))
            return False
        change_status(record, data["status"], expected=data["expected"] or None, by=self.request.user,
                      reason=data["reason"])
        return True

    def get_success_message(self, record, changed):
        if not changed:
            return ""
        return _("客户状态已改为“%(status)s”。") % {"status": record.status or _("未设置")}


# --- contacts -------------------------------------------------------------------------------------------
class ContactAddView(CustomerActionView):
    form_class = ContactForm
    template_name = "customers/contact_form.html"
    title = gettext_lazy("新增联系人")
    tab = "contacts"

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "initial": {"is_primary": record.primary_contact is None}}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "form_id": "contact-form"}

    def perform(self, record, form):
        contact = form.save(commit=False)
        contact.customer = record
        return save_contact(contact, by=self.request.user, reason=_("新增联系人"))

    def get_success_message(self, record, contact):
        return _("已添加联系人“%(name)s”。") % {"name": contact.name}


class ContactActionView(CustomerActionView):
    """An action on one of the customer's contacts (``contact_pk``: another customer's contact is a 404)."""

    tab = "contacts"

    def contact(self, record) -> Contact:
        if not hasattr(self, "_contact"):
            contact_pk = self.kwargs["contact_pk"]
            self._contact = next((c for c in record.contacts.all() if c.pk == contact_pk), None)
            if self._contact is None:
                raise Http404
        return self._contact


class ContactEditView(ContactActionView):
    form_class = ContactForm
    template_name = "customers/contact_form.html"
    title = gettext_lazy("修改联系人")

    def refusal(self, record):
        why_not = super().refusal(record)
        if why_not is None and not self.contact(record).is_active:
            return _("联系人已停用，不能修改。")
        return why_not

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "instance": self.contact(record)}

    def get_context_data(self, record, form, **kwargs):
        return {**super().get_context_data(record, form, **kwargs), "form_id": "contact-form",
                "contact": self.contact(record)}

    def perform(self, record, form):
        return save_contact(form.save(commit=False), by=self.request.user, reason=_("修改联系人"))

    def get_success_message(self, record, contact):
        return _("已保存联系人“%(name)s”。") % {"name": contact.name}


class ContactDeactivateView(ContactActionView):
    def perform(self, record, form):
        contact = self.contact(record)
        deactivate_contact(contact, by=self.request.user)
        return contact

    def get_success_message(self, record, contact):
        return _("已停用联系人“%(name)s”。") % {"name": contact.name}


# --- follow-ups and business records --------------------------------------------------------------------
class FollowUpAddView(CustomerTabActionView):
    form_class = FollowUpForm
    form_key = "follow_up_form"
    tab = "follow_ups"
    success_message = gettext_lazy("已登记跟进记录。")

    def get_form_kwargs(self, record):
        return {**super().get_form_kwargs(record), "customer": record}

    def perform(self, record, form):
        data = form.cleaned_data
        return record_follow_up(record, by=self.request.user, kind=data["kind"], content=data["content"],
                                occurred_at=data["occurred_at"], contact=data["contact"],
                                next_step=data["next_step"])


class BusinessAddView(CustomerTabActionView):
    form_class = BusinessRecordForm
    form_key = "business_form"
    tab = "business"
    success_message = gettext_lazy("已登记业务记录。")

    def perform(self, record, form):
        return record_business(record, by=self.request.user, **form.cleaned_data)


SEARCH_RESULTS = 20


@require_GET
def customer_choices(request):
    """The customers the user may see that ``q`` finds (name, key, pinyin, initials: as the list's quick search),
    at most ``SEARCH_RESULTS``, for the customer choosers of forms (``qms.widgets.SearchSelect``). ``?kept=1``:
    only customers someone keeps (not those in the pool), as contracts and opportunities require."""
    q = (request.GET.get("q") or "").strip()
    if not q:
        return JsonResponse({"results": []})
    customers = visible_to(request.user, Customer.objects.all()).filter(name_matches(q))
    if request.GET.get("kept"):
        customers = customers.filter(owner__isnull=False)
    rows = customers.order_by("name", "pk").values_list("pk", "name")[:SEARCH_RESULTS]
    return JsonResponse({"results": [{"id": pk, "label": name} for pk, name in rows]})


urlpatterns = [
    path("", CustomerListView.as_view(), name="list"),
    path("choices/", customer_choices, name="choices"),
    path("new/", customer_create, name="create"),
    path("cities/", cities, name="cities"),
    path("<int:pk>/", CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", CustomerEditView.as_view(), name="edit"),
    path("<int:pk>/archive/", ArchiveEditView.as_view(), name="archive_edit"),
    path("<int:pk>/status/", SetStatusView.as_view(), name="set_status"),
    path("<int:pk>/contacts/new/", ContactAddView.as_view(), name="contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/", ContactEditView.as_view(), name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/deactivate/", ContactDeactivateView.as_view(), name="contact_deactivate"),
    path("<int:pk>/follow-ups/new/", FollowUpAddView.as_view(), name="follow_up_add"),
    path("<int:pk>/business/new/", BusinessAddView.as_view(), name="business_add"),
]
