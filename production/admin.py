"""Process cards are master data edited here (engineering); task orders and lots change through the portal."""
from django.contrib import admin

from production.models import ProcessCard, ProcessStep


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    extra = 1
    fields = ["sequence", "name", "work_centre", "first_piece", "patrol", "final"]
    can_delete = False  # a card in use is revised (a new card) or deactivated, never cut down


@admin.register(ProcessCard)
class ProcessCardAdmin(admin.ModelAdmin):
    list_display = ["code", "product", "specification", "revision", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "product", "specification"]
    inlines = [ProcessStepInline]

    def has_delete_permission(self, request, obj=None):
        return False
