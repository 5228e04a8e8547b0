"""Every date and time input of every form renders its value in the ISO form the browser's picker accepts:
a Chinese-formatted value (``2026/12/14``) is silently dropped by the browser, and the user's edit then fails
with "这个字段是必填项" for dates he never touched."""
import datetime as dt
import importlib
import pkgutil
import re

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

PICKERS = {"date": "2026-12-14", "datetime-local": "2026-12-14T09:30", "month": "2026-12"}
VALUE = dt.datetime(2026, 12, 14, 9, 30)


def every_form_class():
    for config in apps.get_app_configs():
        if not config.name.split(".")[0] in {"qms", "customers", "complaints", "renovation", "reviews", "changes",
                                             "production"}:
            continue
        package = importlib.import_module(config.name)
        for module in pkgutil.walk_packages(package.__path__, config.name + "."):
            if ".tests" in module.name or ".migrations" in module.name or "management" in module.name:
                continue
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {cls for cls in subclasses(forms.BaseForm) if cls.__module__.split(".")[0] in
            {"qms", "customers", "complaints", "renovation", "reviews", "changes", "production"}}


def test_every_date_picker_of_every_form_renders_an_iso_value():
    checked = []
    with translation.override("zh-hans"):
        for form_class in every_form_class():
            for name, field in getattr(form_class, "base_fields", {}).items():
                input_type = getattr(field.widget, "input_type", "")
                if input_type not in PICKERS:
                    continue
                value = VALUE.date() if input_type in ("date", "month") else VALUE
                html = field.widget.render(name, value)
                found = re.search(r'value="([^"]*)"', html)
                assert found and found.group(1) == PICKERS[input_type], (form_class, name, html)
                checked.append((form_class.__name__, name))
    # the forms the users reported: the renovation application and the CAPA action
    names = {form for form, _field in checked}
    assert {"ApplicationForm"} <= names and len(checked) >= 15, checked


@pytest.mark.django_db
def test_editing_a_returned_renovation_application_keeps_both_planned_dates(people):
    from renovation.forms import ApplicationForm
    from renovation.tests import factories

    application = factories.submit(people, factories.unit())
    with translation.override("zh-hans"):
        html = str(ApplicationForm(instance=application))
    for field in ("planned_start", "planned_end"):
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', html).group(0)
        assert f'value="{getattr(application, field):%Y-%m-%d}"' in tag, tag
