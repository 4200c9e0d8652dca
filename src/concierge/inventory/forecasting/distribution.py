"""Demand distributions for slow and intermittent items: a global quantile model.

Per-series parametric fits (Poisson, negative binomial) understate the tail of real spare-part
and slow-mover demand, which is over-dispersed and drifts. Instead one gradient-boosted model per
quantile learns, across all series, the conditional quantile of demand k periods ahead from the
series' recent history (levels over several windows, share of periods with demand, largest
demand, periods since the last one). It is trained with the pinball loss — a proper scoring rule,
so its quantiles are calibrated on the series it learns from. A few bagged boosters per quantile
are averaged, and the result is rounded up to whole units: a stock level is never below the
quantile. That rounding adds service: on the car parts the 95 % level covers about 98 % of
part-months (rounded down it would cover 95 %, and serve far less demand) — the backtest prints
this share as ``cycle_service``.
"""

from __future__ import annotations

import numpy as np

WINDOWS = {"M": (3, 6, 12, 24), "D": (7, 28, 91, 364)}
MIN_HISTORY = {"M": 12, "D": 56}


def history_features(values: np.ndarray, origin: int, *, freq: str) -> np.ndarray:
    """Features of every row at ``origin`` (inclusive), NaN-aware."""
    windows = WINDOWS[freq]
    t = origin + 1
    cols = []
    for w in windows:
        x = values[:, max(0, t - w) : t]
        cols.append(_nanmean(x))
    for w in (windows[2], windows[3]):
        x = values[:, max(0, t - w) : t]
        cols.append(_nanmean(np.where(np.isnan(x), np.nan, x > 0)))
        cols.append(_nanmax(x))
    x = values[:, max(0, t - windows[3]) : t]
    cols.append(np.sqrt(_nanmean((x - cols[3][:, None]) ** 2)))
    seen = np.nan_to_num(values[:, :t], nan=0.0) > 0
    since = np.where(seen.any(axis=1), np.argmax(seen[:, ::-1], axis=1), t + windows[3])
    cols.append(since.astype(float))
    cols.append(_nanmean(values[:, :t]))  # the long run, and the year before last: drift
    cols.append(_nanmean(values[:, max(0, t - 2 * windows[2]) : max(0, t - windows[2])]))
    x = values[:, max(0, t - windows[1]) : t]
    cols.append(_nanmean(np.where(np.isnan(x), np.nan, x > 0)))
    return np.column_stack(cols)


def _nanmean(x: np.ndarray) -> np.ndarray:
    known = ~np.isnan(x)
    n = known.sum(axis=1)
    s = np.where(known, x, 0.0).sum(axis=1)
    return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def _nanmax(x: np.ndarray) -> np.ndarray:
    if x.shape[1] == 0:
        return np.full(x.shape[0], np.nan)
    filled = np.where(np.isnan(x), -np.inf, x)
    out = filled.max(axis=1)
    return np.where(np.isfinite(out), out, np.nan)


class QuantileDemandModel:
    """Conditional demand quantiles 1..horizon periods ahead, one booster per quantile."""

    def __init__(
        self,
        *,
        horizon: int,
        quantiles: tuple[float, ...],
        freq: str = "M",
        max_rows: int = 400_000,
        rounds: int = 200,
        seed: int = 0,
        bags: int = 3,
        threads: int = 1,
    ):
        self.horizon = horizon
        self.quantiles = tuple(sorted(set(quantiles)))
        self.freq = freq
        self.max_rows = max_rows
        self.rounds = rounds
        self.seed = seed
        self.bags = bags
        self.threads = threads
        self.boosters: dict[float, list] = {}

    def fit(self, values: np.ndarray, *, last: int) -> QuantileDemandModel:
        import lightgbm as lgb

        rng = np.random.default_rng(self.seed)
        n = values.shape[0]
        first = MIN_HISTORY[self.freq] - 1
        origins = np.arange(first, last)
        if origins.size == 0:
            origins = np.array([max(0, last - 1)])
        budget = max(1, self.max_rows // max(1, n * self.horizon))
        if origins.size > budget:
            origins = np.sort(rng.choice(origins, size=budget, replace=False))
        xs, ys = [], []
        for origin in origins:
            feats = history_features(values, origin, freq=self.freq)
            for step in range(1, min(self.horizon, last - origin) + 1):
                target = values[:, origin + step]
                ok = ~np.isnan(target)
                xs.append(np.column_stack([feats[ok], np.full(ok.sum(), step)]))
                ys.append(target[ok])
        x = np.vstack(xs).astype(np.float32)
        y = np.concatenate(ys)
        data = lgb.Dataset(x, y, free_raw_data=False)
        bags = self.bags if len(y) >= 1_000 else 1  # too few rows to sample from
        for q in self.quantiles:
            # a few boosters on random 80 % of the rows and features, averaged: a steadier
            # quantile (measured on the car parts: more demand served per unit held)
            self.boosters[q] = [
                lgb.train(
                    {
                        "objective": "quantile",
                        "alpha": q,
                        "learning_rate": 0.05,
                        "num_leaves": 15,
                        "min_data_in_leaf": 100,
                        "bagging_fraction": 0.8 if bags > 1 else 1.0,
                        "bagging_freq": 1 if bags > 1 else 0,
                        "feature_fraction": 0.8 if bags > 1 else 1.0,
                        "verbose": -1,
                        "seed": self.seed + bag,
                        "num_threads": self.threads,
                    },
                    data,
                    num_boost_round=self.rounds,
                )
                for bag in range(max(1, bags))
            ]
        return self

    def predict(self, values: np.ndarray, *, origin: int) -> dict[float, np.ndarray]:
        """{quantile: (n_series, horizon) whole-unit quantiles}, non-decreasing in the level."""
        feats = history_features(values, origin, freq=self.freq)
        n = values.shape[0]
        rows = [
            np.column_stack([feats, np.full(n, step)]).astype(np.float32)
            for step in range(1, self.horizon + 1)
        ]
        raw = {
            q: np.column_stack(
                [
                    np.mean([b.predict(x, num_threads=self.threads) for b in boosters], axis=0)
                    for x in rows
                ]
            )
            for q, boosters in self.boosters.items()
        }
        return _monotone(raw)


def _monotone(raw: dict[float, np.ndarray]) -> dict[float, np.ndarray]:
    """Whole units (rounded up), then non-crossing: each quantile at least the one below."""
    out: dict[float, np.ndarray] = {}
    previous = None
    for q in sorted(raw):
        level = np.ceil(np.maximum(raw[q], 0.0) - 1e-9)
        previous = level if previous is None else np.maximum(level, previous)
        out[q] = previous
    return out
