"""`manage.py los train|evaluate`: build and check the length-of-stay model.

    manage.py los train --data diabetes130_train.csv.gz [--extra-stays our_stays.csv] [--out F]
    manage.py los evaluate --data held_back.csv [--model F] [--predictions out.csv]

Both print readable lines, then one JSON object as the last line.
"""

import json
import time
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from concierge.hospital.los import model as los


class Command(BaseCommand):
    help = "Train or evaluate the hospital length-of-stay model."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train on CSVs in the Diabetes 130 format")
        train.add_argument(
            "--data",
            action="append",
            required=True,
            type=Path,
            help="CSV (.csv or .csv.gz) of completed stays; repeat for several",
        )
        train.add_argument(
            "--extra-stays",
            action="append",
            default=[],
            type=Path,
            help="the organisation's own completed stays, same format",
        )
        train.add_argument(
            "--out",
            type=Path,
            default=None,
            help="artefact to write (default: the one shipped in the package)",
        )
        train.add_argument("--seed", type=int, default=0, help="patient split seed")
        train.add_argument(
            "--threads", type=int, default=1, help="OpenMP threads for fitting (0 = all cores)"
        )
        evaluate = sub.add_parser("evaluate", help="predict every row and score it")
        evaluate.add_argument("--data", action="append", required=True, type=Path)
        evaluate.add_argument(
            "--model", type=Path, default=None, help="artefact (default: the shipped one)"
        )
        evaluate.add_argument(
            "--predictions",
            type=Path,
            default=None,
            help="also write days,low,high per row to this CSV",
        )

    def handle(self, *args, action, **options):
        for path in [*options["data"], *options.get("extra_stays", [])]:
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
        if action == "train":
            return self.train(**options)
        return self.evaluate(**options)

    def train(self, *, data, extra_stays, out, seed, threads, **_):
        sources = [los.source_kind(p, extra=False) for p in data]
        sources += [los.source_kind(p, extra=True) for p in extra_stays]
        frame, counts = los.read_stays_counted([*data, *extra_stays])
        for source, count in zip(sources, counts, strict=True):
            source["rows"] = count
        try:
            result = los.train(frame, seed=seed, sources=sources, threads=threads or None)
        except ValueError as error:
            raise CommandError(str(error))
        out = out or los.shipped_model_path()
        los.save(result.model, out)
        figures = result.test.as_dict()
        card = result.model.card
        self.stdout.write(f"rows: {card['rows']} (split by patient)")
        self.stdout.write(
            f"held-out MAE {figures['mae']} days; reference GBM "
            f"{card['reference_gbm_mae']}; median baseline "
            f"{figures['median_baseline_mae']}"
        )
        self.stdout.write(
            f"coverage of the 80 % interval {figures['coverage_80']}, "
            f"RMSE {figures['rmse']}, R² {figures['r2']}"
        )
        self.stdout.write(f"trained in {result.seconds:.1f} s; wrote {out} and its card")
        summary = {
            **figures,
            "reference_gbm_mae": card["reference_gbm_mae"],
            "fit_rows": card["rows"]["fit"],
            "calibration_rows": card["rows"]["calibration"],
            "test_rows": card["rows"]["test"],
            "training_seconds": round(result.seconds, 1),
            "data": card["data"],
            "out": out.name,
        }
        self.stdout.write(json.dumps(summary))

    def evaluate(self, *, data, model, predictions, **_):
        path = model or los.shipped_model_path()
        try:
            loaded = los.load(path)
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot load model {path}: {error}")
        frame = los.read_stays(data)
        started = time.perf_counter()
        figures, predicted = los.score(loaded, frame)
        seconds = time.perf_counter() - started
        if predictions:
            pd.DataFrame(
                {"days": predicted.days, "low": predicted.low, "high": predicted.high}
            ).to_csv(predictions, index=False)
        result = figures.as_dict()
        if figures.mae is None:
            self.stdout.write(f"predicted {figures.rows} rows; no {los.F.TARGET} to score")
            result = {"rows": figures.rows}
        else:
            self.stdout.write(f"predicted {figures.rows} rows in {seconds:.2f} s")
        self.stdout.write(json.dumps(result))
