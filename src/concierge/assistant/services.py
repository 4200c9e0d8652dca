"""Every write of the assistant: teaching it, chatting, handing off, ending and rating."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.tasks import default_task_backend
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from concierge.assistant import knowledge, phrases, selectors, sources
from concierge.assistant.models import (
    AgentSeat,
    AssistantSettings,
    Conversation,
    FAQEntry,
    FAQParaphrase,
    FAQTranslation,
    Message,
    MissingTranslation,
    UnansweredQuestion,
)
from concierge.assistant.translators import machine_translate
from concierge.core.consumers import organisation_group
from concierge.core.permissions import require
from concierge.core.realtime import broadcast, group_name
from concierge.core.tasking import enqueue_on_commit

try:
    from concierge.assistant.engine.text import clean as clean_text
    from concierge.assistant.engine.text import romanise_hindi
except ImportError:  # pragma: no cover

    def clean_text(text):
        return " ".join(str(text or "").split())[:1000]

    romanise_hindi = None

MAX_MESSAGE_CHARS = 2000
#: What other processes change on a chat (refreshed before each step; the organisation
#: relation stays cached).
LIVE_FIELDS = [
    "status",
    "language",
    "script",
    "visitor_email",
    "visitor_name",
    "unhelpful_count",
    "agent",
    "ticket_reference",
    "visitor_rating",
]
UNHELPFUL_BEFORE_HANDOFF = 2
REBUILD_DELAY = timedelta(seconds=10)
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")


# =========================================================================== settings
@transaction.atomic
def ensure_settings(*, organisation) -> AssistantSettings:
    obj, _created = AssistantSettings.objects.get_or_create(
        organisation=organisation, defaults={"languages": _default_languages(organisation)}
    )
    return obj


def _default_languages(organisation) -> str:
    langs = [organisation.language] + [c for c in ("en", "hi", "ta") if c != organisation.language]
    return ",".join(langs)


@transaction.atomic
def update_settings(*, user, organisation, **fields) -> AssistantSettings:
    require(user, "assistant.change_settings", organisation)
    obj = ensure_settings(organisation=organisation)
    allowed = {"is_enabled", "languages", "allowed_origins", "handoff_timeout_minutes"}
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError({name: _("This setting cannot be changed here.")})
        setattr(obj, name, value)
    for origin in obj.origin_list:
        if not re.fullmatch(r"https?://[a-z0-9.-]+(:\d{1,5})?", origin):
            raise ValidationError(
                {
                    "allowed_origins": _("%(origin)s is not an origin like https://shop.example")
                    % {"origin": origin}
                }
            )
    obj.full_clean()
    obj.save()
    selectors.forget_chat_settings(organisation_id=organisation.pk)
    return obj


# =========================================================================== FAQ (teaching)
def _check_texts(translations: dict, paraphrases: dict, languages) -> None:
    known = {code for code, _n in languages}
    if not any((q or "").strip() and (a or "").strip() for q, a in translations.values()):
        raise ValidationError(
            {"translations": _("Give the question and the answer in at least one language.")}
        )
    for lang in list(translations) + list(paraphrases):
        if lang not in known:
            raise ValidationError({"language": _("Unknown language: %(code)s") % {"code": lang}})


@transaction.atomic
def save_faq_entry(
    *,
    user,
    organisation,
    entry: FAQEntry | None = None,
    slug: str = "",
    translations: dict[str, tuple[str, str]],
    paraphrases: dict[str, list[str]] | None = None,
    article_id: int | None = None,
    link_url: str = "",
    link_title: str = "",
    is_active: bool = True,
) -> FAQEntry:
    """Create or replace one FAQ entry: its questions and answers per language and its
    paraphrases. Schedules an engine rebuild."""
    from django.conf import settings as dj

    require(user, "assistant.manage_faq", organisation)
    paraphrases = paraphrases or {}
    _check_texts(translations, paraphrases, dj.LANGUAGES)
    if entry is not None and entry.organisation_id != organisation.pk:
        raise PermissionDenied(_("Not allowed."))
    if not slug:
        first_q = next(q for q, a in translations.values() if q and q.strip())
        slug = slugify(first_q)[:60] or "answer"
    slug = slugify(slug)[:80] or "answer"
    clash = FAQEntry.objects.filter(organisation=organisation, slug=slug)
    if entry is not None:
        clash = clash.exclude(pk=entry.pk)
    if clash.exists():
        if entry is None and not slug.endswith("-new"):
            slug = _free_slug(organisation, slug)
        else:
            raise ValidationError({"slug": _("Another answer already uses this short name.")})
    if link_url and not re.match(r"^(https?://|/)", link_url):
        raise ValidationError({"link_url": _("Give a full link (https://…) or a path (/…).")})
    if entry is None:
        entry = FAQEntry(organisation=organisation, created_by=user)
    entry.slug = slug
    entry.article_id = article_id
    entry.link_url = link_url
    entry.link_title = link_title[:200]
    entry.is_active = is_active
    entry.save()
    entry.translations.all().delete()
    entry.paraphrases.all().delete()
    FAQTranslation.objects.bulk_create(
        FAQTranslation(entry=entry, language=lang, question=q.strip()[:300], answer=a.strip())
        for lang, (q, a) in translations.items()
        if (q or "").strip() and (a or "").strip()
    )
    seen = set()
    rows = []
    for lang, texts in paraphrases.items():
        for text in texts:
            text = " ".join((text or "").split())[:300]
            if text and (lang, text.lower()) not in seen:
                seen.add((lang, text.lower()))
                rows.append(FAQParaphrase(entry=entry, language=lang, text=text))
    FAQParaphrase.objects.bulk_create(rows)
    schedule_rebuild(organisation=organisation)
    return entry


def _free_slug(organisation, slug: str) -> str:
    n = 2
    while FAQEntry.objects.filter(organisation=organisation, slug=f"{slug}-{n}").exists():
        n += 1
    return f"{slug}-{n}"


@transaction.atomic
def delete_faq_entry(*, user, entry: FAQEntry) -> None:
    require(user, "assistant.manage_faq", entry.organisation)
    organisation = entry.organisation
    entry.delete()
    schedule_rebuild(organisation=organisation)


CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_COLUMNS = ["slug", "language", "question", "answer", "paraphrases", "article_id", "link_url"]


@transaction.atomic
def import_faq_csv(*, user, organisation, data: bytes) -> dict[str, int]:
    """Rows: slug, language, question, answer, paraphrases ("|"-separated), article_id,
    link_url. Rows with the same slug are one entry. All or nothing: any bad row rejects the
    file with its line number."""
    require(user, "assistant.manage_faq", organisation)
    if len(data) > CSV_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 2 MB.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"slug", "language", "question", "answer"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(
            {"file": _("Missing columns: %(cols)s") % {"cols": ", ".join(sorted(missing))}}
        )
    from django.conf import settings as dj

    known = {code for code, _n in dj.LANGUAGES}
    grouped: dict[str, dict] = {}
    for line, row in enumerate(reader, start=2):
        slug = slugify(row.get("slug") or "")
        lang = (row.get("language") or "").strip()
        q, a = (row.get("question") or "").strip(), (row.get("answer") or "").strip()
        if not slug or lang not in known or not q or not a:
            raise ValidationError(
                {
                    "file": _(
                        "Line %(line)d: give a short name, a known language, a question and "
                        "an answer."
                    )
                    % {"line": line}
                }
            )
        item = grouped.setdefault(
            slug, {"translations": {}, "paraphrases": {}, "article_id": None, "link_url": ""}
        )
        item["translations"][lang] = (q, a)
        paras = [p.strip() for p in (row.get("paraphrases") or "").split("|") if p.strip()]
        item["paraphrases"].setdefault(lang, []).extend(paras)
        art = (row.get("article_id") or "").strip()
        if art:
            if not art.isdigit():
                raise ValidationError(
                    {"file": _("Line %(line)d: article_id must be a number.") % {"line": line}}
                )
            item["article_id"] = int(art)
        item["link_url"] = (row.get("link_url") or "").strip() or item["link_url"]
    created = updated = 0
    for slug, item in grouped.items():
        entry = FAQEntry.objects.filter(organisation=organisation, slug=slug).first()
        if entry is not None:
            existing = {t.language: (t.question, t.answer) for t in entry.translations.all()}
            existing.update(item["translations"])
            item["translations"] = existing
        try:
            save_faq_entry(user=user, organisation=organisation, entry=entry, slug=slug, **item)
        except ValidationError as exc:
            raise ValidationError({"file": f"{slug}: {'; '.join(exc.messages)}"}) from exc
        if entry is None:
            created += 1
        else:
            updated += 1
    return {"created": created, "updated": updated}


@transaction.atomic
def teach_from_unanswered(
    *,
    user,
    organisation,
    question_ids: list[int],
    language: str,
    question: str,
    answer: str,
    slug: str = "",
) -> FAQEntry:
    """Turn a group of unanswered questions into a new FAQ entry (their texts become its
    paraphrases) and mark them resolved."""
    require(user, "assistant.manage_faq", organisation)
    items = list(
        UnansweredQuestion.objects.filter(
            organisation=organisation, pk__in=question_ids, resolved_at__isnull=True
        )
    )
    if not items:
        raise ValidationError({"question_ids": _("Those questions are already handled.")})
    paras: dict[str, list[str]] = {}
    for item in items:
        paras.setdefault(item.language or language, []).append(item.text)
    from django.conf import settings as dj

    known = {code for code, _n in dj.LANGUAGES}
    paras = {("hi" if k == "hi-Latn" else k): v for k, v in paras.items()}
    paras = {k: v for k, v in paras.items() if k in known}
    entry = save_faq_entry(
        user=user,
        organisation=organisation,
        slug=slug,
        translations={language: (question, answer)},
        paraphrases=paras,
    )
    UnansweredQuestion.objects.filter(pk__in=[i.pk for i in items]).update(
        resolved_at=timezone.now(), resolved_entry=entry
    )
    return entry


@transaction.atomic
def dismiss_unanswered(*, user, organisation, question_ids: list[int]) -> int:
    require(user, "assistant.manage_faq", organisation)
    return UnansweredQuestion.objects.filter(
        organisation=organisation, pk__in=question_ids, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


# =========================================================================== engine
def schedule_rebuild(*, organisation) -> None:
    """Debounced: mark dirty now, rebuild a few seconds later (one rebuild for a burst of
    edits; the task skips when a later rebuild already covered the change)."""
    settings_obj = ensure_settings(organisation=organisation)
    AssistantSettings.objects.filter(pk=settings_obj.pk).update(dirty_at=timezone.now())
    from concierge.assistant.tasks import rebuild_engine

    task = rebuild_engine
    if default_task_backend.supports_defer:
        task = rebuild_engine.using(run_after=timezone.now() + REBUILD_DELAY)
    enqueue_on_commit(task, organisation.pk)


def rebuild_engine(*, organisation_id: int, force: bool = False) -> dict:
    """Train the organisation's engine from its FAQ entries and published articles, choose
    its threshold on held-out questions, save it and bump the version."""
    from concierge.accounts.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    obj = ensure_settings(organisation=organisation)
    langs = obj.language_list
    fingerprint = sources.articles_fingerprint(organisation=organisation, languages=langs)
    up_to_date = (
        obj.trained_at is not None
        and (obj.dirty_at is None or obj.dirty_at <= obj.trained_at)
        and fingerprint == obj.sources_fingerprint
    )
    if up_to_date and not force:
        return {"skipped": True}
    started = timezone.now()
    engine, report = knowledge.fit(organisation=organisation, languages=langs)
    with transaction.atomic():
        obj = AssistantSettings.objects.select_for_update().get(pk=obj.pk)
        version = obj.engine_version + 1
        if engine is not None:
            obj.engine_file = knowledge.save(
                engine, organisation_id=organisation_id, version=version
            )
            obj.threshold = engine.threshold
        else:
            obj.engine_file = ""
            obj.threshold = None
            knowledge.forget(organisation_id)
        obj.engine_version = version
        obj.validation = report
        obj.trained_at = started
        obj.sources_fingerprint = fingerprint
        obj.save()
    selectors.forget_chat_settings(organisation_id=organisation_id)
    return report


# =========================================================================== answering
@dataclass
class Answer:
    """What the bot would say to one message (no rows written)."""

    kind: str  # answer | unsure | person | thanks | greeting | bye | money | empty | too_long
    text: str
    language: str  # the language the visitor wrote in (hi-Latn included)
    answer_language: str = ""  # the language the answer text is in
    confidence: float | None = None
    faq_entry: knowledge.EntryText | None = None  # .pk and .slug
    article_id: int | None = None
    source_url: str = ""
    source_title: str = ""
    note: str = ""
    missing_language: str = ""
    alternatives: list[dict] = field(default_factory=list)


def _validated_text(raw) -> tuple[str, str]:
    """(clean text, problem) — problem is "empty", "too_long" or ""."""
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("utf-8", errors="replace")
    raw = "" if raw is None else str(raw)
    if len(raw) > MAX_MESSAGE_CHARS:
        return clean_text(raw[:MAX_MESSAGE_CHARS]), "too_long"
    text = clean_text(_BINARY.sub(" ", raw))
    if not text or not any(ch.isalnum() for ch in text):
        return "", "empty"
    return text, ""


def compose_answer(*, organisation, text, language: str, user=None, settings_obj=None) -> Answer:
    """Decide the reply to one visitor message: small talk, the user's money, an FAQ/article
    answer in their language, or an honest "not sure"."""
    settings_obj = settings_obj or selectors.settings_for(organisation=organisation)
    allowed = settings_obj.language_list
    conv_lang = language if language in allowed else organisation.language
    text, problem = _validated_text(text)
    if problem == "too_long":
        return Answer(
            "too_long",
            _t(
                conv_lang,
                gettext_noop(
                    "That message is too long for me. Please ask one question in a few "
                    "sentences (at most %(n)d characters)."
                ),
            )
            % {"n": MAX_MESSAGE_CHARS},
            conv_lang,
        )
    if problem == "empty":
        return Answer("empty", _t(conv_lang, gettext_noop("Please type your question.")), conv_lang)
    detected = knowledge.detect_language(text, allowed=allowed, fallback=conv_lang)
    content_lang = "hi" if detected == "hi-Latn" else detected

    if phrases.wants_person(text):
        return Answer("person", "", detected)
    if phrases.is_thanks(text) or phrases.is_bye(text):
        return Answer("thanks", "", detected)
    if phrases.is_greeting(text):
        return Answer(
            "greeting",
            _t(content_lang, gettext_noop("Hello! What would you like to know?")),
            detected,
        )
    money = sources.answer_money_question(user=user, text=text, language=content_lang)
    if money:
        return Answer("money", money, detected, answer_language=content_lang)

    engine = knowledge.load(
        organisation_id=organisation.pk,
        version=settings_obj.engine_version,
        filename=settings_obj.engine_file,
    )
    if engine is None:
        return _unsure(detected, content_lang, None, [], organisation, version=0)
    pred = engine.predict(text, fallback_language=conv_lang)
    if pred.answer_id is None:
        return _unsure(
            detected,
            content_lang,
            pred.confidence,
            list(pred.alternatives),
            organisation,
            version=settings_obj.engine_version,
        )
    answer = _answer_for(
        label=pred.answer_id,
        organisation=organisation,
        language=content_lang,
        default_language=organisation.language,
        version=settings_obj.engine_version,
    )
    if answer is None:  # the entry vanished between training and now
        return _unsure(
            detected,
            content_lang,
            pred.confidence,
            [],
            organisation,
            version=settings_obj.engine_version,
        )
    answer.language = detected
    answer.confidence = round(float(pred.confidence), 4)
    return answer


def _t(language: str, message: str) -> str:
    lang = "hi" if language == "hi-Latn" else language
    with translation.override(lang):
        return _(message)


def _unsure(
    detected, content_lang, confidence, alternatives, organisation, *, version: int
) -> Answer:
    alts = []
    for label, conf in alternatives[:3]:
        if conf < 0.15:
            continue
        found = _answer_for(
            label=label,
            organisation=organisation,
            language=content_lang,
            default_language=organisation.language,
            version=version,
            record_missing=False,
        )
        if found is not None and found.source_title and found.answer_language == content_lang:
            alts.append({"title": found.source_title, "question": found.source_title})
    text = _t(
        content_lang,
        gettext_noop(
            "I'm not sure I know the answer to that. I can connect you to a person who can help."
        ),
    )
    return Answer(
        "unsure",
        text,
        detected,
        answer_language=content_lang,
        confidence=None if confidence is None else round(float(confidence), 4),
        alternatives=alts[:2],
    )


def _answer_for(
    *,
    label: str,
    organisation,
    language: str,
    default_language: str,
    version: int | None = None,
    record_missing: bool = True,
):
    """The answer behind an engine label in `language` (or the default language, noting the
    missing translation unless `record_missing` is off: "did you mean" chips only)."""
    if version is None:
        version = selectors.settings_for(organisation=organisation).engine_version
    cat = knowledge.catalogue(organisation=organisation, version=version)
    kind, pk = knowledge.parse_label(label)
    if kind == "faq":
        entry = cat.entries.get(pk)
        if entry is None:
            return None
        trs = entry.translations
        used = language
        if used not in trs:
            used = default_language if default_language in trs else next(iter(sorted(trs)), "")
        if used not in trs:
            return None
        question, text = trs[used]
        url, title = entry.link_url, entry.link_title or question
        if entry.article_id:
            art = cat.article(entry.article_id, language) or cat.article(
                entry.article_id, default_language
            )
            if art is not None:
                url, title = art.url or url, art.title
        ans = Answer(
            "answer",
            text,
            language,
            answer_language=used,
            faq_entry=entry,
            article_id=entry.article_id,
            source_url=url,
            source_title=title,
        )
        if used != language and record_missing:
            _mark_missing(ans, organisation=organisation, language=language, fallback=used)
        return ans
    art = cat.article(pk, language) or cat.article(pk, default_language)
    if art is None:
        return None
    ans = Answer(
        "answer",
        art.summary or art.title,
        language,
        answer_language=art.language,
        article_id=pk,
        source_url=art.url,
        source_title=art.title,
    )
    if art.language != language and record_missing:
        _mark_missing(ans, organisation=organisation, language=language, fallback=art.language)
    return ans


def _mark_missing(ans: Answer, *, organisation, language: str, fallback: str) -> None:
    ans.missing_language = language
    machine = machine_translate(ans.text, source=fallback, target=language)
    if machine:
        ans.text = machine
        ans.answer_language = language
        ans.note = _t(language, gettext_noop("This answer was translated automatically."))
        return
    with translation.override(language):
        from django.utils.translation import get_language_info

        name = get_language_info(fallback)["name_local"]
        ans.note = _(
            "Sorry, this answer is not available in your language yet; here it is in %(language)s."
        ) % {"language": name}


# =========================================================================== conversations
def _romanise(text: str, conversation: Conversation) -> str:
    if conversation.language == "hi" and conversation.script == "latn" and romanise_hindi:
        return romanise_hindi(text, casual=True).replace("।", ".").replace("॥", ".")
    return text


def _bot_message(
    conversation: Conversation, text: str, *, sender=Message.Sender.BOT, author=None, **fields
) -> Message:
    """A message from us (unsaved), in the script the visitor chose."""
    if sender in (Message.Sender.BOT, Message.Sender.SYSTEM):
        text = _romanise(text, conversation)
    return Message(
        conversation=conversation, sender=sender, author=author, text=text[:5000], **fields
    )


def _say(
    conversation: Conversation, text: str, *, sender=Message.Sender.BOT, author=None, **fields
) -> Message:
    message = _bot_message(conversation, text, sender=sender, author=author, **fields)
    message.save(force_insert=True)
    return message


def conversation_group(conversation_id) -> str:
    return group_name("assistant", "chat", conversation_id)


def queue_group(organisation_id) -> str:
    return organisation_group(organisation_id, "assistant-queue")


def _push(conversation: Conversation, messages: list[Message]) -> None:
    payload = {
        "kind": "messages",
        "conversation": conversation.pk,
        "status": conversation.status,
        "messages": [selectors.message_payload(m) for m in messages],
    }
    broadcast(conversation_group(conversation.pk), payload)
    if conversation.status in (Conversation.Status.WAITING, Conversation.Status.LIVE):
        broadcast(
            queue_group(conversation.organisation_id),
            {"kind": "queue", "conversation": conversation.pk},
        )


def _greeting(conversation: Conversation, settings_obj) -> Message:
    lang = conversation.language
    with translation.override(lang):
        text = _(
            "Hello! I'm the %(org)s assistant. Ask me anything, in English, Hindi or Tamil."
        ) % {"org": conversation.organisation.name}
    suggestions = selectors.suggested_questions(
        organisation=conversation.organisation, language=lang, limit=4
    )
    return _say(
        conversation, text, language=lang, extra={"suggestions": suggestions, "kind": "greeting"}
    )


def start_conversation(
    *, organisation, user=None, language: str = "", origin: str = "", name: str = ""
) -> Conversation:
    """A new chat, greeted in the visitor's language (their choice, their profile, or the
    organisation's default)."""
    return open_conversation(
        organisation=organisation, user=user, language=language, origin=origin, name=name
    )[0]


