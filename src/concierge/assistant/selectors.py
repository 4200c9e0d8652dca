"""Reads for the assistant: scoped to who asks (a stranger gets 404)."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from concierge.accounts.models import Organisation, Role
from concierge.accounts.selectors import get_scoped_or_404, organisations_for, scope_to_member
from concierge.assistant.models import (
    AgentSeat,
    AssistantSettings,
    Conversation,
    FAQEntry,
    Message,
    MissingTranslation,
    UnansweredQuestion,
)

MANAGERS = (Role.MANAGER, Role.ADMIN)
WORKERS = (Role.AGENT, Role.STAFF, Role.MANAGER, Role.ADMIN)


# --------------------------------------------------------------------------- organisations
def settings_for(*, organisation) -> AssistantSettings:
    """The organisation's settings (an unsaved default when none were saved yet)."""
    found = AssistantSettings.objects.filter(organisation=organisation).first()
    if found is None:
        langs = [organisation.language] + [
            c for c in ("en", "hi", "ta") if c != organisation.language
        ]
        found = AssistantSettings(organisation=organisation, languages=",".join(langs))
    return found


CHAT_SETTINGS_SECONDS = 5
#: Per-process memo of what every chat socket and message reads: {key: (expires, value)}.
#: In the process, not the shared cache: with Redis as the cache each read was a network
#: round trip plus a pickle, on the chat thread every message waits on.
_CHAT_MEMO: dict = {}
MISSING = object()


def _memo_get(key):
    hit = _CHAT_MEMO.get(key)
    if hit is None or hit[0] < time.monotonic():
        return MISSING
    return hit[1]


CHAT_MEMO_SIZE = 4096  # sockets for made-up slugs must not grow it without end


def _memo_set(key, value, seconds: float = CHAT_SETTINGS_SECONDS):
    now = time.monotonic()
    if len(_CHAT_MEMO) >= CHAT_MEMO_SIZE:
        for old in [k for k, (expires, _v) in list(_CHAT_MEMO.items()) if expires < now]:
            _CHAT_MEMO.pop(old, None)
        if len(_CHAT_MEMO) >= CHAT_MEMO_SIZE:
            _CHAT_MEMO.clear()
    _CHAT_MEMO[key] = (now + seconds, value)
    return value


def settings_for_chat(*, organisation) -> AssistantSettings:
    """settings_for, remembered a few seconds in this process: read on every chat message. A
    new engine version (trained in a worker) is picked up within CHAT_SETTINGS_SECONDS."""
    found = _memo_get(("settings", organisation.pk))
    if found is MISSING:
        found = _memo_set(("settings", organisation.pk), settings_for(organisation=organisation))
    return found


def forget_chat_settings(*, organisation_id) -> None:
    """Settings changed: this process reads them again at once (others within
    CHAT_SETTINGS_SECONDS)."""
    for key in list(_CHAT_MEMO):
        if key[0] == "place" or key == ("settings", organisation_id):
            _CHAT_MEMO.pop(key, None)


def chat_organisation(*, slug: str) -> Organisation:
    """Any organisation whose chat is switched on (the widget is public)."""
    org = Organisation.objects.filter(slug=slug).first()
    if org is None or not settings_for(organisation=org).is_enabled:
        raise Http404("Not found.")
    return org


def chat_place(*, slug: str) -> tuple[Organisation, AssistantSettings] | None:
    """The organisation behind a chat socket and its settings, or None when there is no such
    organisation or its chat is off; remembered CHAT_SETTINGS_SECONDS in this process, so a
    burst of new sockets costs one lookup, not one each."""
    found = _memo_get(("place", slug))
    if found is MISSING:
        org = Organisation.objects.filter(slug=slug).first()
        settings_obj = settings_for_chat(organisation=org) if org is not None else None
        ok = settings_obj is not None and settings_obj.is_enabled
        found = _memo_set(("place", slug), (org, settings_obj) if ok else None)
    return found


def cached_chat_place(*, slug: str):
    """chat_place when this process remembers it (no query: safe on the event loop), else
    MISSING."""
    return _memo_get(("place", slug))


def managed_organisations(*, user):
    return organisations_for(user=user, roles=MANAGERS)


def managed_organisation(*, user, slug: str) -> Organisation:
    return get_scoped_or_404(
        Organisation.objects.all(), user=user, path="pk", roles=MANAGERS, slug=slug
    )


