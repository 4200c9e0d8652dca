from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from concierge.notifications import selectors, services
from concierge.notifications.models import Notification
from concierge.notifications.registry import CHANNELS, all_events


@login_required
def inbox(request):
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(selectors.inbox(user=request.user, unread_only=unread_only), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
def bell(request):
    """The header bell (count + latest items); htmx polls it and WebSocket pushes refresh it."""
    return render(
        request,
        "notifications/_bell.html",
        {
            "unread": services.unread_count(user=request.user),
            "latest": selectors.recent(user=request.user, limit=6),
        },
    )


@login_required
@require_POST
def read(request, pk: int):
    try:
        notification = services.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request):
    count = services.mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    if request.method == "POST":
        for event in all_events():
            if event.mandatory or event.key.startswith("notifications."):
                continue
            for channel in CHANNELS:
                services.set_preference(
                    user=request.user,
                    event=event.key,
                    channel=channel,
                    enabled=request.POST.get(f"{event.key}:{channel}") == "on",
                )
        digest = request.POST.get("email_digest") == "on"
        if request.user.email_digest != digest:
            from concierge.accounts.services import update_profile

            update_profile(user=request.user, email_digest=digest)
        if request.POST.get("send_test"):
            services.notify(request.user, "notifications.test", {}, url="/notifications/")
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"rows": selectors.preference_matrix(user=request.user)},
    )


def unsubscribe(request, token: str):
    try:
        _user, event = services.unsubscribe(token=token)
    except (signing.BadSignature, LookupError, KeyError):
        return render(request, "notifications/unsubscribe.html", {"ok": False}, status=400)
    except Exception as exc:  # the user may be gone
        raise Http404 from exc
    return render(request, "notifications/unsubscribe.html", {"ok": True, "event": event})
