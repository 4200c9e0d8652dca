"""/api/helpdesk/ — thin: parse, call a service or selector, answer. Errors map to 4xx JSON."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import APIKeyHeader

from concierge.accounts.models import Organisation
from concierge.core.api import AUTH, ErrorOut, Pagination
from concierge.helpdesk import selectors, services
from concierge.helpdesk.models import Ticket

router = Router(tags=["helpdesk"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class InboundTokenAuth(APIKeyHeader):
    """`X-Helpdesk-Token: hdin_…` — the organisation's inbound-mail token."""

    param_name = "X-Helpdesk-Token"

    def authenticate(self, request, key):
        return services.organisation_for_inbound_token(key or "")


def _org(request, slug: str) -> Organisation:
    return selectors.helpdesk_organisation(slug=slug, user=request.auth)


# --- schemas -------------------------------------------------------------------------------
class ArticleOut(Schema):
    slug: str
    language: str
    title: str
    body: str
    body_html: str
    url: str
    category: str
    visibility: str


class SearchHitOut(Schema):
    slug: str
    title: str
    snippet: str
    score: float
    url: str
    language: str


class TicketOut(Schema):
    number: int
    subject: str
    status: str
    priority: str
    customer_priority: str
    queue: str | None
    assignee: str | None
    customer_email: str
    language: str
    channel: str
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None

    @staticmethod
    def resolve_queue(obj) -> str | None:
        return obj.queue.name if obj.queue_id else None

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return obj.assignee.email if obj.assignee_id else None


class MessageOut(Schema):
    id: int
    kind: str
    author: str
    from_agent: bool
    body: str
    created_at: datetime
    attachments: list[str]

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.email if obj.author_id else obj.author_email

    @staticmethod
    def resolve_attachments(obj) -> list[str]:
        return [a.name for a in obj.attachments.all()]


class TicketDetailOut(TicketOut):
    description: str
    tags: list[str]
    messages: list[MessageOut]

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_messages(obj) -> list:
        return obj.visible_messages


class TicketIn(Schema):
    subject: str
    description: str
    category_id: int | None = None
    priority: str = "normal"


class ReplyIn(Schema):
    body: str
    seen_message_id: int | None = None
    status_after: str = "pending"
    force: bool = False


class HeldOut(Schema):
    detail: str
    held_reply_id: int
    newer: list[MessageOut]


class NoteIn(Schema):
    body: str


class TicketPatch(Schema):
    status: str | None = None
    priority: str | None = None
    assignee_email: str | None = None
    tags: list[str] | None = None


class InboundOut(Schema):
    action: str
    reason: str
    ticket: int | None
    attachments: list[str | None]


class WebhookIn(Schema):
    url: str
    events: str = "*"


class WebhookOut(Schema):
    id: int
    url: str
    events: str
    secret: str


# --- knowledge base ------------------------------------------------------------------------
def _lang(language: str) -> str:
    return language if language in services.KB_LANGUAGES else "en"


@router.get("/{org}/articles", response={200: list[ArticleOut], **ERRORS})
@paginate(Pagination)
def list_articles(request, org: str, language: str = "en"):
    organisation = _org(request, org)
    return [
        ArticleOut(
            slug=a.article.slug,
            language=a.language,
            title=a.title,
            body=a.body,
            body_html=a.body_html,
            url=a.url,
            category=a.category,
            visibility=a.article.visibility,
        )
        for a in selectors.published_articles(
            organisation=organisation, language=_lang(language), user=request.auth
        )
    ]


@router.get("/{org}/articles/{slug}", response={200: ArticleOut, **ERRORS})
def get_article(request, org: str, slug: str, language: str = "en"):
    organisation = _org(request, org)
    a = selectors.article_for_reader(
        organisation=organisation, slug=slug, language=_lang(language), user=request.auth
    )
    return ArticleOut(
        slug=a.article.slug,
        language=a.language,
        title=a.title,
        body=a.body,
        body_html=a.body_html,
        url=a.url,
        category=a.category,
        visibility=a.article.visibility,
    )


@router.get("/{org}/search", response={200: list[SearchHitOut], **ERRORS})
def search(request, org: str, q: str, language: str = "en", limit: int = 10):
    organisation = _org(request, org)
    hits = selectors.search_articles(
        organisation=organisation,
        query=q[:200],
        language=_lang(language),
        limit=limit,
        user=request.auth,
    )
    return [
        SearchHitOut(
            slug=h.article.slug,
            title=h.title,
            snippet=h.snippet,
            score=h.score,
            url=h.url,
            language=h.translation.language,
        )
        for h in hits
    ]


# --- tickets -------------------------------------------------------------------------------
@router.get("/{org}/tickets", response={200: list[TicketOut], **ERRORS})
@paginate(Pagination)
def list_tickets(
    request, org: str, view: str = "open", status: str = "", priority: str = "", q: str = ""
):
    organisation = _org(request, org)
    if selectors.is_agent(user=request.auth, organisation=organisation):
        return selectors.agent_tickets(
            agent=request.auth,
            organisation=organisation,
            filters=selectors.TicketFilters(view=view, status=status, priority=priority, q=q),
        )
    return selectors.customer_tickets(customer=request.auth, organisation=organisation)


