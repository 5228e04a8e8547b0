"""The forms of the fulfilment moves that ask for more than the core's move form (``Move(form=…)``): every field
the move records is required, long answers are text areas, and a time recorded after the fact is not in the
future. Shown by the core move view (the button's dialog, its own page without JavaScript)."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.views.records import MoveForm

TEXTS = ("review_note", "verification_note", "confirmation_note", "return_note")


class RequiredMoveForm(MoveForm):
    """Every field the move records is asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.recorded:
            if name in self.fields:
                self.fields[name].required = True
        for name in TEXTS:
            if name in self.fields:
                self.fields[name].widget = forms.Textarea(attrs={"rows": 3})


class ShipForm(RequiredMoveForm):
    """确认发货: when the goods left (now by default, never in the future)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "shipped_at" in self.fields and not self.initial.get("shipped_at"):
            self.initial["shipped_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def clean_shipped_at(self):
        value = self.cleaned_data["shipped_at"]
        if value and value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("发货时间不能晚于现在。"))
        return value


class ReturnPropertyForm(RequiredMoveForm):
    """归还顾客: the date (today by default, never in the future) and the customer's receiver; a note may be
    left empty."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "return_note" in self.fields:
            self.fields["return_note"].required = False
        if "returned_on" in self.fields and not self.initial.get("returned_on"):
            self.initial["returned_on"] = timezone.localdate()

    def clean_returned_on(self):
        value = self.cleaned_data["returned_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("归还日期不能晚于今天。"))
        return value
