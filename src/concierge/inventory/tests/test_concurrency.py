"""Concurrent sales of the last units oversell nothing (threads, real transactions)."""

import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections

from concierge.inventory import ledger, services
from concierge.inventory.models import ItemStock, Movement
from concierge.inventory.services import ReceiptLine, SaleLine


@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_of_the_last_units_oversell_nothing(shop):
    if (
        connection.vendor == "sqlite"
        and connection.settings_dict["NAME"] in ("", ":memory:")
        or "mode=memory" in str(connection.settings_dict.get("TEST", {}).get("NAME") or "")
    ):
        pass  # shared-cache memory DB: writers still serialise; errors count as refusals
    services.receive_stock(
        user=shop.staff,
        store=shop.store,
        lines=[ReceiptLine(item=shop.item, quantity=D(5), location=shop.bin)],
    )
    results = []
    barrier = threading.Barrier(8)

    def buy():
        try:
            barrier.wait()
            for _attempt in range(400):
                try:
                    services.sell_stock(
                        user=shop.staff,
                        store=shop.store,
                        confirm=True,
                        lines=[SaleLine(item=shop.item, quantity=D(1))],
                    )
                    results.append("sold")
                    return
                except OperationalError:  # SQLite: database is locked — try again
                    import time

                    time.sleep(0.05)
            results.append("gave up")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("sold") == 5
    assert results.count("refused") == 3, results
    assert ItemStock.objects.get(item=shop.item, store=shop.store).on_hand == 0
    assert Movement.objects.filter(kind="sale").count() == 5
    assert ledger.check().ok