@router.post("/{org}/tickets", response={201: TicketOut, **ERRORS})
def create_ticket(request, org: str, payload: TicketIn):
    organisation = _org(request, org)
    category = None
    if payload.category_id is not None:
        category = (
            selectors.ticket_categories(organisation=organisation)
            .filter(pk=payload.category_id)
            .first()
        )
        if category is None:
            raise ValidationError({"category_id": "Unknown category."})
    ticket = services.create_ticket(
        organisation=organisation,
        customer=request.auth,
        subject=payload.subject,
        description=payload.description,
        category=category,
        customer_priority=payload.priority,
        channel=Ticket.Channel.API,
        source_ip=request.META.get("REMOTE_ADDR"),
    )
    return 201, ticket


def _detail(request, ticket: Ticket) -> Ticket:
    agent = selectors.is_agent(user=request.auth, organisation=ticket.organisation)
    ticket.visible_messages = selectors.conversation(ticket=ticket, include_notes=agent)
    return ticket


@router.get("/{org}/tickets/{number}", response={200: TicketDetailOut, **ERRORS})
def get_ticket(request, org: str, number: int):
    organisation = _org(request, org)
    ticket = selectors.ticket_for(user=request.auth, organisation=organisation, number=number)
    return _detail(request, ticket)


@router.patch("/{org}/tickets/{number}", response={200: TicketOut, **ERRORS})
def update_ticket(request, org: str, number: int, payload: TicketPatch):
    organisation = _org(request, org)
    ticket = selectors.ticket_for(user=request.auth, organisation=organisation, number=number)
    assignee = False
    if payload.assignee_email is not None:
        assignee = None
        if payload.assignee_email:
            assignee = (
                selectors.agents_of(organisation=organisation)
                .filter(email__iexact=payload.assignee_email)
                .first()
            )
            if assignee is None:
                raise ValidationError({"assignee_email": "No agent with this e-mail."})
    ticket = services.change_ticket(
        agent=request.auth,
        ticket=ticket,
        status=payload.status,
        priority=payload.priority,
        assignee=assignee,
        tags=payload.tags,
    )
    return ticket


@router.post("/{org}/tickets/{number}/replies", response={201: MessageOut, 409: HeldOut, **ERRORS})
def reply(request, org: str, number: int, payload: ReplyIn):
    """Agents: pass `seen_message_id` (the last public message you saw). When someone replied
    since, the reply is held (409) with the newer messages; resend with `force: true` to send
    anyway. Customers simply reply."""
    organisation = _org(request, org)
    ticket = selectors.ticket_for(user=request.auth, organisation=organisation, number=number)
    if selectors.is_agent(user=request.auth, organisation=organisation):
        seen = payload.seen_message_id
        if seen is None:
            raise ValidationError(
                {"seen_message_id": "Send the id of the last public message you saw."}
            )
        outcome = services.reply_as_agent(
            agent=request.auth,
            ticket=ticket,
            body=payload.body,
            seen_message_id=seen,
            status_after=payload.status_after,
            force=payload.force,
        )
        if outcome.held is not None:
            return 409, {
                "detail": "Someone replied after you opened the ticket; your reply is held.",
                "held_reply_id": outcome.held.pk,
                "newer": outcome.newer,
            }
        return 201, outcome.message
    return 201, services.reply_as_customer(customer=request.auth, ticket=ticket, body=payload.body)


@router.post("/{org}/tickets/{number}/notes", response={201: MessageOut, **ERRORS})
def add_note(request, org: str, number: int, payload: NoteIn):
    organisation = _org(request, org)
    ticket = selectors.ticket_for(user=request.auth, organisation=organisation, number=number)
    return 201, services.add_note(agent=request.auth, ticket=ticket, body=payload.body)


# --- inbound e-mail and webhooks -----------------------------------------------------------
@router.post(
    "/inbound",
    response={200: InboundOut, 413: ErrorOut, **ERRORS},
    auth=[InboundTokenAuth(), *AUTH],
    openapi_extra={
        "requestBody": {
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
            "required": True,
        }
    },
)
def inbound(request, org: str = ""):
    """Post one raw RFC 822 message as the body. Authenticate with the organisation's
    `X-Helpdesk-Token`, or as an agent with `?org=<slug>`."""
    if isinstance(request.auth, Organisation):
        organisation = request.auth
    else:
        if not org:
            raise ValidationError({"org": "Say which organisation (?org=slug)."})
        organisation = _org(request, org)
        if not selectors.is_agent(user=request.auth, organisation=organisation):
            raise Http404
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise HttpError(413, "The message is too large.") from exc
    if not raw:
        raise ValidationError({"body": "Send the raw message as the request body."})
    result = services.ingest_email(organisation=organisation, raw=raw)
    return {
        "action": result.action,
        "reason": result.reason,
        "ticket": result.ticket.number if result.ticket else None,
        "attachments": result.attachments,
    }


@router.post("/{org}/webhooks", response={201: WebhookOut, **ERRORS})
def create_webhook(request, org: str, payload: WebhookIn):
    """Managers: events are signed with HMAC-SHA256 of the body using `secret`
    (`X-Concierge-Signature: sha256=…`)."""
    organisation = _org(request, org)
    hook = services.save_webhook(
        actor=request.auth, organisation=organisation, url=payload.url, events=payload.events
    )
    return 201, hook
