"""Every helpdesk write: one keyword-only function per use case, atomic, permission-checked.

Knowledge base → tickets (create, route, assign, reply, notes, status) → duplicate-reply guard
→ SLA and pending sweeps → merge, spam → inbound e-mail → webhooks."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import markdown as md
import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from concierge.accounts.models import WORKER_ROLES, Membership, Organisation, User
from concierge.core.permissions import require
from concierge.core.tasking import enqueue_on_commit
from concierge.core.webhooks import post_signed
from concierge.helpdesk import fts
from concierge.helpdesk.models import (
    PRIORITY_ORDER,
    Article,
    ArticleTranslation,
    ArticleVote,
    Attachment,
    BlockedSender,
    CannedResponse,
    Deflection,
    HeldReply,
    HelpdeskSettings,
    Holiday,
    InboundMail,
    KBCategory,
    Message,
    Priority,
    Queue,
    QueueMember,
    RoutingRule,
    SavedView,
    SLAPolicy,
    Tag,
    Ticket,
    TicketCategory,
    TicketEvent,
    Webhook,
    WebhookDelivery,
)
from concierge.helpdesk.sla import BusinessCalendar
from concierge.notifications.services import notify

logger = logging.getLogger(__name__)
Status = Ticket.Status
KB_LANGUAGES = ("en", "hi", "ta")
ALLOWED_ATTACHMENT_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "message/rfc822",
    "application/octet-stream",
    "application/ms-tnef",
}
BLOCKED_EXTENSIONS = {
    ".exe",
    ".bat",
    ".cmd",
    ".com",
    ".js",
    ".vbs",
    ".scr",
    ".msi",
    ".ps1",
    ".jar",
    ".sh",
    ".dll",
}
MAX_ATTACHMENTS = 10
SPAM_THRESHOLD = 0.8
WEBHOOK_MAX_ATTEMPTS = 6
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "img",
}


def _now(now=None):
    return now or timezone.now()


def ticket_url(ticket: Ticket) -> str:
    return reverse("helpdesk:ticket", args=[ticket.organisation.slug, ticket.number])


def _ctx(ticket: Ticket, **extra) -> dict:
    return {"ref": f"#{ticket.number}", "subject": ticket.subject, **extra}


def _event(ticket: Ticket, kind: str, actor=None, **data) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor if getattr(actor, "pk", None) else None, kind=kind, data=data
    )


def settings_for(organisation: Organisation) -> HelpdeskSettings:
    cfg, _created = HelpdeskSettings.objects.get_or_create(organisation=organisation)
    return cfg


# ===========================================================================================
# Knowledge base
# ===========================================================================================
def render_markdown(text: str) -> str:
    """Markdown → HTML with only safe tags and attributes (nh3), links made rel=noopener."""
    raw = md.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes={
            "a": {"href", "title"},
            "img": {"src", "alt", "title"},
            "th": {"align"},
            "td": {"align"},
        },
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@transaction.atomic
def save_category(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    slug: str = "",
    names: dict | None = None,
    position: int = 0,
) -> KBCategory:
    require(actor, "helpdesk.edit_kb", organisation)
    slug = slug or slugify(name)[:80]
    category, _c = KBCategory.objects.update_or_create(
        organisation=organisation,
        slug=slug,
        defaults={"name": name.strip(), "names": names or {}, "position": position},
    )
    return category


@transaction.atomic
def save_article(
    *,
    actor: User,
    organisation: Organisation,
    slug: str,
    title: str,
    body: str,
    language: str = "en",
    category: KBCategory | None = None,
    status: str = Article.Status.DRAFT,
    visibility: str = Article.Visibility.PUBLIC,
    now=None,
) -> Article:
    """Create or update an article and its text in `language`."""
    require(actor, "helpdesk.edit_kb", organisation)
    errors = {}
    slug = slugify(slug or title)[:120]
    if not slug:
        errors["slug"] = _("Give the article a short name.")
    if not title.strip():
        errors["title"] = _("Give the article a title.")
    if not body.strip():
        errors["body"] = _("Write the article.")
    if language not in KB_LANGUAGES:
        errors["language"] = _("Choose English, Hindi or Tamil.")
    if status not in Article.Status.values:
        errors["status"] = _("Choose draft or published.")
    if visibility not in Article.Visibility.values:
        errors["visibility"] = _("Choose public or customers only.")
    if category is not None and category.organisation_id != organisation.pk:
        errors["category"] = _("Choose a category of this organisation.")
    if errors:
        raise ValidationError(errors)
    article, _created = Article.objects.get_or_create(
        organisation=organisation,
        slug=slug,
        defaults={
            "created_by": actor,
            "category": category,
            "status": status,
            "visibility": visibility,
        },
    )
    article.category = category
    article.visibility = visibility
    if status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = _now(now)
    article.status = status
    article.save()
    set_article_translation(actor=actor, article=article, language=language, title=title, body=body)
    return article


@transaction.atomic
def set_article_translation(
    *, actor: User, article: Article, language: str, title: str, body: str
) -> ArticleTranslation:
    require(actor, "helpdesk.edit_kb", article.organisation)
    if language not in KB_LANGUAGES:
        raise ValidationError({"language": _("Choose English, Hindi or Tamil.")})
    if not title.strip() or not body.strip():
        raise ValidationError(_("A translation needs a title and a body."))
    translation, _c = ArticleTranslation.objects.update_or_create(
        article=article,
        language=language,
        defaults={"title": title.strip()[:200], "body": body, "body_html": render_markdown(body)},
    )
    fts.index_translation(translation)
    return translation


@transaction.atomic
def delete_article(*, actor: User, article: Article) -> None:
    require(actor, "helpdesk.edit_kb", article.organisation)
    fts.unindex_translations(list(article.translations.values_list("pk", flat=True)))
    article.delete()


@transaction.atomic
def vote_article(*, article: Article, helpful: bool, voter_key: str, user=None) -> Article:
    """One vote per person/browser; a second vote changes the first."""
    if not voter_key:
        raise ValidationError(_("Your vote could not be recorded."))
    vote = (
        ArticleVote.objects.select_for_update().filter(article=article, voter_key=voter_key).first()
    )
    if vote is None:
        ArticleVote.objects.create(
            article=article,
            voter_key=voter_key,
            helpful=helpful,
            user=user if user and user.is_authenticated else None,
        )
    elif vote.helpful != helpful:
        vote.helpful = helpful
        vote.save(update_fields=["helpful"])
    counts = ArticleVote.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    Article.objects.filter(pk=article.pk).update(helpful_yes=counts["yes"], helpful_no=counts["no"])
    article.helpful_yes, article.helpful_no = counts["yes"], counts["no"]
    return article


@transaction.atomic
def record_deflection(
    *, organisation: Organisation, article: Article | None, user=None, query: str = ""
) -> Deflection:
    """The customer read a suggested article and chose not to send the ticket."""
    if article is not None and article.organisation_id != organisation.pk:
        raise ValidationError(_("Unknown article."))
    return Deflection.objects.create(
        organisation=organisation,
        article=article,
        user=user if user and user.is_authenticated else None,
        query=query[:255],
    )


# ===========================================================================================
# Tickets
# ===========================================================================================
#: Latin-script tickets with fewer words than this take the customer's language
SHORT_TICKET_WORDS = 3
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class DetectedLanguage:
    language: str  # what the ticket is stored and routed with: en, hi or ta
    detected: str  # what the identifier said: en, hi, ta or hi-Latn (romanised Hindi)
    fell_back: bool  # too short or unsure: the customer's (or organisation's) language


def detect_ticket_language(
    *, organisation: Organisation, text: str, customer_language: str = ""
) -> DetectedLanguage:
    """The language a ticket is written in, among the organisation's languages.

    The assistant's identifier decides: Devanagari and Tamil script by script, Latin script
    between English and romanised Hindi by its model — so "mera order nahi aaya" is Hindi and
    goes to Hindi rules and Hindi-speaking agents. Short (< 3 words) or uncertain Latin text
    takes the customer's profile language, else the organisation's."""
    from concierge.assistant.engine.langid import detect_language as identify
    from concierge.helpdesk.settings_selectors import organisation_languages

    allowed = organisation_languages(organisation=organisation)
    fallback = next(
        (c for c in (customer_language, organisation.language) if c in allowed), allowed[0]
    )
    identifier_languages = (*allowed, "hi-Latn") if "hi" in allowed else allowed
    detected = identify(text, allowed=identifier_languages, fallback=fallback)
    latin = detected in ("en", "hi-Latn")
    if latin and len(_WORDS.findall(text)) < SHORT_TICKET_WORDS:
        return DetectedLanguage(language=fallback, detected=detected, fell_back=True)
    language = "hi" if detected == "hi-Latn" else detected
    if language not in allowed:  # the identifier never answers outside `allowed`; be sure
        return DetectedLanguage(language=fallback, detected=detected, fell_back=True)
    return DetectedLanguage(language=language, detected=detected, fell_back=False)


_SPAM_WORDS = re.compile(
    r"\b(viagra|casino|lottery|winner|bitcoin|crypto|loan offer|"
    r"click here|free money|act now|100% free|earn \$|seo services|"
    r"cheap|discount|save \d+)\b",
    re.I,
)
_LINK = re.compile(r"https?://", re.I)


def spam_score(*, subject: str, body: str, sender: str = "") -> float:
    """0–1: spammy words, many links, shouting, foreign currency bait; 0.8+ counts as spam."""
    text = f"{subject}\n{body}"
    score = 0.0
    score += min(0.5, 0.2 * len(_SPAM_WORDS.findall(text)))
    links = len(_LINK.findall(text))
    score += 0.3 if links >= 3 else 0.1 * links
    letters = [c for c in subject if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        score += 0.2
    if re.search(r"\$\s?\d|\d+\$", text):
        score += 0.2
    if "\ufffd" in text:
        score += 0.1
    return round(min(score, 1.0), 2)


def _validate_attachments(files, *, cfg: HelpdeskSettings) -> list[tuple[str, bytes, str]]:
    """(name, content, type) for each upload, or a ValidationError before anything is written."""
    out = []
    files = list(files or [])
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("Attach at most %(n)s files.") % {"n": MAX_ATTACHMENTS}}
        )
    for item in files:
        if isinstance(item, tuple):
            name, content, ctype = item
        else:
            if item.size > cfg.max_attachment_bytes:
                raise ValidationError(
                    {
                        "attachments": _("%(name)s is larger than %(mb)s MB.")
                        % {"name": item.name, "mb": cfg.max_attachment_bytes // (1024 * 1024)}
                    }
                )
            name, content, ctype = item.name, item.read(), item.content_type or ""
        name = (name or "attachment").replace("/", "_").replace("\\", "_")[:200]
        ctype = (ctype or "application/octet-stream").split(";")[0].strip().lower()
        if len(content) > cfg.max_attachment_bytes:
            raise ValidationError(
                {
                    "attachments": _("%(name)s is larger than %(mb)s MB.")
                    % {"name": name, "mb": cfg.max_attachment_bytes // (1024 * 1024)}
                }
            )
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if ext in BLOCKED_EXTENSIONS or (
            ctype not in ALLOWED_ATTACHMENT_TYPES and not ctype.startswith(("image/", "text/"))
        ):
            raise ValidationError(
                {"attachments": _("%(name)s: this file type is not accepted.") % {"name": name}}
            )
        out.append((name, content, ctype))
    return out


def _store_attachments(message: Message, files: list[tuple[str, bytes, str]]) -> None:
    for name, content, ctype in files:
        attachment = Attachment(message=message, name=name, size=len(content), content_type=ctype)
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()


def _check_rate_limits(*, organisation, cfg, customer, email, source_ip, now) -> None:
    since = now - timedelta(hours=1)
    recent = Ticket.objects.filter(organisation=organisation, created_at__gte=since)
    who = Q(customer=customer) if customer is not None else Q(customer_email__iexact=email)
    if (customer is not None or email) and recent.filter(
        who
    ).count() >= cfg.tickets_per_hour_per_customer:
        raise ValidationError(
            _(
                "You have raised many tickets in the last hour. Please wait a "
                "little, or add to an open ticket."
            )
        )
    if source_ip and recent.filter(source_ip=source_ip).count() >= cfg.tickets_per_hour_per_ip:
        raise ValidationError(_("Too many tickets from this network in the last hour."))


def sla_policy(ticket: Ticket) -> SLAPolicy | None:
    return SLAPolicy.objects.filter(
        organisation_id=ticket.organisation_id, priority=ticket.priority
    ).first()


def _set_sla(ticket: Ticket, *, calendar: BusinessCalendar | None = None) -> None:
    policy = sla_policy(ticket)
    if policy is None:
        ticket.first_response_due = ticket.resolution_due = None
        return
    calendar = calendar or BusinessCalendar.for_organisation(ticket.organisation)
    if ticket.first_response_at is None:
        ticket.first_response_due = calendar.add(ticket.created_at, policy.first_response_minutes)
    ticket.resolution_due = calendar.add(ticket.created_at, policy.resolution_minutes)


def matching_rule(ticket: Ticket) -> RoutingRule | None:
    """The first active rule (by position) whose every condition holds for the ticket."""
    text = f"{ticket.subject}\n{ticket.description}".lower()
    domain = ticket.customer_email.rsplit("@", 1)[-1].lower() if ticket.customer_email else ""
    for rule in RoutingRule.objects.filter(
        organisation_id=ticket.organisation_id, is_active=True
    ).select_related("queue"):
        if rule.category_id and rule.category_id != ticket.category_id:
            continue
        if rule.language and rule.language != ticket.language:
            continue
        if rule.customer_domain and rule.customer_domain.lower().lstrip("@") != domain:
            continue
        words = [w.strip().lower() for w in rule.keywords.split(",") if w.strip()]
        if words and not any(re.search(rf"(?<!\w){re.escape(w)}", text) for w in words):
            continue
        return rule
    return None


def _agents_of(organisation_id) -> Q:
    return Q(
        user__memberships__organisation_id=organisation_id,
        user__memberships__role__in=list(WORKER_ROLES),
        user__is_active=True,
    )


def pick_agent(ticket: Ticket) -> User | None:
    """Round robin or fewest open tickets among available agents of the ticket's queue who
    speak its language (any available agent when none does)."""
    queue = ticket.queue
    if queue is None or queue.assignment == Queue.Assignment.MANUAL:
        return None
    members = list(
        QueueMember.objects.filter(
            _agents_of(ticket.organisation_id), queue=queue, is_available=True
        )
        .select_related("user")
        .order_by("user_id")
        .distinct()
    )
    speakers = [m for m in members if m.speaks(ticket.language)] or members
    if not speakers:
        return None
    if queue.assignment == Queue.Assignment.ROUND_ROBIN:
        ids = [m.user_id for m in speakers]
        last = queue.last_assigned_id
        after = [i for i in ids if last is not None and i > last]
        chosen = after[0] if after else ids[0]
        return next(m.user for m in speakers if m.user_id == chosen)
    loads = dict(
        Ticket.objects.filter(
            assignee_id__in=[m.user_id for m in speakers],
            organisation_id=ticket.organisation_id,
            status__in=Ticket.OPEN_STATUSES,
        )
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return min(speakers, key=lambda m: (loads.get(m.user_id, 0), m.user_id)).user


def _assign(ticket: Ticket, agent: User | None, *, actor=None, now=None, auto=False) -> None:
    old = ticket.assignee
    ticket.assignee = agent
    ticket.assigned_at = _now(now) if agent else None
    ticket.save(update_fields=["assignee", "assigned_at"])
    _event(
        ticket,
        "assigned",
        actor,
        to=agent.name if agent else None,
        to_id=agent.pk if agent else None,
        previous=old.name if old else None,
        auto=auto,
    )
    if agent is not None and agent != actor:
        notify(
            agent,
            "helpdesk.ticket_assigned",
            _ctx(ticket),
            url=ticket_url(ticket),
            dedup_key=f"assign:{ticket.pk}:{agent.pk}:{ticket.assigned_at.isoformat()}",
        )


def auto_assign(ticket: Ticket, *, now=None) -> User | None:
    if ticket.queue_id is None:
        return None
    queue = Queue.objects.select_for_update().get(pk=ticket.queue_id)
    ticket.queue = queue
    agent = pick_agent(ticket)
    if agent is not None:
        queue.last_assigned = agent
        queue.save(update_fields=["last_assigned"])
        _assign(ticket, agent, now=now, auto=True)
    return agent


def _next_number(organisation: Organisation) -> int:
    settings_for(organisation)
    cfg = HelpdeskSettings.objects.select_for_update().get(organisation=organisation)
    number = cfg.next_number
    cfg.next_number = number + 1
    cfg.save(update_fields=["next_number"])
    return number


def _promise_text(ticket: Ticket) -> str:
    policy = sla_policy(ticket)
    if policy is None:
        return _("one working day")
    hours = policy.first_response_minutes / 60
    return _("%(h)s business hours") % {"h": f"{hours:g}"}


@transaction.atomic
def create_ticket(
    *,
    organisation: Organisation,
    subject: str,
    description: str,
    customer: User | None = None,
    customer_email: str = "",
    customer_name: str = "",
    category: TicketCategory | None = None,
    customer_priority: str = Priority.NORMAL,
    attachments=None,
    channel: str = Ticket.Channel.WEB,
    source_ip: str | None = None,
    honeypot: str = "",
    email_message_id: str = "",
    language: str = "",
    now=None,
    check_limits: bool = True,
) -> Ticket:
    """A customer raises a ticket: validated, spam-scored, routed, SLA-timed, assigned."""
    now = _now(now)
    if customer is not None:
        require(customer, "helpdesk.raise_ticket", organisation)
        customer_email = customer.email
        customer_name = customer_name or customer.name
    cfg = settings_for(organisation)
    errors = {}
    subject, description = (subject or "").strip(), (description or "").strip()
    if not subject:
        errors["subject"] = _("Say in a few words what it is about.")
    if not description:
        errors["description"] = _("Describe the problem.")
    if customer_priority not in Priority.values:
        errors["customer_priority"] = _("Choose a priority.")
    if category is not None and category.organisation_id != organisation.pk:
        errors["category"] = _("Choose a category of this organisation.")
    if errors:
        raise ValidationError(errors)
    if honeypot:
        raise ValidationError(_("Your request could not be sent."))
    if (
        customer_email
        and BlockedSender.objects.filter(
            organisation=organisation, email__iexact=customer_email
        ).exists()
    ):
        raise PermissionDenied(_("This sender is blocked."))
    files = _validate_attachments(attachments, cfg=cfg)
    if check_limits:
        _check_rate_limits(
            organisation=organisation,
            cfg=cfg,
            customer=customer,
            email=customer_email,
            source_ip=source_ip,
            now=now,
        )
    score = spam_score(subject=subject, body=description, sender=customer_email)
    if language:  # given by the caller (e.g. the chat hand-off): "hi-Latn" is Hindi
        detection = DetectedLanguage(
            language=language.split("-")[0], detected=language, fell_back=False
        )
    else:
        detection = detect_ticket_language(
            organisation=organisation,
            text=f"{subject}\n{description}",
            customer_language=getattr(customer, "language", "") or "",
        )
    ticket = Ticket(
        organisation=organisation,
        number=_next_number(organisation),
        subject=subject[:255],
        description=description,
        customer=customer,
        customer_email=customer_email[:254],
        customer_name=customer_name[:200],
        category=category,
        priority=customer_priority,
        customer_priority=customer_priority,
        language=detection.language,
        channel=channel,
        created_at=now,
        updated_at=now,
        source_ip=source_ip or None,
        spam_score=score,
        is_spam=score >= SPAM_THRESHOLD,
        email_message_id=email_message_id[:255],
    )
    if category is not None and ticket.queue_id is None:
        default_queue = Queue.objects.filter(
            organisation=organisation, name__iexact=category.name
        ).first()
        ticket.queue = default_queue
    rule = matching_rule(ticket)
    if rule is not None:
        ticket.queue = rule.queue
        if rule.priority:
            ticket.priority = rule.priority
    _set_sla(ticket)
    ticket.save()
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author=customer,
        author_email=customer_email,
        body=description,
        channel=channel,
        email_message_id=email_message_id[:255],
        created_at=now,
    )
    _store_attachments(message, files)
    _event(
        ticket,
        "created",
        customer,
        channel=channel,
        priority=ticket.priority,
        spam_score=score,
        language=ticket.language,
        detected_language=detection.detected,
        language_fell_back=detection.fell_back,
    )
    if ticket.is_spam:
        _event(ticket, "spam_suspected", None, score=score)
        return ticket
    if rule is not None:
        _event(
            ticket, "routed", None, rule=rule.name, queue=rule.queue.name, priority=ticket.priority
        )
    auto_assign(ticket, now=now)
    if customer is not None:
        notify(
            customer,
            "helpdesk.ticket_received",
            _ctx(ticket, promise=_promise_text(ticket)),
            url=ticket_url(ticket),
            target=ticket,
        )
    _flag_duplicates(ticket)
    _emit(ticket, "ticket.created")
    return ticket


def _flag_duplicates(ticket: Ticket) -> None:
    from concierge.helpdesk.selectors import similar_open_tickets

    similar = similar_open_tickets(ticket=ticket)
    if not similar:
        return
    refs = ", ".join(f"#{t.number}" for t, _s in similar)
    _event(ticket, "possible_duplicate", None, of=[t.number for t, _s in similar])
    if ticket.assignee is not None:
        notify(
            ticket.assignee,
            "helpdesk.possible_duplicate",
            _ctx(ticket, others=refs),
            url=ticket_url(ticket),
            dedup_key=f"dup:{ticket.pk}",
        )


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "assignee", "customer", "queue")
        .get(pk=ticket.pk)
    )


def _set_status(ticket: Ticket, status: str, *, actor=None, now=None, reason: str = "") -> None:
    now = _now(now)
    old = ticket.status
    if old == status:
        return
    calendar = None
    if old == Status.PENDING and ticket.pending_since and ticket.resolution_due:
        # the resolution clock stops while support waits on the customer
        calendar = BusinessCalendar.for_organisation(ticket.organisation)
        paused = max(calendar.between(ticket.pending_since, now), 0)
        ticket.resolution_due = calendar.add(ticket.resolution_due, paused)
    ticket.status = status
    if status == Status.PENDING:
        ticket.pending_since = now
        ticket.reminder_sent_at = ticket.autoclose_notice_at = None
    elif old == Status.PENDING:
        ticket.pending_since = None
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    if status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if status in (Status.NEW, Status.OPEN) and old in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = ticket.closed_at = None
    ticket.updated_at = now
    ticket.save()
    _event(ticket, "status", actor, old=old, new=status, reason=reason)
    if status == Status.RESOLVED and ticket.customer is not None:
        notify(
            ticket.customer,
            "helpdesk.ticket_resolved",
            _ctx(ticket),
            url=ticket_url(ticket),
            dedup_key=f"resolved:{ticket.pk}:{now.isoformat()}",
        )
    _emit(ticket, "ticket.status_changed", old=old, new=status)


@dataclass
class ReplyOutcome:
    message: Message | None = None
    held: HeldReply | None = None
    newer: list[Message] = field(default_factory=list)


def newer_public_messages(*, ticket: Ticket, seen_message_id: int, author: User) -> list[Message]:
    return list(
        ticket.messages.filter(kind=Message.Kind.PUBLIC, pk__gt=seen_message_id)
        .exclude(author=author)
        .select_related("author")
    )


@transaction.atomic
def reply_as_agent(
    *,
    agent: User,
    ticket: Ticket,
    body: str,
    seen_message_id: int,
    status_after: str = Status.PENDING,
    attachments=None,
    force: bool = False,
    now=None,
) -> ReplyOutcome:
    """Send a public reply — unless someone added a public reply after the agent opened the
    ticket (`seen_message_id`): then the reply is held for the agent to send anyway or drop."""
    require(agent, "helpdesk.work", ticket)
    now = _now(now)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a reply.")})
    if status_after not in (Status.OPEN, Status.PENDING, Status.RESOLVED):
        raise ValidationError({"status_after": _("Choose open, pending or resolved.")})
    ticket = _lock(ticket)
    if ticket.is_spam or ticket.merged_into_id:
        raise ValidationError(_("This ticket is closed to replies."))
    files = _validate_attachments(attachments, cfg=settings_for(ticket.organisation))
    if not force:
        newer = newer_public_messages(ticket=ticket, seen_message_id=seen_message_id, author=agent)
        if newer:
            held = HeldReply.objects.create(
                ticket=ticket,
                author=agent,
                body=body,
                status_after=status_after,
                seen_message_id=seen_message_id,
            )
            _event(ticket, "reply_held", agent, newer=[m.pk for m in newer])
            return ReplyOutcome(held=held, newer=newer)
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author=agent,
        author_email=agent.email,
        from_agent=True,
        body=body,
        created_at=now,
    )
    _store_attachments(message, files)
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.last_agent_reply_at = now
    ticket.updated_at = now
    if ticket.assignee_id is None:
        ticket.assignee = agent
        ticket.assigned_at = now
        _event(ticket, "assigned", agent, to=agent.name, to_id=agent.pk, auto=False)
    ticket.save()
    _event(ticket, "replied", agent, message=message.pk, forced=force)
    _set_status(ticket, status_after, actor=agent, now=now)
    if ticket.status == Status.PENDING:
        # a new agent reply restarts the waiting-on-customer clocks
        ticket.pending_since = now
        ticket.reminder_sent_at = ticket.autoclose_notice_at = None
        ticket.save(update_fields=["pending_since", "reminder_sent_at", "autoclose_notice_at"])
    if ticket.customer is not None:
        notify(
            ticket.customer,
            "helpdesk.agent_replied",
            _ctx(ticket, agent=agent.name, excerpt=body[:200]),
            url=ticket_url(ticket),
            dedup_key=f"reply:{message.pk}",
        )
    _emit(ticket, "ticket.replied", message=message.pk, by="agent")
    return ReplyOutcome(message=message)


@transaction.atomic
def resolve_held_reply(*, agent: User, held: HeldReply, send: bool, now=None) -> ReplyOutcome:
    """The agent saw the newer reply and chose: send anyway, or discard."""
    if held.author_id != agent.pk:
        raise PermissionDenied(_("This is not your held reply."))
    ticket = held.ticket
    held_body, status_after = held.body, held.status_after or Status.PENDING
    held.delete()
    if not send:
        _event(ticket, "held_reply_discarded", agent)
        return ReplyOutcome()
    return reply_as_agent(
        agent=agent,
        ticket=ticket,
        body=held_body,
        seen_message_id=0,
        status_after=status_after,
        force=True,
        now=now,
    )


@transaction.atomic
def add_note(*, agent: User, ticket: Ticket, body: str, now=None) -> Message:
    require(agent, "helpdesk.work", ticket)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    now = _now(now)
    note = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.NOTE,
        author=agent,
        author_email=agent.email,
        from_agent=True,
        body=body,
        created_at=now,
    )
    _event(ticket, "note", agent, message=note.pk)
    _emit(ticket, "ticket.note_added", message=note.pk)
    return note


def _customer_reply(
    ticket: Ticket,
    *,
    body: str,
    author: User | None,
    author_email: str,
    files,
    channel: str,
    email_message_id: str = "",
    now,
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author=author,
        author_email=author_email,
        body=body,
        channel=channel,
        email_message_id=email_message_id[:255],
        created_at=now,
    )
    _store_attachments(message, files)
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    _event(ticket, "customer_replied", author, message=message.pk, channel=channel)
    if ticket.status in (Status.PENDING, Status.RESOLVED, Status.CLOSED):
        _set_status(ticket, Status.OPEN, actor=author, now=now, reason="customer replied")
    if ticket.assignee is not None:
        notify(
            ticket.assignee,
            "helpdesk.customer_replied",
            _ctx(ticket, excerpt=body[:200]),
            url=ticket_url(ticket),
            dedup_key=f"creply:{message.pk}",
        )
    _emit(ticket, "ticket.replied", message=message.pk, by="customer")
    return message


@transaction.atomic
def reply_as_customer(
    *, customer: User, ticket: Ticket, body: str, attachments=None, now=None
) -> Message:
    require(customer, "helpdesk.reply_as_customer", ticket)
    now = _now(now)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a reply.")})
    ticket = _lock(ticket)
    if ticket.merged_into_id:
        raise ValidationError(
            _("This ticket was merged into #%(n)s; reply there.") % {"n": ticket.merged_into.number}
        )
    if ticket.status == Status.CLOSED and not _can_reopen(ticket, now):
        raise ValidationError(_("This ticket is closed. Please raise a new one."))
    files = _validate_attachments(attachments, cfg=settings_for(ticket.organisation))
    return _customer_reply(
        ticket,
        body=body,
        author=customer,
        author_email=customer.email,
        files=files,
        channel=Ticket.Channel.WEB,
        now=now,
    )


def _can_reopen(ticket: Ticket, now) -> bool:
    cfg = settings_for(ticket.organisation)
    ended = ticket.closed_at or ticket.resolved_at
    return ended is not None and now - ended <= timedelta(days=cfg.reopen_days)


@transaction.atomic
def close_by_customer(*, customer: User, ticket: Ticket, now=None) -> Ticket:
    require(customer, "helpdesk.reply_as_customer", ticket)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        return ticket
    _set_status(ticket, Status.CLOSED, actor=customer, now=now, reason="closed by customer")
    return ticket


@transaction.atomic
def reopen_ticket(*, actor: User, ticket: Ticket, now=None) -> Ticket:
    """The customer reopens within the organisation's reopen window; agents any time."""
    now = _now(now)
    require(actor, "helpdesk.view_ticket", ticket)
    ticket = _lock(ticket)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return ticket
    is_agent = actor.has_perm("helpdesk.work", ticket)
    if not is_agent and not _can_reopen(ticket, now):
        raise ValidationError(
            _("This ticket was closed too long ago to reopen. Please raise a new one.")
        )
    if ticket.merged_into_id:
        raise ValidationError(_("A merged ticket cannot be reopened."))
    _set_status(ticket, Status.OPEN, actor=actor, now=now, reason="reopened")
    return ticket


