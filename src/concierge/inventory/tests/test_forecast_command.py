"""``manage.py forecast backtest`` prints one JSON object as its last line."""

import gzip
import io
import json

import numpy as np
import pandas as pd
from django.core.management import call_command


def write_csv(path, frame):
    with gzip.open(path, "wt") as fh:
        frame.to_csv(fh, index=False)


def last_json(buffer: io.StringIO) -> dict:
    return json.loads(buffer.getvalue().strip().splitlines()[-1])


def test_daily_backtest_json(tmp_path):
    rng = np.random.default_rng(3)
    dates = pd.date_range("2023-01-02", periods=150, freq="D")
    week = np.resize([4, 5, 6, 7, 9, 16, 14], len(dates))
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "series_id": f"store1_item{i}",
                    "date": dates.strftime("%Y-%m-%d"),
                    "sales": rng.poisson(week * (i + 1)),
                }
            )
            for i in range(2)
        ]
    )
    path = tmp_path / "daily.csv.gz"
    write_csv(path, frame)
    out = io.StringIO()
    call_command(
        "forecast",
        "backtest",
        "--data",
        str(path),
        "--horizon",
        "7",
        "--folds",
        "2",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = last_json(out)
    assert result["series"] == 2 and result["horizon"] == 7
    for key in ("mase", "rmsse", "mase_seasonal_naive", "seconds"):
        assert isinstance(result[key], float | int)
    assert result["mase"] < result["mase_seasonal_naive"]


def test_monthly_backtest_reports_stock_and_fill_rate(tmp_path):
    rng = np.random.default_rng(4)
    months = pd.date_range("2000-01-01", periods=36, freq="MS").strftime("%Y-%m-%d")
    parts = []
    for i in range(12):
        sales = np.where(rng.random(36) < 0.3, rng.integers(1, 5, 36), 0).astype(object)
        if i == 0:
            sales[5] = ""  # an unrecorded month: the part is skipped
        parts.append(pd.DataFrame({"series_id": f"part{i}", "date": months, "sales": sales}))
    path = tmp_path / "monthly.csv.gz"
    write_csv(path, pd.concat(parts))
    out = io.StringIO()
    call_command(
        "forecast",
        "backtest",
        "--data",
        str(path),
        "--freq",
        "M",
        "--horizon",
        "6",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = last_json(out)
    assert result["series"] == 11
    for key in (
        "fill_rate_90",
        "fill_rate_95",
        "stock_90",
        "stock_95",
        "spl_95",
        "mase_croston",
        "mase_naive",
    ):
        assert key in result
    assert 0 <= result["fill_rate_90"] <= result["fill_rate_95"] <= 1
    assert result["stock_90"] <= result["stock_95"]
