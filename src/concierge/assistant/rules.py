"""Who may teach the assistant, read its analytics, take live chats and hand out chat seats."""

import rules

from concierge.accounts.models import Role
from concierge.accounts.rules import is_org_admin, is_org_manager
from concierge.accounts.selectors import has_role


@rules.predicate
def has_chat_seat(user, organisation) -> bool:
    if organisation is None or not user.is_authenticated:
        return False
    from concierge.assistant.models import AgentSeat

    return (
        has_role(user=user, organisation=organisation, at_least=Role.AGENT)
        and AgentSeat.objects.filter(user=user, organisation=organisation).exists()
    )


@rules.predicate
def is_conversation_party(user, conversation) -> bool:
    if conversation is None or not user.is_authenticated:
        return False
    return conversation.visitor_id == user.pk or conversation.agent_id == user.pk


rules.add_perm("assistant.manage_faq", is_org_manager)
rules.add_perm("assistant.view_analytics", is_org_manager)
rules.add_perm("assistant.change_settings", is_org_manager)
rules.add_perm("assistant.take_chats", has_chat_seat)
rules.add_perm("assistant.manage_seats", is_org_admin)
