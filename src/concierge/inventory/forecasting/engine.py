"""The batch forecasting run: classify, backtest candidates, forecast, intervals.

``forecast_series`` is what the nightly task calls. For each series it

1. classifies the demand pattern (ADI/CV², Syntetos–Boylan) on its recent history;
2. backtests the candidate models of that pattern on the last ``horizon`` periods and keeps the
   one with the lowest error — regular items: the global gradient-boosted model (daily data),
   AutoETS and the seasonal naive; intermittent and lumpy items: Croston (SBA), ADIDA, IMAPA and
   TSB (statsforecast);
3. refits the chosen model on the whole history and forecasts ``horizon`` periods;
4. adds prediction intervals: for intermittent items (and all monthly data) quantiles of a global
   quantile model of demand, learnt per step ahead; for regular items the pooled holdout errors
   of the chosen model, scaled by each series' naive error and by a per-step spread that grows
   as the holdout errors grow with the steps ahead (split-conformal);
5. never forecasts below zero.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import global_model
from .distribution import QuantileDemandModel
from .panel import DATE, DEMAND, ID, Panel, to_long
from .patterns import DemandPattern, classify

SEASON = {"D": 7, "M": 12}
CLASS_WINDOW = {"D": 364, "M": 24}  # periods the pattern is judged on
ETS_WINDOW = {"D": 364, "M": 60}  # AutoETS fits only the recent past: same answer, bounded cost
SWITCH_MARGIN = 0.10
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunOptions:
    freq: str = "D"
    batch_size: int = 2_000
    ets: bool | None = None  # None: AutoETS only where the global model does not apply
    use_global: bool = True
    threads: int = 1  # LightGBM threads; >1 only on an otherwise idle machine
    backend: str | None = None  # "dask": statsforecast models run on the current Dask client
    partitions: int = 8


def forecast_series(
    frame: pd.DataFrame,
    horizon: int,
    levels: tuple[int, ...] = (80, 95),
    *,
    freq: str = "D",
    batch_size: int = 2_000,
    progress: Progress | None = None,
    ets: bool | None = None,
    use_global: bool = True,
    threads: int = 1,
    backend: str | None = None,
    partitions: int = 8,
) -> pd.DataFrame:
    """Forecast every series in ``frame`` (columns ``series_id, date, demand``; NaN = unknown).

    Returns one row per series × future period: ``series_id, date, forecast, lo_<L>, hi_<L>``
    for each level L, ``model`` and ``pattern``. ``progress(done, total)`` is called after each
    batch of ``batch_size`` series.
    """
    if freq not in SEASON:
        raise ValueError("freq must be 'D' or 'M'")
    if not 1 <= horizon <= (28 if freq == "D" else 24):
        raise ValueError("horizon must be 1–28 days (or 1–24 months)")
    options = RunOptions(
        freq, batch_size, ets, use_global, threads or (os.cpu_count() or 1), backend, partitions
    )
    frame = frame[[ID, DATE, DEMAND]].astype({DEMAND: float})
    frame[DATE] = pd.to_datetime(frame[DATE]).dt.normalize()
    if frame.empty:
        cols = [ID, DATE, "forecast"] + [f"{b}_{lv}" for lv in levels for b in ("lo", "hi")]
        return pd.DataFrame(columns=[*cols, "model", "pattern"])
    panel = Panel.from_frame(frame, freq=freq)
    return _run(panel, horizon, tuple(levels), options, progress)


def _run(panel: Panel, horizon: int, levels, options: RunOptions, progress) -> pd.DataFrame:
    n, length = panel.values.shape
    freq = options.freq
    season = SEASON[freq]
    patterns = np.array(
        [classify(row[-CLASS_WINDOW[freq] :]) for row in panel.values], dtype=object
    )
    holdout = horizon if length >= 2 * horizon + season else 0
    future = panel.future_dates(horizon)
    all_dates = panel.dates.append(future)

    glob = _GlobalForecasts.build(panel, patterns, horizon, holdout, all_dates, options)
    quantiles = _quantile_forecasts(panel, patterns, horizon, levels, options)

    frames = []
    for start in range(0, n, options.batch_size):
        rows = np.arange(start, min(n, start + options.batch_size))
        frames.append(
            _forecast_batch(
                panel, rows, patterns, horizon, holdout, levels, glob, quantiles, future, options
            )
        )
        if progress is not None:
            progress(int(rows[-1]) + 1, n)
    return pd.concat(frames, ignore_index=True)


@dataclass
class _GlobalForecasts:
    rows: np.ndarray  # panel rows the model covers
    holdout: np.ndarray | None  # (len(rows), h) forecasts of the held-out periods
    final: np.ndarray  # (len(rows), h)

    @classmethod
    def build(cls, panel, patterns, horizon, holdout, all_dates, options) -> _GlobalForecasts:
        if not options.use_global or panel.freq != "D":
            return None
        length = panel.values.shape[1]
        known = (~np.isnan(panel.values[:, -global_model.YEAR :])).sum(axis=1)
        eligible = np.array([p.is_regular for p in patterns]) & (
            known >= global_model.MIN_HISTORY + horizon
        )
        if not eligible.any() or length < global_model.MIN_HISTORY + 2 * horizon + 1:
            return None
        rows = np.flatnonzero(eligible)
        values = panel.values[rows]
        last = length - 1 - holdout
        model = global_model.GlobalModel(horizon=horizon, threads=options.threads)
        model.fit(values, all_dates, last=last)
        held = model.predict(values, all_dates, origin=last) if holdout else None
        final = model.predict(values, all_dates, origin=length - 1)
        return cls(rows, held, final)


def _quantile_forecasts(panel, patterns, horizon, levels, options):
    """{quantile: (n, h)} for the series whose intervals come from the quantile model."""
    use = _quantile_rows(panel, patterns)
    if not use.any():
        return None
    qs = _level_quantiles(levels)
    values = panel.values[use]
    model = QuantileDemandModel(
        horizon=horizon, quantiles=qs, freq=panel.freq, threads=options.threads
    )
    length = values.shape[1]
    model.fit(values, last=length - 1)
    pred = model.predict(values, origin=length - 1)
    full = {q: np.full((len(panel.ids), horizon), np.nan) for q in qs}
    for q in qs:
        full[q][use] = pred[q]
    return full


def _quantile_rows(panel, patterns) -> np.ndarray:
    if panel.freq == "M":
        return np.ones(len(patterns), dtype=bool)
    return np.array([not p.is_regular for p in patterns])


def _level_quantiles(levels) -> tuple[float, ...]:
    qs = []
    for level in levels:
        tail = (100 - level) / 200
        qs += [round(tail, 6), round(1 - tail, 6)]
    return tuple(sorted(set(qs)))


def _candidates(pattern: DemandPattern, season: int, length: int, ets: bool):
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        CrostonSBA,
        Naive,
        SeasonalNaive,
    )

    if pattern.is_regular:
        models = [SeasonalNaive(season) if length >= season else Naive()]
        if ets:
            models.append(AutoETS(season_length=season if length >= 2 * season else 1))
        return models
    return [CrostonSBA(), ADIDA(), IMAPA(), TSB(alpha_d=0.1, alpha_p=0.1)]


def _default_model(names: list[str], covered: bool) -> str:
    for name in ("Global", "AutoETS", "CrostonSBA"):
        if name in names and (covered or name != "Global"):
            return name
    return names[0]


def _statsforecast(
    values, dates, ids, models, horizon, freq, window=None, options: RunOptions | None = None
) -> dict[str, np.ndarray]:
    """{model name: (len(ids), h)} from statsforecast on NaN-imputed histories."""
    from statsforecast import StatsForecast

    if window:
        values, dates = values[:, -window:], dates[-window:]
    filled = _impute(values, SEASON[freq])
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(ids)), len(dates)),
            "ds": np.tile(dates.to_numpy(), len(ids)),
            "y": filled.reshape(-1),
        }
    )
    sf = StatsForecast(models=models, freq="MS" if freq == "M" else "D", n_jobs=1)
    if options is not None and options.backend == "dask":
        import dask.dataframe as dd

        parts = max(1, min(options.partitions, len(ids)))
        out = sf.forecast(df=dd.from_pandas(df, npartitions=parts, sort=False), h=horizon)
        out = out.compute() if hasattr(out, "compute") else out
        out["ds"] = pd.to_datetime(out["ds"])
        out["unique_id"] = out["unique_id"].astype(int)
    else:
        out = sf.forecast(df=df, h=horizon)
    out = out.sort_values(["unique_id", "ds"])
    names = [c for c in out.columns if c not in ("unique_id", "ds")]
    return {name: out[name].to_numpy(float).reshape(len(ids), horizon) for name in names}


def _impute(values: np.ndarray, season: int) -> np.ndarray:
    """Unknown periods → mean of the same season position's known values (else the row mean)."""
    out = values.copy()
    if not np.isnan(out).any():
        return out
    length = out.shape[1]
    for pos in range(min(season, length)):
        cols = np.arange(pos, length, season)
        block = out[:, cols]
        with np.errstate(invalid="ignore"):
            fill = np.nanmean(block, axis=1) if block.size else np.zeros(len(out))
        out[:, cols] = np.where(np.isnan(block), fill[:, None], block)
    row_mean = np.nanmean(np.where(np.isnan(values), np.nan, values), axis=1)
    out = np.where(np.isnan(out), np.nan_to_num(row_mean, nan=0.0)[:, None], out)
    # a leading unknown stretch (not yet listed) is dropped by statsforecast's view as zeros
    return np.nan_to_num(out, nan=0.0)