@transaction.atomic
def open_conversation(
    *, organisation, user=None, language: str = "", origin: str = "", name: str = ""
) -> tuple[Conversation, list[Message]]:
    """start_conversation, also returning the chat's messages so far (the greeting): a new
    socket needs not read its history back."""
    settings_obj = selectors.settings_for_chat(organisation=organisation)
    if settings_obj.pk is None:
        settings_obj = ensure_settings(organisation=organisation)
    if not settings_obj.is_enabled:
        raise PermissionDenied(_("The chat is switched off for this organisation."))
    allowed = settings_obj.language_list
    lang = language if language in allowed else ""
    if not lang and user is not None and user.is_authenticated and user.language in allowed:
        lang = user.language
    lang = lang or (organisation.language if organisation.language in allowed else allowed[0])
    visitor = user if user is not None and user.is_authenticated else None
    conversation = Conversation.objects.create(
        organisation=organisation,
        visitor=visitor,
        language=lang,
        origin=origin[:200],
        visitor_name=(name or (visitor.name if visitor else ""))[:120],
        visitor_email=visitor.email if visitor else "",
    )
    return conversation, [_greeting(conversation, settings_obj)]


class ChatChanged(Exception):
    """The chat's status changed (an agent, the expiry job) while a message was answered."""


def _touch(conversation: Conversation, *, only_if_status: str | None = None, **fields) -> None:
    """Update the chat (and the object in hand); with `only_if_status`, only while the chat
    still has that status — else ChatChanged, which rolls the caller's transaction back."""
    fields["last_message_at"] = timezone.now()
    rows = Conversation.objects.filter(pk=conversation.pk)
    if only_if_status is not None:
        rows = rows.filter(status=only_if_status)
    if not rows.update(**fields) and only_if_status is not None:
        raise ChatChanged
    for k, v in fields.items():
        if not hasattr(v, "resolve_expression"):
            setattr(conversation, k, v)


