"""The seam between the assistant and the modules it borrows from (helpdesk, inventory,
finance). Each function calls the other module's selector/service when it exists and falls back
to something honest when it does not, so the assistant works on its own and switches over the
day the other module lands."""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]+>")
_MD = re.compile(r"[#*_`>\[\]]+")


@dataclass(frozen=True)
class ArticleText:
    """One published article in one language, as the assistant needs it."""

    id: int
    language: str
    title: str
    summary: str
    url: str
    updated: str = ""
    slug: str = ""


@dataclass(frozen=True)
class TicketRef:
    reference: str
    url: str = ""


@dataclass(frozen=True)
class Suggestion:
    title: str
    url: str


def _optional(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _plain(text: str, limit: int = 400) -> str:
    text = _MD.sub("", _TAGS.sub(" ", text or ""))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _article_url(article, organisation) -> str:
    url = getattr(article, "get_absolute_url", None)
    if callable(url):
        try:
            return url()
        except NoReverseMatch:  # pragma: no cover - depends on helpdesk urls
            pass
    for name, kwargs in (
        ("helpdesk:article", {"org": organisation.slug, "slug": article.slug}),
        ("helpdesk:kb_article", {"org": organisation.slug, "slug": article.slug}),
        ("helpdesk:article", {"slug": article.slug}),
    ):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


def published_articles(*, organisation, language: str) -> list[ArticleText]:
    """Published public articles of `organisation` that have a translation in `language`
    (the assistant handles the fallback language itself, to say so and count it)."""
    selector = _optional("concierge.helpdesk.selectors", "published_articles")
    if selector is None:
        return []
    try:
        items = list(selector(organisation=organisation, language=language))
    except Exception:  # a broken neighbour must not take the chat down
        logger.warning("helpdesk.published_articles failed", exc_info=True)
        return []
    out = []
    for item in items:
        if getattr(item, "language", language) != language:
            continue
        article = getattr(item, "article", item)
        out.append(
            ArticleText(
                id=article.pk,
                language=language,
                title=item.title,
                summary=_plain(getattr(item, "body", "") or getattr(item, "body_html", "")),
                url=getattr(item, "url", "") or _article_url(article, organisation),
                updated=str(getattr(article, "updated_at", "")),
                slug=getattr(article, "slug", ""),
            )
        )
    return out


def articles_fingerprint(*, organisation, languages: list[str]) -> str:
    """Changes whenever a published article is added, changed or removed."""
    h = hashlib.sha256()
    for lang in languages:
        for a in published_articles(organisation=organisation, language=lang):
            h.update(f"{a.id}:{a.language}:{a.title}:{a.updated};".encode())
    return h.hexdigest()


def search_articles(*, organisation, language: str, text: str, limit: int = 3) -> list[Suggestion]:
    selector = _optional("concierge.helpdesk.selectors", "search_articles")
    if selector is None or not text.strip():
        return []
    try:
        found = list(
            selector(organisation=organisation, language=language, query=text[:300], limit=limit)
        )[:limit]
    except Exception:
        logger.warning("helpdesk.search_articles failed", exc_info=True)
        return []
    return [Suggestion(title=h.title, url=getattr(h, "url", "")) for h in found]


def related_products(*, organisation, text: str, limit: int = 3) -> list[Suggestion]:
    """Inventory items that match the chat, when the organisation sells things."""
    selector = _optional("concierge.inventory.selectors", "search_products") or _optional(
        "concierge.inventory.selectors", "products_matching"
    )
    if selector is None:
        return []
    try:
        items = list(selector(organisation=organisation, text=text))[:limit]
    except Exception:
        logger.warning("inventory product search failed", exc_info=True)
        return []
    return [Suggestion(title=str(getattr(i, "name", i)), url=_safe_url(i)) for i in items]


def _safe_url(obj) -> str:
    fn = getattr(obj, "get_absolute_url", None)
    try:
        return fn() if callable(fn) else ""
    except Exception:
        return ""


def create_ticket(
    *,
    organisation,
    subject: str,
    transcript: str,
    customer=None,
    email: str = "",
    name: str = "",
    language: str = "en",
) -> TicketRef | None:
    """A helpdesk ticket carrying the chat transcript; None when helpdesk cannot take it
    (the caller then keeps the chat as an offline message and e-mails the organisation)."""
    service = _optional("concierge.helpdesk.services", "create_ticket")
    if service is None:
        return None
    from django.core.exceptions import PermissionDenied

    kwargs = {
        "organisation": organisation,
        "subject": subject[:255],
        "description": transcript,
        "customer_email": email,
        "customer_name": name,
        "language": language,
        "check_limits": False,
    }
    try:
        ticket = service(customer=customer, **kwargs)
    except PermissionDenied:  # a signed-in visitor who is not the organisation's customer
        ticket = service(customer=None, **kwargs)
    ticket_url = _optional("concierge.helpdesk.services", "ticket_url")
    url = ""
    if ticket_url is not None:
        try:
            url = ticket_url(ticket)
        except Exception:
            url = ""
    return TicketRef(reference=f"#{ticket.number}", url=url)


def answer_money_question(*, user, text: str, language: str) -> str | None:
    """The finance module's answer to "how much did I spend on food this month?" — only for
    the signed-in user asking, about their own money."""
    if user is None or not user.is_authenticated:
        return None
    selector = _optional("concierge.finance.selectors", "answer_money_question")
    if selector is None:
        return None
    try:
        answer = selector(user=user, text=text, language=language)
    except Exception:
        logger.warning("finance.answer_money_question failed", exc_info=True)
        return None
    if not answer:
        return None
    return str(getattr(answer, "text", answer))
