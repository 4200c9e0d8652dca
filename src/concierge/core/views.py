import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from concierge.core import selectors
from concierge.core.modules import module_configs

logger = logging.getLogger(__name__)


def home(request):
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    cards = []
    for config in module_configs():
        if config.visible_to(request.user):
            try:
                cards.extend(config.dashboard_cards(request))
            except Exception:  # one module's broken card must not take the dashboard down
                logger.exception("dashboard card failed", extra={"app": config.label})
    cards.sort(key=lambda c: c.order)
    return render(request, "core/home.html", {"cards": cards})


@never_cache
def health(request):
    """Liveness and readiness: database, cache and task queue. 503 when any check fails."""
    checks: dict[str, dict] = {}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        key = "health-check"
        cache.set(key, "ok", 10)
        checks["cache"] = {"ok": cache.get(key) == "ok"}
    except Exception as exc:
        checks["cache"] = {"ok": False, "error": type(exc).__name__}
    checks["queue"] = _queue_health()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"ok": ok, "checks": checks, "ms": round((time.perf_counter() - started) * 1000, 1)},
        status=200 if ok else 503,
    )


def _queue_health() -> dict:
    try:
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.filter(status="READY")
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        age = (timezone.now() - oldest).total_seconds() if oldest else 0
        return {"ok": True, "ready": ready.count(), "oldest_ready_seconds": round(age)}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def progress(request, pk):
    """The live progress fragment; htmx polls it until the job is finished."""
    if not request.user.is_authenticated:
        raise Http404
    item = selectors.progress_for(user=request.user, progress_id=pk)
    return render(request, "core/_progress.html", {"progress": item})


def dev_mail(request, name: str = ""):
    """Read the mail `make run` writes to var/mail/ (DEBUG only)."""
    if not settings.DEBUG:
        raise Http404
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", settings.VAR_DIR / "mail"))
    files = (
        sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
        if folder.is_dir()
        else []
    )
    if name:
        match = next((p for p in files if p.name == name), None)
        if match is None:
            raise Http404
        return FileResponse(match.open("rb"), content_type="text/plain; charset=utf-8")
    return render(request, "core/dev_mail.html", {"files": files[:200]})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # No context processors: the failure may be in the database they would query.
    from django.http import HttpResponseServerError
    from django.template import loader
    from django.utils import translation

    body = loader.get_template("500.html").render({"LANGUAGE_CODE": translation.get_language()})
    return HttpResponseServerError(body)
