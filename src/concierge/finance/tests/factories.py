from decimal import Decimal

import factory

from concierge.accounts.models import User
from concierge.finance.models import Account


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    currency = "INR"
    language = "en"
    password = factory.django.Password("pw-123456")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Account {n}")
    kind = "bank"
    currency = "INR"
    opening_balance = Decimal("0")
    balance = factory.LazyAttribute(lambda o: o.opening_balance)
