"""The stock-list search finds by name (contains, any case), SKU (exact, any case) and GTIN
(exact) — on PostgreSQL through the trigram / upper(SKU) indexes of migration 0005, on SQLite
by LIKE — and pages through many matches in name order."""

from decimal import Decimal as D

from django.db import connection
from django.urls import reverse

from concierge.inventory import selectors
from concierge.inventory.models import ItemStock
from concierge.inventory.tests.factories import ItemFactory


def _stock(shop, **fields):
    item = ItemFactory(organisation=shop.org, **fields)
    ItemStock.objects.create(item=item, store=shop.store, on_hand=D(3))
    return item


def _found(shop, query, **kw):
    return [r.item.name for r in selectors.stock_page(store=shop.store, query=query, **kw).rows]


def test_search_by_name_sku_and_barcode(shop):
    basmati = _stock(shop, name="Basmati Rice 5 kg", sku="RICE-B5", gtin="8901000000026")
    _stock(shop, name="Idli Rice", sku="RICE-I1", gtin="8901000000033")
    _stock(shop, name="Toor Dal", sku="DAL-T1", gtin="8901000000040")
    # Another store's and another organisation's items are never found.
    ItemStock.objects.create(
        item=_stock(shop, name="Rice Flour"), store=shop.other_store, on_hand=1
    )
    ItemStock.objects.filter(item__name="Rice Flour", store=shop.store).delete()
    ItemFactory(name="Rice Elsewhere")

    assert _found(shop, "rice") == ["Basmati Rice 5 kg", "Idli Rice"]  # any case, contains
    assert _found(shop, "smati") == ["Basmati Rice 5 kg"]
    assert _found(shop, "ri") == ["Basmati Rice 5 kg", "Idli Rice"]  # shorter than a trigram
    assert _found(shop, "rice-b5") == ["Basmati Rice 5 kg"]  # SKU, any case
    assert _found(shop, "RICE-B") == []  # SKU is exact, not a prefix
    assert _found(shop, "8901000000026") == ["Basmati Rice 5 kg"]  # GTIN
    assert _found(shop, "890100000002") == []
    assert _found(shop, "dal-t1") == ["Toor Dal"]
    assert _found(shop, "nothing like it") == []
    page = selectors.stock_page(store=shop.store, query="dal")
    assert page.total == 1 and page.next_after is None
    assert basmati.pk in {
        r.item_id for r in selectors.stock_page(store=shop.store, query="5 KG").rows
    }


def test_many_matches_page_in_name_order(shop):
    for n in range(30):
        _stock(shop, name=f"Soap {n:02d}", sku=f"SOAP-{n:02d}")
        _stock(shop, name=f"Tea {n:02d}")
    first = selectors.stock_page(store=shop.store, query="soap", size=20)
    assert [r.item.name for r in first.rows] == [f"Soap {n:02d}" for n in range(20)]
    assert first.total is None and first.next_after is not None  # more than one page
    rest = selectors.stock_page(store=shop.store, query="soap", after=first.next_after, size=20)
    assert [r.item.name for r in rest.rows] == [f"Soap {n:02d}" for n in range(20, 30)]


def test_the_search_page_shows_matches(client, shop):
    _stock(shop, name="Filter Coffee Powder", sku="FCP-1")
    _stock(shop, name="Tea Dust")
    client.force_login(shop.staff)
    r = client.get(reverse("inventory:index"), {"store": shop.store.pk, "q": "coffee"})
    page = r.content.decode()
    assert r.status_code == 200 and "Filter Coffee Powder" in page and "Tea Dust" not in page


def test_postgresql_has_the_search_indexes(db):
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'inventory_item' "
            "AND indexname IN ('inv_item_name_trgm', 'inv_item_org_upper_sku')"
        )
        assert {row[0] for row in cursor.fetchall()} == {
            "inv_item_name_trgm",
            "inv_item_org_upper_sku",
        }
