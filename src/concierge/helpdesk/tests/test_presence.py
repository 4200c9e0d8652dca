"""Live presence over WebSocket: agents see each other viewing and replying; others are refused."""

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from concierge.accounts.models import Role
from concierge.helpdesk.routing import websocket_urlpatterns
from concierge.helpdesk.tests.factories import OrganisationFactory, TicketFactory, member


@pytest.mark.django_db(transaction=True)
def test_presence_between_two_agents_and_strangers_refused():
    org = OrganisationFactory()
    asha = member(org, Role.AGENT, display_name="Asha")
    ravi = member(org, Role.AGENT, display_name="Ravi")
    customer = member(org, Role.CUSTOMER)
    stranger = member(OrganisationFactory(), Role.AGENT)
    ticket = TicketFactory(organisation=org)
    app = URLRouter(websocket_urlpatterns)
    path = f"/ws/helpdesk/ticket/{ticket.pk}/"

    async def scenario():
        a = WebsocketCommunicator(app, path)
        a.scope["user"] = asha
        assert (await a.connect())[0]
        r = WebsocketCommunicator(app, path)
        r.scope["user"] = ravi
        assert (await r.connect())[0]
        hello = await a.receive_json_from(timeout=30)
        assert (hello["name"], hello["state"], hello["ask"]) == ("Ravi", "viewing", True)
        await a.send_json_to({"state": "viewing", "reply": True})  # Asha answers the newcomer
        answer = await r.receive_json_from(timeout=30)
        assert (answer["name"], answer["state"], answer["ask"]) == ("Asha", "viewing", False)
        await r.send_json_to({"state": "replying"})
        typing = await a.receive_json_from(timeout=30)
        assert (typing["name"], typing["state"]) == ("Ravi", "replying")
        await r.disconnect()
        left = await a.receive_json_from(timeout=30)
        assert (left["name"], left["state"]) == ("Ravi", "left")
        await a.disconnect()
        for user in (customer, stranger):
            c = WebsocketCommunicator(app, path)
            c.scope["user"] = user
            connected, _code = await c.connect()
            assert not connected
            await c.disconnect()

    async_to_sync(scenario)()
