from django.urls import path

from concierge.assistant.consumers import AgentChatConsumer, VisitorChatConsumer

websocket_urlpatterns = [
    path("ws/assistant/agent/<slug:slug>/", AgentChatConsumer.as_asgi()),
    path("ws/assistant/<slug:slug>/", VisitorChatConsumer.as_asgi()),
]
