import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from qms.tables import StatusColumn, choice_label
from renovation.models import Application, Unit, Violation


class ApplicationTable(tables.Table):
    number = tables.Column(verbose_name=_("申请编号"), linkify=True)
    unit = tables.Column(verbose_name=_("房号"), accessor="unit", order_by=("unit__building__project__name",
                                                                          "unit__building__name", "unit__number"))
    applicant_name = tables.Column(verbose_name=_("申请人"))
    contractor = tables.Column(verbose_name=_("施工单位"), accessor="contractor_name", empty_values=())
    status = StatusColumn()
    review_due_at = tables.DateTimeColumn(verbose_name=_("审批期限"), format="Y-m-d H:i")
    planned_start = tables.DateColumn(verbose_name=_("计划开工"), format="Y-m-d")
    submitted_at = tables.DateTimeColumn(verbose_name=_("提交时间"), format="Y-m-d")

    class Meta:
        model = Application
        fields = ["number", "unit", "applicant_name", "contractor", "status", "review_due_at", "planned_start",
                  "submitted_at"]
        order_by = ("-submitted_at",)

    def render_unit(self, record):
        unit = record.unit
        return f"{unit.building.project.name} {unit.building.name} {unit.number}"

    def value_unit(self, record):
        return self.render_unit(record)

    def render_contractor(self, record):
        return record.contractor_name or choice_label(self, record, "contractor_kind")

    def value_contractor(self, record):
        return self.render_contractor(record)


class UnitTable(tables.Table):
    project = tables.Column(verbose_name=_("项目"), accessor="building__project__name")
    building = tables.Column(verbose_name=_("楼栋"), accessor="building__name")
    number = tables.Column(verbose_name=_("房号"), linkify=True)
    usage = tables.Column(verbose_name=_("用途"))
    owner_name = tables.Column(verbose_name=_("业主"))
    owner_phone = tables.Column(verbose_name=_("业主电话"))
    tenant_name = tables.Column(verbose_name=_("租户"))
    renovation_count = tables.Column(verbose_name=_("装修次数"), orderable=True)

    class Meta:
        model = Unit
        fields = ["project", "building", "number", "usage", "owner_name", "owner_phone", "tenant_name",
                  "renovation_count"]
        order_by = ("project", "building", "number")


class ViolationTable(tables.Table):
    number = tables.Column(verbose_name=_("违章编号"), linkify=True)
    unit = tables.Column(verbose_name=_("房号"), accessor="application__unit",
                         order_by=("application__unit__building__project__name", "application__unit__building__name",
                                   "application__unit__number"))
    application = tables.Column(verbose_name=_("申请编号"), accessor="application__number")
    kind = tables.Column(verbose_name=_("违章类型"))
    description = tables.Column(verbose_name=_("违章情况"), orderable=False)
    status = StatusColumn()
    found_at = tables.DateTimeColumn(verbose_name=_("发现时间"), format="Y-m-d H:i")
    found_by = tables.Column(verbose_name=_("发现人"), order_by=("found_by__full_name",))

    class Meta:
        model = Violation
        fields = ["number", "unit", "application", "kind", "description", "status", "found_at", "found_by"]
        order_by = ("-found_at",)

    def render_unit(self, record):
        unit = record.application.unit
        return f"{unit.building.project.name} {unit.building.name} {unit.number}"

    def value_unit(self, record):
        return self.render_unit(record)

    def value_kind(self, record):
        return choice_label(self, record, "kind")

    def render_found_by(self, record):
        return record.found_by.display_name

    def value_found_by(self, record):
        return record.found_by.display_name
