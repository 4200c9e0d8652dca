from django.forms.renderers import TemplatesSetting


class BootstrapFormRenderer(TemplatesSetting):
    """Every form renders with labels, help and errors next to each field, Bootstrap-styled."""

    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"