CHAT_CHANGED_RETRIES = 3


def visitor_says(*, conversation: Conversation, text, user=None) -> list[Message]:
    """One visitor message and everything that follows from it. Returns the new messages
    (the visitor's first).

    The chat is not read again first (a socket holds it between messages): what is written is
    kept only if the chat still has the status it was answered in. When an agent or the
    expiry job changed it meanwhile, nothing is kept, the chat is re-read and the message is
    handled again — so an answered message costs three queries, not four."""
    for _attempt in range(CHAT_CHANGED_RETRIES):
        try:
            return _visitor_says(conversation=conversation, text=text, user=user)
        except ChatChanged:
            conversation.refresh_from_db(fields=LIVE_FIELDS)
    raise ValidationError({"text": _("The chat is busy; please send your message again.")})


@transaction.atomic
def _visitor_says(*, conversation: Conversation, text, user) -> list[Message]:
    seen = conversation.status
    if seen == Conversation.Status.CLOSED:
        raise ValidationError({"text": _("This chat has ended. Start a new one to ask again.")})
    clean, problem = _validated_text(text)
    stored = clean if clean else (str(text)[:200] if text else "")
    if problem == "empty" and not clean:
        reply = _say(
            conversation,
            _t(conversation.language, gettext_noop("Please type your question.")),
            language=conversation.language,
        )
        _touch(conversation, only_if_status=seen)
        return [reply]
    out: list[Message] = []
    author = user if user is not None and user.is_authenticated else None
    if seen in (Conversation.Status.WAITING, Conversation.Status.LIVE):
        # A person has (or will) take over: the bot stays quiet.
        out.append(
            Message.objects.create(
                conversation=conversation,
                sender=Message.Sender.VISITOR,
                author=author,
                text=stored,
                language=conversation.language,
            )
        )
        _touch(conversation, only_if_status=seen)
        _push(conversation, out)
        return out

    settings_obj = selectors.settings_for_chat(organisation=conversation.organisation)
    ans = compose_answer(
        organisation=conversation.organisation,
        text=stored if not problem else text,
        language=conversation.language,
        user=user,
        settings_obj=settings_obj,
    )
    question = Message(
        conversation=conversation,
        sender=Message.Sender.VISITOR,
        author=author,
        text=stored,
        language=ans.language,
    )
    if ans.kind in ("person", "thanks"):
        # Hand-off and goodbye write (and lock) more rows: the question goes in first.
        question.save(force_insert=True)
    out.append(question)
    content_lang = "hi" if ans.language == "hi-Latn" else ans.language
    updates = {}
    if ans.kind not in ("empty", "too_long") and content_lang != conversation.language:
        updates["language"] = content_lang
        conversation.language = content_lang
    ask_script = False
    if ans.language == "hi-Latn" and not conversation.script:
        updates["script"] = "latn"
        conversation.script = "latn"
        ask_script = True
    replies: list[Message] = []
    if ans.kind in ("person", "thanks") and updates:
        # Hand-off and goodbye re-read the chat: they must see the language just detected.
        _touch(conversation, **updates)
        updates = {}
    if ans.kind == "person":
        out += request_handoff(conversation=conversation, reason="asked", question="")
        conversation.refresh_from_db(fields=["status"])
    elif ans.kind == "thanks":
        out += end_conversation(conversation=conversation, by_visitor=True)
    elif ans.kind == "unsure":
        UnansweredQuestion.objects.create(
            organisation=conversation.organisation,
            conversation=conversation,
            text=stored[:1000],
            language=ans.language,
            confidence=ans.confidence,
            reason=UnansweredQuestion.Reason.LOW_CONFIDENCE,
        )
        replies.append(
            _bot_message(
                conversation,
                ans.text,
                language=content_lang,
                confidence=ans.confidence,
                extra={"kind": "unsure", "offer_handoff": True, "alternatives": ans.alternatives},
            )
        )
    elif ans.kind == "answer":
        if ans.missing_language:
            _record_missing(conversation.organisation, ans)
        extra = {"kind": "answer", "ask_helpful": True}
        if ans.note:
            extra["note"] = _romanise(ans.note, conversation)
        replies.append(
            _bot_message(
                conversation,
                ans.text,
                language=ans.answer_language or content_lang,
                faq_entry_id=ans.faq_entry.pk if ans.faq_entry else None,
                source_url=ans.source_url,
                source_title=ans.source_title,
                confidence=ans.confidence,
                extra=extra,
            )
        )
        updates["bot_answers"] = F("bot_answers") + 1
    else:  # greeting, money, empty, too_long
        extra = {"kind": ans.kind}
        if ans.kind == "money":
            extra["ask_helpful"] = True
        replies.append(_bot_message(conversation, ans.text, language=content_lang, extra=extra))
    if ask_script:
        with translation.override("hi"):
            q = _("Shall I write Hindi in Devanagari or in Latin letters?")
        replies.append(
            _bot_message(
                conversation,
                q,
                language="hi",
                extra={"kind": "ask_script", "choices": ["deva", "latn"]},
            )
        )
    # The question and the bot's replies in one INSERT (ids come back on SQLite and PostgreSQL).
    Message.objects.bulk_create(replies if question.pk else [question, *replies])
    out += replies
    # Hand-off and goodbye locked and re-read the chat themselves.
    handled = ans.kind in ("person", "thanks")
    _touch(conversation, only_if_status=None if handled else seen, **updates)
    if conversation.status != Conversation.Status.BOT or ans.kind in ("person", "thanks"):
        _push(conversation, out)
    # With the bot alone, the visitor's socket gets the reply directly: no broadcast needed.
    return out


