"""Safety stock, reorder point and order quantity on a case computed by hand."""

import pytest

from concierge.inventory.forecasting.ordering import reorder_point, safety_stock, suggest_order

Z95_TWO_SIDED = 1.959963984540054
Z95 = 1.6448536269514722

# 10 units a day forecast; a 95 % interval of ±1.96 x 2 means a daily error s.d. of 2.
FORECAST = [10.0] * 28
UPPER = [10.0 + Z95_TWO_SIDED * 2.0] * 28


def test_reorder_point_by_hand():
    # lead time 4 days: mu_L = 40, sigma_L = sqrt(4 x 2²) = 4, SS = 1.645 x 4 = 6.58
    rop = reorder_point(forecast=FORECAST, upper=UPPER, lead_time_days=4, service_level=0.95)
    assert rop.lead_time_demand == pytest.approx(40.0)
    assert rop.safety_stock == pytest.approx(Z95 * 4.0)
    assert rop.reorder_point == pytest.approx(46.58, abs=0.01)


def test_safety_stock_grows_with_the_square_root_of_the_lead_time():
    one = safety_stock(sigma_daily=[3.0] * 16, lead_time_days=1, service_level=0.95)
    sixteen = safety_stock(sigma_daily=[3.0] * 16, lead_time_days=16, service_level=0.95)
    assert sixteen == pytest.approx(4 * one)


def test_order_rounded_up_to_packs():
    rop = reorder_point(forecast=FORECAST, upper=UPPER, lead_time_days=4).reorder_point
    # order up to 46.58 + 7 days x 10 = 116.58; 20 on hand -> 96.58 -> 9 packs of 12 = 108
    order = suggest_order(
        on_hand=20, reorder_point=rop, forecast=FORECAST, lead_time_days=4, pack_size=12
    )
    assert order.quantity == 108
    assert not order.capped_by_shelf_life


def test_minimum_order_is_respected():
    order = suggest_order(
        on_hand=45,
        reorder_point=46.58,
        forecast=FORECAST,
        lead_time_days=4,
        review_days=0,
        pack_size=5,
        min_order=30,
    )
    assert order.quantity == 30  # 1.58 needed, one pack of 5, but the supplier's minimum is 30


def test_perishables_never_exceed_what_sells_before_expiry():
    # arriving in 4 days, shelf life 5 days: 50 units sell in time; packs of 12 -> 48
    order = suggest_order(
        on_hand=20,
        reorder_point=46.58,
        forecast=FORECAST,
        lead_time_days=4,
        pack_size=12,
        min_order=24,
        shelf_life_days=5,
    )
    assert order.quantity == 48
    assert order.capped_by_shelf_life


def test_no_order_when_the_minimum_would_expire():
    order = suggest_order(
        on_hand=20,
        reorder_point=46.58,
        forecast=FORECAST,
        lead_time_days=4,
        pack_size=12,
        min_order=60,
        shelf_life_days=5,
    )
    assert order.quantity == 0
    assert order.capped_by_shelf_life


def test_no_order_above_the_reorder_point():
    order = suggest_order(
        on_hand=40, on_order=10, reorder_point=46.58, forecast=FORECAST, lead_time_days=4
    )
    assert order.quantity == 0
