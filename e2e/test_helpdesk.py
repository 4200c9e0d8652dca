"""Helpdesk journeys in a real browser:
1. a customer searches the knowledge base, raises a ticket (seeing suggestions while typing),
   an agent replies and resolves it, the customer rates the answer;
2. two agents open the same ticket, see each other live, both reply — the second is held and
   shown the first one's answer."""

import re

from helpers import login

ORG = "acme-support"


def test_customer_searches_raises_ticket_agent_replies_customer_rates(page, new_page, shot):
    login(page, "priya@demo.concierge")
    page.goto(f"/helpdesk/{ORG}/kb/")
    page.fill("#kb-q", "refund")
    page.wait_for_selector("#kb-live a:has-text('When will I get my refund?')")
    shot(page, "kb-live-search")
    page.click("#kb-live a:has-text('When will I get my refund?')")
    page.wait_for_selector("h1:has-text('When will I get my refund?')")
    page.click("button:has-text('Yes')")
    page.wait_for_selector("text=Thank you for your feedback.")
    shot(page, "kb-article-voted")

    page.goto(f"/helpdesk/{ORG}/tickets/new/")
    page.fill("input[name=subject]", "Washing machine does not start, shows E21")
    page.wait_for_selector("#suggestions a:has-text('Washing machine does not start')")
    shot(page, "new-ticket-suggestions")
    page.fill("textarea[name=description]", "It stopped mid-cycle and the drum is full of water.")
    page.select_option("select[name=customer_priority]", "high")
    page.click("#ticket-form button:has-text('Send ticket')")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket_url = page.url
    assert page.locator("text=Washing machine does not start, shows E21").first.is_visible()
    shot(page, "ticket-created")

    agent = new_page()
    login(agent, "asha@demo.concierge")
    agent.goto(ticket_url)
    agent.wait_for_selector("text=It stopped mid-cycle")
    agent.fill(
        "#reply-form textarea[name=body]",
        "Hello Priya, E21 means the drain filter is blocked. Please clean it as shown "
        "in the manual; I have also booked a technician for tomorrow.",
    )
    agent.select_option("#reply-form select[name=status_after]", "resolved")
    agent.click("#reply-form button:has-text('Send reply')")
    agent.wait_for_selector("text=Reply sent.")
    shot(agent, "agent-replied-resolved")

    page.goto(ticket_url)
    page.wait_for_selector("text=E21 means the drain filter is blocked")
    page.wait_for_selector("h2:has-text('How did we do?')")
    page.check("input[name=score][value='5']")
    page.fill(".rating-form textarea[name=comment]", "Clear answer, thank you!")
    page.click(".rating-form button:has-text('Send rating')")
    page.wait_for_selector("text=Thank you for your rating.")
    shot(page, "customer-rated")

    agent.goto(ticket_url)
    agent.wait_for_selector("text=Clear answer, thank you!")
    shot(agent, "agent-sees-rating")


def test_two_agents_reply_at_once_second_is_held(page, new_page, shot):
    """Asha works in English, Ravi in Tamil (his profile language): selectors, not words."""
    login(page, "asha@demo.concierge")
    page.goto(f"/helpdesk/{ORG}/tickets/?view=all&q=Dishwasher+leaking+water")
    page.click("table a:has-text('Dishwasher leaking water')")
    page.wait_for_selector("#reply-form")
    ticket_url = page.url

    ravi = new_page()
    login(ravi, "ravi@demo.concierge")
    ravi.goto(ticket_url)
    ravi.wait_for_selector("#reply-form")

    # live presence both ways
    page.wait_for_selector("#presence .presence-badge[data-state=viewing]:has-text('Ravi Agent')")
    ravi.wait_for_selector("#presence .presence-badge[data-state=viewing]:has-text('Asha Agent')")
    assert "is viewing" not in ravi.inner_text("#presence")  # shown in Tamil
    ravi.fill("#reply-form textarea[name=body]", "Please replace the door gasket; I will send one.")
    page.wait_for_selector("#presence :text('Ravi Agent is replying')")
    shot(page, "asha-sees-ravi-replying")
    shot(ravi, "ravi-sees-asha-in-tamil")

    page.fill(
        "#reply-form textarea[name=body]",
        "Please check that the lower spray arm is not blocking the door.",
    )
    page.click("#send-reply")
    page.wait_for_selector("text=Reply sent.")

    ravi.click("#send-reply")
    ravi.wait_for_url(re.compile(r"/held/\d+/$"))
    ravi.wait_for_selector(".alert-warning")
    assert ravi.locator(".new-reply:has-text('lower spray arm')").is_visible()
    assert ravi.locator(".held-body:has-text('door gasket')").is_visible()
    shot(ravi, "ravi-reply-held")
    ravi.click("button[name=decision][value=discard]")
    ravi.wait_for_url(ticket_url)
    ravi.wait_for_selector(".alert-success")
    assert ravi.locator(".message-body:has-text('door gasket')").count() == 0
    assert ravi.locator(".message-body:has-text('lower spray arm')").count() == 1
    shot(ravi, "ravi-after-discard")


