"""The seam between the stock ledger and the demand-forecasting engine
(`concierge.inventory.forecasting`).

Once a night `run_nightly` reads the daily net sales of every item × store (one query), hands
them to the engine in one run — the global models learn across all series, the engine works in
batches and reports progress — and stores the forecast per item × store × day in batches.
`plans` turns the stored forecast into safety stock, reorder point and order quantity with the
engine's own formulas (`forecasting.ordering`): there is one formula, not two.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from concierge.inventory import forecasting
from concierge.inventory.forecasting.ordering import reorder_point, suggest_order
from concierge.inventory.models import DemandForecast, ItemStock, Movement, ReorderRule, Store

HISTORY_DAYS = 2 * 365  # two years: last year's season is a feature of the global model
HORIZON = 28
SERVICE_LEVEL = 0.95
INTERVAL_LEVEL = 80  # DemandForecast.low/high hold the central 80 % interval
SAVE_BATCH = 5_000  # forecast rows written per transaction
Progress = Callable[..., None]


def engine():
    """The forecasting engine module (kept for the pages that ask whether it is there)."""
    return forecasting


def series_key(store_id: int, item_id: int) -> str:
    return f"{store_id}:{item_id}"


def demand_frame(
    *, store: Store | None = None, stores: Iterable[Store] | None = None, days: int = HISTORY_DAYS
) -> pd.DataFrame:
    """Daily net sales per item × store (``series_id`` = "store:item"), with NaN on the days an
    item was out of stock (approximated: the trailing days without a sale while the shelf is
    empty now) — an empty shelf says nothing about demand."""
    chosen = [store] if store is not None else list(stores or Store.objects.all())
    columns = ["series_id", "date", "demand"]
    if not chosen:
        return pd.DataFrame(columns=columns)
    store_ids = [s.pk for s in chosen]
    since = timezone.now() - timedelta(days=days)
    rows = list(
        Movement.objects.filter(
            store_id__in=store_ids,
            kind__in=[Movement.Kind.SALE, Movement.Kind.RETURN],
            created_at__gte=since,
        )
        .annotate(day=TruncDate("created_at"))
        .values("store_id", "item_id", "day")
        .annotate(q=Sum("quantity"))
        .values_list("store_id", "item_id", "day", "q")
    )
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows, columns=["store_id", "item_id", "date", "q"])
    frame["demand"] = -frame["q"].astype(float)
    frame["date"] = pd.to_datetime(frame["date"])
    end = pd.Timestamp(timezone.localdate())
    empty_now = set(
        ItemStock.objects.filter(store_id__in=store_ids, on_hand__lte=0).values_list(
            "store_id", "item_id"
        )
    )
    full = []
    for (store_id, item_id), grp in frame.groupby(["store_id", "item_id"]):
        dates = pd.date_range(grp["date"].min(), end, freq="D")
        series = grp.set_index("date")["demand"].groupby(level=0).sum()
        series = series.reindex(dates, fill_value=0.0).clip(lower=0)
        if (store_id, item_id) in empty_now:
            zeros = series[::-1].eq(0).cumprod().astype(bool)[::-1]
            series[zeros] = np.nan
        full.append(
            pd.DataFrame(
                {
                    "series_id": series_key(store_id, item_id),
                    "date": dates,
                    "demand": series.to_numpy(),
                }
            )
        )
    return pd.concat(full, ignore_index=True)


def forecast_stores(
    *, stores: Iterable[Store] | None = None, progress: Progress | None = None
) -> int:
    """Forecast every item × store of ``stores`` (default: all) in one engine run and store it.

    ``progress(done, total)`` is called as the engine finishes each batch of series. Returns
    the number of series forecast."""
    chosen = list(stores) if stores is not None else list(Store.objects.all())
    frame = demand_frame(stores=chosen)
    if frame.empty:
        return 0
    result = forecasting.forecast(frame, horizon=HORIZON, progress=progress)
    return _save(result)


def forecast_store(*, store: Store, progress: Progress | None = None) -> int:
    """One store's items (the same run, for a manager's "forecast now")."""
    return forecast_stores(stores=[store], progress=progress)


def run_nightly(*, store_ids: list[int] | None = None, progress_id=None) -> int:
    """The nightly task's body: one run over all series, progress on a core TaskProgress row."""
    from concierge.core.services import finish_progress, report_progress

    stores = Store.objects.filter(pk__in=store_ids) if store_ids else Store.objects.all()

    def step(done: int, total: int) -> None:
        if progress_id:
            report_progress(
                progress_id, done=done, total=total, message=f"{done}/{total} series forecast"
            )

    try:
        count = forecast_stores(stores=stores, progress=step)
    except Exception as exc:
        if progress_id:
            finish_progress(progress_id, error=f"{type(exc).__name__}: {exc}")
        raise
    if progress_id:
        finish_progress(progress_id, result={"series": count})
    return count


