"""Who may talk to the chat from where, and how often: the Origin check for embeds and a
cache-based rate limit (per IP and per conversation)."""

from __future__ import annotations

import os
import time
from collections import deque
from urllib.parse import urlsplit

from django.core.cache import cache

#: Messages a minute. Environment-tunable so a load test from one address can raise them.
PER_IP_PER_MINUTE = int(os.environ.get("ASSISTANT_RATE_PER_IP", "60"))
PER_CHAT_PER_MINUTE = int(os.environ.get("ASSISTANT_RATE_PER_CHAT", "20"))
STARTS_PER_IP_PER_MINUTE = int(os.environ.get("ASSISTANT_STARTS_PER_IP", "20"))


def normalise_origin(origin: str) -> str:
    origin = (origin or "").strip().lower().rstrip("/")
    if origin in ("", "null"):
        return ""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def same_origin(origin: str, host: str) -> bool:
    """The page is served by us (Origin's host:port equals the Host header)."""
    o = urlsplit(normalise_origin(origin))
    if not o.hostname:
        return False
    default = {"http": 80, "https": 443}.get(o.scheme, 0)
    mine = (host or "").lower()
    theirs = o.hostname + (f":{o.port}" if o.port and o.port != default else "")
    return mine == theirs or mine == f"{theirs}:{default}"


def origin_allowed(*, origin: str, host: str, settings_obj) -> bool:
    """No Origin (a non-browser client), our own pages, or an origin the organisation lists."""
    if not origin:
        return True
    if same_origin(origin, host):
        return True
    return normalise_origin(origin) in {normalise_origin(o) for o in settings_obj.origin_list}


def allow(key: str, limit: int, window: int = 60) -> bool:
    """A fixed-window counter in the cache; True while under `limit` per `window` seconds.
    Increments first: once the window's counter exists (the usual case) that is the only
    cache call."""
    bucket = f"assistant:rl:{key}"
    try:
        n = cache.incr(bucket)
    except ValueError:  # no counter yet in this window
        if cache.add(bucket, 1, timeout=window):
            return True
        try:
            n = cache.incr(bucket)  # another process started it just now
        except ValueError:
            return True
    return n <= limit


class ChatWindow:
    """At most `limit` messages per `window` seconds for one chat socket, counted in the
    process that holds the socket (no cache call; the per-address limit stays shared)."""

    def __init__(self, limit: int | None = None, window: float = 60.0) -> None:
        self.limit = PER_CHAT_PER_MINUTE if limit is None else limit
        self.window = window
        self.sent: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            return False
        self.sent.append(now)
        return True


def allow_socket_message(*, ip: str, chat: ChatWindow) -> bool:
    return chat.allow() and allow(f"ip:{ip}", PER_IP_PER_MINUTE)


def allow_message(*, ip: str, conversation_key: str) -> bool:
    return allow(f"ip:{ip}", PER_IP_PER_MINUTE) and allow(
        f"chat:{conversation_key}", PER_CHAT_PER_MINUTE
    )


def allow_start(*, ip: str) -> bool:
    return allow(f"start:{ip}", STARTS_PER_IP_PER_MINUTE)
