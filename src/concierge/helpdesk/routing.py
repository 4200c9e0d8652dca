from django.urls import path

from concierge.helpdesk.consumers import TicketPresenceConsumer

websocket_urlpatterns = [
    path("ws/helpdesk/ticket/<int:ticket_id>/", TicketPresenceConsumer.as_asgi()),
]