def _record_missing(organisation, ans: Answer) -> None:
    lookup = {
        "organisation": organisation,
        "faq_entry_id": ans.faq_entry.pk if ans.faq_entry else None,
        "article_id": None if ans.faq_entry else ans.article_id,
        "language": ans.missing_language,
    }
    updated = MissingTranslation.objects.filter(**lookup).update(
        times=F("times") + 1, last_asked_at=timezone.now()
    )
    if not updated:
        MissingTranslation.objects.create(**lookup)


@transaction.atomic
def mark_helpful(*, conversation: Conversation, message_id: int, helpful: bool) -> list[Message]:
    """ "Did this help?" — a second "no" hands the chat to a person."""
    conversation.refresh_from_db(fields=LIVE_FIELDS)
    msg = conversation.messages.filter(pk=message_id, sender=Message.Sender.BOT).first()
    if msg is None:
        raise ValidationError({"message_id": _("No such answer in this chat.")})
    if msg.helpful is not None:
        return []
    msg.helpful = bool(helpful)
    msg.save(update_fields=["helpful"])
    if helpful:
        m = _say(
            conversation,
            _t(conversation.language, gettext_noop("Great! Anything else I can help with?")),
            language=conversation.language,
            extra={"kind": "ack"},
        )
        _push(conversation, [m])
        return [m]
    Conversation.objects.filter(pk=conversation.pk).update(unhelpful_count=F("unhelpful_count") + 1)
    conversation.refresh_from_db(fields=["unhelpful_count", "status"])
    question = (
        conversation.messages.filter(sender=Message.Sender.VISITOR, pk__lt=msg.pk)
        .order_by("-pk")
        .first()
    )
    if question is not None:
        UnansweredQuestion.objects.create(
            organisation=conversation.organisation,
            conversation=conversation,
            text=question.text[:1000],
            language=question.language,
            confidence=msg.confidence,
            reason=UnansweredQuestion.Reason.UNHELPFUL,
        )
    if conversation.unhelpful_count >= UNHELPFUL_BEFORE_HANDOFF:
        return request_handoff(conversation=conversation, reason="unhelpful")
    m = _say(
        conversation,
        _t(
            conversation.language,
            gettext_noop(
                "Sorry about that. Could you put it another way? Or I can connect you to a person."
            ),
        ),
        language=conversation.language,
        extra={"kind": "sorry", "offer_handoff": True},
    )
    _push(conversation, [m])
    return [m]


