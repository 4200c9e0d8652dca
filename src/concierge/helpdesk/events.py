"""Helpdesk notification events."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from concierge.notifications.registry import IN_APP, EventType, register

register(
    EventType(
        key="helpdesk.ticket_received",
        title=_("We received your request {{ ref }}"),
        body=_("{{ subject }} — we will answer within {{ promise }}."),
        description=_("Confirmation when you raise a ticket."),
    )
)
register(
    EventType(
        key="helpdesk.ticket_assigned",
        title=_("Ticket {{ ref }} was assigned to you"),
        body=_("{{ subject }}"),
        description=_("A ticket is assigned to you."),
    )
)
register(
    EventType(
        key="helpdesk.agent_replied",
        title=_("New reply on {{ ref }}"),
        body=_("{{ agent }} wrote: {{ excerpt }}"),
        description=_("Support answered your ticket."),
    )
)
register(
    EventType(
        key="helpdesk.customer_replied",
        title=_("Customer replied on {{ ref }}"),
        body=_("{{ excerpt }}"),
        channels=(IN_APP,),
        description=_("A customer answered on a ticket assigned to you."),
    )
)
register(
    EventType(
        key="helpdesk.sla_warning",
        title=_("Ticket {{ ref }} will breach its {{ target }} target soon"),
        body=_("{{ minutes }} business minutes left."),
        description=_("A ticket is close to its SLA target."),
    )
)
register(
    EventType(
        key="helpdesk.sla_breached",
        title=_("Ticket {{ ref }} breached its {{ target }} target"),
        body=_("Priority raised to {{ priority }}."),
        description=_("A ticket missed its SLA target and was escalated."),
    )
)
register(
    EventType(
        key="helpdesk.pending_reminder",
        title=_("We are waiting for your answer on {{ ref }}"),
        body=_("Please reply so we can continue with: {{ subject }}"),
        description=_("A reminder when support waits for your reply."),
    )
)
register(
    EventType(
        key="helpdesk.autoclose_notice",
        title=_("Ticket {{ ref }} will close in {{ days }} day(s)"),
        body=_("We have not heard from you. Reply to keep it open."),
        description=_("A notice before a waiting ticket is closed."),
    )
)
register(
    EventType(
        key="helpdesk.ticket_closed",
        title=_("Ticket {{ ref }} was closed"),
        body=_("{{ reason }} You can reopen it with one click: {{ url }}"),
        description=_("A ticket of yours was closed."),
    )
)
register(
    EventType(
        key="helpdesk.ticket_resolved",
        title=_("Ticket {{ ref }} is resolved — how did we do?"),
        body=_("Please rate the answer you got: {{ url }}"),
        description=_("A request to rate the answer once a ticket is resolved."),
    )
)
register(
    EventType(
        key="helpdesk.possible_duplicate",
        title=_("Ticket {{ ref }} may duplicate {{ others }}"),
        channels=(IN_APP,),
        dedup_window=timedelta(hours=1),
        description=_("A new ticket looks like another open ticket of the same customer."),
    )
)