@transaction.atomic
def change_ticket(
    *,
    agent: User,
    ticket: Ticket,
    status: str | None = None,
    priority: str | None = None,
    queue: Queue | None = None,
    assignee: User | None | bool = False,
    tags: list[str] | None = None,
    category: TicketCategory | None | bool = False,
    now=None,
) -> Ticket:
    """An agent changes status, priority, queue, assignee, category or tags (one event each)."""
    require(agent, "helpdesk.work", ticket)
    now = _now(now)
    ticket = _lock(ticket)
    org = ticket.organisation
    if priority is not None and priority != ticket.priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Choose a priority.")})
        old = ticket.priority
        ticket.priority = priority
        _set_sla(ticket)
        ticket.updated_at = now
        ticket.save()
        _event(ticket, "priority", agent, old=old, new=priority)
    if queue is not None and queue.pk != ticket.queue_id:
        if queue.organisation_id != org.pk:
            raise ValidationError({"queue": _("Choose a queue of this organisation.")})
        old = ticket.queue.name if ticket.queue else None
        ticket.queue = queue
        ticket.save(update_fields=["queue"])
        _event(ticket, "queue", agent, old=old, new=queue.name)
    if category is not False and (category.pk if category else None) != ticket.category_id:
        if category is not None and category.organisation_id != org.pk:
            raise ValidationError({"category": _("Choose a category of this organisation.")})
        ticket.category = category
        ticket.save(update_fields=["category"])
        _event(ticket, "category", agent, new=category.name if category else None)
    if assignee is not False and (assignee.pk if assignee else None) != ticket.assignee_id:
        if (
            assignee is not None
            and not Membership.objects.filter(
                user=assignee, organisation=org, role__in=list(WORKER_ROLES)
            ).exists()
        ):
            raise ValidationError({"assignee": _("Assign to an agent of this organisation.")})
        _assign(ticket, assignee, actor=agent, now=now)
    if tags is not None:
        names = sorted({t.strip().lower()[:40] for t in tags if t.strip()})
        old = sorted(ticket.tags.values_list("name", flat=True))
        if names != old:
            objs = [Tag.objects.get_or_create(organisation=org, name=n)[0] for n in names]
            ticket.tags.set(objs)
            _event(ticket, "tags", agent, old=old, new=names)
    if status is not None and status != ticket.status:
        if status not in Status.values:
            raise ValidationError({"status": _("Choose a status.")})
        _set_status(ticket, status, actor=agent, now=now)
    return ticket


