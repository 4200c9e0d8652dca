"""Build ``data/langid_latn.npz``: English vs romanised Hindi for Latin-script messages.

Reproducible: ``manage.py assistant build-langid --data ../shared/data``. Training rows come
only from training splits (never ``langid/dev.json`` nor ``hinglish_val.json``):

* English: MASSIVE ``en.json`` train + oos_train, CLINC150 train + oos_train.
* Romanised Hindi: MASSIVE ``hi.json`` train + oos_train romanised two ways
  (``text.romanise_hindi``), the same rows code-mixed with the words of their aligned English
  row (people write "Manhattan ke liye traffic info"), and the common chat words below.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

from concierge.assistant.engine.langid import MODEL_PATH, LatinModel, latin_features
from concierge.assistant.engine.text import romanise_hindi

#: Everyday romanised Hindi words and spellings (function words, verbs of requests, time words).
HINGLISH_WORDS = """
hai hain hei hoga hogi honge hota hoti hote tha thi the kya kyaa kia kiya kaise kese kaisa
kaisi kab kahan kahaan kidhar kyun kyon kyu kaun kon kitna kitne kitni mujhe muje mujhko mera
mere meri mero hum humein hamein hame hamara hamare hamari tum tumhe tumhara aap aapka aapke
aapki apna apne apni unka unke unki uska uske uski yeh woh vo voh yahan wahan ko ke ki ka
se mein mei mai par pe tak liye lie liya wala wali wale vala vali vale aur ya lekin magar bhi
nahi nahin nai haan ji jee accha acha theek thik thk karo karo karein karen kare
kariye karie kijiye kijie kro krdo kardo dena dijiye dijie dikhao dikhaiye dikhana
batao bataiye batana bolo boliye sunao sunaiye bajao bajaiye chalao chalaiye lagao lagaiye
hatao hataiye band chalu shuru khatam bhejo bhejiye bhejna padho padhiye likho likhiye yaad
dilao dilaiye rakho rakhiye jagao jagaiye uthao uthaiye chahiye chahta chahti chahte sakta
sakti sakte raha rahi rahe gaya gayi gaye abhi aaj kal parson subah sham shaam raat dopahar
baje bajkar ghante ghanta minute mahine hafte saal agla agle agli pichla pichle pichli
naya nayi naye sab sabhi saare sare koi kuch thoda zyada jyada bahut bohot kam dobara phir fir
baad pehle pahle jab tab agar toh bas sirf
""".split()  # noqa: SIM905 - a word list reads better as text

#: Chat words that are also English words: never evidence on their own.
AMBIGUOUS = {"the", "he", "hi", "do", "to", "me", "main", "mat", "par", "jab", "bas", "ho", "din"}

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+")


def _load(path: Path, key: str) -> list[list[str]]:
    return json.loads(path.read_text(encoding="utf-8")).get(key) or []


def training_rows(data_dir: Path, *, seed: int = 0) -> tuple[list[str], list[int]]:
    """(texts, labels) with label 1 = romanised Hindi, 0 = English."""
    rng = random.Random(seed)
    mi = data_dir / "multilingual_intents"
    en_rows = _load(mi / "en.json", "train") + _load(mi / "en.json", "oos_train")
    hi_rows = _load(mi / "hi.json", "train") + _load(mi / "hi.json", "oos_train")
    clinc = data_dir / "clinc150" / "train_val.json"
    english = [r[0] for r in en_rows]
    english += [r[0] for r in _load(clinc, "train") + _load(clinc, "oos_train")]

    hindi: list[str] = []
    for (hi_text, _), (en_text, _) in zip(hi_rows, en_rows, strict=True):
        careful = romanise_hindi(hi_text)
        casual = romanise_hindi(hi_text, casual=True)
        hindi.append(careful)
        if casual != careful:
            hindi.append(casual)
        # code-mixed: swap about a third of the words for words of the aligned English row
        words, en_words = casual.split(), en_text.split()
        if len(words) >= 3 and en_words:
            mixed = [rng.choice(en_words) if rng.random() < 0.35 else w for w in words]
            hindi.append(" ".join(mixed))
    # English sentences with one or two chat words dropped in ("south of France mein weather")
    # and English words on their own (a lone "alarm" is English, a lone "bajao" is not).
    chat_words = [w for w in HINGLISH_WORDS if w not in AMBIGUOUS]
    for text in rng.sample(english, min(len(english), 6000)):
        words = text.split()
        for _ in range(rng.choice((1, 1, 2))):
            words.insert(rng.randrange(len(words) + 1), rng.choice(chat_words))
        hindi.append(" ".join(words))
    en_counts = Counter(w for t in english for w in _WORD.findall(t.lower()))
    english += [w for w, n in en_counts.items() if n >= 3 and w not in set(HINGLISH_WORDS)]
    for _ in range(3):
        hindi += [w for w in chat_words if len(w) > 2]
        for _ in range(len(HINGLISH_WORDS)):
            hindi.append(" ".join(rng.sample(HINGLISH_WORDS, 3)))
    texts = english + hindi
    labels = [0] * len(english) + [1] * len(hindi)
    return texts, labels


def _matrix(texts: list[str], vocab: dict[str, int]) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        counts = Counter(latin_features(text))
        feats = {f: 1.0 + np.log(c) for f, c in counts.items()}
        norm = np.sqrt(sum(v * v for v in feats.values())) or 1.0
        for f, v in feats.items():
            j = vocab.get(f)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(v / norm)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocab)))


def build_latin_model(data_dir: Path, out: Path = MODEL_PATH, *, c: float = 10.0) -> dict:
    """Train, prune near-zero weights, write ``out``; returns row and feature counts."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    texts, labels = training_rows(Path(data_dir))
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(latin_features(text)))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in df.items() if n >= 2))}
    X = _matrix(texts, vocab)
    y = np.array(labels)
    clf = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=1000)
    clf.fit(X, y)
    coef = clf.coef_[0]
    terms = sorted(vocab, key=vocab.get)
    keep = np.abs(coef) >= 1e-3
    weights = {t: float(w) for t, w, k in zip(terms, coef, keep, strict=True) if k}
    model = LatinModel(weights, float(clf.intercept_[0]))
    model.save(out)
    latin_model_cache_clear()
    return {
        "rows": len(texts),
        "english_rows": int((y == 0).sum()),
        "romanised_hindi_rows": int((y == 1).sum()),
        "features": len(weights),
        "path": str(out),
    }


def latin_model_cache_clear() -> None:
    from concierge.assistant.engine.langid import latin_model  # noqa: PLC0415

    latin_model.cache_clear()
