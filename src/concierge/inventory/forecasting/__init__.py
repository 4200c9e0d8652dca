"""Demand forecasting for inventory: pure Python (pandas, numpy, statsforecast, LightGBM).

The inventory app feeds ledger rows through :func:`build_daily_demand`, forecasts with
:func:`forecast_series` and turns forecasts into orders with :mod:`.ordering`. See
``docs/inventory-forecasting.md``.
"""

from .demand import build_daily_demand, impute_stockouts
from .engine import forecast_series
from .ordering import OrderSuggestion, reorder_point, safety_stock, suggest_order
from .patterns import DemandPattern, adi_cv2, classify

__all__ = [
    "DemandPattern",
    "OrderSuggestion",
    "adi_cv2",
    "build_daily_demand",
    "classify",
    "forecast_series",
    "impute_stockouts",
    "reorder_point",
    "safety_stock",
    "suggest_order",
]
