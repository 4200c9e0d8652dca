"""/api/assistant/: conversations, one-shot questions, FAQ entries and analytics."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from concierge.assistant import selectors, services
from concierge.assistant.models import Conversation
from concierge.core.api import ErrorOut, Pagination

router = Router(tags=["assistant"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class MessageOut(Schema):
    id: int
    sender: str
    author: str = ""
    text: str
    language: str = ""
    source_url: str = ""
    source_title: str = ""
    confidence: float | None = None
    helpful: bool | None = None
    extra: dict = {}
    at: str = ""


class ConversationOut(Schema):
    id: int
    organisation: str
    status: str
    language: str
    started_at: datetime
    ticket_reference: str = ""

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation.slug


class StartIn(Schema):
    organisation: str = Field(..., max_length=60)
    language: str = Field("", max_length=8)


class StartOut(Schema):
    id: int
    organisation: str
    status: str
    language: str
    started_at: datetime
    messages: list[MessageOut]


class SayIn(Schema):
    text: str = Field(..., max_length=20000)


class RepliesOut(Schema):
    status: str
    messages: list[MessageOut]


class AskIn(Schema):
    organisation: str = Field(..., max_length=60)
    text: str = Field(..., max_length=20000)
    language: str = Field("", max_length=8)


class AskOut(Schema):
    kind: str
    answer: str
    confidence: float | None
    language: str
    answer_language: str
    note: str
    source_url: str
    source_title: str
    faq_entry: str | None


class FAQTextIn(Schema):
    language: str = Field(..., max_length=8)
    question: str = Field(..., max_length=300)
    answer: str = Field(..., max_length=4000)
    paraphrases: list[str] = []


class FAQIn(Schema):
    slug: str = Field("", max_length=80)
    link_url: str = Field("", max_length=300)
    link_title: str = Field("", max_length=200)
    article_id: int | None = None
    is_active: bool = True
    texts: list[FAQTextIn]


class FAQOut(Schema):
    id: int
    slug: str
    link_url: str
    link_title: str
    article_id: int | None
    is_active: bool
    texts: list[FAQTextIn]

    @staticmethod
    def resolve_texts(obj) -> list[dict]:
        paras: dict[str, list[str]] = {}
        for p in obj.paraphrases.all():
            paras.setdefault(p.language, []).append(p.text)
        return [
            {
                "language": t.language,
                "question": t.question,
                "answer": t.answer,
                "paraphrases": paras.get(t.language, []),
            }
            for t in obj.translations.all()
        ]


class DayOut(Schema):
    day: date
    conversations: int
    handed_off: int


class AnalyticsOut(Schema):
    days: int
    conversations: int
    answered_by_bot: int
    handed_off: int
    tickets: int
    deflection_rate: float | None
    csat: float | None
    ratings: int
    per_day: list[DayOut]
    languages: dict[str, int]
    top_questions: dict[str, int]


def _messages(msgs) -> list[dict]:
    return [selectors.message_payload(m) for m in msgs]


def _conversation(request, pk: int) -> Conversation:
    try:
        return selectors.conversation_for_user(user=request.auth, pk=pk)
    except Http404:
        return selectors.conversation_for_agent(user=request.auth, pk=pk)


@router.post("/conversations", response={201: StartOut, **ERRORS})
def start_conversation(request, payload: StartIn):
    """Start a chat as the signed-in user; the greeting comes back in `messages`."""
    org = selectors.chat_organisation(slug=payload.organisation)
    conv = services.start_conversation(
        organisation=org, user=request.auth, language=payload.language, origin="api"
    )
    return 201, {
        "id": conv.pk,
        "organisation": org.slug,
        "status": conv.status,
        "language": conv.language,
        "started_at": conv.started_at,
        "ticket_reference": "",
        "messages": _messages(selectors.history(conversation=conv)),
    }


@router.get("/conversations", response=list[ConversationOut])
@paginate(Pagination)
def my_conversations(request):
    return (
        Conversation.objects.filter(visitor=request.auth)
        .select_related("organisation")
        .order_by("-started_at")
    )


@router.post("/conversations/{int:pk}/messages", response={200: RepliesOut, **ERRORS})
def send_message(request, pk: int, payload: SayIn):
    """Say something as the visitor; the bot's (or the system's) replies come back."""
    conv = selectors.conversation_for_user(user=request.auth, pk=pk)
    msgs = services.visitor_says(conversation=conv, text=payload.text, user=request.auth)
    conv.refresh_from_db(fields=["status"])
    return {"status": conv.status, "messages": _messages(msgs)}


@router.get("/conversations/{int:pk}/messages", response={200: list[MessageOut], **ERRORS})
@paginate(Pagination)
def history(request, pk: int):
    conv = _conversation(request, pk)
    return _messages(selectors.history(conversation=conv))


@router.post("/conversations/{int:pk}/handoff", response={200: RepliesOut, **ERRORS})
def handoff(request, pk: int):
    conv = selectors.conversation_for_user(user=request.auth, pk=pk)
    msgs = services.request_handoff(conversation=conv)
    conv.refresh_from_db(fields=["status"])
    return {"status": conv.status, "messages": _messages(msgs)}


@router.post("/ask", response={200: AskOut, **ERRORS})
def ask(request, payload: AskIn):
    """One question, one answer: nothing is stored."""
    org = selectors.chat_organisation(slug=payload.organisation)
    ans = services.compose_answer(
        organisation=org,
        text=payload.text,
        language=payload.language or org.language,
        user=request.auth,
    )
    return {
        "kind": ans.kind,
        "answer": ans.text,
        "confidence": ans.confidence,
        "language": ans.language,
        "answer_language": ans.answer_language or ans.language,
        "note": ans.note,
        "source_url": ans.source_url,
        "source_title": ans.source_title,
        "faq_entry": ans.faq_entry.slug if ans.faq_entry else None,
    }


@router.get("/organisations/{slug}/faq", response={200: list[FAQOut], **ERRORS})
@paginate(Pagination)
def faq_list(request, slug: str):
    org = selectors.managed_organisation(user=request.auth, slug=slug)
    return selectors.faq_entries(organisation=org).prefetch_related("paraphrases")


def _faq_kwargs(payload: FAQIn) -> dict:
    return {
        "slug": payload.slug,
        "link_url": payload.link_url,
        "link_title": payload.link_title,
        "article_id": payload.article_id,
        "is_active": payload.is_active,
        "translations": {t.language: (t.question, t.answer) for t in payload.texts},
        "paraphrases": {t.language: t.paraphrases for t in payload.texts},
    }


@router.post("/organisations/{slug}/faq", response={201: FAQOut, **ERRORS})
def faq_create(request, slug: str, payload: FAQIn):
    org = selectors.managed_organisation(user=request.auth, slug=slug)
    entry = services.save_faq_entry(user=request.auth, organisation=org, **_faq_kwargs(payload))
    return 201, selectors.faq_entry_for(user=request.auth, pk=entry.pk)


@router.get("/faq/{int:pk}", response={200: FAQOut, **ERRORS})
def faq_get(request, pk: int):
    return selectors.faq_entry_for(user=request.auth, pk=pk)


@router.put("/faq/{int:pk}", response={200: FAQOut, **ERRORS})
def faq_update(request, pk: int, payload: FAQIn):
    entry = selectors.faq_entry_for(user=request.auth, pk=pk)
    services.save_faq_entry(
        user=request.auth, organisation=entry.organisation, entry=entry, **_faq_kwargs(payload)
    )
    return selectors.faq_entry_for(user=request.auth, pk=pk)


@router.delete("/faq/{int:pk}", response={204: None, **ERRORS})
def faq_delete(request, pk: int):
    entry = selectors.faq_entry_for(user=request.auth, pk=pk)
    services.delete_faq_entry(user=request.auth, entry=entry)
    return 204, None


@router.get("/organisations/{slug}/analytics", response={200: AnalyticsOut, **ERRORS})
def analytics(request, slug: str, days: int = 30):
    org = selectors.managed_organisation(user=request.auth, slug=slug)
    data = selectors.analytics(organisation=org, days=min(max(days, 1), 365))
    return {
        "days": data.days,
        "conversations": data.conversations,
        "answered_by_bot": data.answered_by_bot,
        "handed_off": data.handed_off,
        "tickets": data.tickets,
        "deflection_rate": data.deflection_rate,
        "csat": data.csat,
        "ratings": data.ratings,
        "per_day": [{"day": d, "conversations": n, "handed_off": h} for d, n, h in data.per_day],
        "languages": dict(data.languages),
        "top_questions": dict(data.top_questions),
    }
