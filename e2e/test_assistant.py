"""The help chat, end to end: a visitor on another web site asks in Tamil, gets the answer in
Tamil, asks something the bot does not know, is handed to Asha (agent) who accepts and chats
live, then rates the chat. And a site that is not allowed to embed the chat is refused."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest
from helpers import login
from playwright.sync_api import expect

EMBED_ORIGIN_PORT = 8001  # seed.py allows http://localhost:8001 for acme-support
SLOW = 60_000  # the shared CI box can be very busy: generous waits, never sleeps


def _patient(*pages):
    for p in pages:
        p.set_default_timeout(SLOW)
        expect.set_options(timeout=SLOW)
    pages[0].request.get("/health", timeout=120_000)  # first request warms the server up


def _page_html(server_url: str) -> str:
    return (
        '<!DOCTYPE html><html lang="ta"><head><meta charset="utf-8"><title>Acme shop</title>'
        "</head><body><h1>Acme Appliances — shop</h1><p>A partner web site with one script "
        "tag.</p>"
        f'<script src="{server_url}/static/assistant/widget.js" data-org="acme-support" '
        'data-lang="ta" defer></script></body></html>'
    )


@pytest.fixture
def embed_site(server, tmp_path):
    """Serve a page embedding the widget on localhost:8001 (allowed) and on another port
    (not allowed)."""
    Path(tmp_path / "index.html").write_text(_page_html(server.url), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None
    sites = []
    for port in (EMBED_ORIGIN_PORT, 0):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        sites.append(httpd)
    yield {
        "allowed": f"http://localhost:{EMBED_ORIGIN_PORT}/",
        "refused": f"http://127.0.0.1:{sites[1].server_address[1]}/",
    }
    for httpd in sites:
        httpd.shutdown()
        httpd.server_close()


def test_visitor_tamil_answer_handoff_agent_rating(page, new_page, shot, embed_site):
    # Asha, the agent, opens her console and goes online.
    agent = new_page()
    _patient(agent, page)
    login(agent, "asha@demo.concierge")
    agent.goto("/assistant/console/acme-support/")
    agent.get_by_role("button", name="Go online").click()
    expect(agent.locator(".badge", has_text="Online")).to_be_visible()
    shot(agent, "agent-online")

    # A visitor on a partner site opens the chat: greeted in Tamil (the page's language).
    page.goto(embed_site["allowed"])
    page.locator(".cg-chat-button").click()
    greeting = page.locator(".cg-msg.cg-bot").first
    expect(greeting).to_be_visible()
    expect(page.locator(".cg-chat-title")).not_to_have_text("Help chat")  # Tamil labels
    shot(page, "visitor-greeted-in-tamil")

    # Asks in Tamil -> the answer in Tamil, with its source article.
    page.locator(".cg-chat-input").fill("என் பார்சல் எப்போது வரும்?")
    page.locator(".cg-chat-input").press("Enter")
    answer = page.locator(".cg-msg.cg-bot").nth(1)
    expect(answer).to_contain_text("ஆர்டர்")
    expect(answer.locator(".cg-source")).to_be_visible()
    shot(page, "tamil-answer")

    # Something it does not know -> said honestly, with a way to a person.
    page.locator(".cg-chat-input").fill("செவ்வாய் கிரகத்தில் சைக்கிள் பழுது பார்ப்பீர்களா?")
    page.locator(".cg-chat-input").press("Enter")
    handoff = page.locator(".cg-btn.cg-primary").last
    expect(handoff).to_be_visible()
    shot(page, "not-sure-offers-a-person")
    handoff.click()
    expect(page.locator(".cg-chat-status")).to_be_visible()
    shot(page, "waiting-for-agent")

    # Asha sees the waiting chat (detected language shown), accepts it and replies.
    agent.goto("/assistant/console/acme-support/")
    waiting = agent.locator(".waiting-chat").first
    expect(waiting).to_contain_text("ta")
    shot(agent, "agent-sees-waiting-chat")
    waiting.get_by_role("button", name="Accept").click()
    expect(agent.locator("#chat-log")).to_contain_text("சைக்கிள்")  # the transcript
    agent.locator("#chat-text").fill("வணக்கம்! நான் ஆஷா. உங்களுக்கு எப்படி உதவலாம்?")
    agent.locator("#chat-text").press("Enter")
    shot(agent, "agent-live-chat")

    # The visitor sees the agent join and her message, live, and answers.
    expect(page.locator(".cg-msg.cg-agent")).to_contain_text("ஆஷா")
    page.locator(".cg-chat-input").fill("என் மிக்சி வேலை செய்யவில்லை")
    page.locator(".cg-chat-input").press("Enter")
    expect(agent.locator("#chat-log")).to_contain_text("மிக்சி")
    shot(page, "visitor-live-with-agent")

    # Asha ends the chat; the visitor is thanked and rates it.
    agent.get_by_role("button", name="End chat").click()
    stars = page.locator(".cg-star")
    expect(stars.first).to_be_visible()
    shot(page, "thank-you-and-rating")
    stars.nth(4).click()
    expect(page.locator(".cg-msg.cg-bot").last).to_be_visible()
    expect(page.locator(".cg-stars")).to_have_count(0)
    shot(page, "rated")


def test_site_not_allowed_cannot_embed(page, shot, embed_site):
    _patient(page)
    page.goto(embed_site["refused"])
    page.locator(".cg-chat-button").click()
    error = page.locator(".cg-error")
    expect(error).to_be_visible()
    expect(page.locator(".cg-msg")).to_have_count(0)
    shot(page, "refused-origin")


def test_chat_page_and_admin_pages(page, shot):
    """The chat without WebSockets (htmx page) and the manager's pages show real data."""
    _patient(page)
    page.goto("/assistant/chat/acme-support/?lang=hi")
    page.locator("#chat-text").fill("मेरा रिफंड कब मिलेगा")
    page.locator("#chat-text").press("Enter")
    expect(page.locator(".chat-msg.chat-bot").last).to_contain_text("रिफंड")
    shot(page, "chat-page-hindi")

    login(page, "admin@demo.concierge")
    page.goto("/assistant/manage/acme-support/faq/")
    expect(page.locator("table tbody tr")).to_have_count(25)
    page.locator("#id_text").fill("is the store open on sunday")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-answer")).to_contain_text("10 am")
    shot(page, "faq-list-and-preview")
    page.goto("/assistant/manage/acme-support/inbox/")
    expect(page.locator(".inbox-group").first).to_be_visible()
    shot(page, "unanswered-inbox")
    page.goto("/assistant/manage/acme-support/analytics/")
    expect(page.locator("#chart-per-day .main-svg").first).to_be_visible()
    assert re.search(r"\d+ %", page.content())
    shot(page, "analytics")
