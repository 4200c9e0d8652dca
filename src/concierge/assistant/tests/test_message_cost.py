"""What one chat message costs the database once the process is warm: one INSERT of the
question and the reply together and one UPDATE of the chat (which also checks that nobody
changed the chat's status meanwhile). No timing here: the latency figures come from
bench/assistant_chat.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concierge.assistant import services
from concierge.assistant.models import Conversation, Message, UnansweredQuestion
from concierge.assistant.tests.factories import seat


@pytest.fixture
def warm_chat(trained_org):
    """A chat whose process has loaded the engine, the answers and the chat settings."""
    conv = services.start_conversation(organisation=trained_org, language="en")
    services.visitor_says(conversation=conv, text="how long is the guarantee")
    return conv


def statements(ctx) -> list[str]:
    """The statements run, by kind and table (savepoints of the test's transaction left out)."""
    out = []
    for query in ctx.captured_queries:
        words = query["sql"].replace('"', "").split()
        verb = words[0]
        if verb in ("SAVEPOINT", "RELEASE"):
            continue
        table = (
            words[words.index("FROM") + 1] if verb == "SELECT" else words[2 - (verb == "UPDATE")]
        )
        out.append(f"{verb} {table}")
    return out


def test_an_answered_message_costs_two_queries(warm_chat):
    with CaptureQueriesContext(connection) as ctx:
        out = services.visitor_says(conversation=warm_chat, text="when will my order arrive")
    assert [m.sender for m in out] == ["visitor", "bot"]
    assert out[-1].faq_entry_id is not None and all(m.pk for m in out)
    assert statements(ctx) == ["INSERT assistant_message", "UPDATE assistant_conversation"]


def test_an_unanswered_message_adds_only_the_inbox_row(warm_chat):
    with CaptureQueriesContext(connection) as ctx:
        out = services.visitor_says(conversation=warm_chat, text="what is the capital of peru")
    assert out[-1].extra["kind"] == "unsure"
    assert UnansweredQuestion.objects.filter(conversation=warm_chat).count() == 1
    assert statements(ctx) == [
        "INSERT assistant_unansweredquestion",
        "INSERT assistant_message",
        "UPDATE assistant_conversation",
    ]


def test_a_chat_taken_by_an_agent_meanwhile_is_read_again(trained_org):
    """The socket's copy of the chat still says "bot" after an agent took it: the bot's
    answer is not kept and the question goes to the agent instead."""
    agent_seat = seat(trained_org, online=True)
    held = services.start_conversation(organisation=trained_org, language="en")
    elsewhere = Conversation.objects.get(pk=held.pk)
    services.request_handoff(conversation=elsewhere)
    services.accept_chat(agent=agent_seat.user, conversation=elsewhere)
    assert held.status == Conversation.Status.BOT  # stale

    out = services.visitor_says(conversation=held, text="how long is the guarantee")

    assert [m.sender for m in out] == ["visitor"]
    assert held.status == Conversation.Status.LIVE
    assert not Message.objects.filter(conversation=held, faq_entry__isnull=False).exists()
    assert Message.objects.filter(conversation=held, sender="visitor").count() == 1
