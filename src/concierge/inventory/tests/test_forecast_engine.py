"""The forecasting run: model choice, intervals, no negative demand, backtest, Dask back-end.

Series are few and short: the tests check behaviour, not accuracy figures (those are in bench/).
"""

import numpy as np
import pandas as pd
import pytest

from concierge.inventory.forecasting import forecast, forecast_series
from concierge.inventory.forecasting.backtest import backtest

WEEK = np.array([5.0, 6.0, 8.0, 10.0, 14.0, 30.0, 25.0])


def weekly_frame(n_series=3, days=210, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    rows = []
    for i in range(n_series):
        mean = np.resize(WEEK * (1 + i), days)
        rows.append(
            pd.DataFrame(
                {"series_id": f"s{i}", "date": dates, "demand": rng.poisson(mean).astype(float)}
            )
        )
    return pd.concat(rows, ignore_index=True)


def intermittent_frame(n_series=4, days=150, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    rows = []
    for i in range(n_series):
        occurs = rng.random(days) < 0.12
        sizes = rng.integers(1, 8 if i % 2 else 3, size=days)
        rows.append(
            pd.DataFrame(
                {
                    "series_id": f"p{i}",
                    "date": dates,
                    "demand": np.where(occurs, sizes, 0).astype(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_weekly_series_beat_the_seasonal_naive_in_backtest():
    result = backtest(weekly_frame(), horizon=14, folds=2, freq="D")
    scores = result.scores
    assert result.series == 3
    assert scores["mase"] <= scores["mase_seasonal_naive"]
    assert scores["rmsse"] <= scores["rmsse_seasonal_naive"]


def test_regular_forecast_has_ordered_intervals_and_progress():
    calls = []
    out = forecast_series(
        weekly_frame(),
        14,
        (80, 95),
        batch_size=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(2, 3), (3, 3)]
    assert len(out) == 3 * 14
    assert set(out["pattern"]) <= {"smooth", "erratic"}
    assert set(out["model"]) <= {"Global", "SeasonalNaive", "AutoETS"}
    assert (out["lo_95"] <= out["lo_80"]).all() and (out["lo_80"] <= out["forecast"]).all()
    assert (out["forecast"] <= out["hi_80"]).all() and (out["hi_80"] <= out["hi_95"]).all()
    # the weekly shape is kept: Saturdays forecast well above Mondays
    s0 = out[out["series_id"] == "s0"].set_index("date")["forecast"]
    assert s0[s0.index.dayofweek == 5].mean() > 2 * s0[s0.index.dayofweek == 0].mean()


def test_intermittent_series_get_croston_type_models_and_no_negative_values():
    out = forecast_series(intermittent_frame(), 28, (80, 95))
    assert set(out["pattern"]) <= {"intermittent", "lumpy"}
    assert set(out["model"]) <= {"CrostonSBA", "ADIDA", "IMAPA", "TSB"}
    numbers = out[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].to_numpy()
    assert (numbers >= 0).all()
    assert (out["hi_95"] >= out["hi_80"]).all()
    assert (out["hi_95"] % 1 == 0).all()  # whole units: a stock level


def test_stockout_days_are_not_read_as_zero_demand():
    frame = weekly_frame(n_series=1)
    censored = frame.copy()
    # the last 3 weeks: shelf empty every other day
    tail = censored.index[-21:][::2]
    censored.loc[tail, "demand"] = np.nan
    zeroed = frame.copy()
    zeroed.loc[tail, "demand"] = 0.0
    f_nan = forecast_series(censored, 7, use_global=False)["forecast"].sum()
    f_zero = forecast_series(zeroed, 7, use_global=False)["forecast"].sum()
    f_true = forecast_series(frame, 7, use_global=False)["forecast"].sum()
    assert abs(f_nan - f_true) < abs(f_zero - f_true)


def test_short_and_empty_series_are_forecast_without_failing():
    dates = pd.date_range("2024-01-01", periods=10, freq="D")
    frame = pd.concat(
        [
            pd.DataFrame({"series_id": "new", "date": dates, "demand": [3.0] * 10}),
            pd.DataFrame({"series_id": "dead", "date": dates, "demand": [0.0] * 10}),
        ]
    )
    out = forecast(frame, horizon=5)  # the entry point the inventory app's link calls
    assert len(out) == 10
    assert (out["lo"] == out["lo_80"]).all() and (out["hi"] == out["hi_80"]).all()
    dead = out[out["series_id"] == "dead"]
    assert (dead["forecast"] == 0).all() and (dead["model"] == "zero").all()
    assert (out["forecast"] >= 0).all()


def test_horizon_is_limited_to_28_days():
    with pytest.raises(ValueError):
        forecast_series(weekly_frame(n_series=1), 29)


def test_dask_backend_gives_the_same_forecasts():
    from dask.distributed import Client, LocalCluster

    frame = pd.concat([weekly_frame(n_series=2, days=70), intermittent_frame(2, 70)])
    local = forecast_series(frame, 7, use_global=False)
    with (
        LocalCluster(
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        remote = forecast_series(frame, 7, use_global=False, backend="dask", partitions=2)
    pd.testing.assert_frame_equal(local, remote)


def test_intervals_widen_with_the_horizon_when_errors_grow():
    """A drifting level: the further ahead, the less we know — the band must say so."""
    rng = np.random.default_rng(11)
    days = 240
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "series_id": f"w{i}",
                    "date": dates,
                    "demand": np.maximum(
                        200 + np.cumsum(rng.normal(0, 2.0, days)) + rng.normal(0, 1.0, days), 0
                    ),
                }
            )
            for i in range(12)
        ],
        ignore_index=True,
    )
    out = forecast_series(frame, 28, (80, 95), use_global=False)
    width = (out["hi_80"] - out["lo_80"]).to_numpy().reshape(12, 28).mean(axis=0)
    assert width[-1] > 1.5 * width[0]
    assert (np.diff(width) >= -1e-9).all()
