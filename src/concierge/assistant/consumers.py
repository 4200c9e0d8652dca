"""The chat over WebSocket: visitors (anonymous or signed in) and agents.

Visitor protocol (JSON both ways). In: ``start`` {key?, language?}, ``message`` {text},
``helpful`` {message_id, helpful}, ``language`` {language, script?}, ``handoff``,
``contact`` {email, name?}, ``end``, ``rate`` {score, comment?}, ``transcript`` {email?}.
Out: ``hello`` {key, status, language, messages}, ``typing``, ``messages`` {messages,
status}, ``error`` {detail, field?}.
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import override

from concierge.assistant import guards, selectors, services
from concierge.core.consumers import ConciergeConsumer

logger = logging.getLogger(__name__)
MAX_FRAME = 64 * 1024


HEALTH_CHECK_SECONDS = 30
_last_check = [0.0]


def _keep_connection(fn):
    """Run `fn` in the shared sync thread keeping its database connection open.

    channels' `database_sync_to_async` closes the connection after every call when
    CONN_MAX_AGE is 0 (our default), so each chat message paid a new connection (on SQLite
    about five times the message's own work). Here the connection stays open and is checked
    for health every HEALTH_CHECK_SECONDS (what CONN_HEALTH_CHECKS would do).
    """

    def run(*args, **kwargs):
        now = time.monotonic()
        if now - _last_check[0] > HEALTH_CHECK_SECONDS:
            _last_check[0] = now
            if connection.connection is not None and not connection.is_usable():
                close_old_connections()
                connection.close()
        return fn(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=True)


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

    async def connect(self) -> None:
        """ConciergeConsumer.connect, keeping the database connection (see _keep_connection)."""
        groups = await _keep_connection(self.groups_for)(self.scope.get("user"))
        if groups is None:
            await self.close(code=4403)
            return
        self.joined = list(groups)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    def groups_for(self, user):
        """Check the organisation and the page's Origin; refuse (None) when not allowed."""
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            self.organisation = selectors.chat_organisation(slug=slug)
        except Http404:
            return None
        headers = _headers(self.scope)
        self.origin = guards.normalise_origin(headers.get("origin", ""))
        settings_obj = selectors.settings_for(organisation=self.organisation)
        if not guards.origin_allowed(
            origin=self.origin, host=headers.get("host", ""), settings_obj=settings_obj
        ):
            logger.info("chat origin refused", extra={"origin": self.origin, "org": slug})
            return None
        client = self.scope.get("client") or ("?", 0)
        self.ip = client[0]
        # Cross-site pages never act as the signed-in user (their cookies are not theirs).
        self.same_site = not self.origin or guards.same_origin(self.origin, headers.get("host", ""))
        self.conversation = None
        return []

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
                if not guards.allow_message(ip=self.ip, conversation_key=self.conversation.key):
                    await self.send_json(
                        {"kind": "error", "field": "text", "detail": await self._slow_down()}
                    )
                    return
                await self.send_json({"kind": "typing"})
                msgs = await _keep_connection(self._say)(content.get("text"))
                await self.send_json(
                    {"kind": "messages", "messages": msgs, "status": self.conversation.status}
                )
            elif kind in ("helpful", "language", "handoff", "contact", "end", "rate", "transcript"):
                await _keep_connection(self._action)(kind, content)
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

    async def _slow_down(self) -> str:
        with override(self.conversation.language):
            return _("You are sending messages very fast. Please wait a moment.")

    async def _start(self, content) -> None:
        if self.conversation is not None:
            return
        hello = await _keep_connection(self._open)(content)
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
        await self.channel_layer.group_add(self.joined[-1], self.channel_name)
        await self.send_json(hello)

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
            conv = services.start_conversation(
                organisation=self.organisation,
                user=self.visitor,
                language=str(content.get("language") or "")[:8],
                origin=self.origin,
            )
        self.conversation = conv
        return {
            "kind": "hello",
            "key": conv.key,
            "status": conv.status,
            "language": conv.language,
            "script": conv.script,
            "languages": selectors.settings_for_chat(organisation=conv.organisation).language_list,
            "labels": selectors.widget_labels(language=conv.language),
            "messages": [
                selectors.message_payload(m) for m in selectors.history(conversation=conv)
            ],
        }

    def _say(self, text) -> list[dict]:
        msgs = services.visitor_says(conversation=self.conversation, text=text, user=self.visitor)
        self.conversation.refresh_from_db(fields=["status", "language", "script"])
        return [selectors.message_payload(m) for m in msgs]

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