BULK_ACTIONS = ("assign_me", "unassign", "status", "priority", "queue", "spam")


@transaction.atomic
def bulk_update(
    *, agent: User, organisation: Organisation, ticket_ids: list[int], action: str, value: str = ""
) -> int:
    """Apply one action to many tickets of the organisation; returns how many changed."""
    require(agent, "helpdesk.work", organisation)
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": _("Choose an action.")})
    tickets = list(Ticket.objects.filter(organisation=organisation, pk__in=ticket_ids[:500]))
    if not tickets:
        raise ValidationError({"tickets": _("Select at least one ticket.")})
    queue = None
    if action == "queue":
        queue = Queue.objects.filter(organisation=organisation, pk=value or 0).first()
        if queue is None:
            raise ValidationError({"value": _("Choose a queue.")})
    for ticket in tickets:
        if action == "assign_me":
            change_ticket(agent=agent, ticket=ticket, assignee=agent)
        elif action == "unassign":
            change_ticket(agent=agent, ticket=ticket, assignee=None)
        elif action == "status":
            change_ticket(agent=agent, ticket=ticket, status=value)
        elif action == "priority":
            change_ticket(agent=agent, ticket=ticket, priority=value)
        elif action == "queue":
            change_ticket(agent=agent, ticket=ticket, queue=queue)
        elif action == "spam":
            mark_spam(agent=agent, ticket=ticket, block_sender=False)
    return len(tickets)


