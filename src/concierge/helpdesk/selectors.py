"""Every helpdesk read, scoped to who asks (a stranger gets 404).

Stable for other modules (the chat assistant builds on these — see docs/helpdesk.md):
`published_articles(*, organisation, language, user=None)` and
`search_articles(*, organisation, query, language, limit=10, user=None)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from concierge.accounts.models import WORKER_ROLES, Membership, Organisation, Role
from concierge.accounts.selectors import has_role
from concierge.helpdesk import fts
from concierge.helpdesk.models import (
    Article,
    ArticleTranslation,
    CannedResponse,
    Deflection,
    HeldReply,
    KBCategory,
    Message,
    Queue,
    QueueMember,
    SavedView,
    Tag,
    Ticket,
    TicketCategory,
)
from concierge.helpdesk.sla import BusinessCalendar


# ===========================================================================================
# Organisations and roles
# ===========================================================================================
def helpdesk_organisation(*, slug: str, user=None) -> Organisation:
    """A company organisation whose KB/portal the user may see: public ones for anyone,
    private ones for their members only."""
    org = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.COMPANY).first()
    if org is None:
        raise Http404("Not found.")
    if not org.is_public and not (
        user is not None and has_role(user=user, organisation=org, at_least=Role.CUSTOMER)
    ):
        raise Http404("Not found.")
    return org


def helpdesk_organisations_for(*, user) -> list[tuple[Organisation, str]]:
    """(organisation, role) for every company the user belongs to."""
    if not user.is_authenticated:
        return []
    rows = (
        Membership.objects.filter(user=user, organisation__kind=Organisation.Kind.COMPANY)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return [(m.organisation, m.role) for m in rows]


def is_agent(*, user, organisation) -> bool:
    return has_role(user=user, organisation=organisation, at_least=Role.AGENT)


def is_manager(*, user, organisation) -> bool:
    return has_role(user=user, organisation=organisation, at_least=Role.MANAGER)


# ===========================================================================================
# Knowledge base
# ===========================================================================================
@dataclass(frozen=True)
class ArticleText:
    """One published article in the reader's language (English when not translated)."""

    article: Article
    translation: ArticleTranslation
    language: str
    title: str
    body: str  # Markdown source
    body_html: str  # sanitised HTML
    url: str
    category: str = ""


@dataclass(frozen=True)
class SearchHit:
    article: Article
    translation: ArticleTranslation
    title: str
    snippet: str  # HTML-safe, matched words in <mark>
    score: float
    url: str


def _visibilities(*, organisation, user) -> list[str]:
    if (
        user is not None
        and user.is_authenticated
        and has_role(user=user, organisation=organisation, at_least=Role.CUSTOMER)
    ):
        return [Article.Visibility.PUBLIC, Article.Visibility.CUSTOMERS]
    return [Article.Visibility.PUBLIC]


def article_url(article: Article, organisation: Organisation | None = None) -> str:
    org = organisation or article.organisation
    return reverse("helpdesk:kb_article", args=[org.slug, article.slug])


def _pick(translations, language: str) -> ArticleTranslation | None:
    by_lang = {t.language: t for t in translations}
    return by_lang.get(language) or by_lang.get("en") or next(iter(by_lang.values()), None)


def published_articles(
    *, organisation: Organisation, language: str, user=None, category: KBCategory | None = None
) -> list[ArticleText]:
    """Published articles the reader may see, each in `language` (or English)."""
    qs = (
        Article.objects.filter(
            organisation=organisation,
            status=Article.Status.PUBLISHED,
            visibility__in=_visibilities(organisation=organisation, user=user),
        )
        .select_related("category")
        .prefetch_related("translations")
        .order_by("category__position", "category__name", "slug")
    )
    if category is not None:
        qs = qs.filter(category=category)
    out = []
    for article in qs:
        t = _pick(article.translations.all(), language)
        if t is None:
            continue
        out.append(
            ArticleText(
                article=article,
                translation=t,
                language=t.language,
                title=t.title,
                body=t.body,
                body_html=t.body_html,
                url=article_url(article, organisation),
                category=article.category.name_in(language) if article.category else "",
            )
        )
    return out


