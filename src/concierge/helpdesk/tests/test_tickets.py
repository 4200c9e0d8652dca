"""Tickets: creation, routing, assignment, the customer portal, agents' views, history."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from concierge.accounts.models import Role
from concierge.helpdesk import selectors, services
from concierge.helpdesk.models import (
    CannedResponse,
    Queue,
    QueueMember,
    Ticket,
    TicketEvent,
)
from concierge.helpdesk.tests.factories import (
    QueueFactory,
    RoutingRuleFactory,
    SLAPolicyFactory,
    TicketCategoryFactory,
    member,
)


def raise_ticket(org, customer, subject="Fridge broken", description="It is warm inside.", **kw):
    kw.setdefault("check_limits", False)
    return services.create_ticket(
        organisation=org, customer=customer, subject=subject, description=description, **kw
    )


# --- creation and validation ---------------------------------------------------------------
def test_create_ticket_numbers_history_and_confirmation(org, customer, queue):
    t1 = raise_ticket(org, customer)
    t2 = raise_ticket(org, customer, subject="Another")
    assert (t1.number, t2.number) == (1, 2)
    assert t1.status == Ticket.Status.NEW
    assert t1.messages.get().body == "It is warm inside."
    assert list(t1.events.values_list("kind", flat=True))[:1] == ["created"]
    assert customer.notifications.filter(event="helpdesk.ticket_received").count() == 2


def test_bad_input_is_a_validation_error_and_nothing_written(org, customer):
    with pytest.raises(ValidationError) as err:
        services.create_ticket(organisation=org, customer=customer, subject=" ", description="")
    assert set(err.value.message_dict) == {"subject", "description"}
    assert not Ticket.objects.exists()


def test_stranger_cannot_raise_ticket(org, stranger):
    with pytest.raises(PermissionDenied):
        raise_ticket(org, stranger)


def test_attachments_limits(org, customer):
    services.settings_for(org)
    ok = SimpleUploadedFile("photo.png", b"\x89PNG" + b"0" * 100, content_type="image/png")
    t = raise_ticket(org, customer, attachments=[ok])
    att = t.messages.get().attachments.get()
    assert (att.name, att.size, att.content_type) == ("photo.png", 104, "image/png")
    exe = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        raise_ticket(org, customer, attachments=[exe])
    cfg = services.settings_for(org)
    cfg.max_attachment_bytes = 50
    cfg.save()
    big = SimpleUploadedFile("big.txt", b"x" * 51, content_type="text/plain")
    with pytest.raises(ValidationError):
        raise_ticket(org, customer, attachments=[big])
    assert Ticket.objects.count() == 1


# --- routing and assignment ------------------------------------------------------------------
def test_rules_route_by_keyword_category_language_and_domain(org, customer, agent):
    billing = QueueFactory(organisation=org, name="Billing")
    tech = QueueFactory(organisation=org, name="Technical")
    tamil = QueueFactory(organisation=org, name="Tamil desk")
    vip = QueueFactory(organisation=org, name="VIP")
    cat = TicketCategoryFactory(organisation=org, name="Hardware")
    RoutingRuleFactory(
        organisation=org, position=0, customer_domain="bigcorp.example", queue=vip, priority="high"
    )
    RoutingRuleFactory(organisation=org, position=1, keywords="refund, charged", queue=billing)
    RoutingRuleFactory(organisation=org, position=2, language="ta", queue=tamil)
    RoutingRuleFactory(organisation=org, position=3, category=cat, queue=tech, priority="urgent")
    assert raise_ticket(org, customer, subject="I was CHARGED twice").queue == billing
    assert (
        raise_ticket(org, customer, subject="எனது ஆர்டர் எங்கே?", description="தயவுசெய்து").queue
        == tamil
    )
    t = raise_ticket(org, customer, subject="Noise", category=cat)
    assert (t.queue, t.priority, t.customer_priority) == (tech, "urgent", "normal")
    vip_customer = member(org, Role.CUSTOMER, email="john@bigcorp.example")
    t = raise_ticket(org, vip_customer, subject="Refund please")
    assert (t.queue, t.priority) == (vip, "high")
    assert t.events.filter(kind="routed").exists()


def test_least_open_assignment_among_available_speakers(org, customer, agent, agent2):
    q = QueueFactory(organisation=org, assignment=Queue.Assignment.LEAST_OPEN)
    QueueMember.objects.create(queue=q, user=agent, languages="en,hi")
    QueueMember.objects.create(queue=q, user=agent2, languages="en,ta")
    RoutingRuleFactory(organisation=org, queue=q)
    first = raise_ticket(org, customer)
    second = raise_ticket(org, customer, subject="Second one", description="Other")
    assert {first.assignee, second.assignee} == {agent, agent2}
    tamil = raise_ticket(org, customer, subject="உதவி தேவை", description="தயவுசெய்து")
    assert tamil.assignee == agent2 and tamil.language == "ta"
    QueueMember.objects.filter(user=agent2).update(is_available=False)
    assert raise_ticket(org, customer, subject="x", description="y").assignee == agent


def test_round_robin(org, customer, agent, agent2):
    q = QueueFactory(organisation=org, assignment=Queue.Assignment.ROUND_ROBIN)
    QueueMember.objects.create(queue=q, user=agent)
    QueueMember.objects.create(queue=q, user=agent2)
    RoutingRuleFactory(organisation=org, queue=q)
    got = [
        raise_ticket(org, customer, subject=f"T{i}", description=f"d{i}").assignee for i in range(4)
    ]
    assert got[0] != got[1] and got[0] == got[2] and got[1] == got[3]


def test_agent_who_left_the_organisation_is_not_assigned(org, customer, agent, agent2):
    q = QueueFactory(organisation=org)
    QueueMember.objects.create(queue=q, user=agent)
    QueueMember.objects.create(queue=q, user=agent2)
    RoutingRuleFactory(organisation=org, queue=q)
    agent2.memberships.all().delete()
    assert all(
        raise_ticket(org, customer, subject=f"s{i}", description="d").assignee == agent
        for i in range(2)
    )


def test_manual_reassignment_and_manager_load(org, customer, agent, agent2, manager, queue):
    t = raise_ticket(org, customer)
    assert t.assignee == agent
    services.change_ticket(agent=manager, ticket=t, assignee=agent2)
    t.refresh_from_db()
    assert t.assignee == agent2
    assert t.events.filter(kind="assigned").count() == 2
    loads = {a.user: a.open for a in selectors.agent_loads(user=manager, organisation=org)}
    assert loads[agent2] == 1 and loads[agent] == 0
    with pytest.raises(ValidationError):
        services.change_ticket(agent=manager, ticket=t, assignee=customer)


# --- portal and agent flows ------------------------------------------------------------------
def test_customer_portal_flow(org, customer, agent, queue, client):
    client.force_login(customer)
    r = client.post(
        reverse("helpdesk:ticket_new", args=[org.slug]),
        {
            "subject": "Mixer smells of smoke",
            "description": "It stopped after a minute.",
            "customer_priority": "high",
            "website": "",
        },
    )
    assert r.status_code == 302
    t = Ticket.objects.get()
    assert t.customer == customer and t.source_ip == "127.0.0.1"
    r = client.get(reverse("helpdesk:tickets", args=[org.slug]))
    assert "Mixer smells of smoke" in r.content.decode()
    r = client.post(
        reverse("helpdesk:ticket_reply", args=[org.slug, t.number]),
        {"body": "Also the light blinks."},
    )
    assert r.status_code == 302
    assert t.messages.count() == 2
    client.post(reverse("helpdesk:ticket_close", args=[org.slug, t.number]))
    t.refresh_from_db()
    assert t.status == Ticket.Status.CLOSED
    client.post(reverse("helpdesk:ticket_reopen", args=[org.slug, t.number]))
    t.refresh_from_db()
    assert t.status == Ticket.Status.OPEN


def test_form_errors_shown_not_500(org, customer, client):
    client.force_login(customer)
    r = client.post(
        reverse("helpdesk:ticket_new", args=[org.slug]),
        {"subject": "", "description": "", "customer_priority": "nonsense"},
    )
    assert r.status_code == 200
    assert "is-invalid" in r.content.decode() or "invalid-feedback" in r.content.decode()


def test_reopen_window(org, customer, agent, queue):
    t = raise_ticket(org, customer)
    services.close_by_customer(customer=customer, ticket=t)
    later = timezone.now() + timedelta(days=15)
    with pytest.raises(ValidationError):
        services.reopen_ticket(actor=customer, ticket=t, now=later)
    services.reopen_ticket(actor=agent, ticket=t, now=later)  # agents may always
    t.refresh_from_db()
    assert t.status == Ticket.Status.OPEN


def test_internal_notes_hidden_from_customer(org, customer, agent, queue, client):
    t = raise_ticket(org, customer)
    services.add_note(agent=agent, ticket=t, body="Customer is a VIP, be nice")
    client.force_login(customer)
    r = client.get(reverse("helpdesk:ticket", args=[org.slug, t.number]))
    assert "VIP, be nice" not in r.content.decode()
    client.force_login(agent)
    r = client.get(reverse("helpdesk:ticket", args=[org.slug, t.number]))
    assert "VIP, be nice" in r.content.decode()
    with pytest.raises(PermissionDenied):
        services.add_note(agent=customer, ticket=t, body="x")


def test_stranger_and_other_customer_get_404(org, customer, agent, queue, stranger, client):
    t = raise_ticket(org, customer)
    other = member(org, Role.CUSTOMER)
    for user in (stranger, other):
        client.force_login(user)
        for name in ("ticket", "ticket_reply", "ticket_close"):
            url = reverse(f"helpdesk:{name}", args=[org.slug, t.number])
            r = client.post(url, {"body": "x"}) if name != "ticket" else client.get(url)
            assert r.status_code == 404, (user, name)
    client.force_login(stranger)
    assert (
        client.get(reverse("helpdesk:tickets", args=[org.slug])).status_code == 404
        or "Fridge broken"
        not in client.get(reverse("helpdesk:tickets", args=[org.slug])).content.decode()
    )


def test_agent_views_filters_and_no_n_plus_one(
    org, customer, agent, queue, client, django_assert_max_num_queries
):
    tickets = [
        raise_ticket(org, customer, subject=f"Issue {i}", description=f"d {i}") for i in range(12)
    ]
    services.change_ticket(agent=agent, ticket=tickets[0], priority="urgent", tags=["vip"])
    client.force_login(agent)
    url = reverse("helpdesk:tickets", args=[org.slug])
    with django_assert_max_num_queries(20):
        r = client.get(url, {"view": "mine"})
    assert r.content.decode().count("Issue ") >= 12
    r = client.get(url, {"view": "open", "priority": "urgent"})
    assert "Issue 0" in r.content.decode() and "Issue 5" not in r.content.decode()
    r = client.get(url, {"view": "open", "tag": "vip"})
    assert "Issue 0" in r.content.decode() and "Issue 5" not in r.content.decode()
    r = client.get(url, {"view": "unassigned"})
    assert "Issue 3" not in r.content.decode()
    assert (
        selectors.agent_tickets(
            agent=agent, organisation=org, filters=selectors.TicketFilters(view="mine", q="#3")
        )
        .get()
        .number
        == tickets[2].number
    )


def test_ticket_page_query_count(
    org, customer, agent, queue, client, django_assert_max_num_queries
):
    t = raise_ticket(org, customer)
    for i in range(10):
        services.add_note(agent=agent, ticket=t, body=f"note {i}")
    client.force_login(agent)
    with django_assert_max_num_queries(45):
        r = client.get(reverse("helpdesk:ticket", args=[org.slug, t.number]))
    assert r.status_code == 200


def test_bulk_actions_and_saved_views(org, customer, agent, queue, client):
    tickets = [raise_ticket(org, customer, subject=f"B{i}", description="d") for i in range(3)]
    client.force_login(agent)
    client.post(
        reverse("helpdesk:bulk", args=[org.slug]),
        {"ticket": [t.pk for t in tickets], "action": "status", "value": "resolved"},
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {"resolved"}
    client.post(
        reverse("helpdesk:save_view", args=[org.slug]),
        {"name": "Urgent", "query": "view=open&priority=urgent"},
    )
    assert agent.helpdesk_views.get().query == "view=open&priority=urgent"


def test_canned_response_placeholders(org, customer, agent, queue, client):
    t = raise_ticket(org, customer)
    c = CannedResponse.objects.create(
        organisation=org,
        title="Hi",
        body="Hello {customer_name}, about {ticket_number} ({subject}) — {agent_name} {unknown}",
    )
    text = services.render_canned(response=c, ticket=t, agent=agent)
    assert text == (
        f"Hello Priya Customer, about #{t.number} (Fridge broken) — Asha Agent {{unknown}}"
    )
    client.force_login(agent)
    r = client.get(reverse("helpdesk:ticket", args=[org.slug, t.number]), {"canned": c.pk})
    assert "Hello Priya Customer" in r.content.decode()


def test_deleting_queue_category_or_agent_keeps_tickets_and_history(
    org, customer, agent, manager, queue
):
    cat = TicketCategoryFactory(organisation=org)
    t = raise_ticket(org, customer, category=cat)
    services.reply_as_agent(
        agent=agent, ticket=t, body="On it", seen_message_id=services.last_public_message_id(t)
    )
    events = TicketEvent.objects.filter(ticket=t).count()
    services.delete_queue(actor=manager, queue=queue)
    cat.delete()
    agent.delete()
    t.refresh_from_db()
    assert t.queue is None and t.category is None and t.assignee is None
    assert t.messages.count() == 2
    assert TicketEvent.objects.filter(ticket=t).count() == events + 1
    assert t.events.filter(kind="replied").get().actor_name == "Asha Agent"


def test_deleting_the_organisation_is_refused_while_it_has_tickets(org, customer, queue):
    from django.db.models.deletion import ProtectedError

    t = raise_ticket(org, customer)
    with pytest.raises(ProtectedError):
        org.delete()
    assert Ticket.objects.filter(pk=t.pk).exists()


def test_history_is_append_only(org, customer, queue):
    t = raise_ticket(org, customer)
    event = t.events.first()
    event.kind = "tampered"
    with pytest.raises(ValueError):
        event.save()


def test_dashboard_cards(org, customer, agent, queue, client):
    raise_ticket(org, customer)
    SLAPolicyFactory(organisation=org)
    client.force_login(agent)
    r = client.get("/")
    assert "my open tickets" in r.content.decode()
    client.force_login(customer)
    r = client.get("/")
    assert "open tickets" in r.content.decode()
