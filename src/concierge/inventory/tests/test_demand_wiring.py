"""The seam to the forecasting engine: demand from the ledger, stored forecasts, and reorder
suggestions from the forecast when (and only when) the store opts in."""

from datetime import timedelta
from decimal import Decimal as D

import numpy as np
import pytest
from django.utils import timezone

from concierge.core.services import start_progress
from concierge.inventory import forecast_link, forecasting, selectors, tasks
from concierge.inventory.forecasting.ordering import reorder_point
from concierge.inventory.models import DemandForecast, ItemStock, Movement
from concierge.inventory.tests.factories import ItemFactory, ReorderRuleFactory

pytestmark = pytest.mark.django_db


def history(shop, item, *, days=60, per_day=4, stock_out_last=0):
    now = timezone.now()
    rows = []
    for d in range(days, 0, -1):
        if d <= stock_out_last:
            continue
        rows.append(
            Movement(
                organisation=shop.org,
                store=shop.store,
                location=shop.bin,
                item=item,
                kind="sale",
                quantity=D(-per_day),
                created_at=now - timedelta(days=d),
            )
        )
    rows.append(
        Movement(
            organisation=shop.org,
            store=shop.store,
            location=shop.bin,
            item=item,
            kind="return",
            quantity=D(1),
            created_at=now - timedelta(days=10),
        )
    )
    Movement.objects.bulk_create(rows)


def test_demand_is_net_of_returns_and_stock_out_days_are_unknown(shop):
    history(shop, shop.item, stock_out_last=5)
    ItemStock.objects.create(item=shop.item, store=shop.store, on_hand=D(0))
    frame = forecast_link.demand_frame(store=shop.store)
    series = frame.set_index("date")["demand"]
    assert series.iloc[:-6].max() == 4 and series.min() == 3  # the day with a return
    assert series.iloc[-5:].isna().all()  # empty shelf: demand unknown, not zero


def test_forecast_is_stored_and_drives_reorders_only_when_opted_in(shop):
    history(shop, shop.item)
    rule = ReorderRuleFactory(
        item=shop.item, store=shop.store, reorder_point=D(2), reorder_qty=D(5)
    )
    ItemStock.objects.create(item=shop.item, store=shop.store, on_hand=D(10))
    steps = []
    assert (
        forecast_link.forecast_store(store=shop.store, progress=lambda d, n: steps.append((d, n)))
        == 1
    )
    assert steps == [(1, 1)]
    rows = DemandForecast.objects.filter(item=shop.item, store=shop.store)
    assert rows.count() == forecast_link.HORIZON
    assert all(r.low <= r.quantity <= r.high for r in rows)
    plan = forecast_link.plans(store=shop.store)[shop.item.pk]
    assert plan.reorder_point > rule.reorder_point and plan.safety_stock >= 0
    assert selectors.reorder_suggestions(user=shop.manager, store=shop.store) == []
    shop.store.use_forecast = True
    shop.store.save()
    [s] = selectors.reorder_suggestions(user=shop.manager, store=shop.store)
    assert s.source == "forecast" and s.reorder_point == plan.reorder_point


def test_plan_uses_the_engines_reorder_formula(shop):
    history(shop, shop.item)
    ReorderRuleFactory(item=shop.item, store=shop.store, reorder_point=D(2), reorder_qty=D(5))
    ItemStock.objects.create(item=shop.item, store=shop.store, on_hand=D(3))
    forecast_link.forecast_store(store=shop.store)
    rows = list(DemandForecast.objects.filter(item=shop.item, store=shop.store).order_by("day"))
    lead = shop.item.supplier.lead_time_days
    expected = reorder_point(
        forecast=[float(r.quantity) for r in rows],
        upper=[float(r.high) for r in rows],
        lead_time_days=lead,
        service_level=0.95,
        interval_level=80,
    )
    plan = forecast_link.plans(store=shop.store)[shop.item.pk]
    assert plan.reorder_point == D(str(round(expected.reorder_point, 1)))
    assert plan.safety_stock == D(str(round(expected.safety_stock, 1)))
    # below the reorder point: order up to it plus a week, in whole packs of the item
    assert plan.order_quantity > 0 and plan.order_quantity % shop.item.pack_size == 0
    assert plan.order_up_to > plan.reorder_point


def test_perishable_plan_never_orders_more_than_sells_before_expiry(shop):
    history(shop, shop.milk, per_day=4)
    ReorderRuleFactory(item=shop.milk, store=shop.store, reorder_point=D(2), reorder_qty=D(50))
    ItemStock.objects.create(item=shop.milk, store=shop.store, on_hand=D(0))
    forecast_link.forecast_store(store=shop.store)
    plan = forecast_link.plans(store=shop.store)[shop.milk.pk]
    sells = sum(
        r.quantity
        for r in DemandForecast.objects.filter(item=shop.milk, store=shop.store).order_by("day")[
            shop.milk.supplier.lead_time_days : shop.milk.supplier.lead_time_days
            + shop.milk.shelf_life_days
        ]
    )
    assert 0 < plan.order_quantity <= sells
    shop.store.use_forecast = True
    shop.store.save()
    [suggestion] = selectors.reorder_suggestions(user=shop.manager, store=shop.store)
    # the suggestion takes the capped plan as it is; no rounding pushes it past the cap
    assert suggestion.quantity == plan.order_quantity


def test_nightly_run_forecasts_every_store_in_one_engine_run(shop, monkeypatch):
    """Generated sales in two stores; one engine call; progress on a core TaskProgress row."""
    rng = np.random.default_rng(5)
    now = timezone.now()
    items = [shop.item, shop.milk, ItemFactory(organisation=shop.org, supplier=shop.supplier)]
    moves = []
    for store, location in ((shop.store, shop.bin), (shop.other_store, shop.other_bin)):
        for k, item in enumerate(items):
            for d in range(150, 0, -1):
                sold = rng.poisson(2 + k + 3 * ((now - timedelta(days=d)).weekday() >= 5))
                if sold:
                    moves.append(
                        Movement(
                            organisation=shop.org,
                            store=store,
                            location=location,
                            item=item,
                            kind="sale",
                            quantity=D(-int(sold)),
                            created_at=now - timedelta(days=d),
                        )
                    )
    Movement.objects.bulk_create(moves)
    calls = []
    real = forecasting.forecast

    def counted(frame, **options):
        calls.append(frame["series_id"].nunique())
        return real(frame, **options)

    monkeypatch.setattr(forecasting, "forecast", counted)
    progress = start_progress(owner=shop.manager, kind="inventory.forecast", label="nightly")
    # the task the scheduler and the "forecast now" button enqueue
    assert tasks.forecast_stores.call(None, progress.pk) == 6
    assert calls == [6]
    for store in (shop.store, shop.other_store):
        for item in items:
            rows = DemandForecast.objects.filter(store=store, item=item)
            assert rows.count() == forecast_link.HORIZON
            assert all(r.low <= r.quantity <= r.high for r in rows)
    progress.refresh_from_db()
    assert progress.status == "done" and progress.result == {"series": 6}
    assert (progress.done, progress.total) == (6, 6)
