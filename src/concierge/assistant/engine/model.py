"""The answer engine: question text -> answer id with a calibrated confidence, or abstain.

Scoring (per candidate answer ``c``)::

    raw_c = svm_weight * svm_c + (1 - svm_weight) * nn_c

``svm_c`` is a linear SVM's one-vs-rest score on the encoder's vectors and ``nn_c`` the cosine
similarity of the nearest training question of ``c`` (an FAQ paraphrase). The best answer's raw
score, lowered when the message is closer to a known out-of-scope question than to that answer,
goes through a logistic curve fitted on validation (``choose_threshold``) so the confidence
reads as "probability that this answer is right". Below ``threshold`` the engine abstains.

Romanised Hindi: every Devanagari training question is also learnt in Latin letters, spelt two
ways (``text.romanise_hindi``), and the encoders compare Latin text by its sound skeleton, so
"alarm lagao" meets the answer trained on "अलार्म लगाओ".
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.svm import LinearSVC

from concierge.assistant.engine.encoders import ENCODERS, get_encoder
from concierge.assistant.engine.text import clean, romanise_hindi

FORMAT = "concierge-assistant-engine/1"


@dataclass(frozen=True)
class Prediction:
    """What the engine answers. ``answer_id`` is None when it abstains (out of scope)."""

    answer_id: str | None
    confidence: float
    language: str
    #: Best candidates, best first, as (answer_id, confidence); kept even when abstaining
    #: so a hand-off can offer "did you mean …".
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def abstained(self) -> bool:
        return self.answer_id is None


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    in_scope_accuracy: float
    oos_recall: float
    min_oos_recall: float
    calibration: tuple[float, float]


@dataclass
class Engine:
    """Learns from (question, answer id) pairs; see the module docstring for the scoring."""

    encoder: str = "tfidf"
    svm_c: float = 1.0
    svm_weight: float = 0.5
    oos_weight: float = 1.0
    romanise: bool = True
    threshold: float = 0.5
    #: confidence = sigmoid(a * raw + b); replaced by choose_threshold's fit on validation.
    calibration: tuple[float, float] = (10.0, -5.0)
    _fitted: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ training
    def fit(self, examples: Iterable[tuple[str, str]], oos_examples: Iterable[str] = ()) -> Engine:
        texts: list[str] = []
        labels: list[str] = []
        for text, answer_id in examples:
            for variant in self._variants(clean(text)):
                texts.append(variant)
                labels.append(str(answer_id))
        if not texts:
            raise ValueError("the engine needs at least one training question")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError("the engine needs at least two different answers")
        oos_texts = [v for t in oos_examples for v in self._variants(clean(t))]
        oos_texts = [t for t in oos_texts if t]

        enc = get_encoder(self.encoder).fit(texts + oos_texts)
        X = enc.transform(texts)
        y = np.searchsorted(classes, labels)
        svm = LinearSVC(C=self.svm_c).fit(X, y)

        order = np.argsort(y, kind="stable")
        y_sorted = y[order]
        starts = np.searchsorted(y_sorted, np.arange(len(classes)))
        self._fitted = {
            "encoder": enc,
            "classes": np.array(classes),
            "coef": svm.coef_.astype(np.float32),
            "intercept": svm.intercept_.astype(np.float32),
            # transposed (features x questions): one message times it is a fast sparse product
            "memory": _transpose(X[order]),
            "starts": starts,
            "oos_memory": _transpose(enc.transform(oos_texts)) if oos_texts else None,
        }
        return self

    def _variants(self, text: str) -> list[str]:
        """The question, and for Devanagari Hindi its chat-style romanisation too.

        One romanised spelling is enough: the encoder compares Latin text by its sound
        skeleton, which maps "gaana"/"gana", "karein"/"karen" to the same n-grams.
        """
        if not text:
            return []
        out = [text]
        if self.romanise and any(0x0900 <= ord(c) <= 0x097F for c in text):
            latin = romanise_hindi(text, casual=True)
            if latin != text:
                out.append(latin)
        return out

    @property
    def classes(self) -> list[str]:
        self._require_fitted()
        return [str(c) for c in self._fitted["classes"]]

    def _require_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError("the engine is not trained: call fit() or load()")

    # ------------------------------------------------------------------ scoring
    def raw_scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(per-answer raw scores, out-of-scope penalty) for already cleaned texts."""
        self._require_fitted()
        f = self._fitted
        Q = f["encoder"].transform(texts)
        svm = np.asarray(Q @ f["coef"].T) + f["intercept"]
        sims = Q @ f["memory"]
        sims = sims.toarray() if sparse.issparse(sims) else np.asarray(sims)
        nn = np.maximum.reduceat(sims, f["starts"], axis=1)
        raw = self.svm_weight * svm + (1.0 - self.svm_weight) * nn
        penalty = np.zeros(len(texts), dtype=np.float32)
        if f["oos_memory"] is not None:
            o = Q @ f["oos_memory"]
            o = o.toarray() if sparse.issparse(o) else np.asarray(o)
            penalty = np.maximum(0.0, o.max(axis=1) - nn.max(axis=1)) * self.oos_weight
        return raw, penalty

    def confidences(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Best answer id and its calibrated confidence for each text (no abstention)."""
        texts = [clean(t) for t in texts]
        raw, penalty = self.raw_scores([t or " " for t in texts])
        best = raw.argmax(axis=1)
        top = raw[np.arange(len(texts)), best] - penalty
        conf = self._calibrate(top)
        conf[[not t for t in texts]] = 0.0
        return [str(c) for c in self._fitted["classes"][best]], conf

    def _calibrate(self, raw: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-np.clip(a * raw + b, -50, 50)))

    def predict(
        self, text: object, *, fallback_language: str | None = None, alternatives: int = 3
    ) -> Prediction:
        from concierge.assistant.engine.langid import detect_language  # noqa: PLC0415

        cleaned = clean(text)
        language = detect_language(cleaned, fallback=fallback_language)
        if not cleaned:
            return Prediction(None, 0.0, language, ())
        raw, penalty = self.raw_scores([cleaned])
        row = raw[0]
        order = np.argsort(-row)[: max(1, alternatives)]
        confs = self._calibrate(row[order] - penalty[0])
        classes = self._fitted["classes"]
        alts = tuple(
            (str(classes[i]), round(float(c), 4)) for i, c in zip(order, confs, strict=True)
        )
        best_conf = float(confs[0])
        answer = alts[0][0] if best_conf >= self.threshold else None
        return Prediction(answer, best_conf, language, alts)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """One ``.npz`` file of plain arrays + JSON; ``load`` never unpickles anything."""
        self._require_fitted()
        f = self._fitted
        path = Path(path)
        meta = {
            "format": FORMAT,
            "encoder": self.encoder,
            "svm_c": self.svm_c,
            "svm_weight": self.svm_weight,
            "oos_weight": self.oos_weight,
            "romanise": self.romanise,
            "threshold": self.threshold,
            "calibration": list(self.calibration),
        }
        arrays: dict[str, np.ndarray] = {
            "meta": np.array(json.dumps(meta)),
            "classes": f["classes"].astype(str),
            "coef": f["coef"],
            "intercept": f["intercept"],
            "starts": f["starts"],
        }
        arrays.update(_matrix_arrays("memory", f["memory"]))
        if f["oos_memory"] is not None:
            arrays.update(_matrix_arrays("oos_memory", f["oos_memory"]))
        for key, value in f["encoder"].state().items():
            arrays[f"enc_{key}"] = value
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Engine:
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path} is not a saved assistant engine")
            if meta["encoder"] not in ENCODERS:
                raise ValueError(f"unknown encoder {meta['encoder']!r} in {path}")
            engine = cls(
                encoder=meta["encoder"],
                svm_c=float(meta["svm_c"]),
                svm_weight=float(meta["svm_weight"]),
                oos_weight=float(meta["oos_weight"]),
                romanise=bool(meta["romanise"]),
                threshold=float(meta["threshold"]),
                calibration=(float(meta["calibration"][0]), float(meta["calibration"][1])),
            )
            enc_state = {k[4:]: data[k] for k in data.files if k.startswith("enc_")}
            engine._fitted = {
                "encoder": ENCODERS[meta["encoder"]].from_state(enc_state),
                "classes": data["classes"],
                "coef": data["coef"],
                "intercept": data["intercept"],
                "starts": data["starts"],
                "memory": _matrix_from(data, "memory"),
                "oos_memory": _matrix_from(data, "oos_memory"),
            }
        return engine


def _transpose(m):
    return m.T.tocsr() if sparse.issparse(m) else np.ascontiguousarray(np.asarray(m).T)


def _matrix_arrays(prefix: str, m) -> dict[str, np.ndarray]:
    if sparse.issparse(m):
        m = m.tocsr()
        return {
            f"{prefix}_data": m.data,
            f"{prefix}_indices": m.indices,
            f"{prefix}_indptr": m.indptr,
            f"{prefix}_shape": np.array(m.shape),
        }
    return {f"{prefix}_dense": np.asarray(m, dtype=np.float32)}


def _matrix_from(data, prefix: str):
    if f"{prefix}_dense" in data.files:
        return data[f"{prefix}_dense"]
    if f"{prefix}_data" not in data.files:
        return None
    return sparse.csr_matrix(
        (data[f"{prefix}_data"], data[f"{prefix}_indices"], data[f"{prefix}_indptr"]),
        shape=tuple(int(x) for x in data[f"{prefix}_shape"]),
    )


# ---------------------------------------------------------------------- threshold
def _fit_calibration(raw: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """1-D logistic regression of "answered right" on the raw score (Platt scaling)."""
    if correct.all() or not correct.any():
        return (10.0, -5.0)
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    lr = LogisticRegression(C=100.0).fit(raw.reshape(-1, 1), correct.astype(int))
    a = float(lr.coef_[0][0])
    if not math.isfinite(a) or a <= 0:
        return (10.0, -5.0)
    return (a, float(lr.intercept_[0]))


def choose_threshold(
    engine: Engine,
    val_in: Sequence[tuple[str, str]],
    val_oos: Sequence[str],
    *,
    min_oos_recall: float = 0.75,
    unseen_oos: bool = True,
) -> ThresholdChoice:
    """Calibrate confidences and pick the abstention threshold on validation data only.

    Objective: the highest in-scope accuracy (a rejected in-scope question counts as wrong)
    among thresholds that reject at least ``min_oos_recall`` of the out-of-scope questions;
    ties go to the lowest threshold. Without out-of-scope rows, plain accuracy decides.
    ``unseen_oos``: score the out-of-scope validation questions without the penalty learnt
    from ``oos_examples``, so the threshold also holds for kinds of question never seen.
    Sets ``engine.calibration`` and ``engine.threshold`` and returns the choice.
    """
    texts_in = [clean(t) or " " for t, _ in val_in]
    gold = np.array([str(a) for _, a in val_in])
    texts_oos = [clean(t) or " " for t in val_oos]
    if not texts_in and not texts_oos:
        raise ValueError("choose_threshold needs validation questions")
    raw, penalty = engine.raw_scores(texts_in + texts_oos)
    n_in = len(texts_in)
    if unseen_oos:
        # The out-of-scope penalty knows the oos_train questions, and oos_val questions are of
        # the same kinds: with it the threshold would be tuned for out-of-scope questions
        # the engine has already seen. Tune as if they were new kinds instead.
        penalty = penalty.copy()
        penalty[n_in:] = 0.0
    classes = engine._fitted["classes"]
    best = raw.argmax(axis=1)
    top = raw[np.arange(len(raw)), best] - penalty
    right = np.zeros(len(raw), dtype=bool)
    right[:n_in] = classes[best[:n_in]] == gold
    engine.calibration = _fit_calibration(top, right)
    conf = engine._calibrate(top)
    c_in, c_oos = conf[:n_in], conf[n_in:]

    candidates = np.unique(np.concatenate([[0.0], conf, np.nextafter(conf, 2.0)]))
    best_choice = None
    for th in candidates:
        acc = float((right[:n_in] & (c_in >= th)).mean()) if n_in else 0.0
        rec = float((c_oos < th).mean()) if len(c_oos) else 1.0
        if rec + 1e-12 < min_oos_recall:
            continue
        if best_choice is None or acc > best_choice[1] + 1e-12:
            best_choice = (float(th), acc, rec)
    if best_choice is None:  # only an "answer nothing" threshold reaches the recall
        best_choice = (1.0, 0.0, 1.0)
    engine.threshold = best_choice[0]
    return ThresholdChoice(
        threshold=best_choice[0],
        in_scope_accuracy=best_choice[1],
        oos_recall=best_choice[2],
        min_oos_recall=min_oos_recall,
        calibration=engine.calibration,
    )
