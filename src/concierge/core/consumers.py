"""The WebSocket consumer base every module reuses: auth, per-user and per-organisation
groups, JSON in and out."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from concierge.core.realtime import group_name


class ConciergeConsumer(AsyncJsonWebsocketConsumer):
    """Subclass and override `groups_for()` (and `receive_json()` for messages in).

    `require_login` refuses anonymous sockets. Payloads pushed with
    `core.realtime.broadcast(group, payload)` arrive at the browser as JSON.
    """

    require_login = True

    async def connect(self) -> None:
        user = self.scope.get("user")
        if self.require_login and (user is None or not user.is_authenticated):
            await self.close(code=4401)
            return
        groups = await database_sync_to_async(self.groups_for)(user)
        if groups is None:  # not allowed
            await self.close(code=4403)
            return
        self.joined = list(groups)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def groups_for(self, user) -> list[str] | None:
        """Groups to join; None refuses the connection. Runs in a thread (ORM allowed)."""
        return [user_group(user)] if user and user.is_authenticated else []

    async def push(self, event) -> None:
        await self.send_json(event["payload"])


def user_group(user) -> str:
    return group_name("user", user.pk)


def organisation_group(organisation_id, topic: str = "all") -> str:
    return group_name("org", organisation_id, topic)