@transaction.atomic
def merge_tickets(*, agent: User, source: Ticket, target: Ticket, now=None) -> Ticket:
    """Move the source's conversation into the target; the source closes pointing at it.
    Both histories keep an event; nothing is deleted."""
    require(agent, "helpdesk.work", source)
    require(agent, "helpdesk.work", target)
    if source.pk == target.pk or source.organisation_id != target.organisation_id:
        raise ValidationError(_("Choose another ticket of the same organisation."))
    if target.merged_into_id:
        raise ValidationError(
            _("The target ticket was itself merged; choose the ticket it was merged into.")
        )
    now = _now(now)
    source, target = _lock(source), _lock(target)
    moved = list(source.messages.values_list("pk", flat=True))
    Message.objects.filter(pk__in=moved).update(ticket=target)
    target.tags.add(*source.tags.all())
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    _event(target, "merged_in", agent, source=source.number, messages=len(moved))
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    _event(source, "merged_into", agent, target=target.number, messages=len(moved))
    if source.status != Status.CLOSED:
        _set_status(
            source, Status.CLOSED, actor=agent, now=now, reason=f"merged into #{target.number}"
        )
    if target.status in (Status.RESOLVED, Status.CLOSED):
        _set_status(target, Status.OPEN, actor=agent, now=now, reason="merge")
    return target


