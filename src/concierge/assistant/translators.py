"""Optional machine translation for answers that have no human translation.

Off by default: nothing needs the network. Turn it on with a setting naming a class,
``ASSISTANT_TRANSLATOR = "concierge.assistant.translators.LibreTranslate"`` and
``ASSISTANT_TRANSLATOR_URL = "http://127.0.0.1:5000"``. A translator has one method,
``translate(text, *, source, target) -> str | None``; returning None (or raising) means
"could not", and the assistant answers in the organisation's language instead.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class LibreTranslate:
    """A LibreTranslate server (self-hosted); short timeout so a chat never waits long."""

    def __init__(self, url: str | None = None, api_key: str = "", timeout: float = 3.0):
        self.url = (url or getattr(settings, "ASSISTANT_TRANSLATOR_URL", "")).rstrip("/")
        self.api_key = api_key or getattr(settings, "ASSISTANT_TRANSLATOR_KEY", "")
        self.timeout = timeout

    def translate(self, text: str, *, source: str, target: str) -> str | None:
        if not self.url:
            return None
        body = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        req = urllib.request.Request(
            f"{self.url}/translate",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
            data = json.loads(resp.read().decode())
        return data.get("translatedText") or None


@lru_cache(maxsize=1)
def get_translator():
    path = getattr(settings, "ASSISTANT_TRANSLATOR", "")
    if not path:
        return None
    return import_string(path)()


def machine_translate(text: str, *, source: str, target: str) -> str | None:
    translator = get_translator()
    if translator is None:
        return None
    try:
        return translator.translate(text, source=source, target=target)
    except Exception:
        logger.warning("machine translation failed", exc_info=True)
        return None
