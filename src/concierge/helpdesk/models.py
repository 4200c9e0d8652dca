"""Helpdesk tables: knowledge base, tickets and their append-only history, queues, routing,
SLA policies, inbound mail log, spam blocks and outgoing webhooks.

Tickets are never deleted when a queue, category or person goes: those links are SET_NULL
and the ticket keeps the e-mail address and the full event history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from concierge.accounts.models import Organisation

LANGUAGE_CHOICES = settings.LANGUAGES


# --- knowledge base ------------------------------------------------------------------------
class KBCategory(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="kb_categories"
    )
    slug = models.SlugField(_("short name"), max_length=80)
    name = models.CharField(_("name"), max_length=120)
    # {"hi": "…", "ta": "…"}: the category name in other languages
    names = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="helpdesk_kbcategory_unique_slug"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name


class Article(models.Model):
    """A knowledge-base article; its text lives in one ArticleTranslation per language."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        CUSTOMERS = "customers", _("Customers only")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="kb_articles"
    )
    category = models.ForeignKey(
        KBCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    slug = models.SlugField(_("short name"), max_length=120)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category__position", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="helpdesk_article_unique_slug"
            )
        ]
        indexes = [models.Index(fields=["organisation", "status", "visibility"])]

    def __str__(self) -> str:
        return self.slug


class ArticleTranslation(models.Model):
    """Title and body (Markdown source + sanitised HTML) of an article in one language."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="helpdesk_translation_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class ArticleVote(models.Model):
    """One "was this helpful?" answer per person (or anonymous browser session)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voter_key = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "voter_key"], name="helpdesk_one_vote_per_voter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.helpful}"


class Deflection(models.Model):
    """A customer found the answer in an article while typing a ticket and did not send it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="kb_deflections"
    )
    article = models.ForeignKey(
        Article, null=True, on_delete=models.SET_NULL, related_name="deflections"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"deflection {self.pk}"


# --- organisation settings -----------------------------------------------------------------
class HelpdeskSettings(models.Model):
    """Per-organisation helpdesk settings: business hours, pending reminders, limits, mail."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_settings"
    )
    next_number = models.PositiveIntegerField(default=1)
    work_start = models.TimeField(_("working day starts"), default="09:00")
    work_end = models.TimeField(_("working day ends"), default="18:00")
    work_days = models.CharField(
        _("working days"),
        max_length=20,
        default="0,1,2,3,4",
        help_text=_("Monday=0 … Sunday=6, comma-separated."),
    )
    pending_reminder_days = models.PositiveSmallIntegerField(default=3)
    auto_close_days = models.PositiveSmallIntegerField(default=7)
    reopen_days = models.PositiveSmallIntegerField(default=14)
    max_attachment_bytes = models.PositiveIntegerField(default=10 * 1024 * 1024)
    tickets_per_hour_per_customer = models.PositiveSmallIntegerField(default=5)
    tickets_per_hour_per_ip = models.PositiveSmallIntegerField(default=20)
    inbound_token_hash = models.CharField(max_length=64, blank=True)
    support_address = models.EmailField(blank=True)
    imap_host = models.CharField(max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_user = models.CharField(max_length=200, blank=True)
    imap_password = models.CharField(max_length=200, blank=True)
    imap_folder = models.CharField(max_length=100, default="INBOX")
    imap_ssl = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"helpdesk settings of {self.organisation}"

    @property
    def working_weekdays(self) -> set[int]:
        return {int(d) for d in self.work_days.split(",") if d.strip().isdigit()}


class Holiday(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_holidays"
    )
    day = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "day"], name="helpdesk_one_holiday_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class SLAPolicy(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sla_policies"
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before (business minutes)"), default=60
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "priority"], name="helpdesk_one_sla_per_priority"
            )
        ]

    def __str__(self) -> str:
        return f"SLA {self.priority}"


# --- queues, categories, routing -----------------------------------------------------------
class Queue(models.Model):
    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_OPEN = "least_open", _("Fewest open tickets")
        MANUAL = "manual", _("Manual")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_queues"
    )
    name = models.CharField(_("name"), max_length=100)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.CharField(
        _("assignment"), max_length=16, choices=Assignment.choices, default=Assignment.LEAST_OPEN
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="helpdesk_queue_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="helpdesk_queue_memberships",
    )
    languages = models.CharField(
        _("languages"),
        max_length=40,
        default="en",
        help_text=_("Comma-separated language codes, e.g. en,hi."),
    )
    is_available = models.BooleanField(_("available"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "user"], name="helpdesk_one_membership_per_queue"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.queue_id}"

    def speaks(self, language: str) -> bool:
        return language in {code.strip() for code in self.languages.split(",")}


