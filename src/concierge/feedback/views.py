from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.feedback import selectors, services
from concierge.feedback.forms import RatingForm


def _safe_next(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if ok else fallback


@login_required
@require_POST
def rate(request, content_type_id: int, object_id: str):
    """Rate any object the user may rate; the widget posts here (htmx swaps the fragment)."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
        target = content_type.get_object_for_this_type(pk=object_id)
    except (
        ContentType.DoesNotExist,
        content_type.model_class().DoesNotExist,
        ValueError,
        AttributeError,
    ) as exc:
        raise Http404 from exc
    if not services.can_rate(user=request.user, target=target):
        raise Http404  # don't reveal objects the user cannot see
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.rate(
                user=request.user,
                target=target,
                **form.cleaned_data,
                context=request.POST.get("context", "")[:40],
                moderated=getattr(target, "ratings_are_moderated", False),
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, exc)
    ctx = {
        "target": target,
        "form": form,
        "content_type_id": content_type_id,
        "mine": selectors.rating_by(user=request.user, target=target),
        "can_rate": True,
        "saved": form.is_valid() and not form.errors,
        "next": _safe_next(request),
        "rating_context": request.POST.get("context", "")[:40],
    }
    if request.htmx:
        return render(request, "feedback/_rating_form.html", ctx)
    if ctx["saved"]:
        messages.success(request, _("Thank you for your rating."))
    else:
        messages.error(request, _("Your rating was not saved: choose from 1 to 5 stars."))
    return redirect(_safe_next(request))


@login_required
def app_feedback(request):
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.rate_app(user=request.user, **form.cleaned_data)
        messages.success(request, _("Thank you for your feedback."))
        return redirect("core:home")
    return render(request, "feedback/app_feedback.html", {"form": form})
