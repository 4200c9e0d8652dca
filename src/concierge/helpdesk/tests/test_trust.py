"""Duplicates, merge, spam (honeypot, rate limits, score, block), CSAT and reports."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from concierge.feedback.services import rate
from concierge.helpdesk import selectors, services
from concierge.helpdesk.models import BlockedSender, Deflection, Ticket


def new(org, customer, subject, description="", **kw):
    kw.setdefault("check_limits", False)
    return services.create_ticket(
        organisation=org,
        customer=customer,
        subject=subject,
        description=description or subject,
        **kw,
    )


def test_similar_open_tickets_of_same_customer(org, customer, agent, queue):
    first = new(
        org,
        customer,
        "Dishwasher leaking water",
        "Water leaks from the dishwasher door during rinse",
    )
    new(org, customer, "Change my address", "Please deliver to my office")
    dup = new(
        org,
        customer,
        "Dishwasher door leaks water",
        "Water is leaking out of the dishwasher door while rinsing",
    )
    similar = selectors.similar_open_tickets(ticket=dup)
    assert [t for t, _score in similar] == [first]
    assert dup.events.filter(kind="possible_duplicate").exists()
    assert agent.notifications.filter(event="helpdesk.possible_duplicate").exists()


def test_merge_moves_conversation_and_keeps_history(org, customer, agent, queue):
    target = new(org, customer, "Dishwasher leaking")
    source = new(org, customer, "Dishwasher still leaking")
    services.reply_as_customer(customer=customer, ticket=source, body="Photo attached")
    services.merge_tickets(agent=agent, source=source, target=target)
    source.refresh_from_db()
    assert source.merged_into == target and source.status == Ticket.Status.CLOSED
    assert target.messages.count() == 3 and source.messages.count() == 0
    assert source.events.filter(kind="merged_into").exists()
    assert target.events.filter(kind="merged_in").exists()
    with pytest.raises(ValidationError):
        services.merge_tickets(agent=agent, source=target, target=source)
    with pytest.raises(ValidationError):
        services.reply_as_customer(customer=customer, ticket=source, body="hello?")


def test_customer_cannot_merge(org, customer, queue):
    a, b = new(org, customer, "a"), new(org, customer, "b")
    with pytest.raises(PermissionDenied):
        services.merge_tickets(agent=customer, source=a, target=b)


def test_honeypot_rejects(org, customer, client):
    client.force_login(customer)
    r = client.post(
        reverse("helpdesk:ticket_new", args=[org.slug]),
        {
            "subject": "Hello",
            "description": "Buy",
            "customer_priority": "normal",
            "website": "http://bot.example",
        },
    )
    assert r.status_code == 200 and not Ticket.objects.exists()


def test_rate_limit_per_customer_and_ip(org, customer, queue):
    cfg = services.settings_for(org)
    cfg.tickets_per_hour_per_customer = 2
    cfg.tickets_per_hour_per_ip = 3
    cfg.save()
    for i in range(2):
        services.create_ticket(
            organisation=org,
            customer=customer,
            subject=f"s{i}",
            description="d",
            source_ip="10.0.0.1",
        )
    with pytest.raises(ValidationError):
        services.create_ticket(
            organisation=org, customer=customer, subject="s3", description="d", source_ip="10.0.0.1"
        )
    later = timezone.now() + timedelta(hours=2)
    services.create_ticket(
        organisation=org, customer=customer, subject="s4", description="d", now=later
    )


def test_spam_score_flags_and_skips_routing(org, customer, agent, queue):
    t = new(
        org,
        customer,
        "WIN FREE MONEY click here NOW",
        "Earn $5000! http://a.example http://b.example http://c.example casino",
    )
    assert t.is_spam and t.spam_score >= 0.8
    assert t.assignee is None
    assert not customer.notifications.filter(event="helpdesk.ticket_received").exists()
    ok = new(org, customer, "Fridge not cooling", "The fridge is warm since yesterday.")
    assert not ok.is_spam and ok.spam_score < 0.3


def test_mark_spam_blocks_sender_only_when_confirmed(org, customer, agent, queue, client):
    t = new(org, customer, "Odd message")
    services.mark_spam(agent=agent, ticket=t, block_sender=False)
    assert not BlockedSender.objects.exists()
    client.force_login(agent)
    client.post(
        reverse("helpdesk:ticket_spam", args=[org.slug, t.number]), {"spam": "1", "block": "1"}
    )
    assert BlockedSender.objects.filter(email=customer.email).exists()
    with pytest.raises(PermissionDenied):
        new(org, customer, "again")
    raw = f"From: {customer.email}\r\nSubject: hi\r\n\r\nx".encode()
    assert services.ingest_email(organisation=org, raw=raw).reason == "blocked sender"


def test_csat_only_by_customer_after_resolution(org, customer, agent, queue, client):
    t = new(org, customer, "Broken")
    assert not t.can_be_rated_by(customer)
    services.reply_as_agent(
        agent=agent,
        ticket=t,
        body="Fixed",
        seen_message_id=services.last_public_message_id(t),
        status_after="resolved",
    )
    t.refresh_from_db()
    assert customer.notifications.filter(event="helpdesk.ticket_resolved").exists()
    assert t.can_be_rated_by(customer) and not t.can_be_rated_by(agent)
    client.force_login(customer)
    page = client.get(reverse("helpdesk:ticket", args=[org.slug, t.number])).content.decode()
    assert "Send rating" in page
    rate(user=customer, target=t, score=4, comment="Good", context="csat")
    assert t.events.filter(kind="rated").exists()
    client.force_login(agent)
    page = client.get(reverse("helpdesk:ticket", args=[org.slug, t.number])).content.decode()
    assert "Good" in page


def test_report_figures_and_csv(org, customer, agent, manager, queue, client):
    from concierge.helpdesk.tests.factories import SLAPolicyFactory

    SLAPolicyFactory(
        organisation=org,
        priority="normal",
        first_response_minutes=100000,
        resolution_minutes=200000,
    )
    now = timezone.now()
    t = new(org, customer, "Broken", now=now - timedelta(hours=3))
    services.reply_as_agent(
        agent=agent,
        ticket=t,
        body="Fixed",
        seen_message_id=services.last_public_message_id(t),
        status_after="resolved",
        now=now - timedelta(hours=1),
    )
    t.refresh_from_db()
    rate(user=customer, target=t, score=5, context="csat")
    new(org, customer, "Second", now=now - timedelta(hours=2))
    Deflection.objects.create(organisation=org, query="refund")
    rep = selectors.report(
        user=manager,
        organisation=org,
        start=timezone.localdate() - timedelta(days=1),
        end=timezone.localdate(),
    )
    assert (rep.total.created, rep.total.resolved) == (2, 1)
    assert rep.total.first_response_minutes == 120.0
    assert rep.total.resolution_minutes == 120.0
    assert rep.total.sla_percent == 100.0
    assert rep.total.csat == 5
    assert rep.deflection_rate == round(100 / 3, 1)
    assert rep.by_agent[0].name == "Asha Agent"
    client.force_login(manager)
    r = client.get(reverse("helpdesk:reports", args=[org.slug]))
    assert r.status_code == 200 and "hd-in-out" in r.content.decode()
    r = client.get(reverse("helpdesk:reports", args=[org.slug]), {"format": "csv"})
    assert r["Content-Type"].startswith("text/csv") and b"total,all,2,1" in r.content
    client.force_login(agent)
    assert client.get(reverse("helpdesk:reports", args=[org.slug])).status_code == 404
