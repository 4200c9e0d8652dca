"""The seam to the forecasting engine: demand from the ledger, stored forecasts, and reorder
suggestions from the forecast when (and only when) the store opts in."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from concierge.inventory import forecast_link, selectors
from concierge.inventory.models import DemandForecast, ItemStock, Movement
from concierge.inventory.tests.factories import ReorderRuleFactory

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
