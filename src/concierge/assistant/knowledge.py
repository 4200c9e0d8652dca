"""What the bot knows, as training data for the answer engine, and where the trained engine
lives: one `.npz` file per organisation and version under MEDIA_ROOT/assistant/engines/ (the
engine's own pickle-free save format), loaded once per process and version."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from concierge.assistant import sources

logger = logging.getLogger(__name__)

try:  # the colleague's engine (concierge.assistant.engine); a tiny fallback keeps us running
    from concierge.assistant.engine import Engine, choose_threshold
    from concierge.assistant.engine import detect_language as _detect_language
except ImportError:  # pragma: no cover - only while the engine package is missing
    Engine = None
    choose_threshold = None
    _detect_language = None

OOS_FILE = Path(__file__).resolve().parent / "data" / "out_of_scope.txt"
#: A support bot would rather hand over than answer wrongly
#: (docs/decisions/assistant-chat-threshold.md).
MIN_OOS_RECALL = 0.9


def faq_label(entry_id: int) -> str:
    return f"faq:{entry_id}"


def article_label(article_id: int) -> str:
    return f"kb:{article_id}"


def parse_label(label: str) -> tuple[str, int]:
    kind, _sep, pk = label.partition(":")
    return kind, int(pk)


@dataclass
class TrainingSet:
    examples: list[tuple[str, str]] = field(default_factory=list)
    by_label: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, label: str, text: str) -> None:
        text = (text or "").strip()
        if text and text not in self.by_label[label]:
            self.by_label[label].append(text)
            self.examples.append((text, label))


def out_of_scope_examples() -> list[str]:
    lines = OOS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def training_set(*, organisation, languages: list[str]) -> TrainingSet:
    from concierge.assistant.models import FAQEntry

    data = TrainingSet()
    entries = FAQEntry.objects.filter(organisation=organisation, is_active=True).prefetch_related(
        "translations", "paraphrases"
    )
    linked: dict[int, str] = {}
    for entry in entries:
        label = faq_label(entry.pk)
        for tr in entry.translations.all():
            data.add(label, tr.question)
        for p in entry.paraphrases.all():
            data.add(label, p.text)
        if entry.article_id:
            linked[entry.article_id] = label
    for lang in languages:
        for art in sources.published_articles(organisation=organisation, language=lang):
            data.add(linked.get(art.id, article_label(art.id)), art.title)
    return data


FOLDS = 3


def split_for_validation(data: TrainingSet, *, fold: int = 0) -> tuple[list, list]:
    """Fold `fold` of FOLDS: every FOLDS-th question (offset by the fold) of an answer with at
    least FOLDS questions is held out for validation."""
    train, val = [], []
    for label, texts in data.by_label.items():
        for i, text in enumerate(texts):
            held = len(texts) >= FOLDS and i % FOLDS == fold
            (val if held else train).append((text, label))
    return train, val


def fit(*, organisation, languages: list[str]):
    """Train an engine for `organisation`, its confidence threshold chosen on held-out data.

    Three folds: each time a third of every answer's questions (and half of the shipped
    out-of-scope questions) are held out, an engine is fitted on the rest and the engine's
    own `choose_threshold` calibrates it on the held-out part. The final engine is fitted on
    everything with the mean calibration and the median threshold. Returns (engine, report),
    or (None, report) when there is too little to learn from.
    """
    import statistics

    data = training_set(organisation=organisation, languages=languages)
    report = {"answers": len(data.by_label), "questions": len(data.examples)}
    if len(data.by_label) < 2 or Engine is None:
        report["reason"] = "needs at least two answers"
        return None, report
    oos = out_of_scope_examples()
    oos_train, oos_val = oos[0::2], oos[1::2]
    choices, calibrations, n_val = [], [], 0
    for fold in range(FOLDS):
        train, val = split_for_validation(data, fold=fold)
        if not val or len({label for _t, label in train}) < 2:
            continue
        probe = Engine().fit(train, oos_train)
        choices.append(choose_threshold(probe, val, oos_val, min_oos_recall=MIN_OOS_RECALL))
        calibrations.append(probe.calibration)
        n_val += len(val)
    engine = Engine().fit(data.examples, oos)
    if choices:
        engine.calibration = (
            statistics.fmean(c[0] for c in calibrations),
            statistics.fmean(c[1] for c in calibrations),
        )
        engine.threshold = statistics.median(c.threshold for c in choices)
        report.update(
            threshold=round(engine.threshold, 4),
            folds=len(choices),
            val_questions=n_val,
            val_out_of_scope=len(oos_val),
            val_accuracy=round(statistics.fmean(c.in_scope_accuracy for c in choices), 4),
            val_oos_recall=round(statistics.fmean(c.oos_recall for c in choices), 4),
        )
    return engine, report


# --------------------------------------------------------------------------- storage
_cache: dict[int, tuple[int, object]] = {}
_lock = threading.Lock()


def engine_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "assistant" / "engines"


def save(engine, *, organisation_id: int, version: int) -> str:
    folder = engine_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"org{organisation_id}-v{version}.npz"
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    engine.save(tmp)
    os.replace(tmp, folder / name)  # readers never see half a file
    for old in folder.glob(f"org{organisation_id}-v*.npz"):
        if old.name != name:
            with contextlib.suppress(OSError):
                old.unlink()
    with _lock:
        _cache[organisation_id] = (version, engine)
    return name


def load(*, organisation_id: int, version: int, filename: str):
    """The organisation's engine at `version` (cached per process); None when none is saved."""
    if not filename or Engine is None:
        return None
    with _lock:
        hit = _cache.get(organisation_id)
        if hit and hit[0] == version:
            return hit[1]
    path = engine_dir() / Path(filename).name
    try:
        engine = Engine.load(path)
    except (OSError, ValueError, KeyError):
        logger.warning("assistant engine missing or unreadable", extra={"path": str(path)})
        return None
    with _lock:
        _cache[organisation_id] = (version, engine)
    return engine


