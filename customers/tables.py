"""Columns of the customer list and its export (one definition, both uses)."""
import django_tables2 as tables
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.rules import edit_check
from qms.links import pk_url
from qms.tables import choice_label, per_table

NO_DUE = "—"


class CustomerTable(tables.Table):
    name = tables.Column(verbose_name=_("客户名称"), linkify=True, attrs={"td": {"class": "customer-name"}})
    industry = tables.Column(verbose_name=_("客户行业"), order_by=("industry__order", "industry__label"))
    rating = tables.Column(verbose_name=_("评分"))
    address = tables.Column(verbose_name=_("地址"), empty_values=(), order_by=("province", "city", "address"))
    owner = tables.Column(verbose_name=_("负责人"), empty_values=(), order_by=("owner__full_name", "owner__username"))
    created_by = tables.Column(verbose_name=_("创建人"), order_by=("created_by__full_name", "created_by__username"))
    created_at = tables.DateTimeColumn(verbose_name=_("创建时间"), format="Y-m-d H:i")
    due_days = tables.Column(verbose_name=_("距到期天数"), empty_values=(), orderable=False,
                             attrs={"td": {"class": "due-days text-end"}})
    grade = tables.Column(verbose_name=_("客户等级"))
    status = tables.Column(verbose_name=_("客户状态"), order_by=("status__order", "status__label"))
    actions = tables.Column(verbose_name=_("操作"), empty_values=(), orderable=False, exclude_from_export=True)

    class Meta:
        model = Customer
        fields = ["name", "industry", "rating", "address", "owner", "created_by", "created_at", "due_days", "grade",
                  "status", "actions"]
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "customer-table"}

    def __init__(self, *args, policy=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.user = user
        self.today = timezone.localdate()
        self.zone = timezone.get_current_timezone()  # read once: every row's 距到期天数 is counted in it

    def due_days_of(self, record):
        """Whole days until the customer returns to the pool (CustomerPolicy.return_due); None in the pool."""
        due = self.policy.return_due(record) if self.policy is not None else None
        if due is None:
            return None
        return (due.astimezone(self.zone).date() - self.today).days

    def value_due_days(self, record):
        days = self.due_days_of(record)
        return NO_DUE if days is None else days

    def render_due_days(self, record):
        days = self.due_days_of(record)
        if days is None:
            return NO_DUE
        warning = self.policy.return_warning_days if self.policy else 0
        css = "danger" if days <= 0 else "warning" if days <= warning else "light"
        return per_table(self, ("due_days", days),
                         lambda: format_html('<span class="badge text-bg-{}">{}</span>', css, days))

    def value_address(self, record):
        return " ".join(part for part in (record.province and record.province.name, record.city and record.city.name,
                                          record.address) if part)

    def render_address(self, record):
        return self.value_address(record) or "—"

    def value_owner(self, record):
        if record.owner_id:
            return record.owner.display_name
        return per_table(self, "pool_text", lambda: str(_("客户池")))

    def render_owner(self, record):
        if record.owner_id:
            return record.owner.display_name
        return per_table(self, "pool", lambda: format_html('<span class="badge text-bg-secondary">{}</span>', _("客户池")))

    def render_rating(self, record):
        return choice_label(self, record, "rating")

    def value_rating(self, record):
        return choice_label(self, record, "rating")

    def render_grade(self, record):
        return per_table(self, ("grade", record.grade), lambda: format_html(
            '<span class="badge grade-{} text-bg-{}">{}</span>', record.grade,
            {"A": "danger", "B": "warning"}.get(record.grade, "secondary"), choice_label(self, record, "grade")))

    def value_grade(self, record):
        return choice_label(self, record, "grade")

    def render_actions(self, record):
        if not hasattr(self, "_actions"):  # once per page: the two URL patterns, the labels, who may edit
            self._actions = (pk_url("customers:detail"), pk_url("customers:edit"), escape(_("查看")),
                             escape(_("编辑")), edit_check(self.user) if self.user is not None else (lambda c: False))
        detail_url, edit_url, view_label, edit_label, may_edit = self._actions
        html = f'<a class="btn btn-sm btn-outline-secondary" href="{detail_url(record.pk)}">{view_label}</a>'
        if may_edit(record):
            html += f' <a class="btn btn-sm btn-outline-primary" href="{edit_url(record.pk)}">{edit_label}</a>'
        return mark_safe(html)  # noqa: S308  (integer ids in fixed URL patterns, escaped labels)