@transaction.atomic
def set_language(*, conversation: Conversation, language: str, script: str = "") -> list[Message]:
    conversation.refresh_from_db(fields=LIVE_FIELDS)
    allowed = selectors.settings_for(organisation=conversation.organisation).language_list
    if language not in allowed:
        raise ValidationError({"language": _("This chat does not speak that language.")})
    fields = {"language": language}
    if script in ("deva", "latn") and language == "hi":
        fields["script"] = script
    _touch(conversation, **fields)
    with translation.override(language):
        text = _("OK, I'll answer in this language from now on.")
    m = _say(
        conversation,
        text,
        language=language,
        extra={
            "kind": "language",
            "labels": selectors.widget_labels(language=language),
            "suggestions": selectors.suggested_questions(
                organisation=conversation.organisation, language=language, limit=4
            ),
        },
    )
    _push(conversation, [m])
    return [m]


def _online_seats(organisation):
    fresh = timezone.now() - AgentSeat.HEARTBEAT
    return AgentSeat.objects.filter(organisation=organisation, online=True, last_seen_at__gte=fresh)


@transaction.atomic
def request_handoff(
    *, conversation: Conversation, reason: str = "asked", question: str | None = None
) -> list[Message]:
    """Hand the chat to a person: into the live queue when an agent is online, else a ticket
    (asking for an e-mail first when we have none)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status != Conversation.Status.BOT:
        return []
    lang = conversation.language
    last_q = conversation.messages.filter(sender=Message.Sender.VISITOR).order_by("-pk").first()
    if (
        last_q is not None
        and not phrases.wants_person(last_q.text)
        and not (
            UnansweredQuestion.objects.filter(
                conversation=conversation, text=last_q.text[:1000]
            ).exists()
        )
    ):
        UnansweredQuestion.objects.create(
            organisation=conversation.organisation,
            conversation=conversation,
            text=last_q.text[:1000],
            language=last_q.language,
            reason=UnansweredQuestion.Reason.HANDOFF,
        )
    _touch(
        conversation, status=Conversation.Status.WAITING, handed_off=True, handoff_at=timezone.now()
    )
    if _online_seats(conversation.organisation).exists():
        m = _say(
            conversation,
            _t(
                lang,
                gettext_noop(
                    "I'm connecting you to a person. Please stay here; an "
                    "agent will join in a moment."
                ),
            ),
            sender=Message.Sender.SYSTEM,
            language=lang,
            extra={"kind": "waiting"},
        )
        out = [m]
        _push(conversation, out)
        return out
    if conversation.visitor_email:
        return _to_ticket(conversation, why="offline")
    m = _say(
        conversation,
        _t(
            lang,
            gettext_noop(
                "Nobody from our team is online right now. Leave your e-mail "
                "address and we'll answer you there."
            ),
        ),
        sender=Message.Sender.SYSTEM,
        language=lang,
        extra={"kind": "ask_email"},
    )
    _push(conversation, [m])
    return [m]


def _to_ticket(conversation: Conversation, *, why: str) -> list[Message]:
    """Turn the chat into a helpdesk ticket with the whole transcript."""
    transcript = selectors.transcript_text(conversation=conversation)
    first_q = (
        conversation.messages.filter(sender=Message.Sender.VISITOR)
        .exclude(text="")
        .order_by("pk")
        .values_list("text", flat=True)
        .first()
    ) or "Chat"
    subject = _t("en", gettext_noop("Chat: %(q)s")) % {"q": first_q[:80]}
    ref = sources.create_ticket(
        organisation=conversation.organisation,
        subject=subject,
        transcript=transcript,
        customer=conversation.visitor,
        email=conversation.visitor_email,
        name=conversation.visitor_name,
        language=conversation.language,
    )
    if ref is None:
        ref = _offline_message(conversation, subject=subject, transcript=transcript)
    _touch(
        conversation,
        status=Conversation.Status.TICKET,
        ticket_reference=ref.reference,
        ticket_url=ref.url,
    )
    lang = conversation.language
    if why == "timeout":
        text = _t(
            lang,
            gettext_noop(
                "Sorry, no agent could take your chat in time. We've saved our "
                "conversation as request %(ref)s and will reply by e-mail."
            ),
        )
    else:
        text = _t(
            lang,
            gettext_noop(
                "We've saved our conversation as request %(ref)s and will reply by e-mail."
            ),
        )
    m = _say(
        conversation,
        text % {"ref": ref.reference},
        sender=Message.Sender.SYSTEM,
        language=lang,
        source_url=ref.url,
        extra={"kind": "ticket", "reference": ref.reference},
    )
    out = [m] + _closing(conversation)
    _push(conversation, out)
    return out


def _offline_message(conversation: Conversation, *, subject: str, transcript: str):
    """Without the helpdesk service: e-mail the transcript to the organisation's managers."""
    from concierge.accounts.models import Membership, Role
    from concierge.notifications.services import queue_email

    org = conversation.organisation
    to = (
        [org.email]
        if org.email
        else list(
            Membership.objects.filter(
                organisation=org, role__in=[Role.MANAGER, Role.ADMIN]
            ).values_list("user__email", flat=True)
        )
    )
    reference = f"CHAT-{conversation.pk}"
    if to:
        body = (
            f"{subject}\nReference: {reference}\n"
            f"Visitor: {conversation.visitor_name} <{conversation.visitor_email}>\n\n"
            f"{transcript}"
        )
        queue_email(
            to=to, subject=f"[{reference}] {subject}", text=body, event="assistant.offline_message"
        )
    return sources.TicketRef(reference=reference, url="")


