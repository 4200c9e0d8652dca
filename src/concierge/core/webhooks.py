"""Outgoing webhooks: one way to sign and send them. Modules keep their own delivery rows
(attempts, back-off, status) and call `post_signed` from a task."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from typing import Any

SIGNATURE_HEADER = "X-Concierge-Signature"


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC of the body>` — receivers recompute it with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(
    *,
    url: str,
    secret: str,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
    opener=None,
    timeout: float = 10,
) -> int:
    """POST `payload` as JSON with its signature; returns the HTTP status.
    Raises OSError (or the opener's error) when the receiver fails or answers ≥ 300."""
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body),
            **(headers or {}),
        },
    )
    with (opener or urllib.request.urlopen)(request, timeout=timeout) as response:
        code = getattr(response, "status", 200)
    if code >= 300:
        raise OSError(f"HTTP {code}")
    return code
