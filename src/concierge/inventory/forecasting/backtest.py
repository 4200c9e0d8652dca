"""Rolling-origin backtests of the forecasting run, scored as the evaluation command prints.

Each fold holds out the ``horizon`` periods after a cut; folds step back one horizon each, so the
last fold ends at the last period. Every series is forecast by ``forecast_series`` from its data
before the cut only (the global models are retrained per fold).

Scaling (MASE, RMSSE): daily data by the in-sample error of the weekly seasonal naive (same
weekday one week earlier) on the fold's training part; monthly data by the lag-1 naive
(last month), as M5 and Hyndman do for intermittent data — a 12-month seasonal naive would be
undefined or meaningless for most spare parts. Series whose scale is zero (no change at all in
training) are left out of the averages, as in M5.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .engine import forecast_series
from .metrics import pinball, scaled_errors
from .panel import DATE, DEMAND, ID, Panel

SCALE_LAG = {"D": 7, "M": 1}
SERVICE_LEVELS = (0.90, 0.95)


def read_long_csv(path) -> pd.DataFrame:
    """``series_id,date,sales`` (gz ok) → ``series_id, date, demand``."""
    df = pd.read_csv(path, dtype={"series_id": str})
    df = df.rename(columns={"sales": DEMAND, "unique_id": ID, "ds": DATE, "y": DEMAND})
    df[DATE] = pd.to_datetime(df[DATE])
    return df[[ID, DATE, DEMAND]]


@dataclass
class BacktestResult:
    series: int
    horizon: int
    folds: int
    freq: str
    scores: dict[str, float] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict:
        out = {
            "series": self.series,
            "horizon": self.horizon,
            "folds": self.folds,
            "freq": self.freq,
        }
        out.update({k: round(v, 4) for k, v in self.scores.items()})
        out["models"] = self.models
        out["seconds"] = round(self.seconds, 1)
        return out


def backtest(
    frame: pd.DataFrame,
    *,
    horizon: int = 28,
    folds: int = 3,
    freq: str = "D",
    progress=None,
    **run_options,
) -> BacktestResult:
    started = time.perf_counter()
    if freq == "M":
        unrecorded = frame.groupby(ID)[DEMAND].apply(lambda s: s.isna().any())
        frame = frame[~frame[ID].isin(unrecorded[unrecorded].index)]
    panel = Panel.from_frame(frame, freq=freq)
    n, length = panel.values.shape
    lag = SCALE_LAG[freq]
    acc: dict[str, list] = {k: [] for k in ("method", "seasonal_naive", "croston")}
    # served, demand, held, pinball, part-months covered (demand <= S), part-months
    stock: dict[float, list[float]] = {q: [0.0] * 6 for q in SERVICE_LEVELS}
    levels = (80, 90) if freq == "M" else (80, 95)
    inside = {level: np.zeros((2, horizon)) for level in levels}  # [covered, known] per step
    width = {level: np.zeros(horizon) for level in levels}
    models: dict[str, int] = {}
    for fold in range(folds):
        cut = length - (folds - fold) * horizon
        if cut <= max(2 * lag, horizon):
            raise ValueError("not enough history for this many folds")
        train = panel.head(cut)
        actual = panel.values[:, cut : cut + horizon]
        fc = forecast_series(_to_frame(train), horizon, levels, freq=freq, **run_options)
        fc = fc.set_index(ID).loc[panel.ids].reset_index()
        point = fc["forecast"].to_numpy().reshape(n, horizon)
        for name, count in fc.groupby("model").size().items():
            models[name] = models.get(name, 0) + int(count // horizon)
        naive = _naive(train.values, horizon, lag)
        croston = _croston(train, horizon) if freq == "M" else None
        for i in range(n):
            hist = train.values[i]
            acc["method"].append(
                scaled_errors(actual=actual[i], forecast=point[i], history=hist, lag=lag)
            )
            acc["seasonal_naive"].append(
                scaled_errors(actual=actual[i], forecast=naive[i], history=hist, lag=lag)
            )
            if croston is not None:
                acc["croston"].append(
                    scaled_errors(actual=actual[i], forecast=croston[i], history=hist, lag=lag)
                )
        known = ~np.isnan(actual)
        for level in levels:
            lo = fc[f"lo_{level}"].to_numpy().reshape(n, horizon)
            hi = fc[f"hi_{level}"].to_numpy().reshape(n, horizon)
            hit = (actual >= lo) & (actual <= hi) & known
            inside[level][0] += hit.sum(axis=0)
            inside[level][1] += known.sum(axis=0)
            width[level] += (hi - lo).sum(axis=0)
        if freq == "M":
            for q, col in ((0.90, "hi_80"), (0.95, "hi_90")):
                level = fc[col].to_numpy().reshape(n, horizon)
                _stock_scores(stock[q], actual, level, train.values, q, lag)
        if progress:
            progress(fold + 1, folds)
    scores: dict[str, float] = {}
    for name, key in (
        ("method", ""),
        ("seasonal_naive", "_seasonal_naive"),
        ("croston", "_croston"),
    ):
        if acc[name]:
            arr = np.array(acc[name], dtype=float)
            scores["mase" + key] = float(np.nanmean(arr[:, 0]))
            scores["rmsse" + key] = float(np.nanmean(arr[:, 1]))
    for level in levels:
        covered, counted = inside[level]
        scores[f"coverage_{level}"] = covered.sum() / max(counted.sum(), 1)
        end = -max(1, horizon // 4)  # the last quarter of the horizon: still calibrated?
        scores[f"coverage_{level}_end"] = covered[end:].sum() / max(counted[end:].sum(), 1)
        # the band's mean width at the last step over the first: > 1 when it widens
        scores[f"width_growth_{level}"] = (
            width[level][-1] / width[level][0] if width[level][0] > 0 else float("nan")
        )
    if freq == "M":
        scores["mase_naive"] = scores["mase_seasonal_naive"]
        scores["rmsse_naive"] = scores["rmsse_seasonal_naive"]
        for q in SERVICE_LEVELS:
            served, demand, held, pin, covered, counted = stock[q]
            tag = f"{round(q * 100)}"
            scores[f"fill_rate_{tag}"] = served / demand if demand else float("nan")
            scores[f"stock_{tag}"] = held / (n * horizon * folds)
            scores[f"spl_{tag}"] = pin / (n * folds)
            # the share of part-months whose demand the stock level covered (cycle service)
            scores[f"cycle_service_{tag}"] = covered / counted if counted else float("nan")
    return BacktestResult(n, horizon, folds, freq, scores, models, time.perf_counter() - started)


def _to_frame(panel: Panel) -> pd.DataFrame:
    n, length = panel.values.shape
    return pd.DataFrame(
        {
            ID: np.repeat(panel.ids, length),
            DATE: np.tile(panel.dates.to_numpy(), n),
            DEMAND: panel.values.reshape(-1),
        }
    )


def _naive(values: np.ndarray, horizon: int, lag: int) -> np.ndarray:
    """Repeat the last ``lag`` periods (seasonal naive; lag 1 = naive)."""
    last = values[:, -lag:]
    reps = int(np.ceil(horizon / lag))
    return np.nan_to_num(np.tile(last, reps)[:, :horizon], nan=0.0)


def _croston(train: Panel, horizon: int) -> np.ndarray:
    from statsforecast import StatsForecast
    from statsforecast.models import CrostonClassic

    n, length = train.values.shape
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), length),
            "ds": np.tile(train.dates.to_numpy(), n),
            "y": np.nan_to_num(train.values.reshape(-1)),
        }
    )
    out = StatsForecast(models=[CrostonClassic()], freq="MS", n_jobs=1).forecast(df=df, h=horizon)
    return out.sort_values(["unique_id", "ds"])["CrostonClassic"].to_numpy().reshape(n, horizon)


def _stock_scores(acc, actual, level, history, q, lag):
    """Stock up to the quantile: add served, demand, held units and the scaled pinball loss."""
    known = ~np.isnan(actual)
    a = np.where(known, actual, 0.0)
    acc[0] += float(np.minimum(a, level)[known].sum())
    acc[1] += float(a[known].sum())
    acc[2] += float(np.maximum(level - a, 0.0)[known].sum())
    acc[4] += float((a <= level)[known].sum())
    acc[5] += float(known.sum())
    for i in range(len(actual)):
        diff = np.abs(history[i, lag:] - history[i, :-lag])
        scale = np.nanmean(diff) if diff.size else np.nan
        if not scale > 0:
            scale = (
                max(float(np.nanmean(history[i])), 1.0)
                if np.isfinite(np.nanmean(history[i]))
                else 1.0
            )
        acc[3] += pinball(actual=a[i][known[i]], quantile=level[i][known[i]], level=q) / scale
