"""{% assistant_widget %}: the floating chat button on the product's own pages."""

from django import template
from django.conf import settings

from concierge.assistant import selectors

register = template.Library()


@register.inclusion_tag("assistant/_widget_tag.html", takes_context=True)
def assistant_widget(context, org_slug: str = ""):
    request = context.get("request")
    user = getattr(request, "user", None)
    slug = org_slug or selectors.widget_organisation_slug(
        user=user, default=getattr(settings, "ASSISTANT_DEFAULT_ORG", "")
    )
    return {"assistant_widget_org": slug, "LANGUAGE_CODE": context.get("LANGUAGE_CODE", "en")}
