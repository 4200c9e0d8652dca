"""The chat sockets through the real ASGI application (`concierge.asgi`): who pays the session
lookup, who is signed in, and which origins are refused."""

import channels.auth
import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from concierge.accounts.models import Role
from concierge.asgi import application, needs_session
from concierge.assistant import selectors, services
from concierge.assistant.consumers import close_chat_connection
from concierge.assistant.models import Conversation
from concierge.assistant.tests.factories import member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.anyio]


@pytest.fixture(autouse=True)
def close_chat_thread_connection():
    yield
    close_chat_connection()


@pytest.fixture
def session_lookups(monkeypatch):
    """Every session + user lookup channels' AuthMiddleware makes."""
    calls = []
    real = channels.auth.get_user

    async def counted(scope):
        calls.append(scope["path"])
        return await real(scope)

    monkeypatch.setattr(channels.auth, "get_user", counted)
    return calls


def socket(path, origin=None, cookie=None):
    headers = [(b"host", b"testserver")]
    if origin:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def start(comm) -> dict:
    connected, code = await comm.connect()
    assert connected, code
    await comm.send_json_to({"type": "start", "language": "en"})
    for _ in range(5):
        frame = await comm.receive_json_from(timeout=5)
        if frame["kind"] == "hello":
            return frame
    raise AssertionError("no hello")


def signed_in_cookie(org) -> tuple[object, str]:
    user = member(org, Role.CUSTOMER)
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return user, f"csrftoken=x; {name}={client.cookies[name].value}"


def visitor_of(key: str):
    return Conversation.objects.get(key=key).visitor_id


async def test_anonymous_socket_does_no_session_lookup(trained_org, session_lookups):
    comm = socket(f"/ws/assistant/{trained_org.slug}/", origin="http://testserver")
    hello = await start(comm)
    await comm.disconnect()
    assert session_lookups == []
    assert await sync_to_async(visitor_of)(hello["key"]) is None


async def test_signed_in_socket_still_gets_its_user(trained_org, session_lookups):
    user, cookie = await sync_to_async(signed_in_cookie)(trained_org)
    comm = socket(f"/ws/assistant/{trained_org.slug}/", origin="http://testserver", cookie=cookie)
    hello = await start(comm)
    await comm.disconnect()
    assert session_lookups == [f"/ws/assistant/{trained_org.slug}/"]
    assert await sync_to_async(visitor_of)(hello["key"]) == user.pk


async def test_cross_site_page_never_acts_as_the_user(trained_org, session_lookups):
    admin = await sync_to_async(lambda: member(trained_org, Role.ADMIN))()
    await sync_to_async(services.update_settings)(
        user=admin, organisation=trained_org, allowed_origins="https://shop.example"
    )
    _user, cookie = await sync_to_async(signed_in_cookie)(trained_org)
    comm = socket(
        f"/ws/assistant/{trained_org.slug}/", origin="https://shop.example", cookie=cookie
    )
    hello = await start(comm)
    await comm.disconnect()
    assert session_lookups == []  # the cookie is not looked at
    assert await sync_to_async(visitor_of)(hello["key"]) is None


async def test_refused_origin_still_refused(trained_org):
    _user, cookie = await sync_to_async(signed_in_cookie)(trained_org)
    for headers in ({}, {"cookie": cookie}):
        path = f"/ws/assistant/{trained_org.slug}/"
        comm = socket(path, origin="https://evil.example", **headers)
        connected, code = await comm.connect()
        assert not connected and code == 4403


async def test_agent_socket_keeps_the_same_site_check_and_the_login(trained_org):
    _user, cookie = await sync_to_async(signed_in_cookie)(trained_org)
    path = f"/ws/assistant/agent/{trained_org.slug}/"
    foreign = socket(path, origin="https://evil.example", cookie=cookie)
    assert not (await foreign.connect())[0]
    anonymous = socket(path, origin="http://testserver")
    connected, code = await anonymous.connect()
    assert not connected and code == 4401


async def test_a_burst_of_sockets_reads_the_organisation_once(trained_org, monkeypatch):
    """The organisation and its settings are remembered in the process: only the first of
    several new sockets looks them up."""
    lookups = []
    real = selectors.chat_place

    def counted(*, slug):
        lookups.append(slug)
        return real(slug=slug)

    monkeypatch.setattr(selectors, "chat_place", counted)
    comms = [socket(f"/ws/assistant/{trained_org.slug}/") for _ in range(3)]
    for comm in comms:
        assert (await comm.connect())[0]
    for comm in comms:
        await comm.disconnect()
    assert lookups == [trained_org.slug]


def test_needs_session_only_with_our_cookie_from_our_pages():
    name = settings.SESSION_COOKIE_NAME.encode()
    ours = [(b"host", b"shop.test"), (b"cookie", b"a=1; " + name + b"=abc")]
    assert needs_session({"headers": ours})
    assert needs_session({"headers": [*ours, (b"origin", b"https://shop.test")]})
    assert not needs_session({"headers": [*ours, (b"origin", b"https://other.test")]})
    assert not needs_session({"headers": [*ours, (b"origin", b"null")]})
    lookalike = [(b"host", b"shop.test"), (b"cookie", b"x" + name + b"=1")]
    assert not needs_session({"headers": lookalike})
    assert not needs_session({"headers": [(b"host", b"shop.test")]})
