"""What the fulfilment pages share."""
from __future__ import annotations

from django.urls import NoReverseMatch


def contract_link(contract) -> str:
    """The contract's page, or "" while the contract pages (customers:contract_detail) are not installed."""
    if contract is None:
        return ""
    try:
        return contract.get_absolute_url()
    except NoReverseMatch:
        return ""