@transaction.atomic
def give_contact(*, conversation: Conversation, email: str, name: str = "") -> list[Message]:
    conversation.refresh_from_db(fields=LIVE_FIELDS)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    _touch(
        conversation, visitor_email=email, visitor_name=(name or conversation.visitor_name)[:120]
    )
    if (
        conversation.status == Conversation.Status.WAITING
        and not _online_seats(conversation.organisation).exists()
    ):
        return _to_ticket(conversation, why="offline")
    m = _say(
        conversation,
        _t(conversation.language, gettext_noop("Thank you, we have your e-mail address.")),
        sender=Message.Sender.SYSTEM,
        language=conversation.language,
    )
    _push(conversation, [m])
    return [m]


@transaction.atomic
def set_seat(*, user, organisation, online: bool, languages: str | None = None) -> AgentSeat:
    require(user, "assistant.take_chats", organisation)
    seat = AgentSeat.objects.select_for_update().get(user=user, organisation=organisation)
    seat.online = online
    seat.last_seen_at = timezone.now()
    if languages is not None:
        seat.languages = languages
    seat.save()
    return seat


def _seat_languages(languages) -> str:
    from django.conf import settings as dj

    known = {code for code, _n in dj.LANGUAGES}
    codes = [c.strip() for c in (languages or []) if c.strip()]
    if not codes or any(c not in known for c in codes):
        raise ValidationError({"languages": _("Choose at least one of the chat's languages.")})
    return ",".join(dict.fromkeys(codes))


