"""/api/helpdesk/{org}/… settings endpoints: managers only (404 for agents and strangers), the
same field errors as the pages as 422 JSON, secrets given once, deletion keeps tickets."""

import json

import pytest
from django.test import Client

from concierge.accounts.services import create_api_token
from concierge.helpdesk import services
from concierge.helpdesk.models import (
    HelpdeskSettings,
    Queue,
    QueueMember,
    RoutingRule,
    Ticket,
    Webhook,
    WebhookDelivery,
)


def api(user):
    new = create_api_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {new.plain}")


def send(client, method, path, body=None):
    return getattr(client, method)(
        f"/api/helpdesk/{path}", json.dumps(body or {}), content_type="application/json"
    )


@pytest.mark.parametrize(("who", "status"), [("agent", 403), ("customer", 403), ("stranger", 404)])
def test_settings_endpoints_refuse_everyone_but_managers(request, org, queue, who, status):
    """Members who may not manage get 403; strangers cannot even learn the company exists."""
    c = api(request.getfixturevalue(who))
    for path in ("queues", "routing-rules", "sla-policies", "business-hours", "inbound-settings"):
        r = c.get(f"/api/helpdesk/{org.slug}/{path}")
        assert r.status_code == status and r.json()["detail"], path
    assert send(c, "post", f"{org.slug}/queues", {"name": "X"}).status_code == status
    assert send(c, "delete", f"{org.slug}/queues/{queue.pk}").status_code == status
    assert send(c, "post", f"{org.slug}/inbound-token").status_code == status
    assert send(c, "post", f"{org.slug}/webhooks", {"url": "https://x.example"}).status_code == (
        status
    )
    assert Queue.objects.filter(pk=queue.pk).exists()
    assert not Queue.objects.filter(name="X").exists() and not Webhook.objects.exists()


def test_an_admin_may_manage_too(org, queue):
    from concierge.accounts.models import Role
    from concierge.helpdesk.tests.factories import member

    admin = member(org, Role.ADMIN)
    assert api(admin).get(f"/api/helpdesk/{org.slug}/queues").json()[0]["name"] == "Support"


