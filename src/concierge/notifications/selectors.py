from django.db.models import QuerySet

from concierge.notifications.models import Notification, OutboxEmail, Preference
from concierge.notifications.registry import CHANNELS, all_events


def inbox(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def recent(*, user, limit: int = 8) -> list[Notification]:
    return list(inbox(user=user)[:limit])


def preference_matrix(*, user) -> list[dict]:
    """Each event with its channels' on/off state for this user."""
    saved = {(p.event, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    rows = []
    for event in all_events():
        if event.key.startswith("notifications."):
            continue
        rows.append(
            {
                "event": event,
                "channels": [
                    {
                        "name": ch,
                        "available": ch in event.channels or not event.mandatory,
                        "enabled": saved.get((event.key, ch), ch in event.channels),
                    }
                    for ch in CHANNELS
                ],
            }
        )
    return rows


def outbox_for(*, user) -> QuerySet[OutboxEmail]:
    return OutboxEmail.objects.filter(recipient=user)