@transaction.atomic
def grant_seat(*, user, organisation, member, languages: list[str]) -> AgentSeat:
    """Let a member (an agent or above) take live chats, in the given languages; granting an
    existing seat again changes its languages."""
    from concierge.accounts.models import Role
    from concierge.accounts.selectors import has_role

    require(user, "assistant.manage_seats", organisation)
    if not has_role(user=member, organisation=organisation, at_least=Role.AGENT):
        raise ValidationError({"member": _("Only agents of the organisation can take chats.")})
    seat, _created = AgentSeat.objects.update_or_create(
        user=member, organisation=organisation, defaults={"languages": _seat_languages(languages)}
    )
    return seat


@transaction.atomic
def revoke_seat(*, user, seat: AgentSeat) -> int:
    """Take the seat away. The agent's live chats go back to the waiting queue (another agent
    can accept them, or they become tickets in time). Returns how many went back."""
    require(user, "assistant.manage_seats", seat.organisation)
    live = list(
        Conversation.objects.select_for_update().filter(
            organisation=seat.organisation, agent=seat.user, status=Conversation.Status.LIVE
        )
    )
    for conversation in live:
        _touch(
            conversation,
            status=Conversation.Status.WAITING,
            agent=None,
            handoff_at=timezone.now(),
        )
        _push(conversation, [])
    seat.delete()
    return len(live)


@transaction.atomic
def set_seat_away(*, user, seat: AgentSeat) -> AgentSeat:
    """An admin marks an agent away (say, a console left open at the end of a shift): no new
    chats are offered to them until they go online again in the console."""
    require(user, "assistant.manage_seats", seat.organisation)
    AgentSeat.objects.filter(pk=seat.pk).update(online=False)
    seat.online = False
    return seat


