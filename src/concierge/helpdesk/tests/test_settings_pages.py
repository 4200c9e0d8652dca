"""The "Helpdesk settings" pages: managers and admins only (agents, customers and strangers get
404), clear form errors, and deleting a queue or category never deletes tickets."""

from datetime import date, time

import pytest
from django.urls import reverse

from concierge.accounts.models import Role
from concierge.helpdesk import services
from concierge.helpdesk.models import (
    HelpdeskSettings,
    Holiday,
    KBCategory,
    Queue,
    QueueMember,
    RoutingRule,
    SLAPolicy,
    Ticket,
    TicketCategory,
    TicketEvent,
    Webhook,
    WebhookDelivery,
)
from concierge.helpdesk.settings_views import SECTIONS
from concierge.helpdesk.tests.factories import (
    QueueFactory,
    RoutingRuleFactory,
    SLAPolicyFactory,
    TicketCategoryFactory,
    member,
)


def url(name, org, *args):
    return reverse(f"helpdesk:{name}", args=[org.slug, *args])


def raise_ticket(org, customer, **kw):
    return services.create_ticket(
        organisation=org,
        customer=customer,
        subject=kw.pop("subject", "Oven broken"),
        description=kw.pop("description", "No heat since yesterday"),
        check_limits=False,
        **kw,
    )


@pytest.fixture
def admin(org):
    return member(org, Role.ADMIN, display_name="Anil Admin")


@pytest.fixture
def hook(org, manager):
    return services.save_webhook(actor=manager, organisation=org, url="https://hooks.example/in")


def every_page(org, queue, hook):
    pages = [url("settings_hours", org), url("settings_mail", org)]
    for key in SECTIONS:
        pages += [url("setting_list", org, key), url("setting_new", org, key)]
    pages += [
        url("setting_edit", org, "queues", queue.pk),
        url("setting_delete", org, "queues", queue.pk),
        url("setting_edit", org, "webhooks", hook.pk),
    ]
    return pages


# --- who may see the pages -----------------------------------------------------------------
def test_managers_and_admins_see_every_settings_page(client, org, manager, admin, queue, hook):
    for user in (manager, admin):
        client.force_login(user)
        for page in every_page(org, queue, hook):
            r = client.get(page)
            assert r.status_code == 200, page
    assert client.get(url("settings", org)).status_code == 302


@pytest.mark.parametrize("who", ["agent", "customer", "stranger"])
def test_agents_customers_and_strangers_get_404(client, request, org, manager, queue, hook, who):
    client.force_login(request.getfixturevalue(who))
    for page in every_page(org, queue, hook):
        assert client.get(page).status_code == 404, page
    r = client.post(url("setting_new", org, "queues"), {"name": "Sneaky", "assignment": "manual"})
    assert r.status_code == 404
    r = client.post(url("setting_delete", org, "queues", queue.pk))
    assert r.status_code == 404
    r = client.post(url("settings_mail_token", org))
    assert r.status_code == 404
    assert Queue.objects.filter(pk=queue.pk).exists()
    assert not Queue.objects.filter(name="Sneaky").exists()


def test_a_manager_of_another_company_cannot_reach_this_ones_rows(client, org, queue, hook):
    from concierge.helpdesk.tests.factories import OrganisationFactory

    other = OrganisationFactory(slug="other-co")
    boss = member(other, Role.MANAGER)
    client.force_login(boss)
    # their own settings work; this company's rows through their own address are 404
    assert client.get(url("setting_list", other, "queues")).status_code == 200
    assert client.get(url("setting_edit", other, "queues", queue.pk)).status_code == 404
    assert client.get(url("setting_edit", other, "webhooks", hook.pk)).status_code == 404
    assert client.post(url("setting_delete", other, "queues", queue.pk)).status_code == 404
    assert Queue.objects.filter(pk=queue.pk).exists()


def test_agents_see_no_settings_link_managers_do(client, org, agent, manager):
    client.force_login(agent)
    assert url("settings", org) not in client.get(url("tickets", org)).content.decode()
    client.force_login(manager)
    assert url("settings", org) in client.get(url("tickets", org)).content.decode()


