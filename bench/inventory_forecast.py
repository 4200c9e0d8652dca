"""Inventory demand forecasting: every figure of the issue, measured.

1. Daily backtest, `store_item_daily.csv.gz` (28 days ahead, 3 rolling-origin folds): MASE and
   RMSSE of the forecasting run vs the weekly seasonal naive, their ratio, interval coverage.
   Then the same on a window not used for tuning (the 3 folds ending 2016-12-31).
2. Monthly backtest, `carparts_monthly.csv.gz` (6 months, 3 folds): MASE/RMSSE beside Croston
   and the naive, stocking to the 90 % / 95 % quantile: fill rate, units held per part-month,
   scaled pinball loss, share of part-months covered. Then the same on the half of the parts
   not looked at while tuning the demand distributions (trained on that half alone).
3. Scale: N generated series (default 30,000; 60 % regular, 40 % intermittent) × 2 years of
   daily history, forecast 28 days ahead with 80/95 % intervals — wall-clock and CPU seconds.

    .venv/bin/python bench/inventory_forecast.py [--series 30000] [--skip-daily]
        [--skip-monthly] [--skip-scale] [--threads 1] [--quick]

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
from concierge.inventory.forecasting.metrics import scaled_errors  # noqa: E402
from concierge.inventory.forecasting.panel import Panel  # noqa: E402


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


def tuning_split(frame: pd.DataFrame) -> tuple[set, set]:
    """The car parts split used while tuning: half A (tuned on) and half B (reported), of the
    parts with every month recorded (the others are skipped by the backtest)."""
    unrecorded = frame.groupby("series_id")["demand"].apply(lambda s: s.isna().any())
    ids = np.sort(unrecorded[~unrecorded].index.to_numpy())
    a = np.random.default_rng(42).permutation(len(ids)) < len(ids) // 2
    return set(ids[a]), set(ids[~a])


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def daily_rows(frame: pd.DataFrame, label: str) -> list[tuple[str, str, str]]:
    result, wall, cpu = timed(backtest, frame, horizon=28, folds=3)
    s = result.scores
    floor, floor_ratio = noise_floor(frame)
    return [
        (label, "series", f"{result.series}"),
        ("", "MASE (RMSSE)", f"{s['mase']:.4f} ({s['rmsse']:.4f})"),
        (
            "",
            "seasonal naive MASE (RMSSE)",
            f"{s['mase_seasonal_naive']:.4f} ({s['rmsse_seasonal_naive']:.4f})",
        ),
        ("", "MASE / naive (target ≤ 0.65)", f"{s['mase'] / s['mase_seasonal_naive']:.3f}"),
        ("", "noise floor: MASE, ratio (fit to test days)", f"{floor:.4f}, {floor_ratio:.3f}"),
        (
            "",
            "80 % / 95 % interval coverage",
            f"{s['coverage_80']:.3f} / {s['coverage_95']:.3f}",
        ),
        (
            "",
            "  in the last week; width day 28 / day 1",
            f"{s['coverage_80_end']:.3f} / {s['coverage_95_end']:.3f}; {s['width_growth_80']:.2f}",
        ),
        ("", "models chosen", ", ".join(f"{k} {v}" for k, v in result.models.items())),
        ("", "seconds wall / CPU", f"{wall:.0f} / {cpu:.0f}"),
    ]


def noise_floor(frame: pd.DataFrame, horizon: int = 28, folds: int = 3) -> tuple[float, float]:
    """Not a forecast: series level × weekday × calendar-month factors fitted to *all* days,
    the held-out ones included, scored like the backtest — about the error of knowing each
    day's expected demand, i.e. what no forecast can beat. (MASE, ratio to the naive)."""
    panel = Panel.from_frame(frame)
    values, dates = panel.values, panel.dates
    dow = dates.dayofweek.to_numpy()
    month = (dates.year * 12 + dates.month).to_numpy()
    month = month - month.min()
    a, d, m = np.nanmean(values, axis=1), np.ones(7), np.ones(month.max() + 1)
    y = np.nan_to_num(values)
    for _ in range(30):  # iterative proportional fitting of a multiplicative Poisson mean
        a = y.sum(axis=1) / (d[dow] * m[month]).sum()
        d = np.array([y[:, dow == k].sum() for k in range(7)]) / np.array(
            [(a[:, None] * m[month][dow == k]).sum() for k in range(7)]
        )
        m = np.array([y[:, month == k].sum() for k in range(len(m))]) / np.array(
            [(a[:, None] * d[dow][month == k]).sum() for k in range(len(m))]
        )
    mean = a[:, None] * d[dow][None, :] * m[month][None, :]
    length = values.shape[1]
    fit, naive = [], []
    for fold in range(folds):
        cut = length - (folds - fold) * horizon
        last_week = np.tile(values[:, cut - 7 : cut], horizon // 7 + 1)[:, :horizon]
        for i in range(len(values)):
            args = {"actual": values[i, cut : cut + horizon], "history": values[i, :cut], "lag": 7}
            fit.append(scaled_errors(forecast=mean[i, cut : cut + horizon], **args)[0])
            naive.append(scaled_errors(forecast=last_week[i], **args)[0])
    return float(np.nanmean(fit)), float(np.nanmean(fit) / np.nanmean(naive))


def monthly_rows(frame: pd.DataFrame, label: str) -> list[tuple[str, str, str]]:
    result, wall, cpu = timed(backtest, frame, horizon=6, folds=3, freq="M")
    m = result.scores
    return [
        (label, "parts", f"{result.series}"),
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
            "90 %: fill rate, units held, SPL, covered",
            f"{m['fill_rate_90']:.4f}, {m['stock_90']:.3f}, {m['spl_90']:.4f}, "
            f"{m['cycle_service_90']:.3f}",
        ),
        (
            "",
            "95 %: fill rate, units held, SPL, covered (target ≥ 0.88, ≤ 2.3)",
            f"{m['fill_rate_95']:.4f}, {m['stock_95']:.3f}, {m['spl_95']:.4f}, "
            f"{m['cycle_service_95']:.3f}",
        ),
        ("", "seconds wall / CPU", f"{wall:.0f} / {cpu:.0f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-daily", action="store_true")
    parser.add_argument("--skip-monthly", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a few series: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.series = min(args.series, 2_000)
    rows: list[tuple[str, str, str]] = []
    data = shared_data() / "retail"
    if not args.skip_daily:
        daily = read_long_csv(data / "store_item_daily.csv.gz")
        if args.quick:
            daily = daily[daily["series_id"].isin(daily["series_id"].unique()[:8])]
        rows += daily_rows(daily, "daily 28 d × 3 folds")
        rows += daily_rows(
            daily[daily["date"] <= "2016-12-31"], "daily, untuned window to 2016-12-31"
        )
    if not args.skip_monthly:
        parts = read_long_csv(data / "carparts_monthly.csv.gz")
        if args.quick:
            parts = parts[parts["series_id"].isin(parts["series_id"].unique()[:200])]
        rows += monthly_rows(parts, "monthly 6 m × 3 folds")
        _, untouched = tuning_split(parts)
        rows += monthly_rows(
            parts[parts["series_id"].isin(untouched)], "monthly, untuned half B, trained alone"
        )
    if not args.skip_scale:
        frame = generated_history(args.series)
        out, wall, cpu = timed(
            forecast_series, frame, 28, (80, 95), batch_size=5_000, threads=args.threads
        )
        assert len(out) == args.series * 28 and (out["forecast"] >= 0).all()
        models = out.drop_duplicates("series_id")["model"].value_counts()
        rows += [
            (
                f"scale {args.series:,} × 730 d → 28 d",
                "seconds wall / CPU (target ≤ 600 for 30,000)",
                f"{wall:.0f} / {cpu:.0f}",
            ),
            ("", "models chosen", ", ".join(f"{k} {v}" for k, v in models.items())),
        ]
    width = max(len(r[1]) for r in rows)
    for section, name, value in rows:
        print(f"{section:<36} {name:<{width}}  {value}")


if __name__ == "__main__":
    main()