def search_articles(
    *, organisation: Organisation, query: str, language: str, limit: int = 10, user=None
) -> list[SearchHit]:
    """Ranked full-text search (FTS5 / PostgreSQL) in `language`, then English to fill up.
    One hit per article."""
    limit = max(1, min(limit, 50))
    vis = _visibilities(organisation=organisation, user=user)
    hits = fts.search(
        organisation_id=organisation.pk,
        language=language,
        query=query,
        visibilities=vis,
        limit=limit,
    )
    if len(hits) < limit and language != "en":
        hits += fts.search(
            organisation_id=organisation.pk,
            language="en",
            query=query,
            visibilities=vis,
            limit=limit,
        )
    if not hits:
        return []
    translations = {
        t.pk: t
        for t in ArticleTranslation.objects.filter(
            pk__in=[h.translation_id for h in hits]
        ).select_related("article")
    }
    out, seen = [], set()
    for hit in hits:
        t = translations.get(hit.translation_id)
        if t is None or t.article_id in seen:
            continue
        seen.add(t.article_id)
        out.append(
            SearchHit(
                article=t.article,
                translation=t,
                title=t.title,
                snippet=hit.snippet,
                score=hit.score,
                url=article_url(t.article, organisation),
            )
        )
    return out[:limit]


def article_for_reader(
    *, organisation: Organisation, slug: str, language: str, user=None
) -> ArticleText:
    """A published article the reader may see; agents also see drafts. Otherwise 404."""
    qs = Article.objects.filter(organisation=organisation, slug=slug)
    if not (user is not None and is_agent(user=user, organisation=organisation)):
        qs = qs.filter(
            status=Article.Status.PUBLISHED,
            visibility__in=_visibilities(organisation=organisation, user=user),
        )
    article = qs.select_related("category").prefetch_related("translations").first()
    if article is None:
        raise Http404("Not found.")
    t = _pick(article.translations.all(), language)
    if t is None:
        raise Http404("Not found.")
    return ArticleText(
        article=article,
        translation=t,
        language=t.language,
        title=t.title,
        body=t.body,
        body_html=t.body_html,
        url=article_url(article, organisation),
        category=article.category.name_in(language) if article.category else "",
    )


def related_articles(
    *, article: Article, language: str, user=None, limit: int = 4
) -> list[SearchHit]:
    """Articles that share words with this one's title (ranked), same category first."""
    t = _pick(article.translations.all(), language)
    if t is None:
        return []
    hits = [
        h
        for h in search_articles(
            organisation=article.organisation,
            query=t.title,
            language=language,
            limit=limit + 6,
            user=user,
        )
        if h.article.pk != article.pk
    ]
    hits.sort(key=lambda h: (h.article.category_id != article.category_id, -h.score))
    return hits[:limit]


def kb_categories(*, organisation: Organisation) -> QuerySet[KBCategory]:
    return KBCategory.objects.filter(organisation=organisation)


def kb_articles_for_editor(*, user, organisation: Organisation) -> QuerySet[Article]:
    if not is_agent(user=user, organisation=organisation):
        raise Http404("Not found.")
    return (
        Article.objects.filter(organisation=organisation)
        .select_related("category")
        .prefetch_related("translations")
    )


def article_for_editor(*, user, organisation: Organisation, pk: int) -> Article:
    try:
        return kb_articles_for_editor(user=user, organisation=organisation).get(pk=pk)
    except Article.DoesNotExist as exc:
        raise Http404("Not found.") from exc


# ===========================================================================================
# Tickets
# ===========================================================================================
def ticket_for(*, user, organisation: Organisation, number: int) -> Ticket:
    """Agents see every ticket of their organisation; a customer only their own; anyone else
    gets 404."""
    qs = Ticket.objects.filter(organisation=organisation, number=number).select_related(
        "organisation", "queue", "category", "assignee", "customer", "merged_into"
    )
    if not user.is_authenticated:
        raise Http404("Not found.")
    if not is_agent(user=user, organisation=organisation):
        qs = qs.filter(customer=user)
    ticket = qs.first()
    if ticket is None:
        raise Http404("Not found.")
    return ticket


def ticket_by_id(*, user, pk: int) -> Ticket:
    ticket = Ticket.objects.select_related("organisation").filter(pk=pk).first()
    if ticket is None:
        raise Http404("Not found.")
    return ticket_for(user=user, organisation=ticket.organisation, number=ticket.number)