# --- create, edit, validation errors ---------------------------------------------------------
def test_manager_creates_a_queue_and_adds_an_agent_with_languages(client, org, manager, agent):
    client.force_login(manager)
    r = client.post(
        url("setting_new", org, "queues"),
        {"name": "Returns", "assignment": "round_robin", "manager": manager.pk},
    )
    queue = Queue.objects.get(organisation=org, name="Returns")
    assert r.status_code == 302 and r.url == url("setting_edit", org, "queues", queue.pk)
    r = client.post(
        url("queue_member_add", org, queue.pk),
        {"user": agent.pk, "languages": ["en", "ta"], "is_available": "on"},
    )
    assert r.status_code == 302
    m = QueueMember.objects.get(queue=queue, user=agent)
    assert m.languages == "en,ta" and m.is_available
    client.post(url("queue_member_update", org, queue.pk, m.pk), {"languages": ["hi"]})
    m.refresh_from_db()
    assert m.languages == "hi" and not m.is_available
    page = client.get(url("setting_edit", org, "queues", queue.pk)).content.decode()
    assert "Asha Agent" in page
    client.post(url("queue_member_remove", org, queue.pk, m.pk))
    assert not QueueMember.objects.filter(pk=m.pk).exists()


def test_queue_form_errors_are_shown_beside_the_fields(client, org, manager, queue):
    client.force_login(manager)
    r = client.post(url("setting_new", org, "queues"), {"name": "", "assignment": "sideways"})
    assert r.status_code == 422
    form = r.context["form"]
    assert set(form.errors) == {"name", "assignment"}
    assert 'aria-invalid="true"' in r.content.decode()
    r = client.post(url("setting_new", org, "queues"), {"name": "support", "assignment": "manual"})
    assert r.status_code == 422
    assert "A queue with this name already exists." in r.context["form"].errors["name"]


def test_only_agents_of_the_organisation_join_a_queue(client, org, manager, customer, queue):
    client.force_login(manager)
    r = client.post(
        url("queue_member_add", org, queue.pk), {"user": customer.pk, "languages": ["en"]}
    )
    assert r.status_code == 422
    assert "user" in r.context["member_form"].errors
    r = client.post(url("queue_member_add", org, queue.pk), {"user": manager.pk, "languages": []})
    assert r.status_code == 422
    assert "languages" in r.context["member_form"].errors
    assert not QueueMember.objects.filter(queue=queue, user__in=[customer, manager]).exists()


