"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concierge.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from concierge.core.modules import websocket_urlpatterns  # noqa: E402

_patterns = websocket_urlpatterns()
# Every socket must come from one of our own hosts — except the chat widget's visitor socket,
# which other web sites embed; its consumer checks the Origin against the organisation's
# allowed-origins list itself.
_same_site = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(_patterns)))
_embeddable = AuthMiddlewareStack(URLRouter(_patterns))


async def websocket_router(scope, receive, send):
    path = scope.get("path", "")
    embeddable = path.startswith("/ws/assistant/") and not path.startswith("/ws/assistant/agent/")
    return await (_embeddable if embeddable else _same_site)(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_router})
