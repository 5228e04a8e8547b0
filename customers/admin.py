"""Administration of key accounts: the editable lists (客户行业, 来源, 性质, 营业额, 员工数, 客户状态) and the policy
numbers are kept here; customers and their history are changed through the portal (services, audited), so
the admin only shows them."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.models import (BusinessRecord, Contact, Customer, CustomerOption, CustomerPolicy, FollowUp,
                              OwnershipChange, Region, Visit)


def option_in_use(option: CustomerOption) -> bool:
    fields = ["industry", "source", "nature", "revenue_band", "employees_band", "status"]
    return any(Customer.all_objects.filter(**{field: option}).exists() for field in fields)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for look-up; changed only through the portal's pages and services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustomerOption)
class CustomerOptionAdmin(admin.ModelAdmin):
    """An entry no customer uses may be deleted; one in use cannot (PROTECT): it is deactivated instead, so that
    the customers keep their value while new ones no longer offer it."""

    list_display = ("label", "kind", "order", "is_active")
    list_display_links = ("label",)
    list_editable = ("order", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("label",)
    ordering = ("kind", "order", "id")
    actions = ["deactivate", "activate"]

    def has_delete_permission(self, request, obj=None):
        if obj is None or not super().has_delete_permission(request, obj):
            return False  # no bulk delete: each entry is checked on its own page
        return not option_in_use(obj)

    @admin.action(description=_("停用所选选项"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(request, ngettext("已停用 %(n)d 个选项。", "已停用 %(n)d 个选项。", count) % {"n": count},
                          messages.SUCCESS)

    @admin.action(description=_("启用所选选项"), permissions=["change"])
    def activate(self, request, queryset):
        count = queryset.update(is_active=True)
        self.message_user(request, ngettext("已启用 %(n)d 个选项。", "已启用 %(n)d 个选项。", count) % {"n": count},
                          messages.SUCCESS)


@admin.register(CustomerPolicy)
class CustomerPolicyAdmin(admin.ModelAdmin):
    """One row: the numbers of PROCEDURES.md §1 that administrators set."""

    list_display = ("__str__", "claim_limit", "daily_claim_limit", "return_days_a", "return_days_b", "return_days_c",
                    "return_warning_days", "updated_at")
    readonly_fields = ("updated_at",)
    fieldsets = (
        (_("客户池"), {"fields": ("claim_limit", "daily_claim_limit", "return_days_a", "return_days_b", "return_days_c",
                                 "return_warning_days", "reclaim_block_days")}),
        (_("走访"), {"fields": ("visits_per_month_a", "visits_per_month_b", "visits_per_month_c",
                                "weekly_phone_for_c")}),
        (_("ABC 分类与回收站"), {"fields": ("abc_a_share", "abc_b_share", "recycle_retention_days", "updated_at")}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not CustomerPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ("name", "salutation", "position", "mobile", "email", "qq", "is_primary", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "grade", "status", "industry", "owner", "created_by", "created_at", "last_follow_up_at",
                    "deleted_at")
    list_filter = ("grade", "status", "industry", "source", "nature", ("owner", admin.EmptyFieldListFilter),
                   ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "name_pinyin", "name_initials", "owner__full_name", "owner__username")
    list_select_related = ("owner", "created_by", "status", "industry")
    date_hierarchy = "created_at"
    inlines = [ContactInline]

    def get_queryset(self, request):
        return Customer.all_objects.all()


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("name", "customer", "position", "mobile", "email", "is_primary", "is_active")
    list_filter = ("is_primary", "is_active")
    search_fields = ("name", "mobile", "email", "customer__name")
    list_select_related = ("customer",)


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("customer", "kind", "occurred_at", "by", "contact")
    list_filter = ("kind",)
    search_fields = ("customer__name", "content", "by__full_name")
    list_select_related = ("customer", "by", "contact")
    date_hierarchy = "occurred_at"


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("customer", "kind", "status", "owner", "period_start", "period_end", "visited_at")
    list_filter = ("kind", "status")
    search_fields = ("customer__name", "owner__full_name")
    list_select_related = ("customer", "owner")


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "customer", "kind", "from_owner", "to_owner", "by", "reason")
    list_filter = ("kind",)
    search_fields = ("customer__name", "reason")
    list_select_related = ("customer", "from_owner", "to_owner", "by")
    date_hierarchy = "at"


@admin.register(BusinessRecord)
class BusinessRecordAdmin(ReadOnlyAdmin):
    list_display = ("customer", "occurred_on", "amount", "description", "recorded_by")
    search_fields = ("customer__name", "description")
    list_select_related = ("customer", "recorded_by")
    date_hierarchy = "occurred_on"


from customers.contracts import admin as contracts_admin  # noqa: E402,F401  (the contract review policy)
