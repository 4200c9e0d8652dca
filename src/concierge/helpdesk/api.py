"""/api/helpdesk/ — thin: parse, call a service or selector, answer. Errors map to 4xx JSON.

(No `from __future__ import annotations`: the settings endpoints are built in a loop and ninja
reads their payload types from the live annotations.)"""

from datetime import date, datetime, time

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import APIKeyHeader

from concierge.accounts.models import Organisation
from concierge.core.api import AUTH, ErrorOut, Pagination
from concierge.core.permissions import require
from concierge.helpdesk import selectors, services, settings_selectors
from concierge.helpdesk.models import HelpdeskSettings, Ticket, Webhook
from concierge.helpdesk.settings_views import SECTIONS

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


# ===========================================================================================
# Settings (managers and admins; anyone else gets 404). Payloads go through the same forms as
# the pages, so a bad value is the same field error (422) in both.
# ===========================================================================================
def _managed(request, slug: str) -> Organisation:
    """Strangers get 404; members who are not managers or admins get 403."""
    organisation = settings_selectors.member_organisation(slug=slug, user=request.auth)
    require(request.auth, "helpdesk.manage", organisation)
    return organisation


def _form_error(form) -> ValidationError:
    return ValidationError(form.errors.as_data())


def _bound(form_class, obj, payload: dict, **form_kwargs):
    """A form bound to the row's current values overlaid with what the payload sets."""
    current = form_class(instance=obj, **form_kwargs)
    data = {name: current[name].value() for name in current.fields}
    data = {k: v for k, v in data.items() if v is not None}
    # an explicit null clears the field (a required one then answers 422)
    data.update({k: "" if v is None else v for k, v in payload.items()})
    return form_class(data=data, instance=obj, **form_kwargs)


def _save_section(request, organisation, key: str, obj, payload: dict):
    section = SECTIONS[key]
    form = _bound(section.form, obj, payload, **section.form_kwargs(organisation))
    if not form.is_valid():
        raise _form_error(form)
    return services.save_setting(actor=request.auth, organisation=organisation, obj=form.instance)


class DeletedOut(Schema):
    detail: str
    tickets_kept: int
    articles_kept: int
    rules_removed: int