def _forecast_batch(
    panel, rows, patterns, horizon, holdout, levels, glob, quantiles, future, options
) -> pd.DataFrame:
    freq = options.freq
    season = SEASON[freq]
    values = panel.values[rows]
    length = values.shape[1]
    point = np.zeros((len(rows), horizon))
    held = np.full((len(rows), holdout), np.nan)
    chosen = np.array(["zero"] * len(rows), dtype=object)
    pats = patterns[rows]
    glob_pos = {} if glob is None else {int(r): i for i, r in enumerate(glob.rows)}
    groups: dict[tuple[bool, bool], list[int]] = {}
    for i, (row, pattern) in enumerate(zip(rows, pats, strict=True)):
        if pattern == DemandPattern.NO_DEMAND:
            continue
        covered = int(row) in glob_pos
        groups.setdefault((pattern.is_regular, covered), []).append(i)
    for (regular, covered), members in groups.items():
        members = np.array(members)
        ets = options.ets if options.ets is not None else not covered
        models = _candidates(pats[members[0]], season, length, bool(ets and regular))
        window = ETS_WINDOW[freq]
        sub = values[members]
        ids = panel.ids[rows[members]]
        finals = _statsforecast(sub, panel.dates, ids, models, horizon, freq, window, options)
        helds: dict[str, np.ndarray] = {}
        if holdout:
            cut = length - holdout
            helds = _statsforecast(
                sub[:, :cut], panel.dates[:cut], ids, models, holdout, freq, window, options
            )
        if covered:
            g = np.array([glob_pos[int(r)] for r in rows[members]])
            finals["Global"] = glob.final[g]
            if holdout:
                helds["Global"] = glob.holdout[g][:, :holdout]
        names = list(finals)
        default = _default_model(names, covered)
        if holdout:
            actual = sub[:, length - holdout :]
            with np.errstate(invalid="ignore"):
                errors = np.column_stack(
                    [np.nanmean(np.abs(actual - helds[name]), axis=1) for name in names]
                )
            errors = np.where(np.isnan(errors), np.inf, errors)
            # a 28-day holdout is noisy: leave the default only for a clearly better model
            best = np.full(len(members), names.index(default))
            rival = errors.argmin(axis=1)
            better = (
                errors[np.arange(len(members)), rival]
                < (1 - SWITCH_MARGIN) * errors[np.arange(len(members)), best]
            )
            best = np.where(better, rival, best)
        else:
            best = np.full(len(members), names.index(default))
        for k, i in enumerate(members):
            name = names[best[k]]
            chosen[i] = name
            point[i] = finals[name][k]
            if holdout:
                held[i] = helds[name][k]
    point = np.maximum(np.nan_to_num(point, nan=0.0), 0.0)
    held = np.maximum(held, 0.0)

    columns = {"forecast": point}
    bounds = _conformal_bounds(values, point, held, holdout, levels, season)
    for level in levels:
        lo, hi = bounds[level]
        if quantiles is not None:
            tail = round((100 - level) / 200, 6)
            q_lo, q_hi = quantiles[tail][rows], quantiles[round(1 - tail, 6)][rows]
            use = ~np.isnan(q_hi[:, 0])
            lo = np.where(use[:, None], q_lo, lo)
            hi = np.where(use[:, None], q_hi, hi)
            # a quantile model's bound is a stock level: never raised to the (fractional) mean
            columns[f"lo_{level}"] = np.where(use[:, None], lo, np.minimum(lo, point))
            columns[f"hi_{level}"] = np.where(use[:, None], hi, np.maximum(hi, point))
        else:
            columns[f"lo_{level}"] = np.minimum(lo, point)
            columns[f"hi_{level}"] = np.maximum(hi, point)
        columns[f"lo_{level}"] = np.maximum(columns[f"lo_{level}"], 0.0)
        zero = np.array([p == DemandPattern.NO_DEMAND for p in pats])
        if quantiles is None:
            columns[f"hi_{level}"] = np.where(zero[:, None], 0.0, columns[f"hi_{level}"])
    columns["model"] = chosen
    columns["pattern"] = np.array([str(p) for p in pats], dtype=object)
    return to_long(panel.ids[rows], future, columns)