def conversation(*, ticket: Ticket, include_notes: bool) -> list[Message]:
    qs = ticket.messages.select_related("author").prefetch_related("attachments")
    if not include_notes:
        qs = qs.filter(kind=Message.Kind.PUBLIC)
    return list(qs)


def history(*, ticket: Ticket) -> QuerySet:
    return ticket.events.all()


AGENT_VIEWS = ("mine", "unassigned", "breaching", "open", "all", "spam")


@dataclass
class TicketFilters:
    view: str = "mine"
    status: str = ""
    priority: str = ""
    queue: int | None = None
    tag: str = ""
    q: str = ""
    assignee: int | None = None


def agent_tickets(
    *, agent, organisation: Organisation, filters: TicketFilters, now: datetime | None = None
) -> QuerySet[Ticket]:
    """The agent's views: mine, unassigned in my queues, breaching soon, open, all, spam."""
    if not is_agent(user=agent, organisation=organisation):
        raise Http404("Not found.")
    now = now or timezone.now()
    qs = Ticket.objects.filter(organisation=organisation)
    view = filters.view if filters.view in AGENT_VIEWS else "mine"
    qs = qs.filter(is_spam=(view == "spam"))
    if view == "mine":
        qs = qs.filter(assignee=agent, status__in=Ticket.OPEN_STATUSES)
    elif view == "unassigned":
        my_queues = QueueMember.objects.filter(user=agent, queue__organisation=organisation).values(
            "queue_id"
        )
        qs = qs.filter(assignee__isnull=True, status__in=Ticket.OPEN_STATUSES).filter(
            Q(queue_id__in=my_queues) | Q(queue__isnull=True)
        )
    elif view == "breaching":
        soon = now + timedelta(hours=4)
        qs = qs.filter(status__in=(Ticket.Status.NEW, Ticket.Status.OPEN)).filter(
            Q(first_response_at__isnull=True, first_response_due__lte=soon)
            | Q(resolution_due__lte=soon)
        )
    elif view == "open":
        qs = qs.filter(status__in=Ticket.OPEN_STATUSES)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.queue:
        qs = qs.filter(queue_id=filters.queue)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.q:
        term = filters.q.strip().lstrip("#")
        if term.isdigit():
            qs = qs.filter(number=int(term))
        else:
            qs = qs.filter(Q(subject__icontains=term) | Q(customer_email__icontains=term))
    order = ("first_response_due", "resolution_due") if view == "breaching" else ("-updated_at",)
    return qs.select_related("queue", "assignee").order_by(*order)


def customer_tickets(*, customer, organisation: Organisation) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(organisation=organisation, customer=customer)
        .select_related("assignee")
        .order_by("-updated_at")
    )


def queues(*, organisation: Organisation) -> QuerySet[Queue]:
    return Queue.objects.filter(organisation=organisation)


def ticket_categories(*, organisation: Organisation) -> QuerySet[TicketCategory]:
    return TicketCategory.objects.filter(organisation=organisation)


def tags(*, organisation: Organisation) -> QuerySet[Tag]:
    return Tag.objects.filter(organisation=organisation)


def canned_responses(*, organisation: Organisation) -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(organisation=organisation)


def saved_views(*, user, organisation: Organisation) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user, organisation=organisation)


def agents_of(*, organisation: Organisation):
    from concierge.accounts.models import User

    return User.objects.filter(
        memberships__organisation=organisation,
        memberships__role__in=list(WORKER_ROLES),
        is_active=True,
    ).order_by("display_name", "email")


def held_reply_for(*, user, pk: int) -> HeldReply:
    held = (
        HeldReply.objects.select_related("ticket__organisation").filter(pk=pk, author=user).first()
    )
    if held is None:
        raise Http404("Not found.")
    return held


SIMILAR_CANDIDATES = 40


