from django.urls import path

from concierge.hospital.consumers import PublicBedsConsumer

websocket_urlpatterns = [path("ws/hospital/beds/", PublicBedsConsumer.as_asgi())]