def seat_organisations(*, user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    orgs = organisations_for(user=user, roles=WORKERS)
    return orgs.filter(chat_seats__user=user)


def seat_for(*, user, slug: str) -> AgentSeat:
    if not user.is_authenticated:
        raise Http404("Not found.")
    seat = (
        AgentSeat.objects.filter(user=user, organisation__slug=slug)
        .select_related("organisation")
        .first()
    )
    if seat is None or seat.organisation not in organisations_for(user=user, roles=WORKERS):
        raise Http404("Not found.")
    return seat


def administered_organisation(*, user, slug: str) -> Organisation:
    """An organisation the user is an admin of (anyone else: 404)."""
    return get_scoped_or_404(
        Organisation.objects.all(), user=user, path="pk", roles=(Role.ADMIN,), slug=slug
    )


def seats_of(*, organisation) -> list[AgentSeat]:
    """The organisation's chat seats, online agents first."""
    seats = list(AgentSeat.objects.filter(organisation=organisation).select_related("user"))
    seats.sort(key=lambda s: (not s.is_online, s.user.name.lower(), s.pk))
    return seats


def seat_in(*, organisation, pk: int) -> AgentSeat:
    seat = AgentSeat.objects.filter(organisation=organisation, pk=pk).select_related("user")
    found = seat.first()
    if found is None:
        raise Http404("Not found.")
    return found


def seat_candidates(*, organisation):
    """Members who may get a seat: agents and above who have none yet."""
    from concierge.accounts.models import User

    return (
        User.objects.filter(memberships__organisation=organisation, memberships__role__in=WORKERS)
        .exclude(chat_seats__organisation=organisation)
        .order_by("display_name", "email")
        .distinct()
    )


# --------------------------------------------------------------------------- conversations
def conversation_for_visitor(*, organisation, key: str) -> Conversation:
    """The key is the visitor's secret: whoever holds it is the visitor of that chat."""
    conv = (
        Conversation.objects.filter(organisation=organisation, key=str(key)[:64])
        .select_related("organisation", "agent")
        .first()
    )
    if conv is None:
        raise Http404("Not found.")
    return conv


def conversation_for_user(*, user, pk: int) -> Conversation:
    """A signed-in visitor's own chat."""
    if not user.is_authenticated:
        raise Http404("Not found.")
    conv = (
        Conversation.objects.filter(pk=pk, visitor=user)
        .select_related("organisation", "agent")
        .first()
    )
    if conv is None:
        raise Http404("Not found.")
    return conv


def conversation_for_agent(*, user, pk: int) -> Conversation:
    """A chat of an organisation where `user` holds a chat seat."""
    qs = Conversation.objects.select_related("organisation", "agent", "visitor").filter(
        organisation__chat_seats__user=user
    )
    return get_scoped_or_404(qs, user=user, roles=WORKERS, pk=pk)


def conversations_for_staff(*, user, organisation):
    qs = Conversation.objects.filter(organisation=organisation)
    return scope_to_member(qs, user=user, roles=WORKERS)


def waiting_chats(*, organisation) -> list[Conversation]:
    return list(
        Conversation.objects.filter(organisation=organisation, status=Conversation.Status.WAITING)
        .annotate(n_messages=Count("messages"))
        .order_by("handoff_at")
    )


def live_chats(*, agent, organisation) -> list[Conversation]:
    return list(
        Conversation.objects.filter(
            organisation=organisation, agent=agent, status=Conversation.Status.LIVE
        ).order_by("-last_message_at")
    )


def agents_online(*, organisation) -> int:
    fresh = timezone.now() - AgentSeat.HEARTBEAT
    return AgentSeat.objects.filter(
        organisation=organisation, online=True, last_seen_at__gte=fresh
    ).count()


def history(*, conversation: Conversation, after: int = 0) -> list[Message]:
    qs = conversation.messages.select_related("author")
    if after:
        qs = qs.filter(pk__gt=after)
    return list(qs.order_by("pk")[:500])


def message_payload(m: Message) -> dict:
    """What the widget and the agent console draw for one message (text only: the browser
    inserts it with textContent, so nothing here is ever HTML)."""
    return {
        "id": m.pk,
        "sender": m.sender,
        "author": m.author.name if m.author_id and m.sender == Message.Sender.AGENT else "",
        "text": m.text,
        "language": m.language,
        "source_url": m.source_url,
        "source_title": m.source_title,
        "confidence": m.confidence,
        "helpful": m.helpful,
        "extra": m.extra or {},
        "at": m.created_at.isoformat() if m.created_at else "",
    }


def messages_frame(*, conversation: Conversation, messages, language_was: str = "") -> dict:
    """The reply to a visitor's message for the widget: the new messages, the chat's status
    and language, and the widget's words again when the chat changed language."""
    frame = {
        "kind": "messages",
        "status": conversation.status,
        "language": conversation.language,
        "messages": [message_payload(m) for m in messages],
    }
    if language_was and conversation.language != language_was:
        frame["labels"] = widget_labels(language=conversation.language)
    return frame


def transcript_text(*, conversation: Conversation) -> str:
    names = {"visitor": conversation.visitor_name or "Visitor", "bot": "Assistant", "system": "—"}
    lines = []
    for m in conversation.messages.select_related("author").order_by("pk"):
        who = (
            m.author.name
            if m.sender == Message.Sender.AGENT and m.author
            else names.get(m.sender, m.sender)
        )
        stamp = timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M")
        line = f"[{stamp}] {who}: {m.text}"
        if m.source_url:
            line += f" ({m.source_url})"
        lines.append(line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- knowledge
def suggested_questions(*, organisation, language: str, limit: int = 4) -> list[str]:
    """'How can I help' chips: the most asked answers of the last 30 days, in `language`
    (remembered a minute in this process: every new chat shows them)."""
    key = ("suggest", organisation.pk, language, limit)
    found = _memo_get(key)
    if found is MISSING:
        found = _memo_set(
            key,
            _suggested_questions(organisation=organisation, language=language, limit=limit),
            60,
        )
    return found


def _suggested_questions(*, organisation, language: str, limit: int) -> list[str]:
    since = timezone.now() - timedelta(days=30)
    popular = list(
        Message.objects.filter(
            conversation__organisation=organisation, faq_entry__isnull=False, created_at__gte=since
        )
        .values("faq_entry")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("faq_entry", flat=True)[:limit]
    )
    entries = FAQEntry.objects.filter(
        organisation=organisation, is_active=True, translations__language=language
    )
    chosen = list(entries.filter(pk__in=popular).values_list("pk", flat=True))
    if len(chosen) < limit:
        chosen += list(
            entries.exclude(pk__in=chosen)
            .order_by("pk")
            .values_list("pk", flat=True)[: limit - len(chosen)]
        )
    from concierge.assistant.models import FAQTranslation

    qs = dict(
        FAQTranslation.objects.filter(entry_id__in=chosen, language=language).values_list(
            "entry_id", "question"
        )
    )
    return [qs[pk] for pk in chosen if pk in qs]


def related_answers(*, conversation: Conversation, limit: int = 3) -> list[dict]:
    """Links of answers given in this chat, then other popular ones with a link."""
    out, seen = [], set()
    for m in conversation.messages.exclude(source_url="").order_by("-pk")[:10]:
        if m.source_url not in seen:
            seen.add(m.source_url)
            out.append({"title": m.source_title or m.source_url, "url": m.source_url})
    return out[:limit]


def faq_entries(*, organisation, query: str = "", language: str = ""):
    qs = (
        FAQEntry.objects.filter(organisation=organisation)
        .prefetch_related("translations")
        .annotate(n_paraphrases=Count("paraphrases", distinct=True))
    )
    if query:
        qs = qs.filter(
            Q(slug__icontains=query)
            | Q(translations__question__icontains=query)
            | Q(translations__answer__icontains=query)
        ).distinct()
    if language:
        qs = qs.filter(translations__language=language).distinct()
    return qs.order_by("slug")


def faq_entry_for(*, user, pk: int) -> FAQEntry:
    return get_scoped_or_404(
        FAQEntry.objects.select_related("organisation").prefetch_related(
            "translations", "paraphrases"
        ),
        user=user,
        roles=MANAGERS,
        pk=pk,
    )


def export_faq_csv(*, organisation) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        ["slug", "language", "question", "answer", "paraphrases", "article_id", "link_url"]
    )
    entries = (
        FAQEntry.objects.filter(organisation=organisation)
        .prefetch_related("translations", "paraphrases")
        .order_by("slug")
    )
    for e in entries:
        paras: dict[str, list[str]] = {}
        for p in e.paraphrases.all():
            paras.setdefault(p.language, []).append(p.text)
        for t in e.translations.all():
            writer.writerow(
                [
                    e.slug,
                    t.language,
                    _safe_cell(t.question),
                    _safe_cell(t.answer),
                    "|".join(_safe_cell(x) for x in paras.get(t.language, [])),
                    e.article_id or "",
                    e.link_url,
                ]
            )
    return buf.getvalue()


def _safe_cell(value: str) -> str:
    """No spreadsheet formulas in exported cells."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def missing_translations(*, organisation, limit: int = 20):
    return list(
        MissingTranslation.objects.filter(organisation=organisation)
        .select_related("faq_entry")
        .order_by("-times")[:limit]
    )


# --------------------------------------------------------------------------- inbox
@dataclass
class QuestionGroup:
    texts: list[str]
    ids: list[int]
    languages: list[str]
    reasons: list[str]
    last_at: object = None

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def language(self) -> str:
        lang = max(set(self.languages), key=self.languages.count) if self.languages else "en"
        return "hi" if lang == "hi-Latn" else lang


#: Words that say nothing about the topic ("do you", "is there", "kya", "है"): left out when
#: grouping unanswered questions, so "do you sell gift cards" meets "gift card for my friend".
_FILLER_WORDS = (
    "a an the i me my you your we our is are am was be do does did can could will would "
    "there here this that it of to in on for from with at by and or please any what where "
    "when how which who why kya hai hain ka ki ke ko mera meri mujhe aap है हैं क्या का की के "
    "को में मेरा मेरी मुझे आप என் எனக்கு உங்கள் என்ன எப்படி"
)
_FILLER = frozenset(_FILLER_WORDS.split())


def _content_words(text: str) -> str:
    return " ".join(w for w in text.lower().split() if w.strip("?.!,") not in _FILLER)


def unanswered_groups(
    *, organisation, limit: int = 300, similarity: float = 0.3
) -> list[QuestionGroup]:
    """Open unanswered questions grouped by similarity (character 3–5-gram tf-idf, cosine,
    single link: a question joins the group of its most similar earlier question), biggest
    group first."""
    items = list(
        UnansweredQuestion.objects.filter(
            organisation=organisation, resolved_at__isnull=True
        ).order_by("-created_at")[:limit]
    )
    if not items:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [_content_words(i.text) for i in items]
    try:
        X = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts)
        sims = (X @ X.T).toarray()
    except ValueError:  # nothing but punctuation
        sims = None
    groups: list[QuestionGroup] = []
    group_of: list[int] = []
    for idx, item in enumerate(items):
        g_index = -1
        if sims is not None and idx:
            best = int(sims[idx, :idx].argmax())
            if sims[idx, best] >= similarity:
                g_index = group_of[best]
        if g_index < 0:
            groups.append(
                QuestionGroup(texts=[], ids=[], languages=[], reasons=[], last_at=item.created_at)
            )
            g_index = len(groups) - 1
        group_of.append(g_index)
        g = groups[g_index]
        if item.text not in g.texts:
            g.texts.append(item.text)
        g.ids.append(item.pk)
        g.languages.append(item.language)
        g.reasons.append(item.reason)
    groups.sort(key=lambda g: (-g.size, g.texts[0]))
    return groups


# --------------------------------------------------------------------------- analytics
@dataclass
class Analytics:
    days: int
    conversations: int = 0
    answered_by_bot: int = 0
    handed_off: int = 0
    tickets: int = 0
    deflection_rate: float | None = None
    csat: float | None = None
    ratings: int = 0
    per_day: list[tuple[date, int, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    top_questions: list[tuple[str, int]] = field(default_factory=list)


def analytics(*, organisation, days: int = 30) -> Analytics:
    """Aggregates in SQL: a handful of queries whatever the volume."""
    since = timezone.now() - timedelta(days=days)
    convs = Conversation.objects.filter(organisation=organisation, started_at__gte=since)
    totals = convs.aggregate(
        n=Count("id"),
        bot=Count("id", filter=Q(bot_answers__gt=0, handed_off=False)),
        handed=Count("id", filter=Q(handed_off=True)),
        tickets=Count("id", filter=~Q(ticket_reference="")),
        csat=Avg("visitor_rating"),
        rated=Count("id", filter=Q(visitor_rating__isnull=False)),
    )
    out = Analytics(
        days=days,
        conversations=totals["n"],
        answered_by_bot=totals["bot"],
        handed_off=totals["handed"],
        tickets=totals["tickets"],
        csat=round(totals["csat"], 2) if totals["csat"] is not None else None,
        ratings=totals["rated"],
    )
    asked = convs.filter(Q(bot_answers__gt=0) | Q(handed_off=True)).count()
    if asked:
        out.deflection_rate = round(out.answered_by_bot / asked, 3)
    rows = (
        convs.annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(n=Count("id"), handed=Count("id", filter=Q(handed_off=True)))
        .order_by("day")
    )
    out.per_day = [(r["day"], r["n"], r["handed"]) for r in rows]
    out.languages = [
        (r["language"], r["n"])
        for r in convs.values("language").annotate(n=Count("id")).order_by("-n")
    ]
    top = (
        Message.objects.filter(conversation__in=convs, faq_entry__isnull=False)
        .values("faq_entry__slug")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    out.top_questions = [(r["faq_entry__slug"], r["n"]) for r in top]
    return out


def analytics_charts(data: Analytics) -> list:
    import plotly.graph_objects as go
    from django.utils.translation import gettext as _

    from concierge.core.charts import Chart

    days = [str(d) for d, _n, _h in data.per_day]
    fig = go.Figure()
    fig.add_bar(x=days, y=[n - h for _d, n, h in data.per_day], name=_("Answered by the bot"))
    fig.add_bar(x=days, y=[h for _d, _n, h in data.per_day], name=_("Handed off"))
    fig.update_layout(barmode="stack")
    per_day = Chart(
        fig,
        _("Conversations per day"),
        [_("Day"), _("Conversations"), _("Handed off")],
        [[d, n, h] for d, n, h in data.per_day],
    )
    lang_fig = go.Figure(
        go.Pie(
            labels=[lang for lang, _n in data.languages],
            values=[n for _l, n in data.languages],
            hole=0.5,
        )
    )
    langs = Chart(
        lang_fig,
        _("Languages"),
        [_("Language"), _("Conversations")],
        [[lang, n] for lang, n in data.languages],
    )
    top_fig = go.Figure(
        go.Bar(
            x=[n for _s, n in data.top_questions][::-1],
            y=[s for s, _n in data.top_questions][::-1],
            orientation="h",
        )
    )
    top = Chart(
        top_fig,
        _("Top questions"),
        [_("Answer"), _("Times given")],
        [[s, n] for s, n in data.top_questions],
    )
    return [per_day, langs, top]


def widget_organisation_slug(*, user, default: str = "") -> str:
    """Whose chat the floating button opens on our own pages: the signed-in person's
    organisation (as a customer first), else `default`, else the first public company."""
    from concierge.accounts.models import Membership

    if user is not None and user.is_authenticated:
        rows = list(
            Membership.objects.filter(user=user, organisation__kind="company").values_list(
                "role", "organisation__slug"
            )
        )
        rows.sort(key=lambda r: r[0] != Role.CUSTOMER)
        if rows:
            return rows[0][1]
    if default:
        return default
    org = (
        Organisation.objects.filter(kind=Organisation.Kind.COMPANY, is_public=True)
        .order_by("pk")
        .values_list("slug", flat=True)
        .first()
    )
    return org or ""


def widget_labels(*, language: str) -> dict[str, str]:
    """The widget's own words, in the chat's language (the widget has no catalogue); the same
    for every chat in a language, so worked out once per process (do not change the dict)."""
    return _widget_labels(language)


@lru_cache(maxsize=32)
def _widget_labels(language: str) -> dict[str, str]:
    from django.utils.translation import gettext as _
    from django.utils.translation import override

    with override("hi" if language == "hi-Latn" else language):
        return {
            "title": _("Help chat"),
            "open": _("Chat with us"),
            "close": _("Close"),
            "placeholder": _("Type your question…"),
            "send": _("Send"),
            "person": _("Talk to a person"),
            "end": _("End chat"),
            "transcript": _("E-mail me the transcript"),
            "helpful": _("Did this help?"),
            "yes": _("Yes"),
            "no": _("No"),
            "email": _("Your e-mail address"),
            "related": _("You may also find these useful:"),
            "rate": _("Your rating:"),
            "typing": _("Typing…"),
            "waiting": _("Waiting for an agent"),
            "live": _("You are chatting with a person"),
            "new": _("Start a new chat"),
            "offline": _("Connection lost; trying again…"),
            "language": _("Chat language"),
        }
