"""Poll each organisation's IMAP mailbox (imaplib) and feed every unseen message to
`services.ingest_email` — the same path as POST /api/helpdesk/inbound and
`manage.py helpdesk ingest`. The connection factory is injectable, so tests need no server."""

from __future__ import annotations

import contextlib
import imaplib
import logging

from concierge.helpdesk import services
from concierge.helpdesk.models import HelpdeskSettings

logger = logging.getLogger(__name__)


def poll(cfg: HelpdeskSettings, *, connect=None) -> list[services.IngestResult]:
    """Fetch UNSEEN messages, ingest each, then flag it \\Seen. One bad message never stops
    the others."""
    if connect is None:

        def connect():
            cls = imaplib.IMAP4_SSL if cfg.imap_ssl else imaplib.IMAP4
            return cls(cfg.imap_host, cfg.imap_port, timeout=30)

    results = []
    box = connect()
    try:
        box.login(cfg.imap_user, cfg.imap_password)
        box.select(cfg.imap_folder or "INBOX")
        status, data = box.search(None, "UNSEEN")
        if status != "OK":
            return results
        for num in (data[0] or b"").split():
            status, parts = box.fetch(num, "(RFC822)")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
            if status != "OK" or raw is None:
                continue
            results.append(services.ingest_email(organisation=cfg.organisation, raw=raw))
            box.store(num, "+FLAGS", "\\Seen")
    finally:
        with contextlib.suppress(Exception):
            box.logout()
    return results


def poll_all() -> int:
    count = 0
    for cfg in HelpdeskSettings.objects.exclude(imap_host="").select_related("organisation"):
        try:
            count += len(poll(cfg))
        except Exception:
            logger.warning(
                "IMAP poll failed", extra={"organisation": cfg.organisation.slug}, exc_info=True
            )
    return count
