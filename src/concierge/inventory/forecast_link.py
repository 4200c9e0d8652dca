"""The seam between the stock ledger and the demand-forecasting engine
(`concierge.inventory.forecasting`, built by a colleague).

What we give the engine: a long frame `series_id, date, demand` of daily sales per item × store,
net of returns, with stock-out days as NaN (demand unknown, not zero). What we take back:
`forecast(frame, horizon=…)` → a long frame `series_id, date, forecast[, lo, hi, model]`, and
optionally `safety_stock(...)`, `reorder_point(...)`, `order_quantity(...)`. Until the engine
exposes `forecast`, a plain weekday-mean forecast with an empirical 80 % interval stands in and
says so in its model name; nothing else changes when the engine lands."""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from concierge.inventory.models import DemandForecast, ItemStock, Movement, ReorderRule, Store

HISTORY_DAYS = 365
HORIZON = 28
SERVICE_Z = 1.645  # 95 % cycle service level
FALLBACK_MODEL = "weekday mean (fallback)"


def engine():
    """The forecasting engine module when it offers `forecast`, else None."""
    try:
        module = importlib.import_module("concierge.inventory.forecasting")
    except Exception:  # the package is being written; never break stock for it
        return None
    return module if callable(getattr(module, "forecast", None)) else None


def demand_frame(*, store: Store, days: int = HISTORY_DAYS) -> pd.DataFrame:
    """Daily net sales per item in one store; NaN on days the item was out of stock all day
    (approximated: no sale and nothing on hand at the end of the day)."""
    since = timezone.now() - timedelta(days=days)
    rows = list(
        Movement.objects.filter(
            store=store, kind__in=[Movement.Kind.SALE, Movement.Kind.RETURN], created_at__gte=since
        )
        .annotate(day=TruncDate("created_at"))
        .values("item_id", "day")
        .annotate(q=Sum("quantity"))
        .values_list("item_id", "day", "q")
    )
    if not rows:
        return pd.DataFrame(columns=["series_id", "date", "demand"])
    frame = pd.DataFrame(rows, columns=["item_id", "date", "q"])
    frame["demand"] = -frame["q"].astype(float)
    frame["date"] = pd.to_datetime(frame["date"])
    end = pd.Timestamp(timezone.localdate())
    full = []
    out_now = set(
        ItemStock.objects.filter(store=store, on_hand__lte=0).values_list("item_id", flat=True)
    )
    for item_id, grp in frame.groupby("item_id"):
        dates = pd.date_range(grp["date"].min(), end, freq="D")
        series = grp.set_index("date")["demand"].reindex(dates, fill_value=0.0).clip(lower=0)
        if item_id in out_now:
            # Trailing zero-sale days while empty are stock-outs, not zero demand.
            zeros = series[::-1].eq(0).cumprod().astype(bool)[::-1]
            series[zeros] = np.nan
        full.append(pd.DataFrame({"series_id": item_id, "date": dates, "demand": series.values}))
    return pd.concat(full, ignore_index=True)


def _fallback(frame: pd.DataFrame, horizon: int) -> pd.DataFrame:
    out = []
    for sid, grp in frame.groupby("series_id"):
        grp = grp.dropna().tail(56)
        last = frame["date"].max()
        dates = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
        if grp.empty:
            continue
        by_dow = grp.groupby(grp["date"].dt.dayofweek)["demand"]
        mean, lo, hi = by_dow.mean(), by_dow.quantile(0.1), by_dow.quantile(0.9)
        overall = grp["demand"].mean()
        for d in dates:
            k = d.dayofweek
            out.append(
                (sid, d, mean.get(k, overall), lo.get(k, 0.0), hi.get(k, overall), FALLBACK_MODEL)
            )
    return pd.DataFrame(out, columns=["series_id", "date", "forecast", "lo", "hi", "model"])


def forecast_store(*, store: Store, progress=None, batch_size: int = 200) -> int:
    """Forecast every item of one store and store the results. Returns series forecast."""
    frame = demand_frame(store=store)
    if frame.empty:
        return 0
    ids = sorted(frame["series_id"].unique())
    module = engine()
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = frame[frame["series_id"].isin(ids[start : start + batch_size])]
        result = None
        if module is not None:
            try:
                result = module.forecast(chunk, horizon=HORIZON)
            except Exception:  # an engine failure falls back rather than leaving no plan
                result = None
        if result is None or len(result) == 0:
            result = _fallback(chunk, HORIZON)
        _save(store=store, result=result)
        done += len(ids[start : start + batch_size])
        if progress is not None:
            progress(done, len(ids))
    return done


@transaction.atomic
def _save(*, store: Store, result: pd.DataFrame) -> None:
    def dec(x):
        return (
            None
            if x is None or (isinstance(x, float) and math.isnan(x))
            else Decimal(str(round(max(float(x), 0.0), 3)))
        )

    items = [int(s) for s in result["series_id"].unique()]
    DemandForecast.objects.filter(store=store, item_id__in=items).delete()
    DemandForecast.objects.bulk_create(
        [
            DemandForecast(
                item_id=int(r.series_id),
                store=store,
                day=pd.Timestamp(r.date).date(),
                quantity=dec(r.forecast) or Decimal(0),
                low=dec(getattr(r, "lo", None)),
                high=dec(getattr(r, "hi", None)),
                model=str(getattr(r, "model", "") or "engine")[:60],
            )
            for r in result.itertuples()
        ]
    )


@dataclass
class Plan:
    safety_stock: Decimal
    reorder_point: Decimal
    order_quantity: Decimal
    model: str


def plans(*, store: Store, item_ids: list[int] | None = None) -> dict[int, Plan]:
    """Safety stock, reorder point and order quantity from the stored forecast, over each
    item's supplier lead time. Uses the engine's own functions when it has them."""
    module = engine()
    rules = ReorderRule.objects.filter(store=store).select_related("item__supplier")
    if item_ids is not None:
        rules = rules.filter(item_id__in=item_ids)
    rules = {r.item_id: r for r in rules}
    rows: dict[int, list] = {}
    for f in DemandForecast.objects.filter(
        store=store, day__gte=timezone.localdate(), item_id__in=rules
    ).order_by("day"):
        rows.setdefault(f.item_id, []).append(f)
    out = {}
    for item_id, fc in rows.items():
        item = rules[item_id].item
        lead = max(item.supplier.lead_time_days if item.supplier else 3, 1)
        window = fc[:lead]
        mean = sum(float(f.quantity) for f in window)
        spread = math.sqrt(
            sum(
                ((float(f.high) - float(f.quantity)) / 1.2816) ** 2
                for f in window
                if f.high is not None
            )
        )
        if module is not None and callable(getattr(module, "safety_stock", None)):
            safety = float(module.safety_stock(forecast=window, lead_time_days=lead))
        else:
            safety = SERVICE_Z * spread
        point = mean + safety
        if module is not None and callable(getattr(module, "order_quantity", None)):
            qty = float(module.order_quantity(forecast=fc, lead_time_days=lead))
        else:
            review = fc[lead : lead + 7]
            qty = sum(float(f.quantity) for f in review) or mean
        if item.perishable and item.shelf_life_days:
            qty = min(qty, sum(float(f.quantity) for f in fc[: item.shelf_life_days]))
        q = Decimal(str(round(max(qty, 1.0))))
        out[item_id] = Plan(
            safety_stock=Decimal(str(round(safety, 1))),
            reorder_point=Decimal(str(round(point, 1))),
            order_quantity=q,
            model=fc[0].model,
        )
    return out