def _conformal_bounds(values, point, held, holdout, levels, season):
    """Split-conformal intervals that widen with the horizon.

    Holdout errors are put in units of each series' naive error, then divided by a per-step
    spread s(k) = sqrt(a + b·k) fitted (b ≥ 0) to their mean square at each step k: the
    error of a level that drifts grows with the steps ahead, the noise around it does not.
    The pooled quantiles of these standardised errors times s(k) give the band at step k.
    Without a holdout: a normal band, sigma = 1.25 × the naive error × sqrt(seasons ahead).
    """
    length = values.shape[1]
    horizon = point.shape[1]
    lag = season if length > 2 * season else 1
    diff = np.abs(values[:, lag:] - values[:, :-lag])
    with np.errstate(invalid="ignore"), _quiet():
        scale = np.nanmean(diff, axis=1)
        fallback = np.nanmean(values, axis=1)
    scale = np.where(scale > 0, scale, np.where(fallback > 0, fallback, 1.0))
    steps = np.arange(1, horizon + 1)
    spread, residuals = None, None
    if holdout:
        actual = values[:, length - holdout :]
        res = (actual - held) / scale[:, None]
        if np.isfinite(res).sum() >= 20:
            spread = _step_spread(res, horizon)
            standard = res / spread[None, :holdout]
            residuals = standard[np.isfinite(standard)]
    out = {}
    for level in levels:
        tail = (100 - level) / 200
        if residuals is not None:
            q_lo, q_hi = np.quantile(residuals, [tail, 1 - tail])
            q_lo, q_hi = q_lo * spread, q_hi * spread
        else:
            from statistics import NormalDist

            z = NormalDist().inv_cdf(1 - tail) * 1.25 * np.sqrt(np.ceil(steps / lag))
            q_lo, q_hi = -z, z
        out[level] = (
            point + q_lo[None, :] * scale[:, None],
            point + q_hi[None, :] * scale[:, None],
        )
    return out


def _step_spread(res: np.ndarray, horizon: int) -> np.ndarray:
    """s(k) = sqrt(a + b·k), b ≥ 0, least squares on the mean square error at each step k;
    normalised to 1 at the first step."""
    with _quiet():
        msq = np.nanmean(res**2, axis=0)
    k = np.arange(1, res.shape[1] + 1, dtype=float)
    ok = np.isfinite(msq)
    if not ok.any():
        return np.ones(horizon)
    mean = float(msq[ok].mean())
    b, a = np.polyfit(k[ok], msq[ok], 1) if ok.sum() >= 2 else (0.0, mean)
    if b <= 0:  # no growth seen: a flat band
        a, b = mean, 0.0
    a = max(a, 0.05 * mean, 1e-9)
    s = np.sqrt(a + b * np.arange(1, horizon + 1))
    return s / s[0]


class _quiet:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
