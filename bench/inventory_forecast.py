"""Inventory demand forecasting: accuracy backtests and the nightly run at scale.

1. Daily backtest, `store_item_daily.csv.gz` (28 days ahead, 3 rolling-origin folds): MASE and
   RMSSE of the forecasting run vs the weekly seasonal naive.
2. Monthly backtest, `carparts_monthly.csv.gz` (6 months, 3 folds): MASE/RMSSE vs naive and
   Croston, and stocking to the 90 % / 95 % demand quantile: fill rate, units held, pinball.
3. Scale: N generated series (default 30,000; 60 % regular, 40 % intermittent) × 2 years of
   daily history, forecast 28 days ahead with 80/95 % intervals — wall-clock seconds.

    .venv/bin/python bench/inventory_forecast.py [--series 30000] [--skip-backtest]
        [--skip-scale] [--threads 1]

Shared data: ../shared/data beside the repository, or CONCIERGE_SHARED_DATA.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from concierge.inventory.forecasting import forecast_series  # noqa: E402
from concierge.inventory.forecasting.backtest import backtest, read_long_csv  # noqa: E402


def shared_data() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return Path(os.environ.get("CONCIERGE_SHARED_DATA", default))


def generated_history(n_series: int, days: int = 730, seed: int = 7) -> pd.DataFrame:
    """Regular items (weekly × yearly seasonality, trend, Poisson noise) and intermittent ones
    (Bernoulli occurrence × geometric sizes); 2 % of days stock-outs (unknown demand)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=days, freq="D")
    t = np.arange(days)
    regular = rng.random(n_series) < 0.6
    level = np.where(regular, rng.lognormal(2.5, 0.8, n_series), rng.uniform(0.05, 0.4, n_series))
    week = 1 + rng.uniform(0, 0.5, (n_series, 1)) * np.sin(
        2 * np.pi * (t[None, :] + rng.integers(0, 7, (n_series, 1))) / 7
    )
    year = 1 + rng.uniform(0, 0.3, (n_series, 1)) * np.sin(2 * np.pi * t[None, :] / 365.25)
    trend = 1 + rng.normal(0, 0.2, (n_series, 1)) * t[None, :] / days
    mean = level[:, None] * np.where(regular[:, None], week * year * np.maximum(trend, 0.2), 1.0)
    values = np.where(
        regular[:, None],
        rng.poisson(mean),
        (rng.random((n_series, days)) < mean) * rng.geometric(0.4, (n_series, days)),
    ).astype(np.float32)
    values[rng.random(values.shape) < 0.02] = np.nan
    return pd.DataFrame(
        {
            "series_id": np.repeat(np.arange(n_series), days),
            "date": np.tile(dates.to_numpy(), n_series),
            "demand": values.reshape(-1),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-backtest", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    data = shared_data() / "retail"
    if not args.skip_backtest:
        daily = backtest(read_long_csv(data / "store_item_daily.csv.gz"), horizon=28, folds=3)
        s = daily.scores
        ratio = s["mase"] / s["mase_seasonal_naive"]
        rows += [
            ("daily 28d × 3 folds", "series", f"{daily.series}"),
            ("", "MASE (RMSSE)", f"{s['mase']:.4f} ({s['rmsse']:.4f})"),
            (
                "",
                "seasonal naive MASE (RMSSE)",
                f"{s['mase_seasonal_naive']:.4f} ({s['rmsse_seasonal_naive']:.4f})",
            ),
            ("", "MASE / naive (target ≤ 0.65)", f"{ratio:.3f}"),
            ("", "models chosen", ", ".join(f"{k} {v}" for k, v in daily.models.items())),
            ("", "seconds", f"{daily.seconds:.0f}"),
        ]
        monthly = backtest(
            read_long_csv(data / "carparts_monthly.csv.gz"), horizon=6, folds=3, freq="M"
        )
        m = monthly.scores
        rows += [
            ("monthly 6m × 3 folds", "parts", f"{monthly.series}"),
            (
                "",
                "MASE / Croston / naive",
                f"{m['mase']:.4f} / {m['mase_croston']:.4f} / {m['mase_naive']:.4f}",
            ),
            (
                "",
                "RMSSE / Croston / naive",
                f"{m['rmsse']:.4f} / {m['rmsse_croston']:.4f} / {m['rmsse_naive']:.4f}",
            ),
            (
                "",
                "90 %: fill rate, units held, SPL",
                f"{m['fill_rate_90']:.4f}, {m['stock_90']:.3f}, {m['spl_90']:.4f}",
            ),
            (
                "",
                "95 %: fill rate, units held, SPL (target ≥ 0.88, ≤ 2.3)",
                f"{m['fill_rate_95']:.4f}, {m['stock_95']:.3f}, {m['spl_95']:.4f}",
            ),
            ("", "seconds", f"{monthly.seconds:.0f}"),
        ]
    if not args.skip_scale:
        frame = generated_history(args.series)
        started = time.perf_counter()
        out = forecast_series(frame, 28, (80, 95), batch_size=5_000, threads=args.threads)
        seconds = time.perf_counter() - started
        assert len(out) == args.series * 28 and (out["forecast"] >= 0).all()
        models = out.drop_duplicates("series_id")["model"].value_counts()
        rows += [
            (
                f"scale {args.series:,} × 730 d → 28 d",
                "seconds (target ≤ 600 for 30,000)",
                f"{seconds:.0f}",
            ),
            ("", "models chosen", ", ".join(f"{k} {v}" for k, v in models.items())),
        ]
    width = max(len(r[1]) for r in rows)
    for section, name, value in rows:
        print(f"{section:<28} {name:<{width}}  {value}")


if __name__ == "__main__":
    main()