def similar_open_tickets(
    *, ticket: Ticket, threshold: float = 0.3, limit: int = 5
) -> list[tuple[Ticket, float]]:
    """Open tickets of the same customer whose text is close (TF-IDF cosine ≥ threshold).

    Only the customer's SIMILAR_CANDIDATES most recent open tickets are compared: a duplicate
    is raised close in time to its original, and the character n-gram model costs about 0.3 ms
    of CPU per candidate on every agent ticket page (a customer with 150 open tickets made
    the page miss its 150 ms budget at a million tickets)."""
    who = (
        Q(customer_id=ticket.customer_id)
        if ticket.customer_id
        else Q(customer_email__iexact=ticket.customer_email)
    )
    if not ticket.customer_id and not ticket.customer_email:
        return []
    others = list(
        Ticket.objects.filter(
            who,
            organisation_id=ticket.organisation_id,
            status__in=Ticket.OPEN_STATUSES,
            is_spam=False,
            merged_into__isnull=True,
        )
        .exclude(pk=ticket.pk)
        .order_by("-created_at")[:SIMILAR_CANDIDATES]
    )
    if not others:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    docs = [f"{t.subject} {t.subject} {t.description}" for t in [ticket, *others]]
    try:
        matrix = TfidfVectorizer(
            sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5)
        ).fit_transform(docs)
    except ValueError:  # empty vocabulary
        return []
    scores = cosine_similarity(matrix[0], matrix[1:]).ravel()
    pairs = sorted(
        ((t, float(s)) for t, s in zip(others, scores, strict=True) if s >= threshold),
        key=lambda p: -p[1],
    )
    return pairs[:limit]


# --- SLA -----------------------------------------------------------------------------------
@dataclass
class Clock:
    label: str
    due: datetime | None
    minutes_left: float | None  # business minutes; negative = breached
    met: bool | None = None  # done in time (None while running)

    @property
    def state(self) -> str:
        if self.met is not None:
            return "met" if self.met else "missed"
        if self.minutes_left is None:
            return "none"
        if self.minutes_left < 0:
            return "breached"
        return "warning" if self.minutes_left <= 60 else "ok"

    @property
    def human_left(self) -> str:
        if self.minutes_left is None:
            return ""
        m = abs(int(self.minutes_left))
        return f"{m // 60}h {m % 60:02d}m"


def sla_clocks(
    *, ticket: Ticket, now: datetime | None = None, calendar: BusinessCalendar | None = None
) -> list[Clock]:
    now = now or timezone.now()
    calendar = calendar or BusinessCalendar.for_organisation(ticket.organisation)
    clocks = []
    if ticket.first_response_due:
        if ticket.first_response_at:
            clocks.append(
                Clock(
                    "first_response",
                    ticket.first_response_due,
                    None,
                    met=ticket.first_response_at <= ticket.first_response_due,
                )
            )
        else:
            clocks.append(
                Clock(
                    "first_response",
                    ticket.first_response_due,
                    calendar.between(now, ticket.first_response_due),
                )
            )
    if ticket.resolution_due:
        if ticket.resolved_at:
            clocks.append(
                Clock(
                    "resolution",
                    ticket.resolution_due,
                    None,
                    met=ticket.resolved_at <= ticket.resolution_due,
                )
            )
        elif ticket.status == Ticket.Status.PENDING and ticket.pending_since:
            # paused: show what was left when the wait began
            clocks.append(
                Clock(
                    "resolution",
                    ticket.resolution_due,
                    calendar.between(ticket.pending_since, ticket.resolution_due),
                )
            )
        else:
            clocks.append(
                Clock(
                    "resolution",
                    ticket.resolution_due,
                    calendar.between(now, ticket.resolution_due),
                )
            )
    return clocks


# --- load and reports ----------------------------------------------------------------------
@dataclass
class AgentLoad:
    user: object
    open: int
    pending: int
    queues: list[str]
    available: bool


