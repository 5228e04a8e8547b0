"""What the fulfilment pages share."""
from __future__ import annotations

from django.http import Http404
from django.urls import NoReverseMatch

from customers.contracts.fulfilment_forms import visible_customers
from qms.views.actions import RecordFormView


def contract_link(contract) -> str:
    """The contract's page, or "" while the contract pages (customers:contract_detail) are not installed."""
    if contract is None:
        return ""
    try:
        return contract.get_absolute_url()
    except NoReverseMatch:
        return ""


class FulfilmentFormView(RecordFormView):
    """A fulfilment record's capture page (``fulfilment_form.html``: an intro, the form, a submit label), opened
    from a list or from a key account's page (``?customer=<id>``, which must be visible: else 404)."""

    template_name = "customers/contracts/fulfilment_form.html"
    form_id = ""
    intro = ""
    submit_label = ""

    def prepare(self, record):
        self.initial = {}
        if str(self.request.GET.get("customer", "")).isdigit():
            customer = visible_customers(self.request.user).filter(pk=self.request.GET["customer"]).first()
            if customer is None:
                raise Http404
            self.initial["customer"] = customer.pk

    def get_form_kwargs(self, record):
        return {"user": self.request.user, "initial": self.initial}

    def get_context_data(self, record, form, formsets, **kwargs):
        return super().get_context_data(record, form, formsets, form_id=self.form_id,
                                        submit_label=self.submit_label, **kwargs)
