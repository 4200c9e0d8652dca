"""The chat over WebSocket: visitors (anonymous or signed in) and agents.

Visitor protocol (JSON both ways). In: ``start`` {key?, language?}, ``message`` {text},
``helpful`` {message_id, helpful}, ``language`` {language, script?}, ``handoff``,
``contact`` {email, name?}, ``end``, ``rate`` {score, comment?}, ``transcript`` {email?}.
Out: ``hello`` {key, status, language, messages}, ``typing``, ``messages`` {messages,
status}, ``error`` {detail, field?}.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import override

from concierge.assistant import guards, selectors, services
from concierge.core.consumers import ConciergeConsumer

logger = logging.getLogger(__name__)
MAX_FRAME = 64 * 1024


HEALTH_CHECK_SECONDS = 30


def chat_thread_count(engine: str, configured: str = "") -> int:
    """Threads for the visitor chat's database work. SQLite takes one writer at a time, so
    one thread (more would only queue on the write lock); PostgreSQL takes writers in
    parallel, and a message there waits on several round trips (PostgreSQL, Redis) during
    which another chat's message can go ahead. `ASSISTANT_CHAT_THREADS` overrides it."""
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return 1 if engine.endswith("sqlite3") else 4


def _lanes() -> list[ThreadPoolExecutor]:
    from django.conf import settings

    count = chat_thread_count(
        settings.DATABASES["default"]["ENGINE"], os.environ.get("ASSISTANT_CHAT_THREADS", "")
    )
    return [
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"assistant-chat-{i}")
        for i in range(count)
    ]


#: The visitor chat's database threads ("lanes"): each keeps its own connection open (see
#: `in_chat_thread`). A socket is given one lane when it opens and keeps it, so one chat's
#: messages are handled in order.
CHAT_LANES = _lanes()
CHAT_THREAD = CHAT_LANES[0]
_next_lane = itertools.count()
_checks = threading.local()


def _run_with_kept_connection(fn, *args, **kwargs):
    """Run `fn` keeping this thread's database connection open between calls.

    With CONN_MAX_AGE = 0 (the project's default) Django closes a connection at the end of
    each request, and channels' `database_sync_to_async` does the same around every call in
    the shared sync thread, so each chat message used to pay a new connection (on SQLite
    also a WAL checkpoint when the last connection closed). Here the connection stays open;
    it is dropped when a query failed and the connection is no longer usable, and checked for
    health every HEALTH_CHECK_SECONDS (what CONN_HEALTH_CHECKS would do).
    """
    now = time.monotonic()
    if connection.connection is not None and (
        connection.errors_occurred or now - getattr(_checks, "last", 0.0) > HEALTH_CHECK_SECONDS
    ):
        _checks.last = now
        connection.errors_occurred = False
        if not connection.is_usable():
            connection.close()
    return fn(*args, **kwargs)


def in_chat_thread(fn, lane: ThreadPoolExecutor | None = None):
    """`fn` as a coroutine function running in a chat lane (default: the first): one thread
    hop per chat message.

    Threads of our own rather than asgiref's shared sync thread: the session lookup of every
    new signed-in socket (channels' AuthMiddleware) runs there through
    `database_sync_to_async`, which closes that thread's connection before and after each call.
    """
    return sync_to_async(
        functools.partial(_run_with_kept_connection, fn),
        thread_sensitive=False,
        executor=lane or CHAT_THREAD,
    )


def next_lane() -> ThreadPoolExecutor:
    return CHAT_LANES[next(_next_lane) % len(CHAT_LANES)]


def close_chat_connection() -> None:
    """Close the chat threads' connections (tests, before the test database is dropped)."""
    for lane in CHAT_LANES:
        lane.submit(_close_connection).result()


def _close_connection() -> None:
    connection.close()  # `connection` is per thread: this lane's


#: Channel-layer calls of visitor sockets at once. redis-py's asyncio pool refuses (rather than
#: waits for) a 101st connection, and 300 chats opening together made channels-redis's
#: group_add fail ("Too many connections") and drop sockets; queueing them here avoids that.
LAYER_CALLS = asyncio.Semaphore(50)


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope.get("headers", [])}


def _error_payload(exc) -> dict:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            field, msgs = next(iter(exc.message_dict.items()))
            return {"kind": "error", "field": field, "detail": msgs[0]}
        return {"kind": "error", "field": None, "detail": exc.messages[0]}
    if isinstance(exc, Http404):
        return {"kind": "error", "field": None, "detail": "Not found."}
    return {"kind": "error", "field": None, "detail": str(exc) or "Not allowed."}


