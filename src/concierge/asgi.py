"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concierge.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402

from concierge.assistant.guards import same_origin  # noqa: E402
from concierge.core.modules import websocket_urlpatterns  # noqa: E402

_patterns = websocket_urlpatterns()
_router = URLRouter(_patterns)
# Every socket must come from one of our own hosts — except the chat widget's visitor socket,
# which other web sites embed; its consumer checks the Origin against the organisation's
# allowed-origins list itself.
_same_site = AllowedHostsOriginValidator(AuthMiddlewareStack(_router))
_embeddable_signed_in = AuthMiddlewareStack(_router)


def _headers(scope) -> dict[bytes, bytes]:
    return dict(scope.get("headers", []))


def needs_session(scope) -> bool:
    """Whether a visitor-chat socket can belong to a signed-in user: it carries our session
    cookie AND comes from one of our own pages (or from no page at all: a non-browser client).
    A page of another site never acts as the user — its cookies are not its own — so neither
    it nor an anonymous visitor without a session cookie pays the session and user lookup."""
    headers = _headers(scope)
    cookie = headers.get(b"cookie", b"").decode("latin1")
    name = settings.SESSION_COOKIE_NAME
    if not any(part.strip().startswith(f"{name}=") for part in cookie.split(";")):
        return False
    origin = headers.get(b"origin", b"").decode("latin1")
    return not origin or same_origin(origin, headers.get(b"host", b"").decode("latin1"))


async def _embeddable(scope, receive, send):
    if needs_session(scope):
        return await _embeddable_signed_in(scope, receive, send)
    return await _router(dict(scope, user=AnonymousUser()), receive, send)


async def websocket_router(scope, receive, send):
    path = scope.get("path", "")
    embeddable = path.startswith("/ws/assistant/") and not path.startswith("/ws/assistant/agent/")
    return await (_embeddable if embeddable else _same_site)(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_router})
