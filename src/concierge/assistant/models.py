"""The assistant's tables: what it knows (FAQ entries), what it said (conversations and
messages), what it could not answer, and who can take over (agent seats)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from concierge.accounts.models import Organisation

LANGUAGE_CHOICES = settings.LANGUAGES


def new_key() -> str:
    return secrets.token_urlsafe(24)


class AssistantSettings(models.Model):
    """Per-organisation settings and the state of its trained engine."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="assistant_settings"
    )
    is_enabled = models.BooleanField(_("chat enabled"), default=True)
    languages = models.CharField(
        _("languages"),
        max_length=40,
        default="en,hi,ta",
        help_text=_("Comma-separated language codes the assistant answers in."),
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_("Web sites that may embed the chat, one per line, e.g. https://shop.example"),
    )
    handoff_timeout_minutes = models.PositiveSmallIntegerField(
        _("hand-off waiting time (minutes)"),
        default=3,
        help_text=_("After this long without an agent, the chat becomes a ticket."),
    )
    # -- engine state (written by services.rebuild_engine only) --
    engine_file = models.CharField(max_length=255, blank=True, editable=False)
    engine_version = models.PositiveIntegerField(default=0, editable=False)
    threshold = models.FloatField(null=True, blank=True, editable=False)
    validation = models.JSONField(default=dict, blank=True, editable=False)
    trained_at = models.DateTimeField(null=True, blank=True, editable=False)
    dirty_at = models.DateTimeField(null=True, blank=True, editable=False)
    sources_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Assistant settings for {self.organisation}"

    @property
    def language_list(self) -> list[str]:
        known = {code for code, _name in settings.LANGUAGES}
        out = [c.strip() for c in self.languages.split(",") if c.strip() in known]
        return out or [self.organisation.language]

    @property
    def origin_list(self) -> list[str]:
        return [o.strip().rstrip("/").lower() for o in self.allowed_origins.split() if o.strip()]


class FAQEntry(models.Model):
    """One answer the bot can give, with questions (and paraphrases) per language."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="faq_entries"
    )
    slug = models.SlugField(_("short name"), max_length=80)
    article_id = models.PositiveIntegerField(
        _("knowledge-base article"),
        null=True,
        blank=True,
        help_text=_("Optional: the article this answer links to."),
    )
    link_url = models.CharField(_("link"), max_length=300, blank=True)
    link_title = models.CharField(_("link title"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="faq_slug_per_org")
        ]
        indexes = [models.Index(fields=["organisation", "is_active"])]

    def __str__(self) -> str:
        return self.slug


class FAQTranslation(models.Model):
    """The canonical question and the answer in one language."""

    entry = models.ForeignKey(FAQEntry, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"), max_length=4000)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "language"], name="faq_one_translation")
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.question}"


class FAQParaphrase(models.Model):
    """Another way people ask the same question (training data for the engine)."""

    entry = models.ForeignKey(FAQEntry, on_delete=models.CASCADE, related_name="paraphrases")
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    text = models.CharField(_("paraphrase"), max_length=300)

    class Meta:
        ordering = ["language", "id"]

    def __str__(self) -> str:
        return self.text


class AgentSeat(models.Model):
    """A helpdesk agent who may take live chats for an organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_seats"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="chat_seats"
    )
    online = models.BooleanField(_("online"), default=False)
    languages = models.CharField(_("languages"), max_length=40, default="en")
    max_chats = models.PositiveSmallIntegerField(_("chats at once"), default=3)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_seat_per_org")
        ]
        indexes = [models.Index(fields=["organisation", "online"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    #: An agent counts as online this long after the console's last heartbeat.
    HEARTBEAT = timedelta(minutes=10)

    @property
    def language_list(self) -> list[str]:
        return [c.strip() for c in self.languages.split(",") if c.strip()]

    @property
    def is_online(self) -> bool:
        """Online and seen recently (a closed console tab stops the heartbeat)."""
        fresh = timezone.now() - self.HEARTBEAT
        return self.online and self.last_seen_at is not None and self.last_seen_at >= fresh


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot", _("With the assistant")
        WAITING = "waiting", _("Waiting for an agent")
        LIVE = "live", _("With an agent")
        TICKET = "ticket", _("Turned into a ticket")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="conversations"
    )
    key = models.CharField(max_length=64, unique=True, default=new_key, editable=False)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assistant_conversations",
    )
    visitor_name = models.CharField(max_length=120, blank=True)
    visitor_email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="en")
    #: hi-Latn visitors: "latn" or "deva" once asked, "" before.
    script = models.CharField(max_length=4, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOT)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assistant_chats_taken",
    )
    origin = models.CharField(max_length=200, blank=True)
    unhelpful_count = models.PositiveSmallIntegerField(default=0)
    bot_answers = models.PositiveIntegerField(default=0)
    handed_off = models.BooleanField(default=False)
    handoff_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ticket_reference = models.CharField(max_length=40, blank=True)
    ticket_url = models.CharField(max_length=300, blank=True)
    #: Ratings from anonymous visitors (signed-in ones go through the feedback app).
    visitor_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    visitor_comment = models.TextField(blank=True, max_length=2000)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_message_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "-started_at"]),
        ]

    def __str__(self) -> str:
        return f"Chat {self.pk} ({self.get_status_display()})"

    def can_be_rated_by(self, user) -> bool:
        return bool(user.is_authenticated and self.visitor_id == user.pk)

    def after_rated(self, rating) -> None:
        """The feedback app's hook: keep the chat's own CSAT figure in step."""
        Conversation.objects.filter(pk=self.pk).update(
            visitor_rating=rating.score, visitor_comment=rating.comment[:2000]
        )


class Message(models.Model):
    class Sender(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        BOT = "bot", _("Assistant")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=8, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(max_length=5000)
    language = models.CharField(max_length=8, blank=True)
    faq_entry = models.ForeignKey(
        FAQEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_url = models.CharField(max_length=300, blank=True)
    source_title = models.CharField(max_length=200, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    #: Extra bits the widget shows: suggestions, buttons, a note about a fallback language.
    extra = models.JSONField(default=dict, blank=True)
    helpful = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class UnansweredQuestion(models.Model):
    """A question the bot could not answer well: the admins' inbox for teaching it."""

    class Reason(models.TextChoices):
        LOW_CONFIDENCE = "low", _("Not sure")
        UNHELPFUL = "unhelpful", _("Marked unhelpful")
        HANDOFF = "handoff", _("Handed off")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="unanswered_questions"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=1000)
    language = models.CharField(max_length=8, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_entry = models.ForeignKey(
        FAQEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "resolved_at"])]

    def __str__(self) -> str:
        return self.text[:60]


class MissingTranslation(models.Model):
    """An answer asked for in a language it has no text in (counted, for admins)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="assistant_missing_translations"
    )
    faq_entry = models.ForeignKey(
        FAQEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    article_id = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=8)
    times = models.PositiveIntegerField(default=1)
    last_asked_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-times"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "faq_entry", "article_id", "language"],
                name="assistant_missing_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.language} × {self.times}"
