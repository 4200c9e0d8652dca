"""{% rating_summary obj %} and {% rating_form obj %}: ask for and show ratings anywhere."""

from django import template
from django.contrib.contenttypes.models import ContentType

from concierge.feedback import selectors, services
from concierge.feedback.forms import RatingForm

register = template.Library()


@register.inclusion_tag("feedback/_rating_summary.html")
def rating_summary(target):
    return {"summary": selectors.summary_for(target), "target": target}


@register.inclusion_tag("feedback/_rating_form.html", takes_context=True)
def rating_form(context, target, rating_context: str = "", next_url: str = ""):
    request = context["request"]
    mine = selectors.rating_by(user=request.user, target=target)
    initial = {"score": mine.score, "comment": mine.comment} if mine else None
    return {
        "request": request,
        "target": target,
        "content_type_id": ContentType.objects.get_for_model(target).pk,
        "form": RatingForm(initial=initial),
        "mine": mine,
        "can_rate": services.can_rate(user=request.user, target=target),
        "rating_context": rating_context,
        "next": next_url or request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def stars(value) -> str:
    try:
        n = round(float(value))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)
