"""``manage.py forecast backtest --data PATH``: score the demand forecasting on a long CSV.

The last line printed is one JSON object (see docs/inventory-forecasting.md).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Demand forecasting tools: 'backtest' scores the forecasting on a series CSV."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        bt = sub.add_parser("backtest", help="rolling-origin backtest of a long CSV")
        bt.add_argument("--data", required=True, help="CSV (gz ok): series_id,date,sales")
        bt.add_argument("--horizon", type=int, default=None, help="periods (28 days / 6 months)")
        bt.add_argument("--folds", type=int, default=3)
        bt.add_argument("--freq", choices=["D", "M"], default="D")

    def handle(self, *args, **options):
        from concierge.inventory.forecasting.backtest import backtest, read_long_csv

        path = Path(options["data"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        freq = options["freq"]
        horizon = options["horizon"] or (28 if freq == "D" else 6)
        if options["folds"] < 1:
            raise CommandError("--folds must be at least 1")
        try:
            frame = read_long_csv(path)
            result = backtest(
                frame,
                horizon=horizon,
                folds=options["folds"],
                freq=freq,
                progress=lambda done, total: self.stderr.write(f"fold {done}/{total} done"),
            )
        except (KeyError, ValueError) as exc:
            raise CommandError(str(exc))
        self.stdout.write(json.dumps(result.summary()))
