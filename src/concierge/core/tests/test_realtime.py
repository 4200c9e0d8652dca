import pytest
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from concierge.core.modules import websocket_urlpatterns
from concierge.notifications.services import notify


def application():
    return URLRouter(websocket_urlpatterns())


@pytest.mark.anyio
async def test_anonymous_socket_is_refused():
    communicator = WebsocketCommunicator(application(), "/ws/notifications/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    assert not connected and code == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_a_notification_is_pushed_to_the_users_socket():
    from asgiref.sync import sync_to_async

    from concierge.accounts.tests.factories import UserFactory

    user = await sync_to_async(UserFactory)()
    communicator = WebsocketCommunicator(application(), "/ws/notifications/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(notify)(user, "notifications.test", {})
    message = await communicator.receive_json_from(timeout=5)
    assert message["kind"] == "notification" and message["unread"] == 1
    await communicator.disconnect()