class VisitorChatConsumer(ConciergeConsumer):
    require_login = False

    async def dispatch(self, message) -> None:
        """AsyncConsumer.dispatch without its `aclose_old_connections()` before every frame.

        channels ≥ 4.2 hops into asgiref's shared sync thread before each frame a consumer
        handles (connect, every message, every group push, disconnect) to close that thread's
        stale database connections. This consumer never uses that thread's connection — its
        database work runs in its chat lane, which checks its own connection — so the hop
        (7 % of the server's samples in a 300-chat profile, and a wait whenever the shared
        thread is busy with a page) bought nothing."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        """Check the organisation and the page's Origin, then accept. The organisation and its
        settings come from a per-process memo (`selectors.chat_place`), so in a burst of new
        sockets only the first one hops to the chat thread for a query."""
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.lane = next_lane()
        place = selectors.cached_chat_place(slug=slug)
        if place is selectors.MISSING:
            place = await in_chat_thread(selectors.chat_place, self.lane)(slug=slug)
        if not self.admit(place):
            await self.close(code=4403)
            return
        self.joined = []
        await self.accept()

    def admit(self, place) -> bool:
        """Whether this socket may chat with `place` ((organisation, settings) or None): the
        chat is on and the page's Origin is ours or on the organisation's list. No queries."""
        if place is None:
            return False
        self.organisation, settings_obj = place
        headers = _headers(self.scope)
        self.origin = guards.normalise_origin(headers.get("origin", ""))
        if not guards.origin_allowed(
            origin=self.origin, host=headers.get("host", ""), settings_obj=settings_obj
        ):
            logger.info(
                "chat origin refused", extra={"origin": self.origin, "org": self.organisation.slug}
            )
            return False
        client = self.scope.get("client") or ("?", 0)
        self.ip = client[0]
        # Cross-site pages never act as the signed-in user (their cookies are not theirs).
        self.same_site = not self.origin or guards.same_origin(self.origin, headers.get("host", ""))
        self.conversation = None
        self.rate = guards.ChatWindow()
        return True

    @property
    def visitor(self):
        user = self.scope.get("user")
        return user if self.same_site and user is not None and user.is_authenticated else None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if bytes_data is not None or text_data is None or len(text_data) > MAX_FRAME:
            await self.send_json(
                {
                    "kind": "error",
                    "field": "text",
                    "detail": "Send JSON text frames of at most 64 KB.",
                }
            )
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.send_json({"kind": "error", "field": None, "detail": "Not JSON."})
            return
        if not isinstance(content, dict):
            await self.send_json({"kind": "error", "field": None, "detail": "Send an object."})
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        try:
            if kind == "start":
                await self._start(content)
                return
            if self.conversation is None:
                await self.send_json(
                    {"kind": "error", "field": None, "detail": 'Send {"type": "start"} first.'}
                )
                return
            if kind == "message":
                await self.send_json({"kind": "typing"})
                reply = await in_chat_thread(self._say, self.lane)(content.get("text"))
                await self.send_json(reply)
            elif kind in ("helpful", "language", "handoff", "contact", "end", "rate", "transcript"):
                await in_chat_thread(self._action, self.lane)(kind, content)
            else:
                await self.send_json(
                    {"kind": "error", "field": "type", "detail": "Unknown message type."}
                )
        except (ValidationError, PermissionDenied, Http404) as exc:
            await self.send_json(_error_payload(exc))
        except Exception:  # one bad message never kills the chat
            logger.exception("assistant consumer failed")
            await self.send_json(
                {
                    "kind": "error",
                    "field": None,
                    "detail": "Sorry, something went wrong. Please try again.",
                }
            )

    async def _start(self, content) -> None:
        if self.conversation is not None:
            return
        hello = await in_chat_thread(self._open, self.lane)(content)
        if hello is None:
            await self.send_json(
                {
                    "kind": "error",
                    "field": None,
                    "detail": "Too many new chats from your address; try later.",
                }
            )
            return
        self.joined.append(services.conversation_group(self.conversation.pk))
        async with LAYER_CALLS:
            await self.channel_layer.group_add(self.joined[-1], self.channel_name)
        await self.send_json(hello)

    async def disconnect(self, code) -> None:
        for group in getattr(self, "joined", []):
            async with LAYER_CALLS:
                await self.channel_layer.group_discard(group, self.channel_name)

    def _open(self, content) -> dict | None:
        key = str(content.get("key") or "")[:64]
        conv = None
        if key:
            try:
                conv = selectors.conversation_for_visitor(organisation=self.organisation, key=key)
            except Http404:
                conv = None
            if (
                conv is not None
                and conv.visitor_id
                and (self.visitor is None or self.visitor.pk != conv.visitor_id)
            ):
                conv = None  # a signed-in visitor's chat only resumes for them
        if conv is None:
            if not guards.allow_start(ip=self.ip):
                return None
            conv, messages = services.open_conversation(
                organisation=self.organisation,
                user=self.visitor,
                language=str(content.get("language") or "")[:8],
                origin=self.origin,
            )
        else:
            messages = selectors.history(conversation=conv)
        self.conversation = conv
        return {
            "kind": "hello",
            "key": conv.key,
            "status": conv.status,
            "language": conv.language,
            "script": conv.script,
            "languages": selectors.settings_for_chat(organisation=conv.organisation).language_list,
            "labels": selectors.widget_labels(language=conv.language),
            "messages": [selectors.message_payload(m) for m in messages],
        }

    def _say(self, text) -> dict:
        """One visitor message, all in the chat thread: the rate limit, the answer (which
        keeps `self.conversation` up to date) and the frame to send back."""
        conv = self.conversation
        if not guards.allow_socket_message(ip=self.ip, chat=self.rate):
            with override(conv.language):
                detail = _("You are sending messages very fast. Please wait a moment.")
            return {"kind": "error", "field": "text", "detail": detail}
        before = conv.language
        msgs = services.visitor_says(conversation=conv, text=text, user=self.visitor)
        return selectors.messages_frame(conversation=conv, messages=msgs, language_was=before)

    def _action(self, kind: str, content: dict) -> None:
        conv = self.conversation
        conv.refresh_from_db()
        if kind == "helpful":
            try:
                message_id = int(content.get("message_id"))
            except (TypeError, ValueError) as exc:
                raise ValidationError({"message_id": "Give a message id."}) from exc
            services.mark_helpful(
                conversation=conv, message_id=message_id, helpful=bool(content.get("helpful"))
            )
        elif kind == "language":
            services.set_language(
                conversation=conv,
                language=str(content.get("language", "")),
                script=str(content.get("script", "")),
            )
        elif kind == "handoff":
            services.request_handoff(conversation=conv, reason="asked")
        elif kind == "contact":
            services.give_contact(
                conversation=conv,
                email=str(content.get("email", "")),
                name=str(content.get("name", ""))[:120],
            )
        elif kind == "end":
            services.end_conversation(conversation=conv, by_visitor=True)
        elif kind == "rate":
            services.rate_conversation(
                conversation=conv,
                user=self.visitor,
                score=content.get("score"),
                comment=str(content.get("comment", ""))[:2000],
            )
        elif kind == "transcript":
            services.email_transcript(conversation=conv, email=str(content.get("email", "")))

    async def push(self, event) -> None:
        payload = event["payload"]
        if payload.get("kind") == "queue":
            return
        if payload.get("status") and self.conversation is not None:
            # An agent or the expiry job changed the chat: the next message starts from the
            # new status (services.visitor_says re-reads the chat anyway if this lags).
            self.conversation.status = payload["status"]
        await self.send_json(payload)


class AgentChatConsumer(ConciergeConsumer):
    """The agent console: the organisation's waiting queue plus the chats the agent watches.
    In: ``watch`` {conversation}, ``send`` {conversation, text}."""

    def groups_for(self, user):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            self.seat = selectors.seat_for(user=user, slug=slug)
        except Http404:
            return None
        return [services.queue_group(self.seat.organisation_id)]

    async def receive_json(self, content, **kwargs):
        user = self.scope["user"]
        try:
            pk = int(content.get("conversation"))
        except (TypeError, ValueError):
            await self.send_json(
                {"kind": "error", "field": "conversation", "detail": "Give a conversation id."}
            )
            return
        try:
            if content.get("type") == "watch":
                await database_sync_to_async(selectors.conversation_for_agent)(user=user, pk=pk)
                group = services.conversation_group(pk)
                if group not in self.joined:
                    self.joined.append(group)
                    await self.channel_layer.group_add(group, self.channel_name)
                await self.send_json({"kind": "watching", "conversation": pk})
            elif content.get("type") == "send":
                await database_sync_to_async(self._send)(user, pk, content.get("text"))
        except (ValidationError, PermissionDenied, Http404) as exc:
            await self.send_json(_error_payload(exc))
        except Exception:
            logger.exception("agent consumer failed")
            await self.send_json({"kind": "error", "field": None, "detail": "Server error."})

    def _send(self, user, pk, text) -> None:
        conv = selectors.conversation_for_agent(user=user, pk=pk)
        services.agent_says(agent=user, conversation=conv, text=text)
