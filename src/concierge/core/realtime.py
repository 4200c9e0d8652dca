"""Push live updates to WebSocket groups; a broken channel layer never breaks a write."""

import logging
import re

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def group_name(*parts) -> str:
    """A valid channel-layer group name from parts, e.g. group_name("org", 5, "beds")."""
    return _UNSAFE.sub("-", ".".join(str(p) for p in parts))[:99]


def broadcast(group: str, payload: dict, *, event_type: str = "push") -> None:
    """Send `payload` to every socket in `group` once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": event_type, "payload": payload})
        except Exception:  # live updates are best-effort; pages also poll
            logger.warning("broadcast failed", extra={"group": group}, exc_info=True)

    transaction.on_commit(send)