def forget(organisation_id: int) -> None:
    with _lock:
        _cache.pop(organisation_id, None)
        _catalogues.pop(organisation_id, None)


def detect_language(text: str, *, allowed: list[str], fallback: str) -> str:
    """Language of one message, restricted to the organisation's languages ("hi-Latn" for
    romanised Hindi when Hindi is allowed); very short messages keep the conversation's."""
    words = text.split()
    if len(words) < 2 and len(text) < 12:
        return fallback
    if _detect_language is None:  # pragma: no cover
        return fallback
    allowed_codes = tuple(allowed) + (("hi-Latn",) if "hi" in allowed else ())
    try:
        lang = _detect_language(text, allowed=allowed_codes, fallback=fallback)
    except TypeError:  # an engine build without the keyword arguments
        lang = _detect_language(text)
    if lang not in allowed_codes:
        return fallback
    return lang


# --------------------------------------------------------------------------- answer catalogue
@dataclass
class EntryText:
    pk: int
    slug: str
    article_id: int | None
    link_url: str
    link_title: str
    translations: dict[str, tuple[str, str]]  # language -> (question, answer)


class Catalogue:
    """What the answers say, per organisation and engine version, read once per process:
    the hot path of a chat message then needs no query to find its answer text."""

    def __init__(self, organisation) -> None:
        from concierge.assistant.models import FAQEntry

        self.organisation = organisation
        self.entries: dict[int, EntryText] = {}
        for e in FAQEntry.objects.filter(
            organisation=organisation, is_active=True
        ).prefetch_related("translations"):
            self.entries[e.pk] = EntryText(
                e.pk,
                e.slug,
                e.article_id,
                e.link_url,
                e.link_title,
                {t.language: (t.question, t.answer) for t in e.translations.all()},
            )
        self._articles: dict[str, dict[int, sources.ArticleText]] = {}
        self._lock = threading.Lock()

    def article(self, article_id: int, language: str):
        with self._lock:
            if language not in self._articles:
                self._articles[language] = {
                    a.id: a
                    for a in sources.published_articles(
                        organisation=self.organisation, language=language
                    )
                }
            return self._articles[language].get(article_id)


_catalogues: dict[int, tuple[int, Catalogue]] = {}


def catalogue(*, organisation, version: int) -> Catalogue:
    with _lock:
        hit = _catalogues.get(organisation.pk)
        if hit and hit[0] == version:
            return hit[1]
    cat = Catalogue(organisation)
    with _lock:
        _catalogues[organisation.pk] = (version, cat)
    return cat


def forget_catalogue(organisation_id: int) -> None:
    with _lock:
        _catalogues.pop(organisation_id, None)