@transaction.atomic
def accept_chat(*, agent, conversation: Conversation) -> list[Message]:
    require(agent, "assistant.take_chats", conversation.organisation)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status != Conversation.Status.WAITING:
        raise ValidationError(
            {"conversation": _("Another agent already took this chat, or it has ended.")}
        )
    _touch(conversation, status=Conversation.Status.LIVE, agent=agent, accepted_at=timezone.now())
    AgentSeat.objects.filter(user=agent, organisation=conversation.organisation).update(
        online=True, last_seen_at=timezone.now()
    )
    m = _say(
        conversation,
        _t(conversation.language, gettext_noop("%(name)s has joined the chat."))
        % {"name": agent.name},
        sender=Message.Sender.SYSTEM,
        language=conversation.language,
        extra={"kind": "agent_joined"},
    )
    _push(conversation, [m])
    return [m]


@transaction.atomic
def agent_says(*, agent, conversation: Conversation, text) -> Message:
    conversation.refresh_from_db(fields=LIVE_FIELDS)
    if conversation.agent_id != agent.pk or conversation.status != Conversation.Status.LIVE:
        raise PermissionDenied(_("This chat is not yours."))
    clean, problem = _validated_text(text)
    if problem:
        raise ValidationError(
            {"text": _("Type a message of at most %(n)d characters.") % {"n": MAX_MESSAGE_CHARS}}
        )
    m = Message.objects.create(
        conversation=conversation,
        sender=Message.Sender.AGENT,
        author=agent,
        text=clean,
        language=conversation.language,
    )
    _touch(conversation)
    _push(conversation, [m])
    return m


def _closing(conversation: Conversation) -> list[Message]:
    """Thank-you, related articles or products, and a rating request."""
    lang = conversation.language
    asked = " ".join(
        conversation.messages.filter(sender=Message.Sender.VISITOR).values_list("text", flat=True)[
            :20
        ]
    )
    related = [
        {"title": s.title, "url": s.url}
        for s in sources.search_articles(
            organisation=conversation.organisation, language=lang, text=asked
        )
    ]
    if not related:
        related = selectors.related_answers(conversation=conversation, limit=3)
    products = [
        {"title": s.title, "url": s.url}
        for s in sources.related_products(organisation=conversation.organisation, text=asked)
    ]
    text = _t(lang, gettext_noop("Thank you for chatting with us! How did we do?"))
    return [
        _say(
            conversation,
            text,
            language=lang,
            extra={"kind": "closing", "related": related, "products": products, "rate": True},
        )
    ]


@transaction.atomic
def end_conversation(
    *, conversation: Conversation, by_visitor: bool = True, agent=None
) -> list[Message]:
    conversation.refresh_from_db(fields=LIVE_FIELDS)
    if agent is not None and conversation.agent_id != agent.pk:
        raise PermissionDenied(_("This chat is not yours."))
    if conversation.status == Conversation.Status.CLOSED:
        return []
    out = []
    if agent is not None:
        out.append(
            _say(
                conversation,
                _t(conversation.language, gettext_noop("%(name)s has left the chat."))
                % {"name": agent.name},
                sender=Message.Sender.SYSTEM,
                language=conversation.language,
            )
        )
    if conversation.status != Conversation.Status.TICKET:
        out += _closing(conversation)
    _touch(conversation, status=Conversation.Status.CLOSED, ended_at=timezone.now())
    _push(conversation, out)
    return out


@transaction.atomic
def rate_conversation(*, conversation: Conversation, user=None, score, comment: str = ""):
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a rating from 1 to 5.")})
    comment = (comment or "").strip()[:2000]
    if user is not None and user.is_authenticated and conversation.visitor_id == user.pk:
        from concierge.feedback.services import rate

        rate(user=user, target=conversation, score=score, comment=comment, context="chat")
    _touch(conversation, visitor_rating=score, visitor_comment=comment)
    m = _say(
        conversation,
        _t(conversation.language, gettext_noop("Thank you for your rating.")),
        language=conversation.language,
        extra={"kind": "rated"},
    )
    _push(conversation, [m])
    return m


@transaction.atomic
def email_transcript(*, conversation: Conversation, email: str = "") -> None:
    conversation.refresh_from_db(fields=LIVE_FIELDS)
    from concierge.notifications.services import queue_email

    email = (email or conversation.visitor_email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    with translation.override(conversation.language):
        subject = _("Your chat with %(org)s") % {"org": conversation.organisation.name}
    queue_email(
        to=[email],
        subject=subject,
        text=selectors.transcript_text(conversation=conversation),
        event="assistant.transcript",
    )
    m = _say(
        conversation,
        _t(conversation.language, gettext_noop("The transcript is on its way to %(email)s."))
        % {"email": email},
        sender=Message.Sender.SYSTEM,
        language=conversation.language,
    )
    _push(conversation, [m])


def expire_waiting(*, now=None) -> int:
    """Chats nobody accepted in time become tickets (run every minute)."""
    now = now or timezone.now()
    done = 0
    waiting = Conversation.objects.filter(status=Conversation.Status.WAITING).select_related(
        "organisation"
    )
    for conv in waiting:
        timeout = selectors.settings_for(organisation=conv.organisation).handoff_timeout_minutes
        if conv.handoff_at and conv.handoff_at <= now - timedelta(minutes=timeout):
            with transaction.atomic():
                locked = Conversation.objects.select_for_update().get(pk=conv.pk)
                if locked.status == Conversation.Status.WAITING:
                    _to_ticket(locked, why="timeout")
                    done += 1
    return done


def rebuild_stale() -> int:
    """Rebuild every organisation whose FAQ or articles changed since the last training."""
    n = 0
    for obj in AssistantSettings.objects.filter(is_enabled=True):
        report = rebuild_engine(organisation_id=obj.organisation_id)
        n += 0 if report.get("skipped") else 1
    return n