def test_manager_adds_a_routing_rule_and_a_romanised_hindi_ticket_follows_it(page, new_page, shot):
    """Kavya (manager) adds a rule "Hindi → Billing, high" in the settings pages; Priya writes
    in Hindi with Latin letters; the ticket lands in Billing with Asha, who speaks Hindi."""
    login(page, "kavya@demo.concierge")
    page.goto(f"/helpdesk/{ORG}/tickets/")
    page.click("#helpdesk-settings-link")
    page.wait_for_selector("#settings-nav")
    page.click("#settings-nav a:has-text('Routing rules')")
    page.wait_for_selector("#settings-table")
    shot(page, "settings-routing-rules")
    page.click("a:has-text('New rule')")

    # a rule without any condition is refused with a clear message
    page.fill("#setting-form input[name=name]", "Hindi tickets to Billing")
    page.fill("#setting-form input[name=position]", "1")
    page.select_option("#setting-form select[name=queue]", label="Billing")
    page.click("#setting-form button:has-text('Save')")
    page.wait_for_selector("#setting-form .alert-danger:has-text('at least one condition')")
    shot(page, "settings-rule-error")

    page.select_option("#setting-form select[name=language]", "hi")
    page.select_option("#setting-form select[name=priority]", "high")
    page.click("#setting-form button:has-text('Save')")
    page.wait_for_selector("text=Saved.")
    row = page.locator("#settings-table tr:has-text('Hindi tickets to Billing')")
    assert "Billing" in row.inner_text() and "language: Hindi" in row.inner_text()
    shot(page, "settings-rule-saved")

    priya = new_page()
    login(priya, "priya@demo.concierge")
    priya.goto(f"/helpdesk/{ORG}/tickets/new/")
    priya.fill("input[name=subject]", "Mera washing machine chalu nahi ho raha")
    priya.fill("textarea[name=description]", "Kal se drum ghoom nahi raha hai, kripya madad kijiye")
    priya.click("#ticket-form button:has-text('Send ticket')")
    priya.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket_url = priya.url

    page.goto(ticket_url)
    page.wait_for_selector("select[name=queue]")
    selected = "s => s.options[s.selectedIndex].text"
    assert page.eval_on_selector("select[name=queue]", selected) == "Billing"
    assert page.eval_on_selector("select[name=priority]", selected) == "High"
    assert page.eval_on_selector("select[name=assignee]", selected).startswith("Asha Agent")
    assert page.locator("text=Language: hi").count() == 1
    shot(page, "ticket-routed-by-new-rule")


def test_manager_walks_through_every_settings_page(page, shot):
    """Every section of the settings area renders for a manager (screenshots for review)."""
    login(page, "kavya@demo.concierge")
    page.goto(f"/helpdesk/{ORG}/settings/")
    page.wait_for_selector("#settings-nav")
    links = page.eval_on_selector_all("#settings-nav a", "els => els.map(e => e.href)")
    assert len(links) == 10
    for href in links:
        page.goto(href)
        page.wait_for_selector("#settings-nav a.active")
        shot(page, "settings-" + href.rstrip("/").rsplit("/", 1)[-1])
    page.goto(f"/helpdesk/{ORG}/settings/queues/")
    page.click("#settings-table a:has-text('Billing')")
    page.wait_for_selector("#queue-members")
    assert page.locator("#queue-members tr:has-text('Asha Agent')").count() == 1
    shot(page, "settings-queue-members")
    page.goto(f"/helpdesk/{ORG}/settings/queues/")
    page.click("#settings-table tr:has-text('Delivery') a:has-text('Delete')")
    page.wait_for_selector("#delete-effects")
    assert "not deleted" in page.inner_text("#delete-effects")
    shot(page, "settings-queue-delete-confirm")
    page.click("#delete-effects ~ form a:has-text('Cancel')")
    page.wait_for_selector("#settings-table tr:has-text('Delivery')")

    page.goto(f"/helpdesk/{ORG}/settings/webhooks/new/")
    page.fill("#setting-form input[name=url]", "https://hooks.example/concierge")
    page.check("#setting-form input[name=event_names][value='ticket.created']")
    page.click("#setting-form button:has-text('Save')")
    page.wait_for_selector("#new-secret code")
    secret = page.inner_text("#new-secret code")
    assert secret.startswith("whsec_")
    shot(page, "settings-webhook-secret-once")
    page.reload()
    page.wait_for_selector("#deliveries")
    assert secret not in page.content()
