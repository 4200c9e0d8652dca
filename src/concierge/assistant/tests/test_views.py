"""Pages and the widget's HTTP endpoints: origin check + CORS, escaping, admin pages,
agent console, and strangers getting 404."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from concierge.accounts.models import Role
from concierge.assistant import services
from concierge.assistant.models import Conversation, FAQEntry, UnansweredQuestion
from concierge.assistant.tests.factories import OrganisationFactory, member, seat


def post_json(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def shop_origin(trained_org, org_admin):
    services.update_settings(
        user=org_admin, organisation=trained_org, allowed_origins="http://localhost:8001"
    )
    return "http://localhost:8001"


def test_widget_http_fallback_for_an_allowed_origin(client, trained_org, shop_origin):
    url = reverse("assistant:widget_start", args=[trained_org.slug])
    pre = client.options(url, headers={"Origin": shop_origin})
    assert pre.status_code == 204
    assert pre["Access-Control-Allow-Origin"] == shop_origin
    start = post_json(client, url, {"language": "hi"}, headers={"Origin": shop_origin})
    assert start.status_code == 200 and start["Access-Control-Allow-Origin"] == shop_origin
    hello = start.json()
    assert hello["language"] == "hi" and hello["labels"]["send"]
    send = post_json(
        client,
        reverse("assistant:widget_send", args=[trained_org.slug]),
        {"key": hello["key"], "text": "वारंटी कितने साल की है"},
        headers={"Origin": shop_origin},
    )
    assert send.status_code == 200
    assert "वारंटी" in send.json()["messages"][-1]["text"]
    poll = client.get(
        reverse("assistant:widget_poll", args=[trained_org.slug]),
        {"key": hello["key"], "after": 0},
        headers={"Origin": shop_origin},
    )
    assert len(poll.json()["messages"]) == 3


def test_widget_refuses_an_origin_that_is_not_listed(client, trained_org, shop_origin):
    url = reverse("assistant:widget_start", args=[trained_org.slug])
    res = post_json(client, url, {}, headers={"Origin": "https://evil.example"})
    assert res.status_code == 403
    assert "Access-Control-Allow-Origin" not in res
    assert not Conversation.objects.exists()


def test_widget_bad_input_gets_clear_errors(client, trained_org):
    base = [trained_org.slug]
    res = client.post(
        reverse("assistant:widget_start", args=base),
        data=b"\xff\x00",
        content_type="application/json",
    )
    assert res.status_code == 400 and res.json()["detail"]
    res = post_json(client, reverse("assistant:widget_send", args=base), {"key": "nope"})
    assert res.status_code == 404
    hello = post_json(client, reverse("assistant:widget_start", args=base), {}).json()
    res = post_json(
        client,
        reverse("assistant:widget_action", args=base),
        {"key": hello["key"], "type": "rate", "score": "x"},
    )
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "score"
    res = client.post(
        reverse("assistant:widget_send", args=base),
        data="x" * 70000,
        content_type="application/json",
    )
    assert res.status_code == 413


def test_cross_site_requests_never_act_as_the_signed_in_user(client, trained_org, shop_origin):
    customer = member(trained_org, Role.CUSTOMER)
    client.force_login(customer)
    hello = post_json(
        client,
        reverse("assistant:widget_start", args=[trained_org.slug]),
        {},
        headers={"Origin": shop_origin},
    ).json()
    assert Conversation.objects.get(key=hello["key"]).visitor is None


def test_chat_page_escapes_what_people_type(client, trained_org):
    client.get(reverse("assistant:chat", args=[trained_org.slug]))
    res = client.post(
        reverse("assistant:chat_say", args=[trained_org.slug]),
        {"action": "say", "text": "<script>alert('x')</script><img src=x onerror=y>"},
        headers={"HX-Request": "true"},
    )
    body = res.content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert" in body


def test_chat_page_full_journey_without_websocket(client, trained_org):
    page = client.get(reverse("assistant:chat", args=[trained_org.slug]) + "?lang=ta")
    assert page.status_code == 200
    assert "data-id" in page.content.decode()
    say = reverse("assistant:chat_say", args=[trained_org.slug])
    res = client.post(
        say, {"action": "say", "text": "உத்தரவாதம் எவ்வளவு"}, headers={"HX-Request": "true"}
    )
    assert "இரண்டு ஆண்டு" in res.content.decode()
    client.post(say, {"action": "handoff"})
    conv = Conversation.objects.get()
    assert conv.status == Conversation.Status.WAITING  # nobody online: asked for an e-mail
    client.post(say, {"action": "contact", "email": "v@example.com"})
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.TICKET and conv.ticket_reference


def test_admin_pages_for_managers_and_404_for_strangers(
    client, trained_org, org_admin, django_assert_max_num_queries
):
    names = ["faq_list", "faq_new", "faq_import", "inbox", "analytics", "settings"]
    stranger = member(OrganisationFactory(), Role.ADMIN)
    customer = member(trained_org, Role.CUSTOMER)
    for who in (stranger, customer):
        client.force_login(who)
        for name in names:
            assert (
                client.get(reverse(f"assistant:{name}", args=[trained_org.slug])).status_code == 404
            ), name
    client.force_login(org_admin)
    for name in names:
        assert (
            client.get(reverse(f"assistant:{name}", args=[trained_org.slug])).status_code == 200
        ), name
    with django_assert_max_num_queries(15):
        client.get(reverse("assistant:faq_list", args=[trained_org.slug]))
    with django_assert_max_num_queries(15):
        client.get(reverse("assistant:analytics", args=[trained_org.slug]))


def test_faq_crud_and_preview(client, trained_org, org_admin, django_capture_on_commit_callbacks):
    client.force_login(org_admin)
    new = reverse("assistant:faq_new", args=[trained_org.slug])
    res = client.post(
        new, {"question_en": "Do you sell gift cards?", "answer_en": "", "is_active": "on"}
    )
    assert res.status_code == 200 and "Give both" in res.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the debounced rebuild
        res = client.post(
            new,
            {
                "question_en": "Do you sell gift cards?",
                "answer_en": "Yes, from ₹500.",
                "paraphrases_en": "gift voucher\nbuy a gift card",
                "is_active": "on",
            },
        )
    assert res.status_code == 302
    entry = FAQEntry.objects.get(slug="do-you-sell-gift-cards")
    assert entry.paraphrases.count() == 2
    preview = client.get(
        reverse("assistant:preview", args=[trained_org.slug]),
        {"text": "do you sell gift cards", "language": "en"},
    )
    assert "₹500" in preview.content.decode()
    client.post(reverse("assistant:faq_delete", args=[trained_org.slug, entry.pk]))
    assert not FAQEntry.objects.filter(pk=entry.pk).exists()


def test_csv_export_then_import(client, trained_org, org_admin):
    client.force_login(org_admin)
    csv_text = client.get(reverse("assistant:faq_export", args=[trained_org.slug])).content.decode()
    assert csv_text.startswith("slug,language,question")
    FAQEntry.objects.all().delete()
    upload = SimpleUploadedFile("faq.csv", csv_text.encode(), content_type="text/csv")
    res = client.post(reverse("assistant:faq_import", args=[trained_org.slug]), {"file": upload})
    assert res.status_code == 302
    assert FAQEntry.objects.filter(organisation=trained_org).count() == 4
    bad = SimpleUploadedFile("bad.csv", b"slug,language,question,answer\nx,fr,q,a\n")
    res = client.post(reverse("assistant:faq_import", args=[trained_org.slug]), {"file": bad})
    assert res.status_code == 200 and "Line 2" in res.content.decode()


def test_unanswered_questions_grouped_and_taught_in_two_clicks(client, trained_org, org_admin):
    for text in (
        "do you sell gift cards",
        "gift cards for sale?",
        "can i buy gift cards",
        "what is the meaning of life",
    ):
        UnansweredQuestion.objects.create(
            organisation=trained_org, text=text, language="en", reason="low"
        )
    client.force_login(org_admin)
    page = client.get(reverse("assistant:inbox", args=[trained_org.slug]))
    groups = page.context["groups"]
    assert groups[0][0].size == 3  # the gift-card questions together
    ids = ",".join(map(str, groups[0][0].ids))
    res = client.post(
        reverse("assistant:inbox_teach", args=[trained_org.slug]),
        {
            "prefix": "g0",
            "g0-ids": ids,
            "g0-language": "en",
            "g0-question": "Do you sell gift cards?",
            "g0-answer": "Yes, in every store.",
        },
    )
    assert res.status_code == 302
    entry = FAQEntry.objects.get(slug="do-you-sell-gift-cards")
    assert entry.paraphrases.count() == 3
    assert UnansweredQuestion.objects.filter(resolved_at__isnull=True).count() == 1


def test_agent_console_and_strangers(client, trained_org):
    agent_seat = seat(trained_org, online=True)
    conv = services.start_conversation(organisation=trained_org, language="hi")
    services.request_handoff(conversation=conv)
    outsider = member(trained_org, Role.AGENT)  # an agent without a chat seat
    client.force_login(outsider)
    assert client.get(reverse("assistant:console", args=[trained_org.slug])).status_code == 404
    assert (
        client.get(reverse("assistant:console_chat", args=[trained_org.slug, conv.pk])).status_code
        == 404
    )
    client.force_login(agent_seat.user)
    page = client.get(reverse("assistant:console", args=[trained_org.slug]))
    assert page.status_code == 200 and "waiting-chat" in page.content.decode()
    client.post(
        reverse("assistant:console_act", args=[trained_org.slug, conv.pk]), {"action": "accept"}
    )
    conv.refresh_from_db()
    assert conv.status == Conversation.Status.LIVE
    client.post(
        reverse("assistant:console_act", args=[trained_org.slug, conv.pk]),
        {"action": "say", "text": "नमस्ते, मैं मदद करूँगी"},
    )
    assert conv.messages.filter(sender="agent").count() == 1
