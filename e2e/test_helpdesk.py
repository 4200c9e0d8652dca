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
