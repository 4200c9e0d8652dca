from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from concierge.core.charts import Chart

register = template.Library()


@register.inclusion_tag("core/_chart.html")
def chart(chart: Chart, chart_id: str):
    """{% chart my_chart "spending-by-category" %}"""
    return {
        "chart": chart,
        "chart_id": chart_id,
        "figure_json": mark_safe(chart.figure_json().replace("</", "<\\/")),
    }


@register.simple_tag
def field_classes(bound_field) -> str:
    widget = bound_field.field.widget.__class__.__name__
    if widget in {"CheckboxInput", "CheckboxSelectMultiple", "RadioSelect"}:
        return "form-check-input"
    if widget in {"Select", "SelectMultiple"}:
        return "form-select"
    return "form-control"


@register.filter
def add_class(bound_field, css: str):
    """Render a bound field's widget with extra CSS classes (and aria-invalid on errors)."""
    attrs = {"class": css}
    if bound_field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_errors"
    elif bound_field.help_text:
        attrs["aria-describedby"] = f"{bound_field.auto_id}_help"
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def badge(text, tone: str = "secondary"):
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)
