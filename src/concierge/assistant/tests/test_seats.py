"""The chat agents page: organisation admins list, grant and revoke chat seats and mark
agents away; nobody else reaches it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from concierge.accounts.models import Role
from concierge.assistant import services
from concierge.assistant.models import AgentSeat, Conversation
from concierge.assistant.tests.factories import (
    ConversationFactory,
    OrganisationFactory,
    member,
    seat,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(slug="shop", name="Shop")


@pytest.fixture
def admin(org):
    return member(org, Role.ADMIN, display_name="Asha Admin")


def seats_url(org):
    return reverse("assistant:seats", args=[org.slug])


def test_admin_sees_seats_with_online_and_away(client, org, admin):
    seat(org, user=member(org, Role.AGENT, display_name="Ravi Online"), online=True)
    stale = seat(org, user=member(org, Role.AGENT, display_name="Mala Stale"), online=True)
    AgentSeat.objects.filter(pk=stale.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    seat(org, user=member(org, Role.AGENT, display_name="Kiran Away"), online=False)
    client.force_login(admin)
    page = client.get(seats_url(org))
    assert page.status_code == 200
    rows = {s.user.name: s.is_online for s in page.context["seats"]}
    assert rows == {"Ravi Online": True, "Mala Stale": False, "Kiran Away": False}
    assert list(page.context["seats"])[0].user.name == "Ravi Online"  # online first
    body = page.content.decode()
    assert body.count("Online</span>") == 1 and body.count("Away</span>") == 2


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.CUSTOMER])
def test_only_admins_reach_the_page(client, org, role):
    agent_seat = seat(org)
    client.force_login(member(org, role))
    assert client.get(seats_url(org)).status_code == 404
    act = reverse("assistant:seat_act", args=[org.slug, agent_seat.pk])
    assert client.post(act, {"action": "revoke"}).status_code == 404
    assert AgentSeat.objects.filter(pk=agent_seat.pk).exists()


def test_strangers_and_anonymous_visitors_are_kept_out(client, org, admin):
    other = OrganisationFactory()
    client.force_login(member(other, Role.ADMIN))
    assert client.get(seats_url(org)).status_code == 404
    client.logout()
    assert client.get(seats_url(org)).status_code == 302  # to the sign-in page


def test_admin_grants_a_seat_to_an_agent(client, org, admin):
    agent = member(org, Role.AGENT, display_name="Ravi")
    customer = member(org, Role.CUSTOMER)
    client.force_login(admin)
    page = client.get(seats_url(org))
    candidates = list(page.context["form"].fields["member"].queryset)
    assert agent in candidates and customer not in candidates
    done = client.post(seats_url(org), {"member": agent.pk, "languages": ["hi", "ta"]})
    assert done.status_code == 302
    assert AgentSeat.objects.get(user=agent, organisation=org).languages == "hi,ta"


def test_granting_to_a_customer_or_without_languages_is_a_form_error(client, org, admin):
    customer = member(org, Role.CUSTOMER)
    agent = member(org, Role.AGENT)
    client.force_login(admin)
    refused = client.post(seats_url(org), {"member": customer.pk, "languages": ["en"]})
    assert refused.status_code == 400 and refused.context["form"].errors["member"]
    empty = client.post(seats_url(org), {"member": agent.pk})
    assert empty.status_code == 400 and empty.context["form"].errors["languages"]
    assert not AgentSeat.objects.exists()


def test_the_service_refuses_customers_and_non_admins(org, admin):
    from django.core.exceptions import PermissionDenied, ValidationError

    customer = member(org, Role.CUSTOMER)
    with pytest.raises(ValidationError):
        services.grant_seat(user=admin, organisation=org, member=customer, languages=["en"])
    manager = member(org, Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.grant_seat(user=manager, organisation=org, member=manager, languages=["en"])


def test_revoking_a_seat_puts_its_live_chats_back_in_the_queue(client, org, admin):
    agent_seat = seat(org, online=True)
    live = ConversationFactory(
        organisation=org, status=Conversation.Status.LIVE, agent=agent_seat.user
    )
    client.force_login(admin)
    act = reverse("assistant:seat_act", args=[org.slug, agent_seat.pk])
    done = client.post(act, {"action": "revoke"}, follow=True)
    assert done.status_code == 200
    assert not AgentSeat.objects.filter(pk=agent_seat.pk).exists()
    live.refresh_from_db()
    assert live.status == Conversation.Status.WAITING and live.agent is None
    assert "went back to the queue" in done.content.decode()


def test_admin_marks_an_agent_away(client, org, admin):
    agent_seat = seat(org, online=True)
    client.force_login(admin)
    act = reverse("assistant:seat_act", args=[org.slug, agent_seat.pk])
    assert client.post(act, {"action": "away"}).status_code == 302
    agent_seat.refresh_from_db()
    assert not agent_seat.online and not agent_seat.is_online
    assert client.post(act, {"action": "dance"}).status_code == 400


def test_a_seat_of_another_organisation_is_not_found(client, org, admin):
    elsewhere = seat(OrganisationFactory())
    client.force_login(admin)
    act = reverse("assistant:seat_act", args=[org.slug, elsewhere.pk])
    assert client.post(act, {"action": "revoke"}).status_code == 404
    assert AgentSeat.objects.filter(pk=elsewhere.pk).exists()


def test_the_agents_tab_shows_for_admins_only(client, org, admin):
    faq_url = reverse("assistant:faq_list", args=[org.slug])
    client.force_login(admin)
    assert seats_url(org) in client.get(faq_url).content.decode()
    client.force_login(member(org, Role.MANAGER))
    assert seats_url(org) not in client.get(faq_url).content.decode()
