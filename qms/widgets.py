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