class QueueMemberOut(Schema):
    id: int
    user_email: str
    name: str
    languages: list[str]
    is_available: bool

    @staticmethod
    def resolve_user_email(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.user.name

    @staticmethod
    def resolve_languages(obj) -> list[str]:
        return [c.strip() for c in obj.languages.split(",") if c.strip()]


class QueueOut(Schema):
    id: int
    name: str
    assignment: str
    manager: int | None
    members: list[QueueMemberOut]

    @staticmethod
    def resolve_manager(obj) -> int | None:
        return obj.manager_id

    @staticmethod
    def resolve_members(obj) -> list:
        return list(settings_selectors.queue_members(queue=obj))


class QueueIn(Schema):
    name: str | None = None
    assignment: str | None = None
    manager: int | None = None


class RuleOut(Schema):
    id: int
    name: str
    position: int
    category: int | None
    keywords: str
    language: str
    customer_domain: str
    queue: int
    priority: str
    is_active: bool

    @staticmethod
    def resolve_category(obj) -> int | None:
        return obj.category_id

    @staticmethod
    def resolve_queue(obj) -> int:
        return obj.queue_id


class RuleIn(Schema):
    name: str | None = None
    position: int | None = None
    category: int | None = None
    keywords: str | None = None
    language: str | None = None
    customer_domain: str | None = None
    queue: int | None = None
    priority: str | None = None
    is_active: bool | None = None
    match_all: bool | None = None


class SLAOut(Schema):
    id: int
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int


class SLAIn(Schema):
    priority: str | None = None
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warn_before_minutes: int | None = None


class HolidayOut(Schema):
    id: int
    day: date
    name: str


class HolidayIn(Schema):
    day: date | None = None
    name: str | None = None


class WebhookOut(Schema):
    """The secret is never read back: it is given once, on creation or regeneration."""

    id: int
    url: str
    events: str
    is_active: bool


class WebhookCreatedOut(WebhookOut):
    secret: str


class WebhookIn(Schema):
    url: str | None = None
    events: str | None = None
    is_active: bool | None = None


class CategoryOut(Schema):
    id: int
    name: str
    names: dict[str, str]


class KBCategoryOut(CategoryOut):
    slug: str
    position: int


class TicketCategoryIn(Schema):
    name: str | None = None
    name_hi: str | None = None
    name_ta: str | None = None


class KBCategoryIn(TicketCategoryIn):
    slug: str | None = None
    position: int | None = None


class CannedOut(Schema):
    id: int
    title: str
    body: str


class CannedIn(Schema):
    title: str | None = None
    body: str | None = None


def _webhook_payload(payload: dict) -> dict:
    """`events` as the model stores it ("*" or comma-separated) → the form's ticked events."""
    events = payload.pop("events", None)
    if events is not None:
        names = [e.strip() for e in events.split(",") if e.strip()]
        payload["event_names"] = [] if "*" in names else names
    return payload


def _add_crud(key: str, segment: str, out_schema, in_schema, *, create: bool = True) -> None:
    """GET (list), POST, GET one, PATCH and DELETE for one settings section."""
    model = SECTIONS[key].model
    prepare = _webhook_payload if key == "webhooks" else dict

    def list_rows(request, org: str):
        organisation = _managed(request, org)
        return list(settings_selectors.setting_rows(organisation=organisation, model=model))

    def get_row(request, org: str, pk: int):
        organisation = _managed(request, org)
        return settings_selectors.setting_or_404(
            user=request.auth, organisation=organisation, model=model, pk=pk
        )

    def create_row(request, org: str, payload: in_schema):
        organisation = _managed(request, org)
        obj = model(organisation=organisation)
        data = prepare(payload.dict(exclude_unset=True))
        return 201, _save_section(request, organisation, key, obj, data)

    def update_row(request, org: str, pk: int, payload: in_schema):
        organisation = _managed(request, org)
        obj = settings_selectors.setting_or_404(
            user=request.auth, organisation=organisation, model=model, pk=pk
        )
        return _save_section(
            request, organisation, key, obj, prepare(payload.dict(exclude_unset=True))
        )

    def delete_row(request, org: str, pk: int):
        organisation = _managed(request, org)
        obj = settings_selectors.setting_or_404(
            user=request.auth, organisation=organisation, model=model, pk=pk
        )
        outcome = services.delete_setting(actor=request.auth, obj=obj)
        return {
            "detail": " ".join(filter(None, [_("Deleted."), outcome.describe()])),
            "tickets_kept": outcome.tickets_kept,
            "articles_kept": outcome.articles_kept,
            "rules_removed": outcome.rules_removed,
        }

    name = segment.replace("-", "_")
    base, one = f"/{{org}}/{segment}", f"/{{org}}/{segment}/{{pk}}"
    router.get(base, response={200: list[out_schema], **ERRORS}, operation_id=f"list_{name}")(
        list_rows
    )
    if create:
        router.post(base, response={201: out_schema, **ERRORS}, operation_id=f"create_{name}")(
            create_row
        )
    router.get(one, response={200: out_schema, **ERRORS}, operation_id=f"get_{name}")(get_row)
    router.patch(one, response={200: out_schema, **ERRORS}, operation_id=f"update_{name}")(
        update_row
    )
    router.delete(one, response={200: DeletedOut, **ERRORS}, operation_id=f"delete_{name}")(
        delete_row
    )


_add_crud("queues", "queues", QueueOut, QueueIn)
_add_crud("rules", "routing-rules", RuleOut, RuleIn)
_add_crud("sla", "sla-policies", SLAOut, SLAIn)
_add_crud("holidays", "holidays", HolidayOut, HolidayIn)
_add_crud("webhooks", "webhooks", WebhookOut, WebhookIn, create=False)
_add_crud("kb-categories", "kb-categories", KBCategoryOut, KBCategoryIn)
_add_crud("ticket-categories", "ticket-categories", CategoryOut, TicketCategoryIn)
_add_crud("canned", "canned-responses", CannedOut, CannedIn)


# --- queue members -------------------------------------------------------------------------
class QueueMemberIn(Schema):
    user_email: str
    languages: list[str] = ["en"]
    is_available: bool = True


class QueueMemberPatch(Schema):
    languages: list[str] | None = None
    is_available: bool | None = None


def _managed_queue(request, org: str, pk: int):
    organisation = _managed(request, org)
    return settings_selectors.setting_or_404(
        user=request.auth, organisation=organisation, model=SECTIONS["queues"].model, pk=pk
    )


@router.post("/{org}/queues/{pk}/members", response={201: QueueMemberOut, **ERRORS})
def add_queue_member(request, org: str, pk: int, payload: QueueMemberIn):
    """Managers: put an agent (by e-mail) into the queue with the languages they answer in."""
    queue = _managed_queue(request, org, pk)
    user = (
        settings_selectors.agents(organisation=queue.organisation)
        .filter(email__iexact=payload.user_email)
        .first()
    )
    if user is None:
        raise ValidationError({"user_email": _("No agent of this organisation has this e-mail.")})
    member = services.add_queue_member(
        actor=request.auth,
        queue=queue,
        user=user,
        languages=",".join(payload.languages),
        available=payload.is_available,
    )
    return 201, member


@router.patch("/{org}/queues/{pk}/members/{member_id}", response={200: QueueMemberOut, **ERRORS})
def update_queue_member(request, org: str, pk: int, member_id: int, payload: QueueMemberPatch):
    queue = _managed_queue(request, org, pk)
    member = settings_selectors.queue_member_or_404(user=request.auth, queue=queue, pk=member_id)
    return services.update_queue_member(
        actor=request.auth,
        member=member,
        languages=payload.languages if payload.languages is not None else member.languages,
        available=member.is_available if payload.is_available is None else payload.is_available,
    )


@router.delete("/{org}/queues/{pk}/members/{member_id}", response={204: None, **ERRORS})
def remove_queue_member(request, org: str, pk: int, member_id: int):
    queue = _managed_queue(request, org, pk)
    member = settings_selectors.queue_member_or_404(user=request.auth, queue=queue, pk=member_id)
    services.remove_queue_member(actor=request.auth, member=member)
    return 204, None


# --- business hours and inbound mail -------------------------------------------------------
class BusinessHoursOut(Schema):
    work_start: time
    work_end: time
    work_days: list[int]
    pending_reminder_days: int
    auto_close_days: int
    reopen_days: int
    max_attachment_bytes: int
    tickets_per_hour_per_customer: int
    tickets_per_hour_per_ip: int

    @staticmethod
    def resolve_work_days(obj) -> list[int]:
        return sorted(obj.working_weekdays)


class BusinessHoursIn(Schema):
    work_start: time | None = None
    work_end: time | None = None
    work_days: list[int] | None = None
    pending_reminder_days: int | None = None
    auto_close_days: int | None = None
    reopen_days: int | None = None
    max_attachment_mb: int | None = None
    tickets_per_hour_per_customer: int | None = None
    tickets_per_hour_per_ip: int | None = None


@router.get("/{org}/business-hours", response={200: BusinessHoursOut, **ERRORS})
def get_business_hours(request, org: str):
    organisation = _managed(request, org)
    return settings_selectors.helpdesk_settings(organisation=organisation)


@router.patch("/{org}/business-hours", response={200: BusinessHoursOut, **ERRORS})
def update_business_hours(request, org: str, payload: BusinessHoursIn):
    """Managers: working hours and days (Monday = 0), pending/auto-close/reopen days, limits."""
    from concierge.helpdesk.forms import BusinessHoursForm

    organisation = _managed(request, org)
    data = payload.dict(exclude_unset=True)
    if data.get("work_days") is not None:
        data["work_days"] = [str(d) for d in data["work_days"]]
    form = _bound(BusinessHoursForm, services.settings_for(organisation), data)
    if not form.is_valid():
        raise _form_error(form)
    return services.save_business_hours(
        actor=request.auth, organisation=organisation, cfg=form.instance
    )


class InboundSettingsOut(Schema):
    """The IMAP password is write-only: `has_password` says whether one is stored."""

    support_address: str
    imap_host: str
    imap_port: int
    imap_user: str
    imap_folder: str
    imap_ssl: bool
    has_password: bool
    has_token: bool

    @staticmethod
    def resolve_has_password(obj: HelpdeskSettings) -> bool:
        return bool(obj.imap_password)

    @staticmethod
    def resolve_has_token(obj: HelpdeskSettings) -> bool:
        return bool(obj.inbound_token_hash)


class InboundSettingsIn(Schema):
    support_address: str | None = None
    imap_host: str | None = None
    imap_port: int | None = None
    imap_user: str | None = None
    imap_folder: str | None = None
    imap_ssl: bool | None = None
    password: str | None = None
    clear_password: bool = False


@router.get("/{org}/inbound-settings", response={200: InboundSettingsOut, **ERRORS})
def get_inbound_settings(request, org: str):
    organisation = _managed(request, org)
    return settings_selectors.helpdesk_settings(organisation=organisation)


@router.patch("/{org}/inbound-settings", response={200: InboundSettingsOut, **ERRORS})
def update_inbound_settings(request, org: str, payload: InboundSettingsIn):
    """Managers: the support address and IMAP mailbox. A password given is stored and never
    returned; leave it out to keep the stored one, or send `clear_password: true`."""
    from concierge.helpdesk.forms import InboundMailForm

    organisation = _managed(request, org)
    data = payload.dict(exclude_unset=True)
    password, clear = data.pop("password", None), data.pop("clear_password", False)
    form = _bound(InboundMailForm, services.settings_for(organisation), data)
    if not form.is_valid():
        raise _form_error(form)
    return services.save_inbound_settings(
        actor=request.auth,
        organisation=organisation,
        cfg=form.instance,
        password=password,
        clear_password=clear,
    )


class TokenOut(Schema):
    token: str


@router.post("/{org}/inbound-token", response={201: TokenOut, **ERRORS})
def make_inbound_token(request, org: str):
    """Managers: a new `X-Helpdesk-Token` for POST /inbound (shown once; the old one stops)."""
    organisation = _managed(request, org)
    return 201, {
        "token": services.issue_inbound_token(actor=request.auth, organisation=organisation)
    }


# --- webhooks ------------------------------------------------------------------------------
class DeliveryOut(Schema):
    id: int
    event: str
    status: str
    attempts: int
    response_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime


class SecretOut(Schema):
    secret: str


@router.post("/{org}/webhooks", response={201: WebhookCreatedOut, **ERRORS})
def create_webhook(request, org: str, payload: WebhookIn):
    """Managers: events are signed with HMAC-SHA256 of the body using `secret`
    (`X-Concierge-Signature: sha256=…`). The secret is in this answer only."""
    organisation = _managed(request, org)
    obj = Webhook(organisation=organisation)
    data = _webhook_payload(payload.dict(exclude_unset=True))
    return 201, _save_section(request, organisation, "webhooks", obj, data)


def _managed_webhook(request, org: str, pk: int) -> Webhook:
    organisation = _managed(request, org)
    return settings_selectors.setting_or_404(
        user=request.auth, organisation=organisation, model=Webhook, pk=pk
    )


@router.post("/{org}/webhooks/{pk}/secret", response={201: SecretOut, **ERRORS})
def regenerate_webhook_secret(request, org: str, pk: int):
    """A new signing secret, in this answer only; the old one stops signing at once."""
    hook = _managed_webhook(request, org, pk)
    return 201, {"secret": services.regenerate_webhook_secret(actor=request.auth, webhook=hook)}


@router.get("/{org}/webhooks/{pk}/deliveries", response={200: list[DeliveryOut], **ERRORS})
def list_webhook_deliveries(request, org: str, pk: int, limit: int = 20):
    hook = _managed_webhook(request, org, pk)
    return settings_selectors.webhook_deliveries(webhook=hook, limit=max(1, min(limit, 200)))


@router.post(
    "/{org}/webhooks/{pk}/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **ERRORS}
)
def retry_webhook_delivery(request, org: str, pk: int, delivery_id: int):
    """Send a failed or pending delivery again now (422 when it was already sent)."""
    hook = _managed_webhook(request, org, pk)
    delivery = settings_selectors.webhook_delivery_or_404(
        user=request.auth, webhook=hook, pk=delivery_id
    )
    return services.retry_webhook_delivery(actor=request.auth, delivery=delivery)