def test_routing_rule_form_checks_conditions_queue_and_domain(client, org, manager, queue):
    client.force_login(manager)
    foreign = QueueFactory()  # another organisation's queue is not a choice
    r = client.post(
        url("setting_new", org, "rules"),
        {"name": "Odd", "position": 5, "queue": foreign.pk, "customer_domain": "not a domain"},
    )
    assert r.status_code == 422
    assert {"queue", "customer_domain"} <= set(r.context["form"].errors)
    r = client.post(
        url("setting_new", org, "rules"),
        {"name": "No conditions", "position": 5, "queue": queue.pk},
    )
    assert r.status_code == 422
    assert "Match every ticket" in r.context["form"].non_field_errors()[0]
    r = client.post(
        url("setting_new", org, "rules"),
        {
            "name": "Hindi speakers",
            "position": 1,
            "queue": queue.pk,
            "language": "hi",
            "priority": "high",
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    rule = RoutingRule.objects.get(name="Hindi speakers")
    assert (rule.language, rule.priority, rule.queue) == ("hi", "high", queue)
    assert rule.organisation == org


def test_sla_policy_validation(client, org, manager):
    client.force_login(manager)
    r = client.post(
        url("setting_new", org, "sla"),
        {
            "priority": "urgent",
            "first_response_minutes": 120,
            "resolution_minutes": 60,
            "warn_before_minutes": 200,
        },
    )
    assert r.status_code == 422
    assert {"resolution_minutes", "warn_before_minutes"} <= set(r.context["form"].errors)
    SLAPolicyFactory(organisation=org, priority="high")
    r = client.post(
        url("setting_new", org, "sla"),
        {
            "priority": "high",
            "first_response_minutes": 60,
            "resolution_minutes": 480,
            "warn_before_minutes": 15,
        },
    )
    assert r.status_code == 422
    assert "There is already a policy for this priority." in r.context["form"].errors["priority"]


def test_business_hours_are_saved_and_checked(client, org, manager):
    client.force_login(manager)
    data = {
        "work_start": "18:00",
        "work_end": "09:00",
        "pending_reminder_days": 8,
        "auto_close_days": 7,
        "reopen_days": 14,
        "tickets_per_hour_per_customer": 5,
        "tickets_per_hour_per_ip": 20,
        "max_attachment_mb": 10,
    }
    r = client.post(url("settings_hours", org), data)
    assert r.status_code == 422
    assert {"work_days", "work_end", "auto_close_days"} <= set(r.context["form"].errors)
    data.update(work_start="08:30", work_end="17:30", pending_reminder_days=2, work_days=["0", "5"])
    r = client.post(url("settings_hours", org), {**data, "max_attachment_mb": 4})
    assert r.status_code == 302
    cfg = HelpdeskSettings.objects.get(organisation=org)
    assert (cfg.work_start, cfg.work_end, cfg.work_days) == (time(8, 30), time(17, 30), "0,5")
    assert cfg.max_attachment_bytes == 4 * 1024 * 1024
    page = client.get(url("settings_hours", org)).content.decode()
    assert 'name="work_days" value="5" id="id_work_days_5" checked' in page
    assert 'name="work_days" value="1" id="id_work_days_1">' in page


def test_holidays_one_per_day(client, org, manager):
    client.force_login(manager)
    r = client.post(url("setting_new", org, "holidays"), {"day": "2026-10-20", "name": "Diwali"})
    assert r.status_code == 302
    r = client.post(url("setting_new", org, "holidays"), {"day": "2026-10-20", "name": "Again"})
    assert r.status_code == 422 and "day" in r.context["form"].errors
    r = client.post(url("setting_new", org, "holidays"), {"day": "someday", "name": ""})
    assert r.status_code == 422 and {"day", "name"} <= set(r.context["form"].errors)
    assert list(Holiday.objects.filter(organisation=org).values_list("day", flat=True)) == [
        date(2026, 10, 20)
    ]


def test_inbound_mail_password_is_never_shown_and_kept_when_left_empty(client, org, manager):
    client.force_login(manager)
    data = {
        "support_address": "help@acme.example",
        "imap_host": "imap.acme.example",
        "imap_port": 993,
        "imap_user": "help",
        "imap_folder": "INBOX",
        "imap_ssl": "on",
    }
    r = client.post(url("settings_mail", org), data)
    assert r.status_code == 422 and "password" in r.context["form"].errors
    r = client.post(url("settings_mail", org), {**data, "password": "s3cret-pass"})
    assert r.status_code == 302
    page = client.get(url("settings_mail", org)).content.decode()
    assert "s3cret-pass" not in page and "A password is stored." in page
    client.post(url("settings_mail", org), {**data, "imap_folder": "Support"})
    cfg = HelpdeskSettings.objects.get(organisation=org)
    assert (cfg.imap_password, cfg.imap_folder) == ("s3cret-pass", "Support")
    r = client.post(url("settings_mail", org), {**data, "imap_port": "x"})
    assert r.status_code == 422 and "imap_port" in r.context["form"].errors


def test_ingest_token_is_shown_once(client, org, manager):
    client.force_login(manager)
    client.post(url("settings_mail_token", org))
    first = client.get(url("settings_mail", org)).content.decode()
    token = first.split('id="new-token"')[1].split("<code")[1].split(">")[1].split("<")[0]
    assert token.startswith("hdin_")
    assert services.organisation_for_inbound_token(token) == org
    assert token not in client.get(url("settings_mail", org)).content.decode()


def test_webhook_secret_shown_once_regenerated_and_retry(client, org, manager, queue, customer):
    client.force_login(manager)
    r = client.post(
        url("setting_new", org, "webhooks"),
        {"url": "https://hooks.example/t", "event_names": ["ticket.created"], "is_active": "on"},
    )
    hook = Webhook.objects.get(url="https://hooks.example/t")
    assert hook.events == "ticket.created"
    page = client.get(r.url).content.decode()
    assert hook.secret in page
    assert hook.secret not in client.get(r.url).content.decode()
    old = hook.secret
    client.post(url("webhook_secret", org, hook.pk))
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret in client.get(r.url).content.decode()

    raise_ticket(org, customer)
    delivery = WebhookDelivery.objects.get(webhook=hook)
    delivery.status, delivery.attempts = WebhookDelivery.Status.FAILED, 6
    delivery.last_error = "URLError: refused"
    delivery.save()
    page = client.get(r.url).content.decode()
    assert "URLError: refused" in page and "Retry" in page
    client.post(url("webhook_retry", org, hook.pk, delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 5
    r = client.post(url("setting_new", org, "webhooks"), {"url": "ftp://x.example/"})
    assert r.status_code == 422 and "url" in r.context["form"].errors


def test_categories_and_canned_responses(client, org, manager):
    client.force_login(manager)
    r = client.post(
        url("setting_new", org, "ticket-categories"), {"name": "Warranty", "name_hi": "वारंटी"}
    )
    assert r.status_code == 302
    assert TicketCategory.objects.get(name="Warranty").names == {"hi": "वारंटी"}
    r = client.post(
        url("setting_new", org, "kb-categories"), {"name": "Getting started", "position": 0}
    )
    assert KBCategory.objects.get(organisation=org).slug == "getting-started"
    r = client.post(url("setting_new", org, "canned"), {"title": "Hello", "body": ""})
    assert r.status_code == 422 and "body" in r.context["form"].errors


# --- deleting never deletes tickets ----------------------------------------------------------
def test_deleting_a_queue_keeps_its_tickets_and_says_so(client, org, manager, customer, queue):
    tickets = [raise_ticket(org, customer, subject=f"Broken {i}") for i in range(3)]
    assert all(t.queue_id == queue.pk for t in tickets)
    client.force_login(manager)
    confirm = client.get(url("setting_delete", org, "queues", queue.pk)).content.decode()
    assert "3 tickets use it. They are not deleted" in confirm
    assert "1 routing rule depends on it" in confirm
    r = client.post(url("setting_delete", org, "queues", queue.pk), follow=True)
    assert "3 tickets were kept with their history" in r.content.decode()
    assert not Queue.objects.filter(pk=queue.pk).exists()
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], queue=None).count() == 3
    assert TicketEvent.objects.filter(kind="queue", data__reason="queue deleted").count() == 3
    assert TicketEvent.objects.filter(kind="queue").first().actor_name == "Kavya Manager"


def test_deleting_a_ticket_category_keeps_tickets_and_removes_its_rules(
    client, org, manager, customer, queue
):
    cat = TicketCategoryFactory(organisation=org, name="Returns")
    RoutingRuleFactory(organisation=org, category=cat, queue=queue, position=1)
    ticket = raise_ticket(org, customer, category=cat)
    client.force_login(manager)
    r = client.post(url("setting_delete", org, "ticket-categories", cat.pk), follow=True)
    assert r.status_code == 200
    ticket.refresh_from_db()
    assert ticket.category is None and ticket.messages.count() == 1
    assert ticket.events.filter(kind="category", data__old="Returns").exists()
    assert not RoutingRule.objects.filter(category_id=cat.pk).exists()


def test_deleting_a_kb_category_keeps_its_articles(client, org, manager):
    cat = services.save_category(actor=manager, organisation=org, name="Returns")
    article = services.save_article(
        actor=manager,
        organisation=org,
        slug="how-to-return",
        title="How to return",
        body="Pack it.",
        language="en",
        category=cat,
    )
    client.force_login(manager)
    assert (
        "1 article is in it"
        in client.get(url("setting_delete", org, "kb-categories", cat.pk)).content.decode()
    )
    client.post(url("setting_delete", org, "kb-categories", cat.pk))
    article.refresh_from_db()
    assert article.category is None


def test_list_pages_do_not_grow_queries_with_rows(
    client, org, manager, django_assert_max_num_queries
):
    for i in range(15):
        q = QueueFactory(organisation=org, name=f"Q{i}", manager=manager)
        RoutingRuleFactory(organisation=org, queue=q, keywords=f"w{i}")
        SLAPolicy.objects.get_or_create(
            organisation=org,
            priority=["low", "normal", "high", "urgent"][i % 4],
            defaults={"first_response_minutes": 60, "resolution_minutes": 600},
        )
    client.force_login(manager)
    for key in SECTIONS:
        with django_assert_max_num_queries(14):
            assert client.get(url("setting_list", org, key)).status_code == 200
