"""An import row checked by a copy of the pass's form (``qms.excel.rowforms.bind_row``) gets the answer Django's
own form gives: the same errors, and for a good row the same record kept for the commit."""
import dataclasses

import pytest
from django import forms

from customers.forms import ContactForm
from customers.imports import CUSTOMER_IMPORT, _RowContactForm
from customers.models import CustomerOption, OptionKind
from customers.tests.test_imports import GOOD, HEADERS, row
from qms.excel.imports import ImportRun, RowChecker
from qms.excel.reading import EMPTY, Cell, Row
from qms.excel.rowforms import bind_row

pytestmark = pytest.mark.django_db

BAD = [
    row(客户名称="宁波港湾物流有限公司", 邮编="31500", 手机="1234", 邮箱="not-an-email", QQ="abc", 联系人姓名="林"),
    row(客户名称="温州瓯江鞋业有限公司", 省份="浙江省", 城市="朝阳区", 负责人="nobody", 评分="十星"),
    row(客户行业="制造业", 建立合作日期="昨天", 联系人姓名="", 手机=13912345678),
    row(客户名称="嘉兴南湖纺织有限公司", 客户等级="A", 放入客户池="也许"),
    row(客户名称="杭州西湖精密仪器有限公司"),  # repeats the first good row's name
]


def _checked(definition, user, rows):
    run = ImportRun(definition, user)
    checker = RowChecker(definition, HEADERS, user=user, run=run)
    definition.prepare_run(run)
    out = []
    for number, values in enumerate(rows, start=2):
        cells = tuple(EMPTY if value is None else Cell(value) for value in values)
        form, errors = checker.check(Row(number, cells))
        out.append((errors, definition.keep_row(form) if form is not None else None))
    return out, checker


@pytest.mark.parametrize("who", ["gm", "sales"])
def test_copied_row_forms_give_the_errors_and_kept_records_of_a_form_built_per_row(people, who):
    rows = [*GOOD, *BAD]
    copied, checker = _checked(CUSTOMER_IMPORT, people[who], rows)
    plan = checker.prototype._row_plan
    assert plan.fields and plan.construct  # the copies took the short way
    built, _checker = _checked(dataclasses.replace(CUSTOMER_IMPORT, form_per_run=False), people[who], rows)
    assert copied == built
    assert [kept is not None for _errors, kept in copied] == [True, True, True, False, False, False, False, False]
    assert {column for errors, _kept in copied[3:] for column, _message in errors} >= {
        "邮编", "手机", "邮箱", "QQ", "城市", "负责人", "评分", "客户名称", "建立合作日期", "放入客户池"}
    assert copied[0][1]["contact"]["mobile"] == "13812345678"


CONTACTS = [
    {"name": "周明", "salutation": "周经理", "position": "采购经理", "mobile": "13812345678", "email": "zhou@example.com",
     "qq": "123456"},
    {"name": "吴芳", "mobile": "", "email": "", "qq": ""},
    {"name": "", "mobile": "13812345678"},
    {"name": "林", "mobile": "1234", "email": "x@", "qq": "abc", "salutation": "经" * 60},
    {},
]


def test_a_copied_contact_form_checks_as_the_page_s_contact_form():
    prototype = _RowContactForm(data={}, optional=True)
    for data in CONTACTS:
        copied, built = bind_row(prototype, data), ContactForm(data=data, optional=True)
        assert copied.is_valid() == built.is_valid()
        assert copied.errors == built.errors
        if built.is_valid():
            fields = [f.attname for f in built.instance._meta.concrete_fields if f.attname not in ("created_at", "updated_at")]
            assert [getattr(copied.instance, f) for f in fields] == [getattr(built.instance, f) for f in fields]
    assert prototype._row_plan.construct


class _OptionForm(forms.ModelForm):
    order = forms.IntegerField(required=False)  # as a page would offer it: left empty, the list's default

    class Meta:
        model = CustomerOption
        fields = ["kind", "label", "order", "is_active"]


def test_a_field_left_out_of_a_row_keeps_its_model_default_as_in_a_form_built_per_row(db):
    # ``order`` (default 0) is left out: Django keeps the default rather than the empty value (which the model
    # refuses); ``is_active`` (default True) is a check box, which a page leaves out when it is not ticked.
    prototype = _OptionForm(data={})
    rows = [{"kind": OptionKind.INDUSTRY, "label": "航空航天"}, {"kind": OptionKind.INDUSTRY, "label": "船舶", "order": "3"},
            {"kind": OptionKind.INDUSTRY, "label": "", "is_active": "on"}, {"kind": "nonsense", "label": "x"}]
    for data in rows:
        copied, built = bind_row(prototype, data), _OptionForm(data=data)
        assert copied.errors == built.errors
        assert (copied.instance.order, copied.instance.is_active) == (built.instance.order, built.instance.is_active)
    assert bind_row(prototype, rows[0]).is_valid() and prototype._row_plan.construct
    first = bind_row(prototype, rows[0])
    first.is_valid()
    assert (first.instance.order, first.instance.is_active) == (0, False)
