from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(amount) -> str:
    """¥1,234.50 — money to the fen, from a Decimal (never a float)."""
    if amount is None or amount == "":
        return "—"
    amount = Decimal(amount)
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"  # a reversal: -¥2,000.00
