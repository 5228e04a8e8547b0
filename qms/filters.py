"""Filters shared by every list page."""
import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget


class AnyYesNoSelect(BooleanWidget):
    """A yes/no filter whose empty choice reads 全部 (Django's own says "未知", as if the answer were unknown)."""

    def __init__(self, attrs=None):
        forms.Select.__init__(self, attrs, (("", _("全部")), ("true", _("是")), ("false", _("否"))))


class YesNoFilter(django_filters.BooleanFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", AnyYesNoSelect())
        super().__init__(*args, **kwargs)
