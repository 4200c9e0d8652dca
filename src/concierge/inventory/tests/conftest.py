from dataclasses import dataclass

import pytest

from concierge.inventory.models import Item, Location, Store
from concierge.inventory.tests.factories import (
    ItemFactory,
    LocationFactory,
    MembershipFactory,
    RetailerFactory,
    StoreFactory,
    SupplierFactory,
    UserFactory,
)


@dataclass
class Shop:
    org: object
    staff: object
    manager: object
    store: Store
    bin: Location
    bin2: Location
    other_store: Store
    other_bin: Location
    item: Item
    milk: Item
    supplier: object


@pytest.fixture
def shop(db) -> Shop:
    org = RetailerFactory()
    staff = MembershipFactory(organisation=org, role="staff").user
    manager = MembershipFactory(organisation=org, role="manager").user
    store = StoreFactory(organisation=org, code="T1", name="T. Nagar", manager=manager)
    other = StoreFactory(organisation=org, code="AD", name="Adyar")
    supplier = SupplierFactory(organisation=org)
    return Shop(
        org=org,
        staff=staff,
        manager=manager,
        store=store,
        bin=LocationFactory(store=store, code="A-01"),
        bin2=LocationFactory(store=store, code="A-02"),
        other_store=other,
        other_bin=LocationFactory(store=other, code="X-01"),
        item=ItemFactory(organisation=org, name="Rice 5 kg", supplier=supplier),
        milk=ItemFactory(
            organisation=org,
            name="Milk 500 ml",
            perishable=True,
            shelf_life_days=5,
            supplier=supplier,
        ),
        supplier=supplier,
    )


@pytest.fixture
def stranger(db):
    return UserFactory()
