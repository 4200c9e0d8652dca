"""Length-of-stay prediction and the ward forecast of when beds free up.

The hospital app calls `predict_stay(...)` when a patient is admitted and `forecast_ward(...)`
for the bed forecast; see docs/hospital-los.md.
"""

from .features import AdmissionFeatures, LeakageError, admission_features, features_from_fields
from .forecast import (
    Inpatient,
    PastStay,
    WardForecast,
    backtest_next_day_free,
    forecast_ward,
    mean_arrivals_by_weekday,
    mean_survival,
)
from .model import StayPrediction, predict_stay, shipped_card

__all__ = [
    "AdmissionFeatures",
    "Inpatient",
    "PastStay",
    "LeakageError",
    "StayPrediction",
    "WardForecast",
    "admission_features",
    "backtest_next_day_free",
    "features_from_fields",
    "forecast_ward",
    "mean_arrivals_by_weekday",
    "mean_survival",
    "shipped_card",
    "predict_stay",
]
