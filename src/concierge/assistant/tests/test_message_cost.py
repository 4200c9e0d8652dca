"""What one chat message costs the database once the process is warm: one SELECT of the
chat's live fields, one INSERT of the question and the reply together, one UPDATE of the chat.
No timing here: the latency figures come from bench/assistant_chat.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concierge.assistant import services
from concierge.assistant.models import UnansweredQuestion


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


def test_an_answered_message_costs_three_queries(warm_chat):
    with CaptureQueriesContext(connection) as ctx:
        out = services.visitor_says(conversation=warm_chat, text="when will my order arrive")
    assert [m.sender for m in out] == ["visitor", "bot"]
    assert out[-1].faq_entry_id is not None and all(m.pk for m in out)
    assert statements(ctx) == [
        "SELECT assistant_conversation",
        "INSERT assistant_message",
        "UPDATE assistant_conversation",
    ]


def test_an_unanswered_message_adds_only_the_inbox_row(warm_chat):
    with CaptureQueriesContext(connection) as ctx:
        out = services.visitor_says(conversation=warm_chat, text="what is the capital of peru")
    assert out[-1].extra["kind"] == "unsure"
    assert UnansweredQuestion.objects.filter(conversation=warm_chat).count() == 1
    assert statements(ctx) == [
        "SELECT assistant_conversation",
        "INSERT assistant_unansweredquestion",
        "INSERT assistant_message",
        "UPDATE assistant_conversation",
    ]