def test_manager_builds_routing_through_the_api(org, manager, agent, customer):
    c = api(manager)
    r = send(c, "post", f"{org.slug}/queues", {"name": "Hindi desk", "assignment": "round_robin"})
    assert r.status_code == 201, r.content
    queue_id = r.json()["id"]
    r = send(
        c,
        "post",
        f"{org.slug}/queues/{queue_id}/members",
        {"user_email": agent.email, "languages": ["hi", "en"]},
    )
    assert r.status_code == 201 and r.json()["languages"] == ["hi", "en"]
    r = send(
        c,
        "post",
        f"{org.slug}/routing-rules",
        {"name": "Refunds", "position": 1, "keywords": "refund", "queue": queue_id},
    )
    assert r.status_code == 201, r.content
    ticket = services.create_ticket(
        organisation=org,
        customer=customer,
        subject="Refund please",
        description="Charged twice",
        check_limits=False,
    )
    assert ticket.queue_id == queue_id and ticket.assignee == agent
    r = send(c, "patch", f"{org.slug}/routing-rules/{r.json()['id']}", {"priority": "urgent"})
    assert r.status_code == 200 and r.json()["priority"] == "urgent"
    assert r.json()["keywords"] == "refund"  # a PATCH changes only what it sends
    r = send(c, "patch", f"{org.slug}/queues/{queue_id}", {"manager": manager.pk})
    assert r.json()["manager"] == manager.pk
    r = send(c, "patch", f"{org.slug}/queues/{queue_id}", {"manager": None})
    assert r.status_code == 200 and r.json()["manager"] is None
    r = send(c, "patch", f"{org.slug}/queues/{queue_id}", {"name": None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"


def test_bad_input_is_422_with_the_field(org, manager, queue):
    c = api(manager)
    r = send(c, "post", f"{org.slug}/queues", {"name": "", "assignment": "sideways"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"name", "assignment"}
    r = send(c, "post", f"{org.slug}/queues", {"name": "support", "assignment": "manual"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "name", "message": "A queue with this name already exists."}
    ]
    r = send(c, "post", f"{org.slug}/routing-rules", {"name": "R", "queue": 999999})
    assert r.status_code == 422
    assert "queue" in {e["field"] for e in r.json()["errors"]}
    r = send(
        c,
        "post",
        f"{org.slug}/sla-policies",
        {"priority": "high", "first_response_minutes": 90, "resolution_minutes": 30},
    )
    assert r.status_code == 422
    assert "resolution_minutes" in {e["field"] for e in r.json()["errors"]}
    r = send(c, "patch", f"{org.slug}/business-hours", {"work_start": "19:00"})
    assert r.status_code == 422
    assert "work_end" in {e["field"] for e in r.json()["errors"]}
    r = send(c, "post", f"{org.slug}/holidays", {"day": "not a date"})
    assert r.status_code == 422
    r = c.post(f"/api/helpdesk/{org.slug}/queues", "{broken", content_type="application/json")
    assert r.status_code in (400, 422)
    r = send(c, "post", f"{org.slug}/queues/{queue.pk}/members", {"user_email": "no@x.example"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "user_email"


def test_inbound_settings_never_return_the_password(org, manager):
    c = api(manager)
    r = send(
        c,
        "patch",
        f"{org.slug}/inbound-settings",
        {"imap_host": "imap.acme.example", "imap_user": "help", "password": "pw-123"},
    )
    assert r.status_code == 200, r.content
    assert "pw-123" not in r.content.decode() and r.json()["has_password"] is True
    r = send(c, "patch", f"{org.slug}/inbound-settings", {"imap_folder": "Support"})
    assert HelpdeskSettings.objects.get(organisation=org).imap_password == "pw-123"
    r = send(c, "post", f"{org.slug}/inbound-token")
    assert r.status_code == 201
    assert services.organisation_for_inbound_token(r.json()["token"]) == org
    assert "token" not in c.get(f"/api/helpdesk/{org.slug}/inbound-settings").json()


def test_webhook_secret_once_deliveries_and_retry(org, manager, customer, queue):
    c = api(manager)
    r = send(c, "post", f"{org.slug}/webhooks", {"url": "https://hooks.example/a", "events": "*"})
    assert r.status_code == 201 and r.json()["secret"].startswith("whsec_")
    hook_id = r.json()["id"]
    assert "secret" not in c.get(f"/api/helpdesk/{org.slug}/webhooks/{hook_id}").json()
    assert "secret" not in c.get(f"/api/helpdesk/{org.slug}/webhooks").json()[0]
    r = send(c, "post", f"{org.slug}/webhooks/{hook_id}/secret")
    assert r.json()["secret"] == Webhook.objects.get(pk=hook_id).secret
    services.create_ticket(
        organisation=org, customer=customer, subject="A", description="B", check_limits=False
    )
    delivery = WebhookDelivery.objects.get(webhook_id=hook_id)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6)
    r = c.get(f"/api/helpdesk/{org.slug}/webhooks/{hook_id}/deliveries")
    assert [d["status"] for d in r.json()] == ["failed"]
    r = send(c, "post", f"{org.slug}/webhooks/{hook_id}/deliveries/{delivery.pk}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="sent")
    r = send(c, "post", f"{org.slug}/webhooks/{hook_id}/deliveries/{delivery.pk}/retry")
    assert r.status_code == 422
    r = send(c, "patch", f"{org.slug}/webhooks/{hook_id}", {"url": "javascript:alert(1)"})
    assert r.status_code == 422


def test_deleting_a_queue_through_the_api_keeps_tickets(org, manager, customer, queue):
    ticket = services.create_ticket(
        organisation=org, customer=customer, subject="A", description="B", check_limits=False
    )
    r = send(api(manager), "delete", f"{org.slug}/queues/{queue.pk}")
    assert r.status_code == 200
    assert r.json()["tickets_kept"] == 1 and r.json()["rules_removed"] == 1
    assert Ticket.objects.get(pk=ticket.pk).queue is None
    assert not RoutingRule.objects.filter(queue_id=queue.pk).exists()
    assert not QueueMember.objects.filter(queue_id=queue.pk).exists()
