"""Admin of contract review: the policy row (the minimum margin of a regular contract)."""
from django.contrib import admin

from customers.contracts.models import ContractPolicy


@admin.register(ContractPolicy)
class ContractPolicyAdmin(admin.ModelAdmin):
    """One row: the minimum margin below which a contract is special (seed 002 §5.3.2, PROCEDURES.md §2)."""

    list_display = ("__str__", "min_margin_percent", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ContractPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
