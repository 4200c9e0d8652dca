"""The stock-on-hand list pages by keyset: every row once, in name order, at a fixed cost."""

import re
from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from concierge.inventory import selectors
from concierge.inventory.models import ItemStock
from concierge.inventory.tests.factories import ItemFactory


def _stock(shop, names):
    for name in names:
        item = ItemFactory(organisation=shop.org, name=name)
        ItemStock.objects.create(item=item, store=shop.store, on_hand=D(3))


def test_next_and_previous_walk_every_row_once_in_name_order(shop):
    # Ties on the name are ordered by id, so a page edge inside a run of equal names is safe.
    names = [f"Soap {n % 7:02d}" for n in range(23)]
    _stock(shop, names)
    seen, after = [], None
    while True:
        page = selectors.stock_page(store=shop.store, after=after, size=5)
        seen += [r.item_id for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    expected = list(
        ItemStock.objects.filter(store=shop.store)
        .order_by("item__name", "item_id")
        .values_list("item_id", flat=True)
    )
    assert seen == expected and len(seen) == 23
    # Walking back from the last page gives the same rows in reverse page order.
    back, before = [], page.prev_before
    while before is not None:
        previous = selectors.stock_page(store=shop.store, before=before, size=5)
        back = [r.item_id for r in previous.rows] + back
        before = previous.prev_before
    assert back + [r.item_id for r in page.rows] == expected
    assert page.total == 23


def test_a_deep_page_costs_the_same_queries_as_the_first(client, shop):
    _stock(shop, [f"Item {n:03d}" for n in range(120)])
    client.force_login(shop.staff)
    url = reverse("inventory:index")
    client.get(url, {"store": shop.store.pk})
    with CaptureQueriesContext(connection) as first:
        r = client.get(url, {"store": shop.store.pk})
    nxt = re.search(r'after=(\d+)"', r.content.decode()).group(1)
    with CaptureQueriesContext(connection) as deep:
        r = client.get(url, {"store": shop.store.pk, "after": nxt})
    assert r.status_code == 200 and "Item 050" in r.content.decode()
    assert "Item 049" not in r.content.decode()
    # One more query on a later page: the name of the item the page starts after.
    assert len(deep) == len(first) + 1
    assert not any("OFFSET" in q["sql"].upper() for q in deep.captured_queries)


def test_a_bad_cursor_shows_the_first_page(client, shop):
    _stock(shop, ["Apples", "Bananas"])
    client.force_login(shop.staff)
    for value in ("abc", "999999", "-1"):
        r = client.get(reverse("inventory:index"), {"store": shop.store.pk, "after": value})
        assert r.status_code == 200 and "Apples" in r.content.decode()
