"""Daily demand per series from sales, returns and stock-out days — plain pandas.

A day with zero sales on an empty shelf says nothing about demand: it is marked unknown (NaN)
and, where a model needs a complete series, imputed from the same weekday's recent demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .panel import DATE, DEMAND, ID


def build_daily_demand(
    sales: pd.DataFrame,
    *,
    returns: pd.DataFrame | None = None,
    stockouts: pd.DataFrame | None = None,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Long frame ``series_id, date, demand`` with one row per series and day.

    ``sales`` and ``returns`` have columns ``series_id, date, quantity`` (any number of rows per
    day, e.g. ledger movements); ``stockouts`` has ``series_id, date`` for each day the shelf was
    empty for (part of) the day. Demand is sales net of returns, never below zero; days with no
    movement are zero; stock-out days are NaN unless more was sold that day than returned (then
    the sales are a lower bound and kept). Each series starts at its first sale (or ``start``).
    """
    net = _daily(sales)
    if returns is not None and len(returns):
        net = net.sub(_daily(returns), fill_value=0.0)
    net = net.clip(lower=0.0)
    if net.empty:
        return pd.DataFrame({ID: [], DATE: pd.to_datetime([]), DEMAND: []})
    first = net.reset_index().groupby(ID)[DATE].min()
    last_day = pd.Timestamp(end) if end is not None else net.index.get_level_values(DATE).max()
    frames = []
    for series_id, begin in first.items():
        begin = pd.Timestamp(start) if start is not None else begin
        days = pd.date_range(begin, last_day, freq="D")
        frames.append(pd.DataFrame({ID: series_id, DATE: days}))
    grid = pd.concat(frames, ignore_index=True)
    out = grid.merge(net.rename(DEMAND).reset_index(), on=[ID, DATE], how="left")
    out[DEMAND] = out[DEMAND].fillna(0.0)
    if stockouts is not None and len(stockouts):
        days = pd.to_datetime(stockouts[DATE], format="mixed").dt.normalize()
        marks = stockouts[[ID]].assign(**{DATE: days})
        marks = marks.drop_duplicates().assign(_out=True)
        out = out.merge(marks, on=[ID, DATE], how="left")
        censored = out["_out"].eq(True) & (out[DEMAND] <= 0)
        out.loc[censored, DEMAND] = np.nan
        out = out.drop(columns="_out")
    return out


def _daily(moves: pd.DataFrame) -> pd.Series:
    days = pd.to_datetime(moves[DATE], format="mixed").dt.normalize()
    return moves.assign(**{DATE: days}).groupby([ID, DATE])["quantity"].sum().astype(float)


def impute_stockouts(frame: pd.DataFrame, *, weeks: int = 4) -> pd.DataFrame:
    """Fill unknown demand with the mean of the same weekday over the nearest ``weeks`` weeks
    before and after (falling back to the series' mean), so that no stock-out reads as zero."""
    out = frame.sort_values([ID, DATE]).copy()
    dow = out[DATE].dt.dayofweek
    filled = out[DEMAND].copy()
    for _, idx in out.groupby([out[ID], dow]).groups.items():
        s = out.loc[idx, DEMAND]
        if not s.isna().any():
            continue
        around = s.rolling(2 * weeks + 1, center=True, min_periods=1).mean()
        filled.loc[idx] = s.fillna(around)
    series_mean = out.groupby(ID)[DEMAND].transform("mean")
    out[DEMAND] = filled.fillna(series_mean).fillna(0.0)
    return out