@transaction.atomic
def mark_spam(
    *, agent: User, ticket: Ticket, block_sender: bool = False, is_spam: bool = True
) -> Ticket:
    """Mark (or unmark) spam; blocking the sender is a separate, confirmed choice."""
    require(agent, "helpdesk.work", ticket)
    ticket = _lock(ticket)
    ticket.is_spam = is_spam
    ticket.save(update_fields=["is_spam"])
    _event(ticket, "spam" if is_spam else "not_spam", agent)
    if is_spam and ticket.status != Status.CLOSED:
        _set_status(ticket, Status.CLOSED, actor=agent, reason="spam")
    if is_spam and block_sender and ticket.customer_email:
        BlockedSender.objects.get_or_create(
            organisation=ticket.organisation,
            email=ticket.customer_email.lower(),
            defaults={"reason": f"spam on #{ticket.number}", "blocked_by": agent},
        )
        _event(ticket, "sender_blocked", agent, email=ticket.customer_email)
    return ticket


def render_canned(*, response: CannedResponse, ticket: Ticket, agent: User) -> str:
    values = {
        "customer_name": ticket.customer_name or _("there"),
        "ticket_number": f"#{ticket.number}",
        "agent_name": agent.name,
        "subject": ticket.subject,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), response.body)


@transaction.atomic
def save_canned_response(
    *, agent: User, organisation: Organisation, title: str, body: str
) -> CannedResponse:
    require(agent, "helpdesk.work", organisation)
    if not title.strip() or not body.strip():
        raise ValidationError(_("A canned response needs a title and text."))
    return CannedResponse.objects.create(organisation=organisation, title=title.strip(), body=body)


@transaction.atomic
def save_view(*, agent: User, organisation: Organisation, name: str, query: str) -> SavedView:
    require(agent, "helpdesk.work", organisation)
    if not name.strip():
        raise ValidationError({"name": _("Name the view.")})
    view, _c = SavedView.objects.update_or_create(
        organisation=organisation,
        user=agent,
        name=name.strip()[:80],
        defaults={"query": query[:500]},
    )
    return view


@transaction.atomic
def set_availability(*, agent: User, organisation: Organisation, available: bool) -> int:
    require(agent, "helpdesk.work", organisation)
    return QueueMember.objects.filter(user=agent, queue__organisation=organisation).update(
        is_available=available
    )


# ===========================================================================================
# Time: SLA warnings/escalation and pending reminders/auto-close (run by cron tasks)
# ===========================================================================================
def _raise_priority(priority: str) -> str:
    i = PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else 1
    return PRIORITY_ORDER[min(i + 1, len(PRIORITY_ORDER) - 1)]


@transaction.atomic
def sla_sweep(*, now=None) -> dict:
    """Warn before a first-response or resolution target passes; escalate after (notify the
    queue manager, raise the priority). Each ticket is warned once and escalated once."""
    now = _now(now)
    counts = {"warned": 0, "escalated": 0}
    calendars: dict[int, BusinessCalendar] = {}
    policies = {(p.organisation_id, p.priority): p for p in SLAPolicy.objects.all()}
    candidates = (
        Ticket.objects.select_for_update(of=("self",))
        .filter(status__in=(Status.NEW, Status.OPEN), is_spam=False, sla_breached_at__isnull=True)
        .filter(
            Q(first_response_at__isnull=True, first_response_due__isnull=False)
            | Q(resolution_due__isnull=False)
        )
        .select_related("organisation", "queue__manager", "assignee")
    )
    for ticket in candidates:
        policy = policies.get((ticket.organisation_id, ticket.priority))
        if policy is None:
            continue
        cal = calendars.setdefault(
            ticket.organisation_id, BusinessCalendar.for_organisation(ticket.organisation)
        )
        target, due = ("resolution", ticket.resolution_due)
        if ticket.first_response_at is None and ticket.first_response_due:
            target, due = "first response", ticket.first_response_due
        if due is None:
            continue
        left = cal.between(now, due)
        manager = ticket.queue.manager if ticket.queue else None
        if left <= 0:
            old = ticket.priority
            ticket.priority = _raise_priority(old)
            ticket.sla_breached_at = now
            ticket.save(update_fields=["priority", "sla_breached_at"])
            _event(
                ticket,
                "escalated",
                None,
                target=target,
                old_priority=old,
                new_priority=ticket.priority,
            )
            for person in {p for p in (manager, ticket.assignee) if p is not None}:
                notify(
                    person,
                    "helpdesk.sla_breached",
                    _ctx(ticket, target=target, priority=ticket.get_priority_display()),
                    url=ticket_url(ticket),
                    dedup_key=f"breach:{ticket.pk}",
                )
            _emit(ticket, "ticket.sla_breached", target=target)
            counts["escalated"] += 1
        elif left <= policy.warn_before_minutes and ticket.sla_warned_at is None:
            ticket.sla_warned_at = now
            ticket.save(update_fields=["sla_warned_at"])
            _event(ticket, "sla_warning", None, target=target, minutes_left=round(left))
            for person in {p for p in (ticket.assignee or manager,) if p is not None}:
                notify(
                    person,
                    "helpdesk.sla_warning",
                    _ctx(ticket, target=target, minutes=round(left)),
                    url=ticket_url(ticket),
                    dedup_key=f"warn:{ticket.pk}",
                )
            counts["warned"] += 1
    return counts