class TicketCategory(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="ticket_categories"
    )
    name = models.CharField(_("name"), max_length=100)
    names = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "ticket categories"

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """First matching rule (by position) sets the queue and, optionally, the priority."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="routing_rules"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    category = models.ForeignKey(
        TicketCategory, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=255,
        blank=True,
        help_text=_("Comma-separated; any one matching is enough."),
    )
    language = models.CharField(_("language"), max_length=8, blank=True, choices=LANGUAGE_CHOICES)
    customer_domain = models.CharField(_("customer e-mail domain"), max_length=120, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="rules")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_tags"
    )
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="helpdesk_tag_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


# --- tickets -------------------------------------------------------------------------------
class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("E-mail")
        API = "api", _("API")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField()
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"))
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="helpdesk_tickets",
    )
    customer_email = models.EmailField(blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    category = models.ForeignKey(
        TicketCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="helpdesk_assigned",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    customer_priority = models.CharField(
        _("priority as the customer sees it"),
        max_length=10,
        choices=Priority.choices,
        default=Priority.NORMAL,
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    autoclose_notice_at = models.DateTimeField(null=True, blank=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    spam_score = models.FloatField(default=0.0)
    is_spam = models.BooleanField(default=False)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="helpdesk_ticket_unique_number"
            )
        ]
        indexes = [
            models.Index(
                fields=["organisation", "status", "-updated_at"], name="hd_ticket_org_status"
            ),
            models.Index(
                fields=["assignee", "status", "-updated_at"], name="hd_ticket_assignee_status"
            ),
            models.Index(fields=["queue", "status", "-updated_at"], name="hd_ticket_queue"),
            models.Index(fields=["customer", "-created_at"], name="hd_ticket_customer"),
            models.Index(fields=["organisation", "status", "resolution_due"], name="hd_ticket_due"),
            # The agent views at a million tickets (docs/decisions/helpdesk-perf-at-1m.md):
            # each list page walks one index in its sort order and tests every filter a view
            # offers (status, priority, queue) on the index entry, so only the 50 rows shown
            # are read from the table; each capped count (CappedPaginator) is answered from
            # an index alone. SQLite cannot use partial indexes here (Django binds the
            # status values as parameters), hence the trailing columns.
            models.Index(
                fields=["organisation", "is_spam", "-updated_at", "status", "priority", "queue"],
                name="hd_ticket_org_recent_cov",
            ),
            models.Index(
                fields=["assignee", "is_spam", "-updated_at"], name="hd_ticket_assignee_recent"
            ),
            models.Index(
                fields=["organisation", "is_spam", "first_response_due", "resolution_due"],
                name="hd_ticket_org_due",
            ),
            models.Index(
                fields=["organisation", "assignee", "status", "is_spam", "priority", "queue"],
                name="hd_ticket_org_assignee_cov",
            ),
            models.Index(
                fields=["organisation", "is_spam", "status", "priority", "queue"],
                name="hd_ticket_org_open_cov",
            ),
            models.Index(
                fields=[
                    "organisation",
                    "is_spam",
                    "status",
                    "first_response_due",
                    "first_response_at",
                    "resolution_due",
                ],
                name="hd_ticket_org_breach_cov",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def reference(self) -> str:
        return f"[#{self.number}]"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_be_rated_by(self, user) -> bool:
        """Only the customer, and only once the ticket is resolved or closed."""
        return (
            user.is_authenticated
            and self.customer_id == user.pk
            and self.status in (self.Status.RESOLVED, self.Status.CLOSED)
            and not self.is_spam
        )

    def after_rated(self, rating) -> None:
        TicketEvent.objects.create(
            ticket=self, actor_id=rating.user_id, kind="rated", data={"score": rating.score}
        )


class Message(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PUBLIC)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_email = models.EmailField(blank=True)
    from_agent = models.BooleanField(default=False)
    body = models.TextField()
    channel = models.CharField(
        max_length=8, choices=Ticket.Channel.choices, default=Ticket.Channel.WEB
    )
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "kind", "created_at"], name="hd_message_ticket")]

    def __str__(self) -> str:
        return f"message {self.pk} on {self.ticket_id}"


def attachment_path(instance, filename: str) -> str:
    ticket = instance.message.ticket
    return f"helpdesk/{ticket.organisation_id}/{ticket.pk}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """Append-only history: every change to a ticket is one row; nothing updates or deletes it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="hd_event_ticket")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ticket history is append-only.")
        if self.actor is not None and not self.actor_name:
            self.actor_name = self.actor.name
        super().save(*args, **kwargs)


class HeldReply(models.Model):
    """A reply held because someone else answered after its author opened the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="held_replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    status_after = models.CharField(max_length=10, blank=True)
    seen_message_id = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"held reply {self.pk}"


class CannedResponse(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="canned_responses"
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {customer_name}, {ticket_number}, {agent_name}, {subject}."),
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="helpdesk_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=500)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BlockedSender(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_blocked"
    )
    email = models.EmailField()
    reason = models.CharField(max_length=200, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="helpdesk_block_once")
        ]

    def __str__(self) -> str:
        return self.email


class InboundMail(models.Model):
    """What happened to each message that came in (for the log; ignored ones keep a reason)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_inbound"
    )
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    sender = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=10)
    reason = models.CharField(max_length=255, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.action}: {self.message_id}"


# --- webhooks ------------------------------------------------------------------------------
class Webhook(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="helpdesk_webhooks"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    events = models.CharField(
        max_length=255, default="*", help_text="Comma-separated event names, or * for all."
    )
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        names = {e.strip() for e in self.events.split(",")}
        return "*" in names or event in names


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id}"
