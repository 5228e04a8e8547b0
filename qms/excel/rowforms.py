"""The form that checks an import row, made once per pass and copied for every row (``bind_row``).

An import checks each row with the web page's form, so that a row obeys the same rules as a record typed in. A
Django form is built for a page: its ``__init__`` copies every field (with its queryset and widget), and its
checks build a ``BoundField`` per field (HTML names, ids, label) to read each value. For 10,000 rows that was most
of the validation's time. ``bind_row`` copies a prototype built once per pass instead, and a copy checks its row
the way Django does, without what only a page needs:

- its fields are read and cleaned without a ``BoundField`` (``_clean_row_fields``), where every field is read as
  Django's ``Field`` reads it (none disabled, no file field) and the form cleans its fields as ``BaseForm`` does;
- a model form makes its instance with ``qms.instances.instance_maker`` (``Model()`` works out every field's
  default for each), sets the cleaned values without a ``BoundField`` (``_construct_row_instance``), works out
  which fields its model checks once when no check failed (Django works it out twice), and leaves out the unique
  constraints on fields it does not have (Django would build each one's query and drop it) — where the form's
  class checks its model as ``BaseModelForm`` does;
- the fields its model leaves out of the checks (``_get_validation_exclusions``) are worked out from the fields the
  form does not check, found once, and the few that depend on the row — where the form's class leaves them to
  ``BaseModelForm``, or adds its own through ``ExtraValidationExclusions``.

Any other form is checked by Django's own code. ``customers/tests/test_import_row_forms.py`` compares both on rows
that pass and rows that fail.
"""
from __future__ import annotations

from functools import partial

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import UniqueConstraint
from django.forms.models import InlineForeignKeyField

from qms.instances import instance_maker


def bind_row(prototype: forms.BaseForm, data: dict) -> forms.BaseForm:
    """A copy of ``prototype`` (a bound form never checked) bound to ``data``, as if built anew: it shares the
    prototype's fields (built once per pass, never changed by a check) and has its own data, errors and, for a
    model form, a new instance."""
    form = object.__new__(type(prototype))  # copy.copy, without its generic reduce protocol
    form.__dict__.update(prototype.__dict__)
    form.data = data
    form._errors = None
    form._bound_fields_cache = {}
    form.__dict__.pop("cleaned_data", None)
    plan = prototype.__dict__.get("_row_plan")
    if plan is None:
        plan = prototype._row_plan = _RowPlan(prototype)
    if plan.fields:
        form._clean_fields = partial(_clean_row_fields, form, plan.fields)
    if isinstance(form, forms.BaseModelForm):
        form.instance = plan.fresh_instance()
        constraints = plan.constraints
        form.instance.get_constraints = lambda: constraints
        if plan.construct:
            form._post_clean = partial(_post_clean_row, form, plan)
    return form


class ExtraValidationExclusions:
    """A model form mixin: the fields ``BaseModelForm`` leaves out of the model's checks and those the form adds
    (``extra_validation_exclusions``), declared rather than by overriding ``_get_validation_exclusions``, so that
    an import's row copies work out Django's part once per pass (``_RowPlan``)."""

    def extra_validation_exclusions(self) -> set[str]:
        return set()

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | self.extra_validation_exclusions()


class _RowPlan:
    """What every copy of one prototype shares, worked out at its first row."""

    def __init__(self, prototype: forms.BaseForm):
        self.fields = _plain_fields(prototype)
        if isinstance(prototype, forms.BaseModelForm):
            self.fresh_instance = instance_maker(prototype._meta.model)  # called without values: Model()
            self.constraints = _checked_constraints(prototype)
            self.construct = _construct_plan(prototype) if self.fields else []
            self.inline = {name for name, field in prototype.fields.items() if isinstance(field, InlineForeignKeyField)}
            self.exclusions = _exclusions_plan(prototype)


def _plain_fields(prototype: forms.BaseForm) -> list[tuple[str, forms.Field, str]]:
    """[(name, field, HTML name)] of a prototype whose fields are all read and cleaned as Django's ``Field`` does it
    (none disabled, none a file field), in a form that cleans its fields as ``BaseForm`` does; else []."""
    if type(prototype)._clean_fields is not forms.BaseForm._clean_fields:
        return []
    plain = []
    for name, field in prototype.fields.items():
        if field.disabled or type(field)._clean_bound_field is not forms.Field._clean_bound_field:
            return []
        plain.append((name, field, prototype.add_prefix(name)))
    return plain


def _clean_row_fields(form: forms.BaseForm, plain: list[tuple[str, forms.Field, str]]) -> None:
    """``BaseForm._clean_fields`` without a ``BoundField`` per field."""
    cleaned = form.cleaned_data
    for name, field, html_name in plain:
        try:
            cleaned[name] = field.clean(form._widget_data_value(field.widget, html_name))
            if hasattr(form, "clean_%s" % name):
                cleaned[name] = getattr(form, "clean_%s" % name)()
        except ValidationError as error:
            form.add_error(name, error)


