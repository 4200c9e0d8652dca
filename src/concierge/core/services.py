"""Core writes: the audit log and task progress."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from concierge.core.models import AuditEvent, TaskProgress

logger = logging.getLogger("concierge.audit")


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit(
    *,
    kind: str,
    actor=None,
    organisation=None,
    summary: str = "",
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one security event. Summaries never carry passwords, tokens or finance data."""
    event = AuditEvent.objects.create(
        kind=kind,
        actor=actor if actor is not None and actor.pk else None,
        organisation=organisation,
        summary=summary[:255],
        ip_address=client_ip(request),
        user_agent=(request.headers.get("User-Agent", "")[:255] if request else ""),
        data=data or {},
    )
    logger.info("audit", extra={"kind": kind, "actor_id": getattr(actor, "pk", None)})
    return event


def start_progress(*, owner, kind: str, label: str, total: int = 0) -> TaskProgress:
    return TaskProgress.objects.create(owner=owner, kind=kind, label=label, total=total)


def report_progress(progress_id, *, done: int, total: int | None = None, message: str = "") -> None:
    """Called by a task as it works; cheap enough to call every few hundred rows."""
    fields: dict[str, Any] = {
        "done": done,
        "status": TaskProgress.Status.RUNNING,
        "message": message[:255],
    }
    if total is not None:
        fields["total"] = total
    TaskProgress.objects.filter(pk=progress_id).update(**fields)


def finish_progress(
    progress_id, *, result: dict | None = None, result_url: str = "", error: str = ""
) -> None:
    status = TaskProgress.Status.FAILED if error else TaskProgress.Status.DONE
    TaskProgress.objects.filter(pk=progress_id).update(
        status=status, result=result or {}, result_url=result_url, message=error[:255]
    )
