"""/api/helpdesk/: tickets, replies (with the guard), notes, articles, search, inbound mail,
webhooks signed with HMAC-SHA256 and retried with back-off."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from concierge.accounts.services import create_api_token
from concierge.helpdesk import services
from concierge.helpdesk.models import Article, Ticket, WebhookDelivery


def api(user):
    new = create_api_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {new.plain}")


@pytest.fixture
def ticket(org, customer, queue):
    return services.create_ticket(
        organisation=org,
        customer=customer,
        subject="Oven broken",
        description="No heat",
        check_limits=False,
    )


def test_customer_creates_and_lists_tickets(org, customer, queue):
    c = api(customer)
    r = c.post(
        f"/api/helpdesk/{org.slug}/tickets",
        json.dumps({"subject": "Mixer", "description": "Noisy"}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "api"
    r = c.get(f"/api/helpdesk/{org.slug}/tickets")
    assert r.json()["count"] == 1


def test_validation_errors_are_422_json(org, customer):
    r = api(customer).post(
        f"/api/helpdesk/{org.slug}/tickets",
        json.dumps({"subject": "", "description": ""}),
        content_type="application/json",
    )
    assert r.status_code == 422
    body = r.json()
    assert {e["field"] for e in body["errors"]} == {"subject", "description"}


def test_stranger_gets_404(org, ticket, stranger):
    r = api(stranger).get(f"/api/helpdesk/{org.slug}/tickets/{ticket.number}")
    assert r.status_code == 404 and r.json()["detail"]


def test_agent_reply_guard_over_api(org, ticket, agent, agent2):
    seen = services.last_public_message_id(ticket)
    url = f"/api/helpdesk/{org.slug}/tickets/{ticket.number}/replies"
    r = api(agent).post(
        url, json.dumps({"body": "A", "seen_message_id": seen}), content_type="application/json"
    )
    assert r.status_code == 201
    r = api(agent2).post(
        url, json.dumps({"body": "B", "seen_message_id": seen}), content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["newer"][0]["body"] == "A"
    r = api(agent2).post(
        url,
        json.dumps({"body": "B", "seen_message_id": seen, "force": True}),
        content_type="application/json",
    )
    assert r.status_code == 201


def test_notes_hidden_from_customer_api(org, ticket, agent, customer):
    api(agent).post(
        f"/api/helpdesk/{org.slug}/tickets/{ticket.number}/notes",
        json.dumps({"body": "secret"}),
        content_type="application/json",
    )
    r = api(customer).get(f"/api/helpdesk/{org.slug}/tickets/{ticket.number}")
    assert [m["kind"] for m in r.json()["messages"]] == ["public"]
    r = api(customer).post(
        f"/api/helpdesk/{org.slug}/tickets/{ticket.number}/notes",
        json.dumps({"body": "x"}),
        content_type="application/json",
    )
    assert r.status_code == 403


def test_patch_ticket(org, ticket, agent, agent2):
    r = api(agent).patch(
        f"/api/helpdesk/{org.slug}/tickets/{ticket.number}",
        json.dumps(
            {"status": "open", "priority": "high", "assignee_email": agent2.email, "tags": ["oven"]}
        ),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("open", "high", agent2)


def test_articles_and_search(org, agent, customer):
    services.save_article(
        actor=agent,
        organisation=org,
        slug="refunds",
        title="Refunds",
        body="Refunds take 5 days.",
        status=Article.Status.PUBLISHED,
    )
    c = api(customer)
    assert c.get(f"/api/helpdesk/{org.slug}/articles").json()["items"][0]["slug"] == "refunds"
    r = c.get(f"/api/helpdesk/{org.slug}/search", {"q": "refund"})
    assert r.json()[0]["title"] == "Refunds"


def test_inbound_with_org_token_and_with_agent(org, agent, manager):
    token = services.issue_inbound_token(actor=manager, organisation=org)
    raw = b"From: c@example.com\r\nSubject: Help\r\nMessage-ID: <a@x>\r\n\r\nPlease"
    r = Client().post(
        "/api/helpdesk/inbound", raw, content_type="message/rfc822", HTTP_X_HELPDESK_TOKEN=token
    )
    assert r.status_code == 200 and r.json()["action"] == "ticket"
    r = api(agent).post(
        f"/api/helpdesk/inbound?org={org.slug}",
        b"From: d@example.com\r\nSubject: Hi\r\n\r\nx",
        content_type="message/rfc822",
    )
    assert r.json()["action"] == "ticket"
    r = Client().post(
        "/api/helpdesk/inbound",
        raw,
        content_type="message/rfc822",
        HTTP_X_HELPDESK_TOKEN="hdin_wrong",
    )
    assert r.status_code == 401


class FakeResponse:
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_webhook_signed_and_retried(org, manager, customer, queue, monkeypatch):
    hook = services.save_webhook(actor=manager, organisation=org, url="https://hooks.example/x")
    sent = []
    calls = {"n": 0}

    def opener(request, timeout):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("connection refused")
        sent.append(request)
        return FakeResponse()

    monkeypatch.setattr("urllib.request.urlopen", opener)
    services.create_ticket(
        organisation=org, customer=customer, subject="Hook me", description="d", check_limits=False
    )
    delivery = WebhookDelivery.objects.get(event="ticket.created")
    assert delivery.status == "pending"  # written with the ticket, sent by a task after commit
    assert not services.deliver_webhook_now(delivery_id=delivery.pk)  # connection refused
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "refused" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert services.due_webhook_deliveries(now=timezone.now() + timedelta(minutes=3)) == [
        delivery.pk
    ]
    assert services.deliver_webhook_now(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    request = sent[0]
    expected = "sha256=" + hmac.new(hook.secret.encode(), request.data, hashlib.sha256).hexdigest()
    assert request.headers["X-concierge-signature"] == expected
    assert json.loads(request.data)["ticket"]["subject"] == "Hook me"


def test_webhook_gives_up_after_max_attempts(org, manager, customer, queue, monkeypatch):
    services.save_webhook(
        actor=manager, organisation=org, url="https://hooks.example/x", events="ticket.created"
    )

    def fail(request, timeout):
        raise OSError("down")

    monkeypatch.setattr("urllib.request.urlopen", fail)
    services.create_ticket(
        organisation=org, customer=customer, subject="x", description="d", check_limits=False
    )
    delivery = WebhookDelivery.objects.get()
    for _ in range(10):
        services.deliver_webhook_now(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == services.WEBHOOK_MAX_ATTEMPTS


def test_only_managers_create_webhooks(org, agent):
    r = api(agent).post(
        f"/api/helpdesk/{org.slug}/webhooks",
        json.dumps({"url": "https://x.example"}),
        content_type="application/json",
    )
    assert r.status_code == 403
    assert Ticket.objects.count() == 0
