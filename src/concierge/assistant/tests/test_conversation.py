"""A chat from greeting to rating: answers, "did this help?", hand-off with and without an
agent online, tickets, the end of chat, and bad input."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from concierge.accounts.models import Role
from concierge.assistant import services
from concierge.assistant.models import Conversation, Message, UnansweredQuestion
from concierge.assistant.tests.factories import member, seat
from concierge.feedback.models import Rating
from concierge.notifications.models import OutboxEmail


def test_greeting_in_the_visitors_language_with_suggestions(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="hi")
    greeting = conv.messages.get()
    assert greeting.sender == Message.Sender.BOT
    assert greeting.language == "hi"
    assert "Acme" in greeting.text
    assert greeting.extra["suggestions"]
    assert all(any("\u0900" <= c <= "\u097f" for c in s) for s in greeting.extra["suggestions"])


def test_answer_carries_its_source_and_asks_if_it_helped(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="en")
    visitor, answer = services.visitor_says(conversation=conv, text="how long is the guarantee")
    assert visitor.sender == Message.Sender.VISITOR
    assert answer.faq_entry.slug == "warranty"
    assert answer.source_url == "/help/warranty/"
    assert answer.extra["ask_helpful"] is True
    conv.refresh_from_db()
    assert conv.bot_answers == 1


def test_two_noes_hand_the_chat_to_an_online_agent(trained_org):
    seat(trained_org, online=True)
    conv = services.start_conversation(organisation=trained_org, language="en")
    a1 = services.visitor_says(conversation=conv, text="how long is the guarantee")[-1]
    services.mark_helpful(conversation=conv, message_id=a1.pk, helpful=False)
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.BOT
    a2 = services.visitor_says(conversation=conv, text="warranty period for washing machine")[-1]
    out = services.mark_helpful(conversation=conv, message_id=a2.pk, helpful=False)
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.WAITING
    assert out[-1].extra["kind"] == "waiting"
    assert UnansweredQuestion.objects.filter(conversation=conv, reason="unhelpful").count() == 2


def test_agent_accepts_and_chats_live(trained_org):
    agent_seat = seat(trained_org, online=True)
    conv = services.start_conversation(organisation=trained_org, language="en")
    services.visitor_says(conversation=conv, text="talk to a person")
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.WAITING
    services.accept_chat(agent=agent_seat.user, conversation=conv)
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.LIVE and conv.agent == agent_seat.user
    services.agent_says(agent=agent_seat.user, conversation=conv, text="Hello, I'm here")
    replies = services.visitor_says(conversation=conv, text="thanks, my fridge is broken")
    assert [m.sender for m in replies] == [Message.Sender.VISITOR]  # the bot stays quiet
    other = seat(trained_org, online=True).user
    with pytest.raises(ValidationError):
        services.accept_chat(agent=other, conversation=conv)  # already taken


def test_nobody_online_asks_for_email_then_creates_a_ticket_with_transcript(trained_org):
    seat(trained_org, online=False)
    conv = services.start_conversation(organisation=trained_org, language="en")
    services.visitor_says(conversation=conv, text="do you repair bicycles on mars")
    out = services.request_handoff(conversation=conv)
    assert out[-1].extra["kind"] == "ask_email"
    out = services.give_contact(conversation=conv, email="visitor@example.com")
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.TICKET
    assert conv.ticket_reference
    assert any(conv.ticket_reference in m.text for m in out)
    from concierge.helpdesk.models import Ticket

    ticket = Ticket.objects.get(organisation=trained_org)
    assert ticket.customer_email == "visitor@example.com"
    assert "do you repair bicycles on mars" in ticket.description
    assert f"#{ticket.number}" == conv.ticket_reference


def test_signed_in_visitor_gets_a_ticket_at_once(trained_org):
    customer = member(trained_org, Role.CUSTOMER)
    conv = services.start_conversation(organisation=trained_org, user=customer, language="en")
    services.visitor_says(conversation=conv, text="talk to a person", user=customer)
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.TICKET


def test_waiting_too_long_becomes_a_ticket(trained_org):
    seat(trained_org, online=True)
    conv = services.start_conversation(organisation=trained_org, language="ta")
    services.request_handoff(conversation=conv)
    assert services.expire_waiting() == 0
    later = timezone.now() + timedelta(minutes=4)
    assert services.expire_waiting(now=later) == 1
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.TICKET
    told = conv.messages.filter(extra__kind="ticket").get()
    assert conv.ticket_reference in told.text
    assert any("\u0b80" <= c <= "\u0bff" for c in told.text)  # in Tamil


def test_end_of_chat_thanks_suggests_and_asks_for_a_rating(trained_org):
    customer = member(trained_org, Role.CUSTOMER)
    conv = services.start_conversation(organisation=trained_org, user=customer, language="en")
    services.visitor_says(conversation=conv, text="how long is the guarantee", user=customer)
    out = services.visitor_says(conversation=conv, text="thanks", user=customer)
    closing = out[-1]
    assert closing.extra["kind"] == "closing" and closing.extra["rate"] is True
    assert {"title": "Warranty", "url": "/help/warranty/"} in closing.extra["related"]
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.CLOSED
    services.rate_conversation(conversation=conv, user=customer, score=5, comment="quick")
    assert Rating.objects.get(user=customer).score == 5
    conv.refresh_from_db()
    assert conv.visitor_rating == 5
    with pytest.raises(ValidationError):
        services.rate_conversation(conversation=conv, score=9)


def test_transcript_by_email(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="en")
    services.visitor_says(conversation=conv, text="how long is the guarantee")
    services.email_transcript(conversation=conv, email="me@example.com")
    mail = OutboxEmail.objects.get(to="me@example.com")
    assert "how long is the guarantee" in mail.body_text
    assert "two-year warranty" in mail.body_text
    with pytest.raises(ValidationError):
        services.email_transcript(conversation=conv, email="not an address")


def test_visitor_switches_language(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="en")
    services.set_language(conversation=conv, language="ta")
    conv.refresh_from_db()
    assert conv.language == "ta"
    with pytest.raises(ValidationError):
        services.set_language(conversation=conv, language="fr")


def test_romanised_hindi_is_answered_from_hindi_content_after_asking_the_script(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="en")
    out = services.visitor_says(conversation=conv, text="mera parcel kab aayega bhai")
    conv.refresh_from_db()
    assert out[0].language == "hi-Latn"
    assert conv.language == "hi" and conv.script == "latn"
    assert out[-1].extra["kind"] == "ask_script"
    answer = out[-2]
    assert answer.faq_entry.slug == "delivery"
    assert answer.text.isascii()  # Hindi answer written in Latin letters
    services.set_language(conversation=conv, language="hi", script="deva")
    out = services.visitor_says(conversation=conv, text="order track karna hai")
    assert not out[-1].text.isascii()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "a" * 20000,
        "\x00\x01\x02\xff binary",
        b"\xff\xfe\x00bytes",
        "<script>alert('x')</script>",
        "warranty वारंटी உத்தரவாதம் mixed",
        "\u202e\u200bRTL override",
        "😀" * 50,
        None,
    ],
)
def test_bad_input_gets_a_polite_reply(trained_org, text):
    conv = services.start_conversation(organisation=trained_org, language="en")
    out = services.visitor_says(conversation=conv, text=text)
    assert out and out[-1].sender in (Message.Sender.BOT, Message.Sender.SYSTEM)
    assert out[-1].text
    for m in out:
        assert len(m.text) <= 5000


def test_closed_chat_refuses_new_messages(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="en")
    services.end_conversation(conversation=conv)
    conv.refresh_from_db()
    with pytest.raises(ValidationError):
        services.visitor_says(conversation=conv, text="hello again")


def test_hand_off_is_announced_in_the_language_just_written(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="ta")
    out = services.visitor_says(conversation=conv, text="please let me talk to a person now")
    conv.refresh_from_db()
    assert conv.language == "en" and conv.status == Conversation.Status.WAITING
    assert out[-1].extra["kind"] == "ask_email"
    assert out[-1].text.isascii()  # English, not the Tamil the chat started in
