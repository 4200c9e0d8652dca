"""factory_boy factories for inventory tests."""

from decimal import Decimal

import factory

from concierge.accounts.models import Membership, Organisation, User
from concierge.inventory.models import (
    Category,
    Item,
    Location,
    ReorderRule,
    Store,
    Supplier,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@shops.test")
    display_name = factory.Sequence(lambda n: f"Person {n}")


class RetailerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.RETAILER
    name = factory.Sequence(lambda n: f"Shops {n}")
    slug = factory.Sequence(lambda n: f"shops-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(RetailerFactory)
    role = "staff"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    organisation = factory.SubFactory(RetailerFactory)
    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.Sequence(lambda n: f"Store {n}")
    city = "Chennai"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.Sequence(lambda n: f"Bin {n}")
    kind = Location.Kind.BIN


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    organisation = factory.SubFactory(RetailerFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    organisation = factory.SubFactory(RetailerFactory)
    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.Sequence(lambda n: f"orders{n}@supplier.test")
    lead_time_days = 3


def _gtin(n: int) -> str:
    body = f"890{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    organisation = factory.SubFactory(RetailerFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    gtin = factory.Sequence(_gtin)
    cost = Decimal("10.00")
    price = Decimal("15.00")
    unit = Item.Unit.EACH


class ReorderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReorderRule

    item = factory.SubFactory(ItemFactory)
    store = factory.SubFactory(StoreFactory)
    reorder_point = Decimal("5")
    reorder_qty = Decimal("20")
