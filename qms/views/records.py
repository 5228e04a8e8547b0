"""Views shared by every controlled record: making a workflow move (with its reason or signature form),
printing the record's form as a PDF."""
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from qms import workflow
from qms.pdf import PrintForm, pdf_response, render_pdf
from qms.people import visible_to
from qms.refusals import Refused
from qms.views.generic import VisibleObjectMixin


class MoveForm(forms.Form):
    """The form behind a move button: the fields the move records, a reason and/or the password, meaning and
    comment of a signature. A move that asks for more declares a subclass (``Move(form=…)``): its own fields and
    ``clean``, ``values()`` for what the move writes on the record and ``inputs()`` for its ``after`` hook."""

    expected_from = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    password = forms.CharField(label=gettext_lazy("密码（确认身份）"), widget=forms.PasswordInput, required=False)
    comment = forms.CharField(label=gettext_lazy("意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, move=None, record=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.move, self.record, self.user = move, record, user
        self.recorded = []
        if move is not None and move.fields and record is not None:
            # what the move records, as the model's own form fields (widgets, choices, validation)
            model_fields = forms.fields_for_model(type(record), fields=move.fields, formfield_callback=_formfield)
            for name in move.fields:
                self.fields[name] = model_fields[name]
                self.initial.setdefault(name, getattr(record, name, None))
            self.recorded = list(move.fields)
            self.order_fields([*move.fields, "reason", "password", "comment"])
        if move is not None:
            if move.needs_reason(record) if record is not None else move.reason is True:
                self.fields["reason"].required = True
            else:
                del self.fields["reason"]
            if move.signature:
                self.fields["password"].required = True
            else:
                del self.fields["password"]
                del self.fields["comment"]
            # the fields the move's own form adds come before the reason and the signature
            own = [name for name in self.fields if name not in ("expected_from", "reason", "password", "comment")]
            self.order_fields([*own, "reason", "password", "comment"])

    def values(self) -> dict:
        """The recorded fields' cleaned values, for ``workflow.perform(values=…)``."""
        return {name: self.cleaned_data[name] for name in self.recorded}

    def inputs(self) -> dict:
        """What the move's ``after`` hook reads besides the record's fields (``transition.inputs``)."""
        return {}


def move_form(move, record, user, *args, **kwargs) -> MoveForm:
    """The form of ``move`` on ``record``: the move's own (``Move(form=…)``) or the core's."""
    return (move.form or MoveForm)(*args, move=move, record=record, user=user, **kwargs)


def _formfield(model_field, **kwargs):
    from qms.widgets import DateInput, DateTimeInput
    from django.db import models

    if isinstance(model_field, models.DateTimeField):
        kwargs.setdefault("widget", DateTimeInput)
    elif isinstance(model_field, models.DateField):
        kwargs.setdefault("widget", DateInput)
    return model_field.formfield(**kwargs)


def _record_or_404(request, content_type_id, pk):
    content_type = get_object_or_404(ContentType, pk=content_type_id)
    model = content_type.model_class()
    if model is None or workflow.workflow_for(model) is None:
        raise Http404
    return get_object_or_404(visible_to(request.user, model._default_manager.all()), pk=pk)


class MoveView(View):
    """GET: the move's own page (used without JavaScript and to show errors); POST: make the move."""

    template_name = "qms/move.html"

    def dispatch(self, request, content_type_id, pk, to):
        self.record = _record_or_404(request, content_type_id, pk)
        self.wf = workflow.workflow_for(self.record)
        self.to = to
        current = getattr(self.record, self.wf.status_field)
        self.move = self.wf.move(request.POST.get("expected_from", current), to) or self.wf.move(current, to)
        if self.move is None or self.move.own_form:
            why_not = _("请在记录页面上执行“%(move)s”。") % {"move": self.move.label} if self.move else None
            messages.error(request, why_not or workflow.refusal(self.record, to, request.user) or _("不能执行此操作。"))
            return HttpResponseRedirect(self.record.get_absolute_url())
        return super().dispatch(request, content_type_id, pk, to)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {
            "record": self.record, "move": self.move, "form": form, "title": self.move.label,
            "meaning_label": workflow.signatures.Meaning(self.move.signature).label if self.move.signature else "",
        }, status=status)

    def get(self, request, *args, **kwargs):
        why_not = workflow.refusal(self.record, self.to, request.user, self.move)
        if why_not:
            messages.error(request, why_not)
            return HttpResponseRedirect(self.record.get_absolute_url())
        form = move_form(self.move, self.record, request.user,
                         initial={"expected_from": getattr(self.record, self.wf.status_field)})
        return self.render_form(form)

    def post(self, request, *args, **kwargs):
        form = move_form(self.move, self.record, request.user, request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        try:
            workflow.perform(self.record, self.to, request.user, reason=data.get("reason", ""),
                             password=data.get("password", ""), comment=data.get("comment", ""),
                             expected_from=data["expected_from"], values=form.values(), inputs=form.inputs())
        except Refused as refusal:
            form.add_error(None, str(refusal))
            return self.render_form(form, status=409)
        messages.success(request, _("已完成“%(move)s”。") % {"move": self.move.label})
        return HttpResponseRedirect(self.record.get_absolute_url())


class RecordDocumentView(PermissionRequiredMixin, VisibleObjectMixin, DetailView):
    """A document printed from a record (its form, its labels), for those who may see the record (anyone else:
    404)."""

    raise_exception = True

    def get_permission_required(self):
        return [f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"]

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not self.request.user.has_perm(self.get_permission_required()[0], obj):
            raise Http404
        return obj

    def document_number(self, obj) -> str:
        return getattr(obj, "number", "") or str(obj.pk)


class RecordPdfView(RecordDocumentView):
    """The record's controlled form as a PDF, for those who may see the record (anyone else: 404)."""

    print_form: PrintForm
    # False for what is handed out or posted (a permit, pass cards, a notice): no signature table
    with_signatures = True

    def render_to_response(self, context, **response_kwargs):
        obj = self.object
        number = self.document_number(obj)
        pdf = render_pdf(self.print_form, context, record=obj if self.with_signatures else None, number=number,
                         request=self.request)
        return pdf_response(pdf, self.file_name(obj, number))

    def file_name(self, obj, number: str) -> str:
        return f"{number}.pdf"


class RecordLabelView(RecordDocumentView):
    """The record's label(s) with a QR code (``qms.labels``), for those who may see the record (anyone else: 404):
    ``labels(obj)`` gives the label dicts; ``sheet`` prints them as a grid on A4."""

    label_template = "print/labels/record.html"
    label_size = None  # a qms.labels.LabelSize; None: LABEL_100X70
    sheet = False
    file_suffix = "label"

    def labels(self, obj) -> list[dict]:
        raise ImproperlyConfigured(f"{type(self).__name__} must define labels(obj)")

    def render_to_response(self, context, **response_kwargs):
        from qms.labels import LABEL_100X70, render_labels

        obj = self.object
        pdf = render_labels(self.label_template, self.labels(obj), size=self.label_size or LABEL_100X70,
                            sheet=self.sheet, request=self.request)
        return pdf_response(pdf, f"{self.document_number(obj)}-{self.file_suffix}.pdf")
