"""Live presence on a ticket: who is viewing, who is replying. Agents only."""

from concierge.core.consumers import ConciergeConsumer
from concierge.core.realtime import group_name


def ticket_group(ticket_id) -> str:
    return group_name("helpdesk", "ticket", ticket_id)


class TicketPresenceConsumer(ConciergeConsumer):
    """Each socket announces `{"state": "viewing"|"replying"}`; everyone else on the ticket
    receives `{"kind": "presence", "user": …, "name": …, "state": …}` and "left" on close."""

    def groups_for(self, user):
        from concierge.helpdesk.models import Ticket
        from concierge.helpdesk.selectors import is_agent

        ticket_id = self.scope["url_route"]["kwargs"]["ticket_id"]
        ticket = Ticket.objects.select_related("organisation").filter(pk=ticket_id).first()
        if ticket is None or not is_agent(user=user, organisation=ticket.organisation):
            return None
        self.ticket_id = ticket.pk
        self.user_name = user.name
        self.user_id = user.pk
        return [ticket_group(ticket.pk)]

    async def connect(self):
        await super().connect()
        if getattr(self, "joined", None):
            await self._announce("viewing", ask=True)

    async def disconnect(self, code):
        if getattr(self, "joined", None):
            await self._announce("left")
        await super().disconnect(code)

    async def receive_json(self, content, **kwargs):
        state = content.get("state") if isinstance(content, dict) else None
        if state in {"viewing", "replying", "idle"}:
            # a reply to a newcomer's question does not ask again (no ping-pong)
            await self._announce(state, ask=not content.get("reply"))

    async def _announce(self, state: str, ask: bool = False):
        await self.channel_layer.group_send(
            ticket_group(self.ticket_id),
            {
                "type": "presence",
                "sender": self.channel_name,
                "payload": {
                    "kind": "presence",
                    "user": self.user_id,
                    "name": self.user_name,
                    "state": state,
                    "ask": ask,
                },
            },
        )

    async def presence(self, event):
        if event["sender"] == self.channel_name:
            return
        await self.send_json(event["payload"])
