"""A global gradient-boosted model across daily series, forecasting 1–H days ahead directly.

Every row is (series, forecast origin t, step k): features known at t (recent levels, the
weekday profile, last year's path over the same weeks) and the calendar of day t + k; the target
is the demand of day t + k divided by the series' level over the year before t, so one model
serves slow and fast items alike. The loss is L1 weighted so that it equals each series' MASE
contribution (level / in-sample weekly-naive MAE): the model minimises what we are judged on.
"""

from __future__ import annotations

import numpy as np

YEAR = 364  # 52 weeks: "same weekday last year"
MIN_HISTORY = 56  # observed days before an origin for the model to use it


class _Cumulative:
    """O(1) window means over a NaN-holed matrix."""

    def __init__(self, values: np.ndarray):
        known = ~np.isnan(values)
        zeros = np.zeros((values.shape[0], 1))
        self.total = np.hstack([zeros, np.cumsum(np.where(known, values, 0.0), axis=1)])
        self.count = np.hstack([zeros, np.cumsum(known, axis=1)])
        self.width = values.shape[1]

    def mean(self, rows: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """Mean over columns [start, stop) per row; NaN where nothing is known."""
        start = np.clip(start, 0, self.width)
        stop = np.clip(stop, 0, self.width)
        n = self.count[rows, stop] - self.count[rows, start]
        s = self.total[rows, stop] - self.total[rows, start]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, s / np.maximum(n, 1), np.nan)

    def known(self, rows: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        start = np.clip(start, 0, self.width)
        stop = np.clip(stop, 0, self.width)
        return self.count[rows, stop] - self.count[rows, start]


def _calendar(dates) -> dict[str, np.ndarray]:
    doy = dates.dayofyear.to_numpy()
    angle = 2 * np.pi * doy / 365.25
    return {
        "dow": dates.dayofweek.to_numpy(),
        "month": dates.month.to_numpy(),
        "dom": dates.day.to_numpy(),
        "doy_sin1": np.sin(angle),
        "doy_cos1": np.cos(angle),
        "doy_sin2": np.sin(2 * angle),
        "doy_cos2": np.cos(2 * angle),
    }


def level(cum: _Cumulative, rows: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """The series' mean demand over the year up to and including ``origin``."""
    return cum.mean(rows, origin - YEAR + 1, origin + 1)


def features(values, dates, cum: _Cumulative, rows, origin, step):
    """Feature matrix (float32) for rows (series, origin, step); dates must cover origin+step."""
    target = origin + step
    scale = level(cum, rows, origin)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(scale > 0, 1.0 / scale, np.nan)
        cols: dict[str, np.ndarray] = {"step": step.astype(float)}
        for width in (7, 28, 91):
            cols[f"level_{width}"] = cum.mean(rows, origin - width + 1, origin + 1) * inv
        prior = cum.mean(rows, origin - 2 * YEAR + 1, origin - YEAR + 1)
        cols["year_growth"] = scale / prior
        # same weekday as the target over the last 8 weeks, relative to those 8 weeks
        last_same = target - 7 * ((step + 6) // 7)
        same = np.zeros(len(rows))
        n_same = np.zeros(len(rows))
        for week in range(8):
            col = last_same - 7 * week
            ok = col >= 0
            v = np.full(len(rows), np.nan)
            v[ok] = values[rows[ok], col[ok]]
            good = ~np.isnan(v)
            same[good] += v[good]
            n_same[good] += 1
        recent = cum.mean(rows, origin - 55, origin + 1)
        cols["weekday_index"] = np.where(n_same > 0, same / np.maximum(n_same, 1), np.nan) / recent
        # last year's (and the year before's) path from the origin's week to the target's week
        for years in (1, 2):
            back = years * YEAR
            then_target = cum.mean(rows, target - back - 3, target - back + 4)
            then_origin = cum.mean(rows, origin - back - 27, origin - back + 1)
            then_level = cum.mean(rows, origin - back - YEAR + 1, origin - back + 1)
            cols[f"path_{years}y"] = then_target / then_origin
            cols[f"season_{years}y"] = then_target / then_level
        col = target - YEAR
        v = np.full(len(rows), np.nan)
        ok = col >= 0
        v[ok] = values[rows[ok], col[ok]]
        cols["same_day_1y"] = v * inv
    for name, value in _calendar(dates[target]).items():
        cols[name] = value.astype(float)
    names = list(cols)
    return np.column_stack([cols[n] for n in names]).astype(np.float32), scale, names


def weekly_naive_mae(values: np.ndarray, last: int) -> np.ndarray:
    """Per series: mean |y_t - y_{t-7}| over columns up to ``last`` (the MASE scale)."""
    y = values[:, : last + 1]
    diff = np.abs(y[:, 7:] - y[:, :-7])
    with np.errstate(invalid="ignore"):
        return np.nanmean(np.where(np.isnan(diff), np.nan, diff), axis=1)


class GlobalModel:
    """LightGBM across series; ``fit`` on origins whose targets end at ``last``."""

    def __init__(
        self,
        *,
        horizon: int,
        max_rows: int = 300_000,
        rounds: int = 300,
        seed: int = 0,
        threads: int = 1,
    ):
        self.rounds = rounds
        self.horizon = horizon
        self.max_rows = max_rows
        self.seed = seed
        self.threads = threads
        self.booster = None
        self.names: list[str] = []

    def fit(self, values: np.ndarray, dates, *, last: int) -> GlobalModel:
        import lightgbm as lgb

        rng = np.random.default_rng(self.seed)
        cum = _Cumulative(values[:, : last + 1])
        n = values.shape[0]
        first = MIN_HISTORY - 1
        if last - first < 1:
            raise ValueError("not enough history for the global model")
        per_series = max(1, self.max_rows // (n * self.horizon))
        n_origins = min(per_series, last - first)
        origins = rng.integers(first, last, size=(n, n_origins))
        rows = np.repeat(np.arange(n), n_origins)
        origins = origins.reshape(-1)
        steps = np.arange(1, self.horizon + 1)
        rows = np.repeat(rows, self.horizon)
        origins = np.repeat(origins, self.horizon)
        steps = np.tile(steps, n * n_origins)
        keep = origins + steps <= last
        rows, origins, steps = rows[keep], origins[keep], steps[keep]
        x, scale, self.names = features(values[:, : last + 1], dates, cum, rows, origins, steps)
        y = values[rows, origins + steps]
        mae = weekly_naive_mae(values, last)[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            target = y / scale
            weight = scale / mae
        ok = np.isfinite(target) & np.isfinite(weight) & (weight > 0)
        weight = np.minimum(weight[ok], np.nanquantile(weight[ok], 0.99))
        params = {
            "objective": "l2",
            "learning_rate": 0.05,
            "num_leaves": 31,
            "max_bin": 63,
            "min_data_in_leaf": 200,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "verbose": -1,
            "seed": self.seed,
            "num_threads": self.threads,
        }
        data = lgb.Dataset(
            x[ok],
            target[ok],
            weight=weight,
            feature_name=self.names,
            categorical_feature=["dow"],
            free_raw_data=True,
        )
        self.booster = lgb.train(params, data, num_boost_round=self.rounds)
        return self

    def predict(self, values: np.ndarray, dates, *, origin: int) -> np.ndarray:
        """(n_series, horizon) forecasts from ``origin``; ``dates`` must reach origin+horizon."""
        n = values.shape[0]
        cum = _Cumulative(values[:, : origin + 1])
        rows = np.repeat(np.arange(n), self.horizon)
        origins = np.full(n * self.horizon, origin)
        steps = np.tile(np.arange(1, self.horizon + 1), n)
        x, scale, _ = features(values[:, : origin + 1], dates, cum, rows, origins, steps)
        pred = self.booster.predict(x, num_threads=self.threads) * scale
        return np.maximum(pred, 0.0).reshape(n, self.horizon)