def agent_loads(*, user, organisation: Organisation) -> list[AgentLoad]:
    if not is_manager(user=user, organisation=organisation):
        raise Http404("Not found.")
    agents = list(
        agents_of(organisation=organisation).prefetch_related(
            Prefetch(
                "helpdesk_queue_memberships",
                queryset=QueueMember.objects.filter(
                    queue__organisation=organisation
                ).select_related("queue"),
            )
        )
    )
    counts = {
        row["assignee_id"]: row
        for row in Ticket.objects.filter(
            organisation=organisation, assignee__isnull=False, status__in=Ticket.OPEN_STATUSES
        )
        .order_by()
        .values("assignee_id")
        .annotate(
            open=Count("pk", filter=~Q(status=Ticket.Status.PENDING)),
            pending=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
        )
    }
    out = []
    for agent in agents:
        memberships = list(agent.helpdesk_queue_memberships.all())
        row = counts.get(agent.pk, {})
        out.append(
            AgentLoad(
                user=agent,
                open=row.get("open", 0),
                pending=row.get("pending", 0),
                queues=[m.queue.name for m in memberships],
                available=any(m.is_available for m in memberships),
            )
        )
    return sorted(out, key=lambda a: -(a.open + a.pending))


@dataclass
class GroupFigures:
    name: str
    created: int = 0
    resolved: int = 0
    first_response_minutes: float | None = None
    resolution_minutes: float | None = None
    handle_minutes: float | None = None
    sla_met: int = 0
    sla_total: int = 0
    csat: float | None = None
    csat_count: int = 0

    @property
    def sla_percent(self) -> float | None:
        return round(100 * self.sla_met / self.sla_total, 1) if self.sla_total else None


@dataclass
class Report:
    start: date
    end: date
    days: list[date] = field(default_factory=list)
    created_per_day: list[int] = field(default_factory=list)
    resolved_per_day: list[int] = field(default_factory=list)
    total: GroupFigures = field(default_factory=lambda: GroupFigures("all"))
    by_queue: list[GroupFigures] = field(default_factory=list)
    by_agent: list[GroupFigures] = field(default_factory=list)
    deflections: int = 0
    web_tickets: int = 0

    @property
    def deflection_rate(self) -> float | None:
        attempts = self.deflections + self.web_tickets
        return round(100 * self.deflections / attempts, 1) if attempts else None


def _minutes(delta) -> float | None:
    if delta is None:
        return None
    return round(delta.total_seconds() / 60, 1)


