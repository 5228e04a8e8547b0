"""The date and time inputs of every form: the browser's own pickers, given their values in the ISO form the
HTML standard requires. A Django widget without an explicit format renders the language's first input format
(``2026/12/14`` in Chinese), which the browser silently discards, so an edit form would lose its dates."""
from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class SearchSelect(forms.Select):
    """A record chooser for a list too long for one ``<select>`` (100,000 customers): the page carries only the
    empty choice and the chosen record; the search box that ``static/js/search_select.js`` puts above it asks
    ``search_url`` (``?q=``, JSON ``{"results": [{"id": …, "label": …}]}``) for the records the user may choose.
    The form field keeps its whole queryset, so what is posted is validated against it as before."""

    def __init__(self, search_url, attrs=None, placeholder=None, query=""):
        super().__init__(attrs=attrs)
        self.search_url = search_url  # a URL name or a URL (reversed lazily: the widget is built at import)
        self.query = query  # fixed parameters of the search, e.g. "kept=1"
        self.placeholder = placeholder

    def get_context(self, name, value, attrs):
        from django.urls import reverse
        from django.utils.translation import gettext

        url = str(self.search_url)
        url = url if "/" in url else reverse(url)
        attrs = {**(attrs or {}), "data-search-url": f"{url}?{self.query}" if self.query else url,
                 "data-search-placeholder": str(self.placeholder or gettext("输入名称、拼音或首字母搜索"))}
        return super().get_context(name, value, attrs)

    def optgroups(self, name, value, attrs=None):
        from django.forms.models import ModelChoiceIterator

        iterator = self.choices
        if not isinstance(iterator, ModelChoiceIterator):
            return super().optgroups(name, value, attrs)
        field = iterator.field
        chosen = [str(v) for v in value if v not in ("", None) and str(v).isdigit()]
        choices = [("", field.empty_label)] if field.empty_label is not None else []
        if chosen:
            choices += [(str(obj.pk), field.label_from_instance(obj)) for obj in iterator.queryset.filter(pk__in=chosen)]
        self.choices = choices
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = iterator


def choose_by_search(field, search_url, query="") -> None:
    """Give a model choice field (its queryset already set) a ``SearchSelect`` instead of its ``<select>``."""
    widget = SearchSelect(search_url, attrs=dict(field.widget.attrs), query=query)
    widget.is_required = field.required
    widget.choices = field.choices
    field.widget = widget
