from django.urls import path

from concierge.core.consumers import ConciergeConsumer

websocket_urlpatterns = [path("ws/notifications/", ConciergeConsumer.as_asgi())]
