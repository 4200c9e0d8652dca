"""From a daily forecast to reorder points and order quantities — pure arithmetic.

With daily forecasts f_d, upper bounds u_d of the central ``interval_level`` % interval, a lead
time of L days and a cycle service level α:

    sigma_d = (u_d - f_d) / z_((1 + interval_level/100) / 2)   each day's forecast error s.d.
    mu_L    = f_1 + … + f_L                                   lead-time demand
    sigma_L = sqrt(sigma_1² + … + sigma_L²)                   days' errors taken as independent
    safety stock  SS  = z_α · sigma_L
    reorder point ROP = mu_L + SS

When the stock position (on hand + on order) is at or below the ROP, order up to ROP plus the
forecast demand of the review period after the lead time, rounded up to whole packs and at least
the minimum order. For perishables the order is capped (rounded down to whole packs) at what is
forecast to sell between its arrival and the end of its shelf life, after the stock expected to
be left on arrival; if the minimum order is above that cap, nothing is suggested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def z_value(probability: float) -> float:
    if not 0.5 <= probability < 1:
        raise ValueError("service level must be in [0.5, 1)")
    return NormalDist().inv_cdf(probability)


def _daily(values: Sequence[float], days: int) -> np.ndarray:
    """The first ``days`` values; past the forecast, the last week's mean repeats."""
    arr = np.asarray(values, dtype=float)
    if days <= arr.size:
        return arr[:days]
    tail = arr[-7:].mean() if arr.size else 0.0
    return np.concatenate([arr, np.full(days - arr.size, tail)])


def safety_stock(
    *, sigma_daily: Sequence[float], lead_time_days: int, service_level: float = 0.95
) -> float:
    """z_α · sqrt(Σ sigma_d²) over the lead time."""
    sigma = _daily(sigma_daily, lead_time_days)
    return z_value(service_level) * math.sqrt(float(np.sum(sigma**2)))


@dataclass(frozen=True)
class ReorderPoint:
    lead_time_demand: float
    safety_stock: float
    reorder_point: float


def reorder_point(
    *,
    forecast: Sequence[float],
    upper: Sequence[float],
    lead_time_days: int,
    service_level: float = 0.95,
    interval_level: int = 95,
) -> ReorderPoint:
    """Reorder point of one item × store from its daily forecast and interval upper bounds."""
    if lead_time_days < 1:
        raise ValueError("lead time must be at least one day")
    f = _daily(forecast, lead_time_days)
    u = _daily(upper, lead_time_days)
    sigma = np.maximum(u - f, 0.0) / z_value((1 + interval_level / 100) / 2)
    mu = float(np.maximum(f, 0.0).sum())
    ss = safety_stock(sigma_daily=sigma, lead_time_days=lead_time_days, service_level=service_level)
    return ReorderPoint(mu, ss, mu + ss)


@dataclass(frozen=True)
class OrderSuggestion:
    quantity: int
    order_up_to: float
    capped_by_shelf_life: bool = False
    reason: str = ""


def suggest_order(
    *,
    on_hand: float,
    reorder_point: float,
    forecast: Sequence[float],
    lead_time_days: int,
    on_order: float = 0.0,
    review_days: int = 7,
    pack_size: int = 1,
    min_order: int = 0,
    shelf_life_days: int | None = None,
) -> OrderSuggestion:
    """Units to order now (a multiple of ``pack_size``), or 0 with the reason."""
    if pack_size < 1:
        raise ValueError("pack size must be at least 1")
    position = float(on_hand) + float(on_order)
    daily = np.maximum(
        _daily(forecast, lead_time_days + max(review_days, shelf_life_days or 0)), 0.0
    )
    up_to = reorder_point + float(daily[lead_time_days : lead_time_days + review_days].sum())
    if position > reorder_point:
        return OrderSuggestion(0, up_to, reason="stock position above the reorder point")
    packs = math.ceil((up_to - position) / pack_size - 1e-9)
    quantity = max(packs * pack_size, math.ceil(min_order / pack_size) * pack_size)
    if shelf_life_days is not None:
        left_on_arrival = max(position - float(daily[:lead_time_days].sum()), 0.0)
        sellable = float(daily[lead_time_days : lead_time_days + shelf_life_days].sum())
        cap = math.floor(max(sellable - left_on_arrival, 0.0) / pack_size + 1e-9) * pack_size
        if quantity > cap:
            if cap < min_order or cap == 0:
                return OrderSuggestion(0, up_to, True, "would expire before it sells")
            return OrderSuggestion(cap, up_to, True, "capped at what sells before expiry")
    return OrderSuggestion(quantity, up_to)
