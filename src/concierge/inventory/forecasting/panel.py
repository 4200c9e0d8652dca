"""A dense series × period matrix view of a long demand frame (NaN = unknown demand)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ID, DATE, DEMAND = "series_id", "date", "demand"


def period_offset(freq: str) -> pd.DateOffset:
    return pd.offsets.MonthBegin(1) if freq == "M" else pd.offsets.Day(1)


@dataclass(frozen=True)
class Panel:
    """Demand of many series on one shared calendar.

    ``values[i, j]`` is the demand of series ``ids[i]`` in period ``dates[j]``; NaN where the
    demand is unknown (before the series started, or a stock-out day).
    """

    ids: np.ndarray
    dates: pd.DatetimeIndex
    values: np.ndarray
    freq: str

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, freq: str = "D") -> Panel:
        # min_count=1: a day known only as NaN (stock-out) stays unknown, not zero
        wide = frame.groupby([ID, DATE])[DEMAND].sum(min_count=1).unstack(DATE)
        if freq == "M":
            dates = pd.date_range(wide.columns.min(), wide.columns.max(), freq="MS")
        else:
            dates = pd.date_range(wide.columns.min(), wide.columns.max(), freq="D")
        wide = wide.reindex(columns=dates)
        return cls(ids=wide.index.to_numpy(), dates=dates, values=wide.to_numpy(float), freq=freq)

    def future_dates(self, horizon: int) -> pd.DatetimeIndex:
        return pd.date_range(self.dates[-1], periods=horizon + 1, freq=self._pandas_freq)[1:]

    @property
    def _pandas_freq(self) -> str:
        return "MS" if self.freq == "M" else "D"

    def head(self, periods: int) -> Panel:
        """The panel as it was ``periods`` periods before its end (for holdout checks)."""
        return Panel(self.ids, self.dates[:periods], self.values[:, :periods], self.freq)

    def subset(self, rows: np.ndarray) -> Panel:
        return Panel(self.ids[rows], self.dates, self.values[rows], self.freq)


def to_long(panel_ids: np.ndarray, dates: pd.DatetimeIndex, columns: dict) -> pd.DataFrame:
    """Long frame with one row per series × date from ``(n_series, horizon)`` arrays."""
    n, h = len(panel_ids), len(dates)
    out = {ID: np.repeat(panel_ids, h), DATE: np.tile(dates.to_numpy(), n)}
    for name, value in columns.items():
        arr = np.asarray(value)
        out[name] = arr.reshape(-1) if arr.ndim == 2 else np.repeat(arr, h)
    return pd.DataFrame(out)
