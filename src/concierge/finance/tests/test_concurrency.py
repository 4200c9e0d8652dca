"""Two writers crossing the same budget threshold at the same moment: one warning, not two.
Needs real row locks and concurrent connections, so it runs on PostgreSQL only:
DATABASE_URL=postgres://… TEST_DATABASE_NAME=… pytest -m postgres src/concierge/finance"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from concierge.finance import services
from concierge.finance.tests.conftest import cat
from concierge.finance.tests.factories import AccountFactory, UserFactory
from concierge.notifications.models import Notification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_concurrent_crossings_warn_exactly_once():
    user = UserFactory()
    services.ensure_profile(user=user)
    account = AccountFactory(owner=user)
    services.set_budget(user=user, category=None, amount=Decimal("1000"))
    today = services.today_for(user)
    barrier = threading.Barrier(6)
    errors = []

    def spend():
        from django.db import connections

        try:
            barrier.wait()
            services.record_transaction(
                user=user,
                account=account,
                kind="expense",
                amount=Decimal("170"),
                on=today,
                category=cat(user, "groceries"),
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = list(Notification.objects.filter(recipient=user).values_list("event", flat=True))
    assert sorted(events) == ["finance.budget_exceeded", "finance.budget_warning"]
