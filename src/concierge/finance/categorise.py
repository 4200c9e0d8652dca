"""Learned categories: TF-IDF on payee + note (word and character n-grams) → Complement
Naive Bayes, one small model per user, trained on that user's own categorised history only.
Stored with skops (no pickle of untrusted types).

Complement NB was chosen over logistic regression (lbfgs) by bench/finance_categorise.py:
same or better accuracy on a time-ordered split, and ~30× faster to train, which matters
because the model is retrained after imports and after every correction."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline

MIN_SAMPLES = 10
MIN_CONFIDENCE = 0.35


def text_of(payee: str, note: str, amount=None) -> str:
    # Digits (UPI references, card numbers, dates) say nothing about the category.
    text = re.sub(r"\d+", "0", f"{payee} {note}".lower())
    if amount is not None:
        # A coarse amount bucket helps tell rent from groceries at the same shop.
        text += f" amt{len(str(int(abs(amount))))}"
    return text


def build_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    min_df=1,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 4),
                    min_df=1,
                    sublinear_tf=True,
                    max_features=20000,
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("clf", ComplementNB(alpha=0.3))])


def train(texts: list[str], labels: list[int]) -> Pipeline | None:
    if len(texts) < MIN_SAMPLES or len(set(labels)) < 2:
        return None
    model = build_pipeline()
    model.fit(texts, labels)
    return model


@dataclass
class Suggestion:
    category_id: int
    confidence: float


def predict(model: Pipeline, texts: list[str]) -> list[Suggestion | None]:
    if not texts:
        return []
    unique = sorted(set(texts))  # statements repeat payees: predict each text once
    probs = model.predict_proba(unique)
    classes = model.classes_
    by_text: dict[str, Suggestion | None] = {}
    for text, row in zip(unique, probs, strict=True):
        best = int(np.argmax(row))
        conf = float(row[best])
        by_text[text] = Suggestion(int(classes[best]), conf) if conf >= MIN_CONFIDENCE else None
    return [by_text[t] for t in texts]


def dumps(model: Pipeline) -> bytes:
    import skops.io as sio

    return sio.dumps(model)


def loads(blob: bytes) -> Pipeline:
    import skops.io as sio

    data = bytes(blob)
    trusted = sio.get_untrusted_types(data=data)
    allowed = [t for t in trusted if t.startswith(("sklearn.", "numpy.", "scipy."))]
    return sio.loads(data, trusted=allowed)