def report(
    *, user, organisation: Organisation, start: date, end: date, queue_id: int | None = None
) -> Report:
    """Tickets in/out per day, first response, handle and resolution times, SLA compliance
    and CSAT (per queue and per agent), and the KB deflection rate — all aggregated in SQL.
    Handle time = first agent response → resolution."""
    if not is_manager(user=user, organisation=organisation):
        raise Http404("Not found.")
    from concierge.feedback.models import Rating

    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, time.min, tz)
    hi = datetime.combine(end + timedelta(days=1), time.min, tz)
    base = Ticket.objects.filter(organisation=organisation, is_spam=False)
    if queue_id:
        base = base.filter(queue_id=queue_id)
    rep = Report(start=start, end=end)
    created = base.filter(created_at__gte=lo, created_at__lt=hi)
    resolved = base.filter(resolved_at__gte=lo, resolved_at__lt=hi)
    n_days = (end - start).days + 1
    rep.days = [start + timedelta(days=i) for i in range(n_days)]
    per_created = {d: 0 for d in rep.days}
    per_resolved = {d: 0 for d in rep.days}
    for at in created.values_list("created_at", flat=True):
        per_created[timezone.localtime(at, tz).date()] = (
            per_created.get(timezone.localtime(at, tz).date(), 0) + 1
        )
    for at in resolved.values_list("resolved_at", flat=True):
        per_resolved[timezone.localtime(at, tz).date()] = (
            per_resolved.get(timezone.localtime(at, tz).date(), 0) + 1
        )
    rep.created_per_day = [per_created.get(d, 0) for d in rep.days]
    rep.resolved_per_day = [per_resolved.get(d, 0) for d in rep.days]
    ticket_type = ContentType.objects.get_for_model(Ticket)

    def figures(group_field: str | None) -> dict:
        values = [group_field] if group_field else []
        metrics = {
            "n": Count("pk"),
            "frt": Avg(F("first_response_at") - F("created_at")),
            "res": Avg(F("resolved_at") - F("created_at")),
            "handle": Avg(F("resolved_at") - F("first_response_at")),
            "met": Count(
                "pk",
                filter=Q(
                    first_response_due__isnull=False,
                    first_response_at__lte=F("first_response_due"),
                    resolved_at__lte=F("resolution_due"),
                ),
            ),
            "timed": Count("pk", filter=Q(first_response_due__isnull=False)),
        }
        if values:
            made = {
                (r[group_field],): r["n"]
                for r in created.values(group_field).annotate(n=Count("pk")).order_by()
            }
            done = {
                (r[group_field],): r
                for r in resolved.values(group_field).annotate(**metrics).order_by()
            }
        else:
            made = {(): created.count()}
            done = {(): resolved.aggregate(**metrics)}
        ids = list(resolved.values_list("pk", flat=True)[:20000])
        csat = {}
        ratings = Rating.objects.filter(
            target_type=ticket_type, target_id__in=[str(i) for i in ids]
        )
        by_ticket = dict(resolved.values_list("pk", *(values or ["pk"])))
        for r in ratings.values("target_id", "score"):
            key = (by_ticket.get(int(r["target_id"])),) if values else ()
            csat.setdefault(key, []).append(r["score"])
        keys = set(made) | set(done)
        out = {}
        for key in keys:
            d = done.get(key, {})
            scores = csat.get(key, [])
            out[key] = GroupFigures(
                name="",
                created=made.get(key, 0),
                resolved=d.get("n", 0),
                first_response_minutes=_minutes(d.get("frt")),
                resolution_minutes=_minutes(d.get("res")),
                handle_minutes=_minutes(d.get("handle")),
                sla_met=d.get("met", 0),
                sla_total=d.get("timed", 0),
                csat=round(sum(scores) / len(scores), 2) if scores else None,
                csat_count=len(scores),
            )
        return out

    total = figures(None).get((), GroupFigures("all"))
    total.name = "all"
    rep.total = total
    queue_names = dict(Queue.objects.filter(organisation=organisation).values_list("pk", "name"))
    for (qid,), fig in sorted(figures("queue_id").items(), key=lambda kv: str(kv[0])):
        fig.name = queue_names.get(qid, "—")
        rep.by_queue.append(fig)
    agent_names = {a.pk: a.name for a in agents_of(organisation=organisation)}
    for (aid,), fig in sorted(figures("assignee_id").items(), key=lambda kv: str(kv[0])):
        fig.name = agent_names.get(aid, "—")
        rep.by_agent.append(fig)
    rep.deflections = Deflection.objects.filter(
        organisation=organisation, created_at__gte=lo, created_at__lt=hi
    ).count()
    rep.web_tickets = base.filter(
        created_at__gte=lo, created_at__lt=hi, channel=Ticket.Channel.WEB
    ).count()
    return rep


def ticket_ratings(*, ticket: Ticket):
    from concierge.feedback.models import Rating

    return Rating.objects.filter(
        target_type=ContentType.objects.get_for_model(Ticket), target_id=str(ticket.pk)
    ).select_related("user")


@dataclass
class DashboardFigures:
    my_open: int = 0
    breaching: int = 0
    unassigned: int = 0
    my_tickets: int = 0
    awaiting_me: int = 0


DASHBOARD_CAP = 999


def _capped(qs) -> int:
    """Exact up to DASHBOARD_CAP, then DASHBOARD_CAP + 1 (shown as "999+")."""
    return qs.order_by()[: DASHBOARD_CAP + 1].count()


def dashboard_figures(*, user, organisation: Organisation) -> DashboardFigures:
    figs = DashboardFigures()
    open_tickets = Ticket.objects.filter(
        organisation=organisation, is_spam=False, status__in=Ticket.OPEN_STATUSES
    )
    if is_agent(user=user, organisation=organisation):
        soon = timezone.now() + timedelta(hours=4)
        mine = open_tickets.filter(assignee=user)
        figs.my_open = _capped(mine)
        figs.unassigned = _capped(open_tickets.filter(assignee__isnull=True))
        figs.breaching = _capped(
            mine.exclude(status=Ticket.Status.PENDING).filter(
                Q(first_response_at__isnull=True, first_response_due__lte=soon)
                | Q(resolution_due__lte=soon)
            )
        )
    else:
        mine = Ticket.objects.filter(organisation=organisation, customer=user)
        figs.my_tickets = _capped(mine.filter(status__in=Ticket.OPEN_STATUSES))
        figs.awaiting_me = _capped(mine.filter(status=Ticket.Status.PENDING))
    return figs