@transaction.atomic
def pending_sweep(*, now=None) -> dict:
    """Tickets waiting on the customer: remind after N days, announce the close one day before
    M days (counted from the agent's last public reply), then close — never silently."""
    now = _now(now)
    counts = {"reminded": 0, "noticed": 0, "closed": 0}
    cfgs = {c.organisation_id: c for c in HelpdeskSettings.objects.all()}
    for ticket in (
        Ticket.objects.select_for_update(of=("self",))
        .filter(status=Status.PENDING, is_spam=False)
        .select_related("organisation", "customer")
    ):
        cfg = cfgs.get(ticket.organisation_id) or HelpdeskSettings()
        since = ticket.last_agent_reply_at or ticket.pending_since
        if since is None:
            continue
        waited = now - since
        close_at = timedelta(days=cfg.auto_close_days)
        notice_at = close_at - timedelta(days=1)
        url = ticket_url(ticket)
        if (
            waited >= close_at
            and ticket.autoclose_notice_at is not None
            and now - ticket.autoclose_notice_at >= timedelta(hours=20)
        ):
            _set_status(ticket, Status.CLOSED, now=now, reason="no reply from customer")
            if ticket.customer is not None:
                notify(
                    ticket.customer,
                    "helpdesk.ticket_closed",
                    _ctx(ticket, reason=_("We closed it because we did not hear back.")),
                    url=url,
                    dedup_key=f"autoclosed:{ticket.pk}:{since.isoformat()}",
                )
            counts["closed"] += 1
        elif waited >= notice_at and ticket.autoclose_notice_at is None:
            ticket.autoclose_notice_at = now
            ticket.save(update_fields=["autoclose_notice_at"])
            _event(ticket, "autoclose_notice", None, days=1)
            if ticket.customer is not None:
                notify(
                    ticket.customer,
                    "helpdesk.autoclose_notice",
                    _ctx(ticket, days=1),
                    url=url,
                    dedup_key=f"notice:{ticket.pk}:{since.isoformat()}",
                )
            counts["noticed"] += 1
        elif (
            waited >= timedelta(days=cfg.pending_reminder_days)
            and ticket.reminder_sent_at is None
            and ticket.autoclose_notice_at is None
        ):
            ticket.reminder_sent_at = now
            ticket.save(update_fields=["reminder_sent_at"])
            _event(ticket, "reminder", None)
            if ticket.customer is not None:
                notify(
                    ticket.customer,
                    "helpdesk.pending_reminder",
                    _ctx(ticket),
                    url=url,
                    dedup_key=f"remind:{ticket.pk}:{since.isoformat()}",
                )
            counts["reminded"] += 1
    return counts


# ===========================================================================================
# Inbound e-mail
# ===========================================================================================
@dataclass
class IngestResult:
    action: str  # "ticket" | "reply" | "ignored"
    reason: str = ""
    ticket: Ticket | None = None
    attachments: list[str] = field(default_factory=list)


_REF = re.compile(r"\[#(\d+)\]")


def _find_thread(organisation: Organisation, parsed) -> Ticket | None:
    ids = [i for i in (parsed.in_reply_to, *parsed.references) if i]
    if ids:
        msg = (
            Message.objects.filter(ticket__organisation=organisation, email_message_id__in=ids)
            .select_related("ticket")
            .order_by("-pk")
            .first()
        )
        if msg is not None:
            return msg.ticket
        ticket = Ticket.objects.filter(organisation=organisation, email_message_id__in=ids).first()
        if ticket is not None:
            return ticket
    match = _REF.search(parsed.subject or "")
    if match:
        return Ticket.objects.filter(organisation=organisation, number=int(match.group(1))).first()
    return None


def issue_inbound_token(*, actor: User, organisation: Organisation) -> str:
    """A new secret for POST /api/helpdesk/inbound; only its SHA-256 is kept."""
    require(actor, "helpdesk.manage", organisation)
    token = "hdin_" + secrets.token_urlsafe(24)
    cfg = settings_for(organisation)
    cfg.inbound_token_hash = hashlib.sha256(token.encode()).hexdigest()
    cfg.save(update_fields=["inbound_token_hash"])
    return token


def organisation_for_inbound_token(token: str) -> Organisation | None:
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    cfg = (
        HelpdeskSettings.objects.filter(inbound_token_hash=digest)
        .select_related("organisation")
        .first()
    )
    return cfg.organisation if cfg else None


def ingest_email(*, organisation: Organisation, raw: bytes, now=None) -> IngestResult:
    """One raw RFC 822 message → a ticket, a reply, or ignored with a logged reason. Never
    raises for a bad message: the mailbox must keep flowing."""
    from concierge.helpdesk.mail import parse_message

    try:
        parsed = parse_message(raw)
    except Exception as exc:  # the parser already falls back; this is the last net
        logger.warning("inbound mail unreadable", exc_info=True)
        return _log_inbound(organisation, None, "ignored", f"unreadable: {type(exc).__name__}")
    try:
        with transaction.atomic():
            return _ingest_parsed(organisation, parsed, now=_now(now))
    except (ValidationError, PermissionDenied) as exc:
        reason = "; ".join(getattr(exc, "messages", [str(exc)])) or type(exc).__name__
        return _log_inbound(organisation, parsed, "ignored", f"rejected: {reason}"[:255])


def _log_inbound(
    organisation, parsed, action, reason, ticket=None, attachments=None
) -> IngestResult:
    InboundMail.objects.create(
        organisation=organisation,
        message_id=(parsed.message_id if parsed else "")[:255],
        sender=(parsed.sender_email if parsed else "")[:255],
        subject=(parsed.subject if parsed else "")[:255],
        action=action,
        reason=reason[:255],
        ticket=ticket,
    )
    if action == "ignored":
        logger.info(
            "inbound mail ignored", extra={"reason": reason, "organisation": organisation.slug}
        )
    return IngestResult(action=action, reason=reason, ticket=ticket, attachments=attachments or [])


def _ingest_parsed(organisation: Organisation, parsed, *, now) -> IngestResult:
    cfg = settings_for(organisation)
    if parsed.bounce_reason:
        return _log_inbound(organisation, parsed, "ignored", f"bounce: {parsed.bounce_reason}")
    if parsed.auto_reason:
        return _log_inbound(organisation, parsed, "ignored", f"auto-reply: {parsed.auto_reason}")
    if not parsed.sender_email:
        return _log_inbound(organisation, parsed, "ignored", "no sender address")
    own = {a.lower() for a in (cfg.support_address, organisation.email) if a}
    if parsed.sender_email.lower() in own:
        return _log_inbound(organisation, parsed, "ignored", "loop: sent by our own address")
    if parsed.message_id and (
        Message.objects.filter(
            ticket__organisation=organisation, email_message_id=parsed.message_id
        ).exists()
    ):
        return _log_inbound(organisation, parsed, "ignored", "duplicate Message-ID")
    if BlockedSender.objects.filter(
        organisation=organisation, email__iexact=parsed.sender_email
    ).exists():
        return _log_inbound(organisation, parsed, "ignored", "blocked sender")
    files, skipped = [], []
    for att in parsed.attachments:
        if len(att.content) > cfg.max_attachment_bytes:
            skipped.append(att.filename)
            continue
        files.append((att.filename, att.content, att.content_type))
    names = [f[0] for f in files]
    user = User.objects.filter(email__iexact=parsed.sender_email).first()
    member = (
        user is not None
        and Membership.objects.filter(user=user, organisation=organisation).exists()
    )
    ticket = _find_thread(organisation, parsed)
    body = parsed.text or _("(no text)")
    if skipped:
        body += "\n\n" + _("[Attachments too large, not kept: %(names)s]") % {
            "names": ", ".join(skipped)
        }
    if ticket is not None:
        ticket = _lock(ticket)
        if ticket.merged_into_id:
            ticket = _lock(ticket.merged_into)
        is_agent = member and user.has_perm("helpdesk.work", ticket)
        if is_agent:
            message = Message.objects.create(
                ticket=ticket,
                kind=Message.Kind.PUBLIC,
                author=user,
                author_email=user.email,
                from_agent=True,
                body=body,
                channel=Ticket.Channel.EMAIL,
                email_message_id=parsed.message_id[:255],
                created_at=now,
            )
            _store_attachments(message, files)
            ticket.first_response_at = ticket.first_response_at or now
            ticket.last_agent_reply_at = now
            ticket.updated_at = now
            ticket.save()
            _event(ticket, "replied", user, message=message.pk, channel="email")
        else:
            _customer_reply(
                ticket,
                body=body,
                author=user if member else None,
                author_email=parsed.sender_email,
                files=files,
                channel=Ticket.Channel.EMAIL,
                email_message_id=parsed.message_id,
                now=now,
            )
        return _log_inbound(organisation, parsed, "reply", "threaded", ticket, names)
    if user is not None and not member:
        user = None  # a known person who is not a customer here: keep the address only
    if user is None and parsed.sender_email:
        user = None
    ticket = create_ticket(
        organisation=organisation,
        subject=(parsed.subject or _("(no subject)"))[:255],
        description=body,
        customer=user,
        customer_email=parsed.sender_email,
        customer_name=parsed.sender_name,
        attachments=files,
        channel=Ticket.Channel.EMAIL,
        email_message_id=parsed.message_id,
        now=now,
        check_limits=True,
    )
    return _log_inbound(
        organisation,
        parsed,
        "ticket",
        "new ticket" + (" (spam suspected)" if ticket.is_spam else ""),
        ticket,
        names,
    )


