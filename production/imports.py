"""The process card import (issue 18: a process card is master data, importable from Excel): one row per
operation — 工艺卡编号, the product, then the operation with the inspections it needs. The card is found by its
number or created with the row's product; an operation already on the card is an error of its row. Reverting a
batch deletes the operations it added (the cards stay, as their task orders may refer to them)."""
from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit
from qms.excel.imports import Column, ImportDefinition
from production.models import ProcessCard, ProcessStep


class ProcessStepImportForm(forms.ModelForm):
    code = forms.CharField(label=_("工艺卡编号"), max_length=30)
    product = forms.CharField(label=_("产品名称"), max_length=100)
    specification = forms.CharField(label=_("规格型号"), max_length=100, required=False)
    revision = forms.CharField(label=_("版本"), max_length=10, required=False)

    class Meta:
        model = ProcessStep
        fields = ["code", "product", "specification", "revision", "sequence", "name", "work_centre",
                  "first_piece", "patrol", "final"]

    def clean(self):
        cleaned = super().clean()
        code, sequence = (cleaned.get("code") or "").strip(), cleaned.get("sequence")
        card = ProcessCard.objects.filter(code=code).first() if code else None
        if card is not None and cleaned.get("product") and card.product != cleaned["product"].strip():
            self.add_error("product", _("工艺卡 %(code)s 的产品为“%(product)s”。") % {
                "code": code, "product": card.product})
        if card is not None and sequence is not None and card.steps.filter(sequence=sequence).exists():
            self.add_error("sequence", _("工艺卡 %(code)s 已有工序号 %(sequence)s。") % {
                "code": code, "sequence": sequence})
        return cleaned


def save_imported_step(form: ProcessStepImportForm, batch, user) -> ProcessStep:
    cleaned = form.cleaned_data
    with transaction.atomic(), audit.context(user=user, reason=gettext("导入工艺卡（批次 #%(batch)d）") % {
            "batch": batch.pk}):
        card, _created = ProcessCard.objects.get_or_create(code=cleaned["code"].strip(), defaults={
            "product": cleaned["product"].strip(), "specification": (cleaned.get("specification") or "").strip(),
            "revision": (cleaned.get("revision") or "").strip() or "A/0"})
        step = form.save(commit=False)
        step.card = card
        step.save()
    return step


# registered by ``ProductionConfig.ready()``
PROCESS_CARD_IMPORT = ImportDefinition(
    key="production_process_cards",
    title=_("工艺卡"),
    form_class=ProcessStepImportForm,
    permission="production.import_processcard",
    columns=[
        Column("工艺卡编号", "code", help=_("不存在则新建工艺卡")),
        Column("产品名称", "product"),
        Column("规格型号", "specification"),
        Column("版本", "revision", help=_("留空为 A/0")),
        Column("工序号", "sequence", help=_("同一工艺卡内不能重复，按工序号排序")),
        Column("工序名称", "name"),
        Column("工作中心", "work_centre"),
        Column("首件检验", "first_piece", help=_("填“是”或“否”")),
        Column("巡检", "patrol", help=_("填“是”或“否”")),
        Column("完工检验", "final", help=_("填“是”或“否”")),
    ],
    unique=(("工艺卡编号", "工序号"),),
    save_row=save_imported_step,
    list_url_name="production:card_list",
)
