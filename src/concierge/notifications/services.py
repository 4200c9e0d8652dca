"""notify(): the one way every module tells a person something."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from concierge.core.consumers import user_group
from concierge.core.realtime import broadcast
from concierge.core.tasking import enqueue_on_commit
from concierge.notifications.models import DedupMarker, Notification, OutboxEmail, Preference
from concierge.notifications.registry import EMAIL, IN_APP, EventType, get_event

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
UNSUBSCRIBE_SALT = "concierge.unsubscribe"


def _render(source: str, context: dict[str, Any], *, autoescape: bool) -> str:
    return Template(str(source)).render(Context(context, autoescape=autoescape)).strip()


def channel_enabled(*, user, event: EventType, channel: str) -> bool:
    if event.mandatory:
        return channel in event.channels
    pref = Preference.objects.filter(user=user, event=event.key, channel=channel).first()
    return pref.enabled if pref is not None else channel in event.channels


def _claim_dedup(*, recipient, event: EventType, key: str) -> bool:
    """True if this (recipient, event, key) may be sent now; records the claim."""
    now = timezone.now()
    expires = now + event.dedup_window if event.dedup_window else None
    marker = (
        DedupMarker.objects.select_for_update()
        .filter(recipient=recipient, event=event.key, key=key)
        .first()
    )
    if marker is not None:
        if marker.expires_at is None or marker.expires_at > now:
            return False
        marker.expires_at = expires
        marker.save(update_fields=["expires_at"])
        return True
    try:
        with transaction.atomic():
            DedupMarker.objects.create(
                recipient=recipient, event=event.key, key=key, expires_at=expires
            )
    except IntegrityError:  # another request claimed it a moment ago
        return False
    return True


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def notify(
    recipient,
    event: str,
    context: dict[str, Any] | None = None,
    *,
    channels: tuple[str, ...] | None = None,
    target=None,
    url: str = "",
    dedup_key: str = "",
) -> Notification | None:
    """Tell `recipient` about `event` on its channels, in their language.

    Rows (inbox item, outbox e-mail) are written in the caller's transaction; e-mail is sent
    by a task after commit. Returns the in-app notification, or None when nothing was due
    (duplicate inside the window, all channels off, inactive user).
    """
    event_type = get_event(event)
    if recipient is None or not recipient.is_active or recipient.deleted_at:
        return None
    if target is not None and not dedup_key:
        dedup_key = f"{target._meta.label_lower}:{target.pk}"
    if (dedup_key or event_type.dedup_window) and not _claim_dedup(
        recipient=recipient, event=event_type, key=dedup_key or "-"
    ):
        return None

    wanted = channels or event_type.channels
    ctx = {
        "recipient": recipient,
        "site_url": settings.SITE_URL,
        "url": absolute_url(url),
        **(context or {}),
    }
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        title = _render(event_type.title, ctx, autoescape=False)[:255]
        body = _render(event_type.body, ctx, autoescape=False) if event_type.body else ""
        notification = None
        if IN_APP in wanted and channel_enabled(user=recipient, event=event_type, channel=IN_APP):
            notification = Notification.objects.create(
                recipient=recipient,
                event=event,
                title=title,
                body=body,
                url=url,
                target_type=ContentType.objects.get_for_model(target) if target else None,
                target_id=str(target.pk) if target else "",
            )
            broadcast(
                user_group(recipient),
                {"kind": "notification", "title": title, "unread": unread_count(user=recipient)},
            )
        if (
            EMAIL in wanted
            and recipient.email
            and channel_enabled(user=recipient, event=event_type, channel=EMAIL)
        ):
            _queue_event_email(
                recipient=recipient, event_type=event_type, title=title, body=body, context=ctx
            )
    return notification


def unsubscribe_url(*, user, event: str) -> str:
    token = signing.dumps({"u": user.pk, "e": event}, salt=UNSUBSCRIBE_SALT)
    return absolute_url(reverse("notifications:unsubscribe", args=[token]))


def _queue_event_email(
    *, recipient, event_type: EventType, title: str, body: str, context: dict[str, Any]
) -> OutboxEmail:
    ctx = {
        **context,
        "title": title,
        "body": body,
        "unsubscribe_url": unsubscribe_url(user=recipient, event=event_type.key),
    }
    base = event_type.email_template or "notifications/email/generic"
    text = render_to_string(f"{base}.txt", ctx)
    html = render_to_string(f"{base}.html", ctx)
    digest = recipient.email_digest and event_type.digestible and not event_type.mandatory
    return queue_email(
        to=[recipient.email],
        subject=title,
        text=text,
        html=html,
        event=event_type.key,
        recipient=recipient,
        headers={"List-Unsubscribe": f"<{ctx['unsubscribe_url']}>"},
        hold_for_digest=digest,
    )


def queue_email(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    event: str = "",
    recipient=None,
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    hold_for_digest: bool = False,
) -> OutboxEmail:
    """Write an e-mail to the outbox in the current transaction; a task sends it."""
    email = OutboxEmail.objects.create(
        recipient=recipient,
        to=", ".join(to),
        subject=subject[:255],
        body_text=text,
        body_html=html,
        event=event,
        headers=headers or {},
        attachments=[
            {"name": n, "content": base64.b64encode(c).decode(), "mimetype": m}
            for n, c, m in (attachments or [])
        ],
        status=OutboxEmail.Status.DIGEST if hold_for_digest else OutboxEmail.Status.PENDING,
        next_attempt_at=None if hold_for_digest else timezone.now(),
    )
    if not hold_for_digest:
        from concierge.notifications.tasks import deliver_email

        enqueue_on_commit(deliver_email, email.pk)
    return email


def deliver(*, email_id: int) -> bool:
    """Send one outbox e-mail; on failure schedule a retry with exponential back-off."""
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutboxEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            to=[a.strip() for a in email.to.split(",")],
            headers=email.headers or None,
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        for item in email.attachments:
            message.attach(item["name"], base64.b64decode(item["content"]), item["mimetype"])
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:  # SMTP down, DNS, auth: keep the mail, try again later
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
            email.next_attempt_at = timezone.now() + timedelta(minutes=2**email.attempts)
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning(
                "e-mail delivery failed", extra={"email_id": email.pk, "attempt": email.attempts}
            )
            return False
        email.status = OutboxEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def deliver_due(*, limit: int = 200) -> int:
    """Send every pending e-mail whose retry time has come. Returns how many were sent."""
    due = OutboxEmail.objects.filter(
        status=OutboxEmail.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    return sum(deliver(email_id=pk) for pk in list(due))


def retry_failed(*, email_ids: list[int]) -> int:
    return OutboxEmail.objects.filter(pk__in=email_ids, status=OutboxEmail.Status.FAILED).update(
        status=OutboxEmail.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )


@transaction.atomic
def send_digests() -> int:
    """One e-mail per user with everything held for the digest."""
    from concierge.accounts.models import User

    held = OutboxEmail.objects.select_for_update().filter(status=OutboxEmail.Status.DIGEST)
    users = User.objects.filter(pk__in=held.values("recipient_id"))
    sent = 0
    for user in users:
        items = list(held.filter(recipient=user).order_by("created_at"))
        with translation.override(user.language):
            ctx = {
                "recipient": user,
                "items": items,
                "unsubscribe_url": absolute_url(reverse("notifications:preferences")),
            }
            queue_email(
                to=[user.email],
                subject=str(translation.gettext("Your daily summary")),
                text=render_to_string("notifications/email/digest.txt", ctx),
                html=render_to_string("notifications/email/digest.html", ctx),
                event="notifications.digest",
                recipient=user,
            )
        OutboxEmail.objects.filter(pk__in=[i.pk for i in items]).update(
            status=OutboxEmail.Status.DIGESTED
        )
        sent += 1
    return sent


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, notification_id: int) -> Notification:
    notification = Notification.objects.get(recipient=user, pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def set_preference(*, user, event: str, channel: str, enabled: bool) -> Preference:
    get_event(event)
    pref, _ = Preference.objects.update_or_create(
        user=user, event=event, channel=channel, defaults={"enabled": enabled}
    )
    return pref


def unsubscribe(*, token: str) -> tuple[Any, str]:
    """Turn off e-mail for the event in a signed unsubscribe link. Raises signing.BadSignature."""
    from concierge.accounts.models import User

    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=timedelta(days=365))
    user = User.objects.get(pk=data["u"])
    set_preference(user=user, event=data["e"], channel=EMAIL, enabled=False)
    return user, data["e"]
