"""Demand pattern classes (Syntetos–Boylan) and the stock-out correction of daily demand."""

import numpy as np
import pandas as pd
import pytest

from concierge.inventory.forecasting import (
    DemandPattern,
    adi_cv2,
    build_daily_demand,
    classify,
    impute_stockouts,
)


def every(n_periods: int, gap: int, sizes) -> np.ndarray:
    y = np.zeros(n_periods)
    idx = np.arange(0, n_periods, gap)
    y[idx] = np.resize(np.asarray(sizes, dtype=float), idx.size)
    return y


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (every(60, 1, [10, 11, 9, 10]), DemandPattern.SMOOTH),
        (every(60, 1, [1, 30, 2, 25, 1]), DemandPattern.ERRATIC),
        (every(60, 3, [5, 6, 5, 4]), DemandPattern.INTERMITTENT),
        (every(60, 3, [1, 40, 2, 30]), DemandPattern.LUMPY),
        (np.zeros(60), DemandPattern.NO_DEMAND),
    ],
)
def test_classes_follow_adi_and_cv2(history, expected):
    assert classify(history) == expected


def test_adi_and_cv2_by_hand():
    # demand in 2 of 6 periods (ADI 3); sizes 2 and 6: mean 4, variance 4, CV² 0.25
    assert adi_cv2(np.array([2, 0, 0, 6, 0, 0])) == pytest.approx((3.0, 0.25))


def test_unknown_periods_do_not_count_as_empty():
    # a steady daily seller whose shelf was empty every other day is still smooth
    y = np.array([10.0, np.nan] * 30)
    assert classify(y) == DemandPattern.SMOOTH
    assert classify(np.nan_to_num(y)) != DemandPattern.SMOOTH


def moves(rows):
    return pd.DataFrame(rows, columns=["series_id", "date", "quantity"])


def test_daily_demand_nets_returns_and_marks_empty_shelf_days_unknown():
    sales = moves(
        [
            ("a", "2024-03-01 09:10", 3),
            ("a", "2024-03-01 17:00", 2),
            ("a", "2024-03-03", 4),
            ("a", "2024-03-05", 1),
        ]
    )
    returns = moves([("a", "2024-03-03", 1), ("a", "2024-03-05", 2)])
    stockouts = pd.DataFrame({"series_id": ["a", "a"], "date": ["2024-03-02", "2024-03-03"]})
    out = build_daily_demand(sales, returns=returns, stockouts=stockouts, end="2024-03-06")
    got = dict(zip(out["date"].dt.strftime("%d"), out["demand"], strict=True))
    assert got["01"] == 5  # two sales the same day
    assert np.isnan(got["02"])  # zero sales on an empty shelf: demand unknown, not zero
    assert got["03"] == 3  # sold before running out: a lower bound, kept
    assert got["04"] == 0  # shelf stocked, nothing sold: real zero demand
    assert got["05"] == 0  # more returned than sold never makes negative demand
    assert got["06"] == 0


def test_imputation_uses_the_same_weekday_not_zero():
    days = pd.date_range("2024-01-01", periods=42, freq="D")  # a Monday
    demand = np.where(days.dayofweek == 5, 30.0, 10.0)  # Saturdays sell 3x
    demand[40] = np.nan  # a Saturday with an empty shelf
    frame = pd.DataFrame({"series_id": "a", "date": days, "demand": demand})
    filled = impute_stockouts(frame)
    assert filled["demand"].iloc[40] == pytest.approx(30.0)
    assert not filled["demand"].isna().any()
