"""Who may do what in the helpdesk. `obj` is an Organisation or a Ticket."""

import rules

from concierge.accounts.models import Role
from concierge.accounts.selectors import has_role


def _org(obj):
    return getattr(obj, "organisation", obj)


@rules.predicate
def is_member(user, obj) -> bool:
    return obj is not None and has_role(user=user, organisation=_org(obj), at_least=Role.CUSTOMER)


@rules.predicate
def is_agent(user, obj) -> bool:
    return obj is not None and has_role(user=user, organisation=_org(obj), at_least=Role.AGENT)


@rules.predicate
def is_manager(user, obj) -> bool:
    return obj is not None and has_role(user=user, organisation=_org(obj), at_least=Role.MANAGER)


@rules.predicate
def is_ticket_customer(user, ticket) -> bool:
    return ticket is not None and user.is_authenticated and ticket.customer_id == user.pk


rules.add_perm("helpdesk.raise_ticket", is_member)
rules.add_perm("helpdesk.work", is_agent)
rules.add_perm("helpdesk.manage", is_manager)
rules.add_perm("helpdesk.edit_kb", is_agent)
rules.add_perm("helpdesk.view_ticket", is_agent | is_ticket_customer)
rules.add_perm("helpdesk.reply_as_customer", is_ticket_customer)
