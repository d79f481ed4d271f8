from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value: Decimal | None) -> str:
    """A quantity without trailing zeros and never in exponent form: 10.0000 -> "10", 2.5000 -> "2.5"."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value).normalize():f}"
