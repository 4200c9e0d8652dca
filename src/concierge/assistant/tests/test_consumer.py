"""The WebSocket chat: anonymous visitors, the Origin check, bad frames, agents live."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from concierge.assistant import consumers, guards, services
from concierge.assistant.consumers import close_chat_connection
from concierge.assistant.models import Conversation
from concierge.assistant.routing import websocket_urlpatterns
from concierge.assistant.tests.factories import seat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.anyio]
APP = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def close_chat_thread_connection():
    """The chat thread keeps its connection between messages; close it after each test so
    the test database can be flushed and dropped."""
    yield
    close_chat_connection()


def visitor_socket(slug, origin=None, user=None):
    headers = [(b"host", b"testserver")]
    if origin:
        headers.append((b"origin", origin.encode()))
    comm = WebsocketCommunicator(APP, f"/ws/assistant/{slug}/", headers=headers)
    comm.scope["user"] = user or AnonymousUser()
    comm.scope["client"] = ("10.0.0.1", 5000)
    return comm


async def receive_until(comm, kind, limit=8, where=None):
    """Skip other frames (a socket also gets the group's copy of its own replies)."""
    for _ in range(limit):
        msg = await comm.receive_json_from(timeout=5)
        if msg.get("kind") == kind and (where is None or where(msg)):
            return msg
    raise AssertionError(f"no {kind}")


async def test_anonymous_visitor_chats_over_websocket(trained_org):
    comm = visitor_socket(trained_org.slug)
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "start", "language": "ta"})
    hello = await receive_until(comm, "hello")
    assert hello["language"] == "ta" and hello["key"]
    assert hello["messages"][0]["extra"]["suggestions"]
    await comm.send_json_to({"type": "message", "text": "என் பார்சல் எப்போது வரும்"})
    assert (await comm.receive_json_from(timeout=5))["kind"] == "typing"
    reply = await receive_until(comm, "messages")
    assert reply["messages"][-1]["source_url"] == "/help/delivery/"
    assert "டெலிவரி" in reply["messages"][-1]["text"]
    await comm.disconnect()
    # the same key resumes the chat, history included
    comm2 = visitor_socket(trained_org.slug)
    await comm2.connect()
    await comm2.send_json_to({"type": "start", "key": hello["key"]})
    again = await receive_until(comm2, "hello")
    assert len(again["messages"]) == 3
    await comm2.disconnect()


async def test_embedding_origin_allowed_and_refused(trained_org):
    await sync_to_async(services.update_settings)(
        user=await sync_to_async(_admin)(trained_org),
        organisation=trained_org,
        allowed_origins="https://shop.example",
    )
    ok = visitor_socket(trained_org.slug, origin="https://shop.example")
    assert (await ok.connect())[0]
    await ok.disconnect()
    same = visitor_socket(trained_org.slug, origin="http://testserver")
    assert (await same.connect())[0]
    await same.disconnect()
    refused = visitor_socket(trained_org.slug, origin="https://evil.example")
    connected, code = await refused.connect()
    assert not connected and code == 4403


def _admin(org):
    from concierge.accounts.models import Membership, Role

    return Membership.objects.get(organisation=org, role=Role.ADMIN).user


async def test_unknown_organisation_is_refused(db):
    comm = visitor_socket("no-such-org")
    connected, _ = await comm.connect()
    assert not connected


async def test_bad_frames_get_errors_not_crashes(trained_org):
    comm = visitor_socket(trained_org.slug)
    await comm.connect()
    await comm.send_to(text_data="not json {")
    assert (await comm.receive_json_from())["kind"] == "error"
    await comm.send_to(bytes_data=b"\x00\xff")
    assert (await comm.receive_json_from())["kind"] == "error"
    await comm.send_json_to({"type": "message", "text": "hi"})  # before start
    assert (await comm.receive_json_from())["kind"] == "error"
    await comm.send_json_to({"type": "start"})
    await receive_until(comm, "hello")
    await comm.send_json_to({"type": "message", "text": "x" * 20000})
    reply = await receive_until(comm, "messages")
    assert reply["messages"][-1]["extra"]["kind"] == "too_long"
    await comm.send_json_to({"type": "helpful", "message_id": "nope"})
    assert (await receive_until(comm, "error"))["field"] == "message_id"
    await comm.send_json_to({"type": "rate", "score": 99})
    assert (await receive_until(comm, "error"))["field"] == "score"
    await comm.disconnect()


async def test_rate_limit_per_conversation(trained_org, monkeypatch):
    monkeypatch.setattr(guards, "PER_CHAT_PER_MINUTE", 2)
    comm = visitor_socket(trained_org.slug)
    await comm.connect()
    await comm.send_json_to({"type": "start"})
    await receive_until(comm, "hello")
    for _ in range(2):
        await comm.send_json_to({"type": "message", "text": "warranty"})
        await receive_until(comm, "messages")
    await comm.send_json_to({"type": "message", "text": "warranty"})
    err = await receive_until(comm, "error")
    assert err["field"] == "text"
    await comm.disconnect()