def _decimal(x) -> Decimal | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return Decimal(str(round(max(float(x), 0.0), 3)))


def _save(result: pd.DataFrame) -> int:
    """Replace the stored forecast of every series in ``result``, a batch of series at a time."""
    keys = result["series_id"].astype(str).str.split(":", n=1, expand=True).astype(int)
    result = result.assign(store_id=keys[0].to_numpy(), item_id=keys[1].to_numpy())
    result = result.sort_values(["store_id", "item_id", "date"], kind="stable")
    sizes = result.groupby(["store_id", "item_id"], sort=True).size()
    ends = np.cumsum(sizes.to_numpy())
    per_batch = max(1, SAVE_BATCH // HORIZON)
    for start in range(0, len(sizes), per_batch):
        stop = min(start + per_batch, len(sizes))
        first = int(ends[start - 1]) if start else 0
        rows = result.iloc[first : int(ends[stop - 1])]
        with transaction.atomic():
            for store_id, items in rows.groupby("store_id")["item_id"]:
                DemandForecast.objects.filter(
                    store_id=store_id, item_id__in=items.unique().tolist()
                ).delete()
            DemandForecast.objects.bulk_create(
                [
                    DemandForecast(
                        item_id=int(r.item_id),
                        store_id=int(r.store_id),
                        day=pd.Timestamp(r.date).date(),
                        quantity=_decimal(r.forecast) or Decimal(0),
                        low=_decimal(getattr(r, "lo", None)),
                        high=_decimal(getattr(r, "hi", None)),
                        model=str(getattr(r, "model", "") or "engine")[:60],
                    )
                    for r in rows.itertuples()
                ],
                batch_size=SAVE_BATCH,
            )
    return len(sizes)


@dataclass
class Plan:
    safety_stock: Decimal
    reorder_point: Decimal
    order_quantity: Decimal
    model: str
    lead_time_demand: Decimal = Decimal(0)
    order_up_to: Decimal = Decimal(0)
    capped_by_shelf_life: bool = False
    reason: str = ""


def plans(
    *, store: Store, item_ids: list[int] | None = None, service_level: float = SERVICE_LEVEL
) -> dict[int, Plan]:
    """Safety stock, reorder point and order quantity per item from the stored forecast, over
    the supplier's lead time, with the engine's formulas (`forecasting.ordering`): the order
    counts stock on hand, in transit and on open orders, is rounded to the supplier's pack
    and minimum, and for perishables never exceeds what sells before the shelf life ends."""
    from concierge.inventory.selectors import on_order

    rules = ReorderRule.objects.filter(store=store).select_related("item__supplier")
    if item_ids is not None:
        rules = rules.filter(item_id__in=item_ids)
    rules = {r.item_id: r for r in rules}
    rows: dict[int, list[DemandForecast]] = {}
    for f in DemandForecast.objects.filter(
        store=store, day__gte=timezone.localdate(), item_id__in=rules
    ).order_by("day"):
        rows.setdefault(f.item_id, []).append(f)
    if not rows:
        return {}
    stock = {
        s.item_id: s
        for s in ItemStock.objects.filter(store=store, item_id__in=list(rows)).only(
            "item_id", "on_hand", "in_transit"
        )
    }
    pending = on_order(store=store)
    out = {}
    for item_id, fc in rows.items():
        item = rules[item_id].item
        lead = max(item.supplier.lead_time_days if item.supplier else 3, 1)
        forecast = [float(f.quantity) for f in fc]
        upper = [float(f.high) if f.high is not None else float(f.quantity) for f in fc]
        point = reorder_point(
            forecast=forecast,
            upper=upper,
            lead_time_days=lead,
            service_level=service_level,
            interval_level=INTERVAL_LEVEL,
        )
        held = stock.get(item_id)
        on_hand = float(held.on_hand) if held else 0.0
        coming = float(pending.get(item_id, 0)) + (float(held.in_transit) if held else 0.0)
        order = suggest_order(
            on_hand=on_hand,
            on_order=coming,
            reorder_point=point.reorder_point,
            forecast=forecast,
            lead_time_days=lead,
            pack_size=max(item.pack_size, 1),
            min_order=item.minimum_order_qty or 0,
            shelf_life_days=item.shelf_life_days if item.perishable else None,
        )
        out[item_id] = Plan(
            safety_stock=Decimal(str(round(point.safety_stock, 1))),
            reorder_point=Decimal(str(round(point.reorder_point, 1))),
            order_quantity=Decimal(order.quantity),
            model=fc[0].model,
            lead_time_demand=Decimal(str(round(point.lead_time_demand, 1))),
            order_up_to=Decimal(str(round(order.order_up_to, 1))),
            capped_by_shelf_life=order.capped_by_shelf_life,
            reason=order.reason,
        )
    return out