# ===========================================================================================
# Webhooks
# ===========================================================================================
def _emit(ticket: Ticket, event: str, **data) -> None:
    hooks = [
        h
        for h in Webhook.objects.filter(organisation_id=ticket.organisation_id, is_active=True)
        if h.wants(event)
    ]
    if not hooks:
        return
    from concierge.helpdesk.tasks import deliver_webhook

    payload = {
        "event": event,
        "organisation": ticket.organisation.slug,
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue": ticket.queue.name if ticket.queue else None,
            "assignee": ticket.assignee.email if ticket.assignee else None,
        },
        "data": data,
        "at": timezone.now().isoformat(),
    }
    for hook in hooks:
        delivery = WebhookDelivery.objects.create(
            webhook=hook, event=event, payload=payload, next_attempt_at=timezone.now()
        )
        enqueue_on_commit(deliver_webhook, delivery.pk)


def deliver_webhook_now(*, delivery_id: int, opener=None, now=None) -> bool:
    """POST one delivery, signed; on failure schedule a retry with exponential back-off."""
    now = _now(now)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return False
        delivery.attempts += 1
        try:
            code = post_signed(
                url=delivery.webhook.url,
                secret=delivery.webhook.secret,
                payload=delivery.payload,
                headers={
                    "X-Concierge-Event": delivery.event,
                    "X-Concierge-Delivery": str(delivery.pk),
                },
                opener=opener,
            )
        except Exception as exc:
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if delivery.attempts >= WEBHOOK_MAX_ATTEMPTS:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + timedelta(minutes=2**delivery.attempts)
            delivery.save()
            return False
        delivery.status = WebhookDelivery.Status.SENT
        delivery.response_code = code
        delivery.next_attempt_at = None
        delivery.last_error = ""
        delivery.save()
        return True


def due_webhook_deliveries(*, now=None) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=_now(now)
        ).values_list("pk", flat=True)[:200]
    )


# ===========================================================================================
# Settings (managers): queues and members, routing rules, SLA policies, business hours,
# holidays, inbound mail, webhooks, KB/ticket categories, canned responses
# ===========================================================================================
#: organisation-owned settings rows a manager edits through `save_setting`/`delete_setting`
SETTING_MODELS = (
    Queue,
    RoutingRule,
    SLAPolicy,
    Holiday,
    Webhook,
    KBCategory,
    TicketCategory,
    CannedResponse,
)
#: (model, field) pairs that must be unique per organisation, with the message to show
_UNIQUE_PER_ORGANISATION = {
    Queue: ("name", _lazy("A queue with this name already exists.")),
    SLAPolicy: ("priority", _lazy("There is already a policy for this priority.")),
    Holiday: ("day", _lazy("This day is already a holiday.")),
    KBCategory: ("slug", _lazy("A category with this short name already exists.")),
    TicketCategory: ("name", _lazy("A category with this name already exists.")),
}


def _check_unique(obj) -> None:
    rule = _UNIQUE_PER_ORGANISATION.get(type(obj))
    if rule is None:
        return
    field_name, message = rule
    value = getattr(obj, field_name)
    # names compare without case; dates and choices exactly (PostgreSQL has no UPPER(date))
    op = "iexact" if isinstance(value, str) and field_name in ("name", "slug") else "exact"
    lookup = {"organisation_id": obj.organisation_id, f"{field_name}__{op}": value}
    if type(obj).objects.filter(**lookup).exclude(pk=obj.pk).exists():
        raise ValidationError({field_name: message})


