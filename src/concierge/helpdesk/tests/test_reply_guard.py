"""Nobody gets two contradictory answers: a reply written while someone else answered is held."""

import pytest
from django.urls import reverse

from concierge.helpdesk import services
from concierge.helpdesk.models import HeldReply, Message, Ticket


@pytest.fixture
def ticket(org, customer, queue):
    return services.create_ticket(
        organisation=org,
        customer=customer,
        subject="Washer leaks",
        description="Water on the floor.",
        check_limits=False,
    )


def test_second_reply_is_held_until_the_agent_decides(ticket, agent, agent2):
    seen = services.last_public_message_id(ticket)  # both agents open the ticket
    first = services.reply_as_agent(
        agent=agent, ticket=ticket, body="Tighten the hose.", seen_message_id=seen
    )
    assert first.message is not None
    second = services.reply_as_agent(
        agent=agent2, ticket=ticket, body="Replace the pump.", seen_message_id=seen
    )
    assert second.message is None and second.held is not None
    assert [m.body for m in second.newer] == ["Tighten the hose."]
    assert ticket.messages.filter(from_agent=True).count() == 1
    assert ticket.events.filter(kind="reply_held").exists()

    services.resolve_held_reply(agent=agent2, held=second.held, send=False)
    assert not HeldReply.objects.exists()
    assert ticket.messages.filter(from_agent=True).count() == 1


def test_send_anyway(ticket, agent, agent2):
    seen = services.last_public_message_id(ticket)
    services.reply_as_agent(agent=agent, ticket=ticket, body="A", seen_message_id=seen)
    held = services.reply_as_agent(agent=agent2, ticket=ticket, body="B", seen_message_id=seen).held
    outcome = services.resolve_held_reply(agent=agent2, held=held, send=True)
    assert outcome.message.body == "B"
    assert list(ticket.messages.filter(from_agent=True).values_list("body", flat=True)) == [
        "A",
        "B",
    ]


def test_customer_reply_after_opening_also_holds(ticket, agent, customer):
    seen = services.last_public_message_id(ticket)
    services.reply_as_customer(customer=customer, ticket=ticket, body="Now it also smells")
    out = services.reply_as_agent(agent=agent, ticket=ticket, body="Fine", seen_message_id=seen)
    assert out.held is not None


def test_notes_and_own_replies_do_not_hold(ticket, agent, agent2):
    seen = services.last_public_message_id(ticket)
    services.add_note(agent=agent2, ticket=ticket, body="internal")
    assert services.reply_as_agent(
        agent=agent, ticket=ticket, body="one", seen_message_id=seen
    ).message
    assert services.reply_as_agent(
        agent=agent, ticket=ticket, body="two", seen_message_id=seen
    ).message


def test_only_the_author_resolves_a_held_reply(ticket, agent, agent2, client):
    seen = services.last_public_message_id(ticket)
    services.reply_as_agent(agent=agent, ticket=ticket, body="A", seen_message_id=seen)
    held = services.reply_as_agent(agent=agent2, ticket=ticket, body="B", seen_message_id=seen).held
    client.force_login(agent)
    url = reverse("helpdesk:held_reply", args=[ticket.organisation.slug, held.pk])
    assert client.get(url).status_code == 404


def test_pages_show_held_reply_and_choice(ticket, agent, agent2, client):
    org = ticket.organisation
    client.force_login(agent2)
    page = client.get(reverse("helpdesk:ticket", args=[org.slug, ticket.number]))
    seen = page.context["reply_form"].initial["seen_message_id"]
    services.reply_as_agent(
        agent=agent, ticket=ticket, body="Tighten the hose.", seen_message_id=seen
    )
    r = client.post(
        reverse("helpdesk:ticket_reply", args=[org.slug, ticket.number]),
        {"body": "Replace the pump.", "status_after": "pending", "seen_message_id": seen},
    )
    held = HeldReply.objects.get()
    assert r.status_code == 302 and r.url.endswith(f"/held/{held.pk}/")
    r = client.get(r.url)
    body = r.content.decode()
    assert "Tighten the hose." in body and "Replace the pump." in body
    client.post(reverse("helpdesk:held_reply", args=[org.slug, held.pk]), {"decision": "send"})
    assert Message.objects.filter(ticket=ticket, body="Replace the pump.").exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.PENDING
