"""Demand forecasting for inventory: pure Python (pandas, numpy, statsforecast, LightGBM).

The inventory app feeds ledger rows through :func:`build_daily_demand`, forecasts with
:func:`forecast_series` and turns forecasts into orders with :mod:`.ordering`. See
``docs/inventory-forecasting.md``.
"""

import pandas as pd

from .demand import build_daily_demand, impute_stockouts
from .engine import forecast_series
from .ordering import OrderSuggestion, ReorderPoint, reorder_point, suggest_order
from .patterns import DemandPattern, adi_cv2, classify


def forecast(frame: pd.DataFrame, *, horizon: int = 28, **options) -> pd.DataFrame:
    """``forecast_series`` plus ``lo``/``hi``: the 80 % interval, the columns the inventory
    app's forecast link reads. Call it once for all series: the global models learn across
    them."""
    options.setdefault("levels", (80, 95))
    out = forecast_series(frame, horizon, **options)
    if "lo_80" in out:
        out["lo"], out["hi"] = out["lo_80"], out["hi_80"]
    return out


__all__ = [
    "DemandPattern",
    "OrderSuggestion",
    "ReorderPoint",
    "adi_cv2",
    "build_daily_demand",
    "classify",
    "forecast",
    "forecast_series",
    "impute_stockouts",
    "reorder_point",
    "suggest_order",
]
