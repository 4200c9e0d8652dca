"""Small, fast filters for stock tables (a list page formats hundreds of quantities)."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """12.000 → 12, 1.250 → 1.25, None → —."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if value == value.to_integral_value():
        return str(value.to_integral_value())
    return format(value.normalize(), "f")
