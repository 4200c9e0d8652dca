"""Demo data: Acme's 25 answers in three languages, chat seats for Asha and Ravi, a month of
past conversations for the analytics page, and http://localhost:8001 allowed to embed the
widget. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from concierge.assistant import services, sources
from concierge.assistant.models import (
    AgentSeat,
    AssistantSettings,
    Conversation,
    FAQEntry,
    FAQParaphrase,
    FAQTranslation,
    Message,
    UnansweredQuestion,
)
from concierge.assistant.seed_faq import FAQ
from concierge.core.demo import demo_org, demo_user

ORG = "acme-support"
#: FAQ answer -> the helpdesk article it cites (when the helpdesk seed made it)
ARTICLES = {
    "delivery-status": "track-delivery",
    "delivery-time": "delivery-delayed",
    "returns": "return-policy",
    "refund-time": "refund-time",
    "warranty-claim": "warranty-claim",
    "extended-warranty": "extended-warranty",
    "payment-methods": "payment-methods",
    "payment-failed": "charged-twice",
    "invoice": "invoice-download",
    "installation": "installation-booking",
    "service-request": "ac-not-cooling",
    "change-address": "change-address",
    "damaged-product": "damaged-on-arrival",
}
PAST_UNANSWERED = [
    ("do you sell gift cards", "en"),
    ("can i buy a gift voucher", "en"),
    ("gift card for my friend", "en"),
    ("क्या आप गिफ्ट कार्ड बेचते हैं", "hi"),
    ("is there a student discount", "en"),
    ("student offer available?", "en"),
    ("can i pick up the order from the store", "en"),
    ("store pickup possible", "en"),
    ("கடையில் வந்து வாங்கிக்கொள்ளலாமா", "ta"),
]


def run(*, stdout) -> None:
    org = demo_org(ORG)
    settings_obj, _ = AssistantSettings.objects.get_or_create(
        organisation=org, defaults={"languages": "en,hi,ta"}
    )
    if "http://localhost:8001" not in settings_obj.origin_list:
        settings_obj.allowed_origins = "\n".join(
            settings_obj.origin_list + ["http://localhost:8001"]
        )
        settings_obj.save(update_fields=["allowed_origins"])

    admin = demo_user("admin")
    created = 0
    for slug, texts in FAQ.items():
        entry, new = FAQEntry.objects.get_or_create(
            organisation=org, slug=slug, defaults={"created_by": admin}
        )
        if not new:
            continue
        created += 1
        for lang, (question, answer, paraphrases) in texts.items():
            FAQTranslation.objects.create(
                entry=entry, language=lang, question=question, answer=answer
            )
            FAQParaphrase.objects.bulk_create(
                FAQParaphrase(entry=entry, language=lang, text=p) for p in paraphrases
            )
    stdout.write(f"  assistant: {created} FAQ answers")
    by_slug = {a.slug: a.id for a in sources.published_articles(organisation=org, language="en")}
    for slug, article_slug in ARTICLES.items():
        if article_slug in by_slug:
            FAQEntry.objects.filter(organisation=org, slug=slug, article_id__isnull=True).update(
                article_id=by_slug[article_slug]
            )

    for key, langs in (("agent", "en,hi"), ("agent2", "en,ta")):
        AgentSeat.objects.get_or_create(
            user=demo_user(key), organisation=org, defaults={"languages": langs, "online": False}
        )

    if not Conversation.objects.filter(organisation=org).exists():
        _past_conversations(org)
    if not UnansweredQuestion.objects.filter(organisation=org).exists():
        for text, lang in PAST_UNANSWERED:
            UnansweredQuestion.objects.create(
                organisation=org,
                text=text,
                language=lang,
                confidence=0.2,
                reason=UnansweredQuestion.Reason.LOW_CONFIDENCE,
            )
    report = services.rebuild_engine(organisation_id=org.pk, force=created > 0)
    if not report.get("skipped"):
        stdout.write(f"  assistant: engine trained — {report}")


def _past_conversations(org) -> None:
    """30 days of chats: most answered by the bot, some handed off, some rated."""
    rng = random.Random(7)
    entries = list(FAQEntry.objects.filter(organisation=org).prefetch_related("translations"))
    now = timezone.now()
    for day in range(30):
        for _n in range(rng.randint(2, 7)):
            lang = rng.choices(["en", "hi", "ta"], weights=[5, 3, 2])[0]
            started = now - timedelta(
                days=day, hours=rng.randint(0, 10), minutes=rng.randint(0, 59)
            )
            handed = rng.random() < 0.18
            conv = Conversation.objects.create(
                organisation=org,
                language=lang,
                origin="seed",
                status=Conversation.Status.CLOSED if not handed else Conversation.Status.TICKET,
                handed_off=handed,
                bot_answers=0 if handed else 1,
                ticket_reference=f"CHAT-SEED-{day}-{_n}" if handed else "",
                visitor_rating=rng.choice([None, 3, 4, 5, 5])
                if not handed
                else rng.choice([None, 2, 3]),
            )
            entry = rng.choice(entries)
            trs = {t.language: t for t in entry.translations.all()}
            tr = trs.get(lang) or trs["en"]
            Message.objects.create(
                conversation=conv, sender=Message.Sender.VISITOR, text=tr.question, language=lang
            )
            if not handed:
                Message.objects.create(
                    conversation=conv,
                    sender=Message.Sender.BOT,
                    text=tr.answer,
                    language=tr.language,
                    faq_entry=entry,
                    confidence=round(rng.uniform(0.6, 0.99), 3),
                )
            Conversation.objects.filter(pk=conv.pk).update(
                started_at=started, last_message_at=started, ended_at=started + timedelta(minutes=4)
            )
            Message.objects.filter(conversation=conv).update(created_at=started)
