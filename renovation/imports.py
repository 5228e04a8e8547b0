"""The unit import (PROCEDURES.md §8 master data imports from .xlsx): 项目 / 楼栋 / 房号 with the owner and the
tenant, one row per unit. Each row goes through ``UnitImportForm`` (the unit's own validators: mobile numbers and
the 18-digit resident ID checksum); the project and the building are found by name or created. A unit that
already exists is an error of its row. Reverting a batch deletes its units while nothing refers to them (an
application on a unit blocks the revert)."""
from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.excel.imports import Column, ImportDefinition
from renovation.models import Building, Project, Unit


class UnitImportForm(forms.ModelForm):
    project = forms.CharField(label=_("项目"), max_length=100)
    building_name = forms.CharField(label=_("楼栋"), max_length=50)

    class Meta:
        model = Unit
        fields = ["project", "building_name", "number", "usage", "area", "is_large_commercial", "owner_name",
                  "owner_phone", "owner_id_number", "tenant_name", "tenant_phone", "tenant_id_number", "note"]

    def clean_owner_id_number(self):
        return self.cleaned_data.get("owner_id_number", "").upper()

    def clean_tenant_id_number(self):
        return self.cleaned_data.get("tenant_id_number", "").upper()

    def clean(self):
        cleaned = super().clean()
        project, building, number = cleaned.get("project"), cleaned.get("building_name"), cleaned.get("number")
        if project and building and number and Unit.objects.filter(
                building__project__name=project.strip(), building__name=building.strip(), number=number.strip()).exists():
            self.add_error("number", _("房号已存在：%(unit)s") % {"unit": f"{project} {building} {number}"})
        if cleaned.get("tenant_name") and not (cleaned.get("tenant_phone") or cleaned.get("tenant_id_number")):
            self.add_error("tenant_phone", _("有租户时请填写租户电话或身份证号。"))
        return cleaned


def save_imported_unit(form: UnitImportForm, batch, user) -> Unit:
    cleaned = form.cleaned_data
    with transaction.atomic(), audit.context(user=user, reason=gettext("导入房号（批次 #%(batch)d）") % {"batch": batch.pk}):
        project, _created = Project.objects.get_or_create(name=cleaned["project"].strip())
        building, _created = Building.objects.get_or_create(project=project, name=cleaned["building_name"].strip())
        unit = form.save(commit=False)
        unit.building = building
        unit.number = unit.number.strip()
        unit.save()
    return unit


# registered by ``RenovationConfig.ready()``
UNIT_IMPORT = ImportDefinition(
    key="renovation_units",
    title=_("房号及业主"),
    form_class=UnitImportForm,
    permission="renovation.import_unit",
    columns=[
        Column("项目", "project", help=_("项目名称，不存在则新建")),
        Column("楼栋", "building_name", help=_("如 1栋、A座；不存在则新建")),
        Column("房号", "number", help=_("同一楼栋内不能重复")),
        Column("用途", "usage"),
        Column("建筑面积", "area", help=_("平方米，可留空")),
        Column("大型商铺/娱乐场所", "is_large_commercial", help=_("填“是”则装修须提供消防审批文件")),
        Column("业主姓名", "owner_name"),
        Column("业主电话", "owner_phone", help=_("11 位手机号码或带区号的固定电话")),
        Column("业主身份证号", "owner_id_number", help=_("18 位居民身份证号，校验位须正确")),
        Column("租户姓名", "tenant_name"),
        Column("租户电话", "tenant_phone"),
        Column("租户身份证号", "tenant_id_number"),
        Column("备注", "note"),
    ],
    unique=(("项目", "楼栋", "房号"),),
    save_row=save_imported_unit,
    list_url_name="renovation:units",
)
