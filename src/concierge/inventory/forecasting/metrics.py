"""Accuracy measures scaled by a naive forecast's in-sample error (Hyndman & Koehler 2006)."""

from __future__ import annotations

import numpy as np


def naive_scale(history: np.ndarray, *, lag: int, power: int = 1) -> float:
    """Mean |y_t - y_{t-lag}|**power over the known part of ``history`` (NaN = unknown)."""
    y = np.asarray(history, dtype=float)
    if y.size <= lag:
        return float("nan")
    diff = y[lag:] - y[:-lag]
    diff = diff[~np.isnan(diff)]
    if diff.size == 0:
        return float("nan")
    return float(np.mean(np.abs(diff) ** power))


def scaled_errors(
    *, actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, lag: int
) -> tuple[float, float]:
    """(MASE, RMSSE) of one forecast; NaN when the scale is zero or undefined."""
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    known = ~np.isnan(actual)
    mae_scale = naive_scale(history, lag=lag)
    mse_scale = naive_scale(history, lag=lag, power=2)
    if not known.any() or not mae_scale > 0:
        return float("nan"), float("nan")
    err = actual[known] - forecast[known]
    return (
        float(np.mean(np.abs(err)) / mae_scale),
        float(np.sqrt(np.mean(err**2) / mse_scale)),
    )


def pinball(*, actual: np.ndarray, quantile: np.ndarray, level: float) -> float:
    """Mean pinball (quantile) loss of ``quantile`` as the ``level`` quantile of ``actual``."""
    diff = np.asarray(actual, dtype=float) - np.asarray(quantile, dtype=float)
    return float(np.mean(np.maximum(level * diff, (level - 1.0) * diff)))
