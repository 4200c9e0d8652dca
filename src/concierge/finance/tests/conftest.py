from decimal import Decimal

import pytest

from concierge.finance import services
from concierge.finance.tests.factories import AccountFactory, UserFactory


@pytest.fixture
def user(db):
    user = UserFactory()
    services.ensure_profile(user=user)
    return user


@pytest.fixture
def stranger(db):
    return UserFactory()


@pytest.fixture
def account(user):
    return AccountFactory(owner=user, name="Wallet", kind="cash", opening_balance=Decimal("1000"))


@pytest.fixture
def card(user):
    return AccountFactory(owner=user, name="Card", kind="card")


def cat(user, key):
    from concierge.finance.models import Category

    return Category.objects.get(owner=user, key=key)