async def test_agent_and_visitor_talk_live(trained_org):
    agent_seat = await sync_to_async(seat)(trained_org, online=True)
    agent = agent_seat.user
    visitor = visitor_socket(trained_org.slug)
    await visitor.connect()
    await visitor.send_json_to({"type": "start"})
    hello = await receive_until(visitor, "hello")
    await visitor.send_json_to({"type": "handoff"})
    waiting = await receive_until(visitor, "messages")
    assert waiting["status"] == "waiting"

    console = WebsocketCommunicator(APP, f"/ws/assistant/agent/{trained_org.slug}/")
    console.scope["user"] = agent
    assert (await console.connect())[0]
    conv = await sync_to_async(Conversation.objects.get)(key=hello["key"])
    await sync_to_async(services.accept_chat)(agent=agent, conversation=conv)
    joined = await receive_until(visitor, "messages")
    assert joined["status"] == "live"
    await console.send_json_to({"type": "watch", "conversation": conv.pk})
    await receive_until(console, "watching")
    await console.send_json_to({"type": "send", "conversation": conv.pk, "text": "<b>Hi</b>"})
    pushed = await receive_until(visitor, "messages")
    assert pushed["messages"][-1]["sender"] == "agent"
    assert pushed["messages"][-1]["text"] == "<b>Hi</b>"  # text, drawn with textContent
    await visitor.send_json_to({"type": "message", "text": "my fridge is broken"})
    seen = await receive_until(
        console, "messages", where=lambda m: m["messages"][-1]["sender"] == "visitor"
    )
    assert seen["messages"][-1]["text"] == "my fridge is broken"
    await visitor.disconnect()
    await console.disconnect()


async def test_agent_console_refuses_people_without_a_seat(trained_org):
    from concierge.assistant.tests.factories import UserFactory

    stranger = await sync_to_async(UserFactory)()
    console = WebsocketCommunicator(APP, f"/ws/assistant/agent/{trained_org.slug}/")
    console.scope["user"] = stranger
    connected, code = await console.connect()
    assert not connected and code == 4403


async def test_the_widget_follows_the_language_the_visitor_writes_in(trained_org):
    comm = visitor_socket(trained_org.slug)
    await comm.connect()
    await comm.send_json_to({"type": "start", "language": "en"})
    await receive_until(comm, "hello")
    await comm.send_json_to({"type": "message", "text": "என் பார்சல் எப்போது வரும்"})
    reply = await receive_until(comm, "messages")
    assert reply["language"] == "ta"
    assert reply["labels"]["send"] != "Send"  # the widget's words, now in Tamil
    await comm.send_json_to({"type": "message", "text": "உத்தரவாதம் எவ்வளவு"})
    again = await receive_until(comm, "messages")
    assert again["language"] == "ta" and "labels" not in again
    await comm.disconnect()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * 20000,
        "\x00\x01\x02 binary \ufffd",
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        "warranty वारंटी உத்தரவாதம் mixed",
    ],
)
async def test_bad_input_over_the_socket_gets_a_reply_as_plain_text(trained_org, text):
    comm = visitor_socket(trained_org.slug)
    await comm.connect()
    await comm.send_json_to({"type": "start"})
    await receive_until(comm, "hello")
    await comm.send_json_to({"type": "message", "text": text})
    reply = await receive_until(comm, "messages")
    bot = reply["messages"][-1]
    assert bot["sender"] == "bot" and bot["text"]
    if "<script>" in text:  # stored and sent back as text; the widget draws it with textContent
        assert reply["messages"][0]["text"] == text
    await comm.disconnect()


@pytest.mark.parametrize(
    ("engine", "configured", "threads"),
    [
        ("django.db.backends.sqlite3", "", 1),
        ("django.db.backends.postgresql", "", 4),
        ("django.db.backends.postgresql", "2", 2),
        ("django.db.backends.sqlite3", "0", 1),
        ("django.db.backends.postgresql", "many", 4),
    ],
)
def test_chat_lanes_one_for_sqlite_more_for_postgresql(engine, configured, threads):
    assert consumers.chat_thread_count(engine, configured) == threads


async def test_each_socket_keeps_its_lane(trained_org, monkeypatch):
    """With two lanes, two chats go to different threads, and each answers in order."""
    from concurrent.futures import ThreadPoolExecutor

    lanes = [ThreadPoolExecutor(max_workers=1) for _ in range(2)]
    monkeypatch.setattr(consumers, "CHAT_LANES", lanes)
    try:
        comms = [visitor_socket(trained_org.slug) for _ in range(2)]
        for comm in comms:
            assert (await comm.connect())[0]
            await comm.send_json_to({"type": "start", "language": "en"})
            await receive_until(comm, "hello")
        for comm in comms:  # one after the other: the in-memory test SQLite takes no
            # concurrent writers (why SQLite gets one lane)
            await comm.send_json_to({"type": "message", "text": "where is my order"})
            reply = await receive_until(comm, "messages")
            assert reply["messages"][-1]["source_url"] == "/help/delivery/"
        for comm in comms:
            await comm.disconnect()
        assert all(lane._threads for lane in lanes)  # both lanes did a chat's work
    finally:
        for lane in lanes:
            lane.submit(consumers._close_connection).result()


async def test_visitor_frames_do_not_hop_to_close_connections(trained_org, monkeypatch):
    """channels' dispatch closes the shared thread's old connections before every frame (a
    thread hop); the visitor socket does its database work in its lane and skips that."""
    import channels.consumer

    hops = []
    real = channels.consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    comm = visitor_socket(trained_org.slug)
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "start", "language": "en"})
    await receive_until(comm, "hello")
    await comm.send_json_to({"type": "message", "text": "where is my order"})
    reply = await receive_until(comm, "messages")
    assert reply["messages"][-1]["source_url"] == "/help/delivery/"
    await comm.disconnect()
    assert hops == []
