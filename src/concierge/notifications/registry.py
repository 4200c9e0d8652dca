"""The catalogue of notification events. Apps register theirs in `<app>/events.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

IN_APP = "inapp"
EMAIL = "email"
CHANNELS = (IN_APP, EMAIL)


@dataclass(frozen=True)
class EventType:
    """One kind of notification.

    `title` and `body` are Django template strings (usually gettext_lazy) rendered with the
    notify() context in the recipient's language. `email_template` optionally names a template
    base (`<base>.txt` / `<base>.html`) for a richer e-mail. `dedup_window`: the same event for
    the same key and recipient inside the window is sent once; None means once ever per key.
    """

    key: str
    title: str
    body: str = ""
    channels: tuple[str, ...] = CHANNELS
    email_template: str = ""
    dedup_window: timedelta | None = field(default=None)
    digestible: bool = True
    mandatory: bool = False  # security notices cannot be switched off
    description: str = ""


_EVENTS: dict[str, EventType] = {}


def register(event: EventType) -> EventType:
    _EVENTS[event.key] = event
    return event


def get_event(key: str) -> EventType:
    try:
        return _EVENTS[key]
    except KeyError as exc:
        raise LookupError(f"Unknown notification event {key!r}; register it in events.py") from exc


def all_events() -> list[EventType]:
    return sorted(_EVENTS.values(), key=lambda e: e.key)