def _check_references(obj, organisation: Organisation) -> None:
    """A rule may only point at this organisation's queue and category; a queue manager must
    work here."""
    errors = {}
    if isinstance(obj, RoutingRule):
        if obj.queue_id and obj.queue.organisation_id != organisation.pk:
            errors["queue"] = _("Choose a queue of this organisation.")
        if obj.category_id and obj.category.organisation_id != organisation.pk:
            errors["category"] = _("Choose a category of this organisation.")
    manager_works_here = (
        not isinstance(obj, Queue)
        or obj.manager_id is None
        or Membership.objects.filter(
            user_id=obj.manager_id, organisation=organisation, role__in=list(WORKER_ROLES)
        ).exists()
    )
    if not manager_works_here:
        errors["manager"] = _("The queue manager must be an agent of the organisation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_setting(*, actor: User, organisation: Organisation, obj):
    """Create or change one settings row (a queue, rule, policy, holiday, webhook, category or
    canned response) of `organisation`; invalid values raise ValidationError by field."""
    require(actor, "helpdesk.manage", organisation)
    if not isinstance(obj, SETTING_MODELS):
        raise TypeError(f"{type(obj).__name__} is not a helpdesk setting")
    if obj.pk is not None and obj.organisation_id != organisation.pk:
        raise PermissionDenied("Not allowed: helpdesk.manage")
    obj.organisation = organisation
    if isinstance(obj, KBCategory) and not obj.slug:
        obj.slug = slugify(obj.name)[:80] or "category"
    if isinstance(obj, Webhook) and not obj.secret:
        obj.secret = new_webhook_secret()
    _check_unique(obj)
    _check_references(obj, organisation)
    obj.full_clean()
    obj.save()
    return obj


@dataclass(frozen=True)
class DeletionOutcome:
    """What deleting a settings row did to the rows that pointed at it."""

    tickets_kept: int = 0
    articles_kept: int = 0
    rules_removed: int = 0

    def describe(self) -> str:
        parts = []
        if self.tickets_kept:
            parts.append(
                _("%(n)s tickets were kept with their history; the field is now empty.")
                % {"n": self.tickets_kept}
            )
        if self.articles_kept:
            parts.append(
                _("%(n)s articles were kept without a category.") % {"n": self.articles_kept}
            )
        if self.rules_removed:
            parts.append(
                _("%(n)s routing rules that depended on it were removed.")
                % {"n": self.rules_removed}
            )
        return " ".join(parts)


def deletion_effects(obj) -> DeletionOutcome:
    """What `delete_setting` would do, for the confirmation page (nothing is changed)."""
    if isinstance(obj, Queue):
        return DeletionOutcome(
            tickets_kept=Ticket.objects.filter(queue=obj).count(),
            rules_removed=RoutingRule.objects.filter(queue=obj).count(),
        )
    if isinstance(obj, TicketCategory):
        return DeletionOutcome(
            tickets_kept=Ticket.objects.filter(category=obj).count(),
            rules_removed=RoutingRule.objects.filter(category=obj).count(),
        )
    if isinstance(obj, KBCategory):
        return DeletionOutcome(articles_kept=Article.objects.filter(category=obj).count())
    return DeletionOutcome()


def _log_on_tickets(tickets, *, actor: User, kind: str, **data) -> None:
    """One history line per ticket, written in batches (a queue may hold many tickets)."""
    name = actor.name if actor else ""
    ids = tickets.order_by().values_list("pk", flat=True)
    batch: list[TicketEvent] = []
    for ticket_id in ids.iterator(chunk_size=2000):
        batch.append(
            TicketEvent(ticket_id=ticket_id, actor=actor, actor_name=name, kind=kind, data=data)
        )
        if len(batch) >= 2000:
            TicketEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        TicketEvent.objects.bulk_create(batch)


@transaction.atomic
def delete_setting(*, actor: User, obj) -> DeletionOutcome:
    """Delete one settings row. Tickets are never deleted: a deleted queue or category leaves
    its tickets with an empty field and a history line; rules that pointed at it go."""
    if not isinstance(obj, SETTING_MODELS):
        raise TypeError(f"{type(obj).__name__} is not a helpdesk setting")
    require(actor, "helpdesk.manage", obj.organisation)
    outcome = deletion_effects(obj)
    if isinstance(obj, Queue):
        _log_on_tickets(
            Ticket.objects.filter(queue=obj),
            actor=actor,
            kind="queue",
            old=obj.name,
            new=None,
            reason="queue deleted",
        )
    elif isinstance(obj, TicketCategory):
        _log_on_tickets(
            Ticket.objects.filter(category=obj),
            actor=actor,
            kind="category",
            old=obj.name,
            new=None,
            reason="category deleted",
        )
    obj.delete()
    return outcome


@transaction.atomic
def save_queue(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    assignment: str = Queue.Assignment.LEAST_OPEN,
    manager: User | None = None,
) -> Queue:
    """Create the queue called `name`, or change its assignment and manager (demo data)."""
    queue = Queue.objects.filter(organisation=organisation, name=name.strip()).first() or Queue()
    queue.name, queue.assignment, queue.manager = name.strip(), assignment, manager
    return save_setting(actor=actor, organisation=organisation, obj=queue)


@transaction.atomic
def delete_queue(*, actor: User, queue: Queue) -> DeletionOutcome:
    """Tickets stay (their queue becomes empty) and each keeps a history line."""
    return delete_setting(actor=actor, obj=queue)


def _clean_languages(languages: str | list[str]) -> str:
    codes = languages.split(",") if isinstance(languages, str) else list(languages)
    codes = [c.strip() for c in codes if c.strip()]
    unknown = [c for c in codes if c not in KB_LANGUAGES]
    if unknown or not codes:
        message = _("Choose one or more of: %(codes)s.") % {"codes": ", ".join(KB_LANGUAGES)}
        raise ValidationError({"languages": message})
    return ",".join(dict.fromkeys(codes))


@transaction.atomic
def add_queue_member(
    *, actor: User, queue: Queue, user: User, languages: str = "en", available: bool = True
) -> QueueMember:
    """Put an agent into a queue (or change the languages and availability they have there)."""
    require(actor, "helpdesk.manage", queue.organisation)
    languages = _clean_languages(languages)
    if not Membership.objects.filter(
        user=user, organisation=queue.organisation, role__in=list(WORKER_ROLES)
    ).exists():
        raise ValidationError({"user": _("Only agents of the organisation can join a queue.")})
    member, _c = QueueMember.objects.update_or_create(
        queue=queue, user=user, defaults={"languages": languages, "is_available": available}
    )
    return member


@transaction.atomic
def update_queue_member(
    *, actor: User, member: QueueMember, languages: str | list[str], available: bool
) -> QueueMember:
    require(actor, "helpdesk.manage", member.queue.organisation)
    member.languages = _clean_languages(languages)
    member.is_available = available
    member.save(update_fields=["languages", "is_available"])
    return member


@transaction.atomic
def remove_queue_member(*, actor: User, member: QueueMember) -> None:
    """The agent leaves the queue; tickets already assigned to them stay assigned."""
    require(actor, "helpdesk.manage", member.queue.organisation)
    if member.queue.last_assigned_id == member.user_id:
        Queue.objects.filter(pk=member.queue_id).update(last_assigned=None)
    member.delete()


def check_business_hours(cfg: HelpdeskSettings) -> None:
    """Raise ValidationError (by field) for hours or days that make no sense."""
    errors = {}
    if cfg.work_start and cfg.work_end and cfg.work_start >= cfg.work_end:
        errors["work_end"] = _("The working day must end after it starts.")
    days = [d.strip() for d in (cfg.work_days or "").split(",") if d.strip()]
    if not days or any(not d.isdigit() or int(d) > 6 for d in days):
        errors["work_days"] = _("Choose at least one working day.")
    if cfg.auto_close_days and cfg.pending_reminder_days >= cfg.auto_close_days:
        errors["auto_close_days"] = _("Close waiting tickets only after the reminder has gone.")
    if errors:
        raise ValidationError(errors)


HOURS_FIELDS = (
    "work_start",
    "work_end",
    "work_days",
    "pending_reminder_days",
    "auto_close_days",
    "reopen_days",
    "max_attachment_bytes",
    "tickets_per_hour_per_customer",
    "tickets_per_hour_per_ip",
)
INBOUND_FIELDS = (
    "support_address",
    "imap_host",
    "imap_port",
    "imap_user",
    "imap_folder",
    "imap_ssl",
)


@transaction.atomic
def save_business_hours(
    *, actor: User, organisation: Organisation, cfg: HelpdeskSettings
) -> HelpdeskSettings:
    """Working hours and days, pending/auto-close/reopen days and limits; re-times nothing
    already due (open tickets keep their due dates; new ones use the new calendar)."""
    require(actor, "helpdesk.manage", organisation)
    if cfg.organisation_id != organisation.pk:
        raise PermissionDenied("Not allowed: helpdesk.manage")
    cfg.work_days = ",".join(
        str(d) for d in sorted({int(d) for d in cfg.work_days.split(",") if d.strip().isdigit()})
    )
    check_business_hours(cfg)
    cfg.full_clean(exclude=["next_number"])
    cfg.save(update_fields=list(HOURS_FIELDS))
    return cfg


@transaction.atomic
def save_inbound_settings(
    *,
    actor: User,
    organisation: Organisation,
    cfg: HelpdeskSettings,
    password: str | None = None,
    clear_password: bool = False,
) -> HelpdeskSettings:
    """Support address and IMAP mailbox. The stored password is kept unless a new one is
    given (`password`) or `clear_password` is set; it is never read back."""
    require(actor, "helpdesk.manage", organisation)
    if cfg.organisation_id != organisation.pk:
        raise PermissionDenied("Not allowed: helpdesk.manage")
    fields = list(INBOUND_FIELDS)
    if clear_password:
        cfg.imap_password = ""
        fields.append("imap_password")
    elif password:
        cfg.imap_password = password
        fields.append("imap_password")
    if cfg.imap_host and not cfg.imap_user:
        raise ValidationError({"imap_user": _("Give the mailbox user name.")})
    if cfg.imap_host and not cfg.imap_password:
        raise ValidationError({"password": _("Give the mailbox password.")})
    cfg.full_clean(exclude=["next_number"])
    cfg.save(update_fields=fields)
    return cfg


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


@transaction.atomic
def save_webhook(
    *, actor: User, organisation: Organisation, url: str, events: str = "*"
) -> Webhook:
    hook = Webhook(url=url, events=events or "*")
    return save_setting(actor=actor, organisation=organisation, obj=hook)


@transaction.atomic
def regenerate_webhook_secret(*, actor: User, webhook: Webhook) -> str:
    """A new signing secret; the old one stops working at once. Shown once to the caller."""
    require(actor, "helpdesk.manage", webhook.organisation)
    webhook.secret = new_webhook_secret()
    webhook.save(update_fields=["secret"])
    return webhook.secret


@transaction.atomic
def retry_webhook_delivery(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a failed (or still pending) delivery again now, with one more attempt allowed."""
    require(actor, "helpdesk.manage", delivery.webhook.organisation)
    if delivery.status == WebhookDelivery.Status.SENT:
        raise ValidationError(_("This delivery was already sent."))
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = min(delivery.attempts, WEBHOOK_MAX_ATTEMPTS - 1)
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    from concierge.helpdesk.tasks import deliver_webhook

    enqueue_on_commit(deliver_webhook, delivery.pk)
    return delivery


def last_public_message_id(ticket: Ticket) -> int:
    return ticket.messages.filter(kind=Message.Kind.PUBLIC).aggregate(m=Max("pk"))["m"] or 0
