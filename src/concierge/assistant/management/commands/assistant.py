"""``manage.py assistant <evaluate|langid|build-langid>``: measure and build the answer engine.

The last printed line of every sub-command is one JSON object (figures for scripts and CI).
``evaluate`` prints its details (row counts, validation figures, CPU times) on the line before,
so its last line holds exactly the issue's keys.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from concierge.assistant.engine import ENCODERS, EncoderUnavailable, detect_language
from concierge.assistant.engine.evaluate import DEFAULT_MIN_OOS_RECALL, run_evaluation, summary


class Command(BaseCommand):
    help = "Evaluate the assistant's answer engine and language identification."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)

        ev = sub.add_parser(
            "evaluate",
            help="train a throw-away engine on TRAIN files, tune on their val, score TEST",
        )
        ev.add_argument(
            "--train",
            action="append",
            required=True,
            type=Path,
            help="JSON file with train/val/oos_train/oos_val (repeatable: joined)",
        )
        ev.add_argument("--test", required=True, type=Path, help="JSON file with test/oos_test")
        ev.add_argument("--encoder", default="tfidf", choices=sorted(ENCODERS))
        ev.add_argument("--test-split", default="test", help="in-scope key of TEST (default test)")
        ev.add_argument(
            "--oos-split", default="oos_test", help="out-of-scope key of TEST (default oos_test)"
        )
        ev.add_argument(
            "--min-oos-recall",
            type=float,
            default=DEFAULT_MIN_OOS_RECALL,
            help="threshold objective: best accuracy with at least this OOS recall on validation",
        )
        ev.add_argument(
            "--holdout",
            action="store_true",
            help="tune on every other validation row and, when scoring a "
            "validation split, score only the other rows (honest local figures)",
        )
        ev.add_argument(
            "--e5-cache",
            type=Path,
            help="folder caching e5 vectors of batch-encoded texts between runs, e.g. "
            "var/e5-cache (default: $CONCIERGE_E5_CACHE; latency samples are never cached)",
        )

        lid = sub.add_parser("langid", help="accuracy of detect_language on [text, lang] rows")
        lid.add_argument("--data", required=True, type=Path)

        build = sub.add_parser(
            "build-langid", help="rebuild the shipped Latin-script (en / hi-Latn) model"
        )
        build.add_argument(
            "--data",
            required=True,
            type=Path,
            help="the shared data folder (multilingual_intents/, clinc150/)",
        )

    def handle(self, *args, **options):
        action = options["action"]
        if action == "evaluate":
            details = self._evaluate(options)
            self.stdout.write(json.dumps({"details": details}, ensure_ascii=False))
            result = summary(details)
        elif action == "langid":
            result = self._langid(options["data"])
        else:
            from concierge.assistant.engine.build_langid import build_latin_model  # noqa: PLC0415

            result = build_latin_model(options["data"])
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _evaluate(self, options) -> dict:
        for path in [*options["train"], options["test"]]:
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
        if options.get("e5_cache"):
            os.environ["CONCIERGE_E5_CACHE"] = str(options["e5_cache"])
        try:
            return run_evaluation(
                train=options["train"],
                test=options["test"],
                encoder=options["encoder"],
                test_split=options["test_split"],
                oos_split=options["oos_split"],
                min_oos_recall=options["min_oos_recall"],
                holdout=options["holdout"],
            )
        except EncoderUnavailable as exc:
            raise CommandError(str(exc)) from exc

    def _langid(self, path: Path) -> dict:
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        rows = json.loads(path.read_text(encoding="utf-8"))
        detect_language("warm up")  # load the model outside the timing
        right: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        started, cpu_started = time.perf_counter(), time.process_time()
        for text, lang in rows:
            total[lang] += 1
            right[lang] += detect_language(text) == lang
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        n = sum(total.values())
        return {
            "rows": n,
            "accuracy": round(sum(right.values()) / n, 4) if n else None,
            "per_language": {k: round(right[k] / total[k], 4) for k in sorted(total)},
            "ms_per_message": round(elapsed * 1000 / n, 4) if n else None,
            "cpu_ms_per_message": round(cpu * 1000 / n, 4) if n else None,
        }
