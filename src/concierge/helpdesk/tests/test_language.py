"""Ticket language: the assistant's identifier, restricted to the organisation's languages, so
romanised Hindi is routed like Hindi and reaches agents who speak it; short texts take the
customer's profile language."""

import pytest

from concierge.accounts.models import Role
from concierge.helpdesk import services
from concierge.helpdesk.models import QueueMember, RoutingRule, TicketEvent
from concierge.helpdesk.tests.factories import OrganisationFactory, QueueFactory, member

ROMANISED_HINDI = (
    "Mera order abhi tak nahi aaya",
    "Maine paanch din pehle order kiya tha, kripya jaldi bhejiye",
)
ENGLISH = ("My order has not arrived", "I ordered five days ago, please send it quickly")


@pytest.fixture
def desks(org, agent, agent2, manager):
    """An English desk (catch-all) and a Hindi desk reached by a language rule; Asha speaks
    Hindi, Ravi only English and Tamil."""
    english = QueueFactory(organisation=org, name="English desk")
    hindi = QueueFactory(organisation=org, name="Hindi desk")
    QueueMember.objects.create(queue=english, user=agent2, languages="en,ta")
    QueueMember.objects.create(queue=hindi, user=agent2, languages="en,ta")
    QueueMember.objects.create(queue=hindi, user=agent, languages="en,hi")
    RoutingRule.objects.create(
        organisation=org, name="Hindi", position=1, language="hi", queue=hindi
    )
    RoutingRule.objects.create(organisation=org, name="Rest", position=9, queue=english)
    return english, hindi


def raise_ticket(org, customer, subject, description):
    return services.create_ticket(
        organisation=org,
        customer=customer,
        subject=subject,
        description=description,
        check_limits=False,
    )


def test_romanised_hindi_is_routed_as_hindi_to_a_hindi_speaker(org, customer, desks, agent):
    _english, hindi = desks
    ticket = raise_ticket(org, customer, *ROMANISED_HINDI)
    assert ticket.language == "hi"
    assert ticket.queue == hindi and ticket.assignee == agent
    created = TicketEvent.objects.get(ticket=ticket, kind="created")
    assert created.data["detected_language"] == "hi-Latn"
    assert created.data["language_fell_back"] is False


def test_english_stays_english(org, customer, desks, agent2):
    english, _hindi = desks
    ticket = raise_ticket(org, customer, *ENGLISH)
    assert (ticket.language, ticket.queue, ticket.assignee) == ("en", english, agent2)


def test_scripts_decide_hindi_and_tamil(org, customer, desks):
    assert raise_ticket(org, customer, "ऑर्डर नहीं आया", "पाँच दिन हो गए").language == "hi"
    assert raise_ticket(org, customer, "மின்விசிறி வேலை செய்யவில்லை", "இரண்டு நாட்களாக").language == "ta"


@pytest.mark.parametrize(("profile", "expected"), [("hi", "hi"), ("en", "en"), ("ta", "ta")])
def test_short_latin_text_takes_the_customers_profile_language(org, desks, profile, expected):
    customer = member(org, Role.CUSTOMER, language=profile)
    detection = services.detect_ticket_language(
        organisation=org, text="Help\nurgent", customer_language=customer.language
    )
    assert detection.language == expected and detection.fell_back


def test_only_the_organisations_languages_are_chosen(db):
    """A company whose helpdesk works in English only never labels a ticket Hindi."""
    org = OrganisationFactory(slug="english-only", language="en")
    queue = QueueFactory(organisation=org, name="All")
    agent = member(org, Role.AGENT)
    QueueMember.objects.create(queue=queue, user=agent, languages="en")
    detection = services.detect_ticket_language(
        organisation=org, text="\n".join(ROMANISED_HINDI), customer_language="hi"
    )
    assert detection.language == "en"


def test_a_language_given_by_the_chat_hand_off_is_normalised(org, customer, desks):
    _english, hindi = desks
    ticket = services.create_ticket(
        organisation=org,
        customer=customer,
        subject="Chat transcript",
        description="visitor: hello",
        language="hi-Latn",
        check_limits=False,
    )
    assert ticket.language == "hi" and ticket.queue == hindi
