from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(amount) -> str:
    """¥1,234.50 — money to the fen, from a Decimal (never a float)."""
    if amount is None or amount == "":
        return "—"
    return f"¥{Decimal(amount):,.2f}"
