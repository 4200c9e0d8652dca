"""/api/assistant/: ask, conversations, FAQ entries, analytics; 4xx JSON, never 500."""

import pytest

from concierge.accounts.models import Role
from concierge.assistant.models import FAQEntry
from concierge.assistant.tests.factories import OrganisationFactory, member


@pytest.fixture
def api(client):
    def call(method, path, user=None, **kwargs):
        if user is not None:
            client.force_login(user)
        return getattr(client, method)(
            f"/api/assistant{path}", content_type="application/json", **kwargs
        )

    return call


def test_ask_one_question(api, trained_org):
    user = member(trained_org)
    res = api(
        "post",
        "/ask",
        user,
        data={"organisation": trained_org.slug, "text": "how long is the guarantee"},
    )
    assert res.status_code == 200
    body = res.json()
    assert body["kind"] == "answer" and body["faq_entry"] == "warranty"
    assert 0 < body["confidence"] <= 1 and body["language"] == "en"
    res = api("post", "/ask", data={"organisation": trained_org.slug, "text": "x" * 30000})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "text"


def test_conversation_start_send_history(api, trained_org):
    user = member(trained_org)
    start = api(
        "post", "/conversations", user, data={"organisation": trained_org.slug, "language": "ta"}
    )
    assert start.status_code == 201
    pk = start.json()["id"]
    sent = api("post", f"/conversations/{pk}/messages", data={"text": "உத்தரவாதம் எவ்வளவு"})
    assert sent.status_code == 200
    assert "உத்தரவாதம்" in sent.json()["messages"][-1]["text"]
    hist = api("get", f"/conversations/{pk}/messages")
    assert hist.json()["count"] == 3
    stranger = member(OrganisationFactory())
    assert api("get", f"/conversations/{pk}/messages", stranger).status_code == 404
    assert (
        api("post", f"/conversations/{pk}/messages", stranger, data={"text": "hi"}).status_code
        == 404
    )


def test_faq_entries_for_managers_only(api, trained_org, org_admin):
    res = api("get", f"/organisations/{trained_org.slug}/faq", org_admin)
    assert res.status_code == 200 and res.json()["count"] == 4
    created = api(
        "post",
        f"/organisations/{trained_org.slug}/faq",
        data={
            "slug": "gift-cards",
            "texts": [
                {
                    "language": "en",
                    "question": "Gift cards?",
                    "answer": "Yes.",
                    "paraphrases": ["gift voucher"],
                }
            ],
        },
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    bad = api("put", f"/faq/{pk}", data={"texts": []})
    assert bad.status_code == 422
    assert api("delete", f"/faq/{pk}").status_code == 204
    assert not FAQEntry.objects.filter(pk=pk).exists()
    customer = member(trained_org, Role.CUSTOMER)
    assert api("get", f"/organisations/{trained_org.slug}/faq", customer).status_code == 404
    entry = FAQEntry.objects.filter(organisation=trained_org).first()
    assert api("get", f"/faq/{entry.pk}").status_code == 404


def test_analytics(api, trained_org, org_admin):
    res = api("get", f"/organisations/{trained_org.slug}/analytics", org_admin)
    assert res.status_code == 200 and res.json()["conversations"] == 0