def _checked_constraints(form: forms.BaseModelForm) -> list:
    """The instance's constraints less the unique ones on a field the form does not have: the model form leaves
    such a field out of every check (``_get_validation_exclusions``), so Django would build a query for the
    constraint and drop it, for every row."""
    checked = []
    for model, constraints in form.instance.get_constraints():
        kept = [c for c in constraints if not (isinstance(c, UniqueConstraint) and c.fields
                                               and any(name not in form.fields for name in c.fields))]
        checked.append((model, kept))
    return checked


def _construct_plan(prototype: forms.BaseModelForm) -> list[tuple]:
    """[(model field, name, whether it has a default, HTML name)]: the fields ``construct_instance`` may set, in its
    order; [] where the form's class checks its model otherwise than ``BaseModelForm``, or the model has a file
    field the form may set."""
    cls = type(prototype)
    if (cls._post_clean is not forms.BaseModelForm._post_clean
            or cls.validate_unique is not forms.BaseModelForm.validate_unique):
        return []
    opts = prototype._meta
    plan = []
    for field in prototype.instance._meta.fields:
        if not field.editable or isinstance(field, models.AutoField):
            continue
        if (opts.fields is not None and field.name not in opts.fields) or (opts.exclude and field.name in opts.exclude):
            continue
        if isinstance(field, models.FileField):
            return []
        plan.append((field, field.name, field.has_default(), prototype.add_prefix(field.name)))
    return plan


def _exclusions_plan(prototype: forms.BaseModelForm) -> tuple | None:
    """(the model fields never checked, [(name, form field, whether the model field may be blank)] of the others,
    whether the form adds its own): ``BaseModelForm._get_validation_exclusions`` split into what a pass shares and
    what each row decides; None where the form's class works them out otherwise."""
    deciding = [cls for cls in type(prototype).__mro__ if "_get_validation_exclusions" in vars(cls)]
    if deciding not in ([forms.BaseModelForm], [ExtraValidationExclusions, forms.BaseModelForm]):
        return None
    opts = prototype._meta
    never, per_row = set(), []
    for field in prototype.instance._meta.fields:
        name = field.name
        if (name not in prototype.fields or (opts.fields and name not in opts.fields)
                or (opts.exclude and name in opts.exclude)):
            never.add(name)
        else:
            per_row.append((name, prototype.fields[name], field.blank))
    return never, per_row, deciding[0] is ExtraValidationExclusions


def _validation_exclusions(form: forms.BaseModelForm, plan: _RowPlan) -> set[str]:
    """``form._get_validation_exclusions()``, from the pass's plan where it has one."""
    if plan.exclusions is None:
        return form._get_validation_exclusions()
    never, per_row, extra = plan.exclusions
    exclude = set(never)
    errors, cleaned = form._errors, form.cleaned_data
    for name, form_field, blank in per_row:
        if name in errors:
            exclude.add(name)
        elif not blank and not form_field.required and cleaned.get(name) in form_field.empty_values:
            exclude.add(name)
    if extra:
        exclude |= form.extra_validation_exclusions()
    return exclude


def _construct_row_instance(form: forms.BaseModelForm, plan: list[tuple]) -> None:
    """``construct_instance``, with the form's fields and exclusions worked out once (``_construct_plan``)."""
    cleaned, instance, data, files = form.cleaned_data, form.instance, form.data, form.files
    for field, name, has_default, html_name in plan:
        if name not in cleaned:
            continue
        if has_default:  # a default stays where the row has no value for the field, as Django leaves it
            form_field = form.fields[name]
            if form_field.widget.value_omitted_from_data(data, files, html_name) \
                    and cleaned.get(name) in form_field.empty_values:
                continue
        field.save_form_data(instance, cleaned[name])


def _post_clean_row(form: forms.BaseModelForm, plan: _RowPlan) -> None:
    """``BaseModelForm._post_clean``, with ``_construct_row_instance``, and the fields the model leaves out of
    its checks worked out once when neither the instance nor its checks found an error (Django asks again for
    the unique checks; the answer is the same when nothing was added to the form's errors)."""
    exclude = _validation_exclusions(form, plan)
    unique_exclude = set(exclude)
    exclude |= plan.inline
    failed = False
    try:
        _construct_row_instance(form, plan.construct)
    except ValidationError as error:
        form._update_errors(error)
        failed = True
    try:
        form.instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as error:
        form._update_errors(error)
        failed = True
    if form._validate_unique:
        if failed:
            unique_exclude = _validation_exclusions(form, plan)
        try:
            form.instance.validate_unique(exclude=unique_exclude)
        except ValidationError as error:
            form._update_errors(error)
