"""Demo finances for priya@demo.concierge: six months of an Indian household in INR.
Idempotent: skipped when Priya already has finance accounts. Written through the services,
so balances, month totals and budget warnings are exactly what real use would give."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from concierge.core.demo import demo_user
from concierge.finance import services
from concierge.finance.models import Account, Category

D = Decimal


def _cat(user, key: str) -> Category:
    return Category.objects.get(owner=user, key=key)


def _on(day: date, today: date) -> bool:
    return day <= today


def run(*, stdout) -> None:
    user = demo_user("priya")
    if Account.objects.filter(owner=user).exists():
        stdout.write("  finance: demo data already there")
        return
    services.ensure_profile(user=user)
    rng = random.Random(20261126)
    today = services.today_for(user)
    bank = services.create_account(
        user=user, name="HDFC Savings", kind="bank", opening_balance=D("48250.00")
    )
    cash = services.create_account(
        user=user, name="Cash", kind="cash", opening_balance=D("3200.00")
    )
    card = services.create_account(user=user, name="ICICI Card", kind="card")
    savings = services.create_account(
        user=user, name="Emergency fund", kind="savings", opening_balance=D("85000.00")
    )
    usd = services.create_account(user=user, name="Travel card (USD)", kind="card", currency="USD")
    first = services.month_start(today)
    months = [first]
    for _i in range(6):
        months.insert(0, services.month_start(months[0] - timedelta(days=1)))
    for m in months:
        services.set_rate(
            user=user, currency="USD", on=m, rate=D("83.10") + D(rng.randint(-60, 60)) / 100
        )

    card_spent: dict[date, Decimal] = {}

    def spend(account, amount, day, key, payee, note="", tags=()):
        if _on(day, today):
            if account == card:
                month = services.month_start(day)
                card_spent[month] = card_spent.get(month, D(0)) + D(amount)
            services.record_transaction(
                user=user,
                account=account,
                kind="expense",
                amount=D(amount),
                on=day,
                category=_cat(user, key),
                payee=payee,
                note=note,
                tags=tags,
            )

    upi = [  # small UPI payments: (payee, category key)
        ("Raju Tea Stall", "coffee"),
        ("Sri Krishna Sweets", "restaurants"),
        ("Auto (UPI)", "taxi"),
        ("Fruit vendor", "groceries"),
        ("Murugan Idli Shop", "restaurants"),
        ("Paan shop", "other"),
        ("Xerox centre", "other"),
        ("Chai point", "coffee"),
    ]
    for m in months:
        last = (services.month_start(m + timedelta(days=32)) - timedelta(days=1)).day
        if _on(m, today):
            services.record_transaction(
                user=user,
                account=bank,
                kind="income",
                amount=D("92000"),
                on=m,
                category=_cat(user, "salary"),
                payee="Infosys Ltd",
                note="Salary",
            )
        spend(bank, "22000", m + timedelta(days=4), "rent", "Landlord (Mr. Iyer)", "House rent")
        spend(
            bank,
            rng.choice(["1840", "2260", "2710", "3105"]),
            m + timedelta(days=9),
            "electricity",
            "TANGEDCO",
            "EB bill",
        )
        spend(bank, "799", m + timedelta(days=11), "internet", "ACT Fibernet")
        spend(card, "649", m + timedelta(days=14), "subscriptions", "Netflix")
        spend(card, "119", m + timedelta(days=17), "subscriptions", "Spotify")
        spend(bank, "299", m + timedelta(days=20), "phone", "Jio recharge")
        if _on(m + timedelta(days=6), today):
            services.record_transaction(
                user=user,
                account=bank,
                kind="transfer",
                amount=D("10000"),
                on=m + timedelta(days=6),
                to_account=savings,
                note="Monthly saving",
            )
        for day in (2,):
            if _on(m.replace(day=day), today):
                services.record_transaction(
                    user=user,
                    account=bank,
                    kind="transfer",
                    amount=D("1000"),
                    on=m.replace(day=day),
                    to_account=cash,
                    note="ATM withdrawal",
                )
        previous = services.month_start(m - timedelta(days=1))
        if card_spent.get(previous) and _on(m.replace(day=18), today):
            services.record_transaction(
                user=user,
                account=bank,
                kind="transfer",
                amount=card_spent[previous],
                on=m.replace(day=18),
                to_account=card,
                note="Credit card bill",
            )
        for day in range(1, last + 1):
            d = m.replace(day=day)
            if d > today:
                break
            if rng.random() < 0.75:
                payee, key = rng.choice(upi)
                spend(
                    cash if rng.random() < 0.5 else bank,
                    rng.choice(["20", "30", "40", "60", "80", "120", "150"]),
                    d,
                    key,
                    payee,
                    "UPI",
                )
            if d.weekday() in (2, 6):
                spend(
                    card if rng.random() < 0.6 else bank,
                    str(rng.randint(8, 32) * 100 - 1),
                    d,
                    "groceries",
                    rng.choice(
                        ["BigBasket", "Reliance Fresh", "Nilgiris", "More Supermarket", "Blinkit"]
                    ),
                )
            if d.weekday() in (4, 5) and rng.random() < 0.8:
                spend(
                    card,
                    str(rng.randint(25, 90) * 10),
                    d,
                    "restaurants",
                    rng.choice(["Swiggy", "Zomato", "Saravana Bhavan", "Dominos"]),
                    tags=["weekend"],
                )
            if d.weekday() == 0:
                spend(
                    card,
                    str(rng.randint(15, 26) * 100),
                    d,
                    "fuel",
                    rng.choice(["HP Petrol Pump", "Indian Oil", "Bharat Petroleum"]),
                )
            if rng.random() < 0.18:
                spend(
                    bank,
                    str(rng.randint(9, 35) * 10),
                    d,
                    "taxi",
                    rng.choice(["Uber", "Ola", "Rapido"]),
                )
            if rng.random() < 0.05:
                spend(
                    card,
                    str(rng.randint(4, 40) * 100 - 1),
                    d,
                    "shopping",
                    rng.choice(["Amazon", "Flipkart", "Myntra"]),
                )
            if rng.random() < 0.04:
                spend(bank, str(rng.randint(2, 12) * 50), d, "medicine", "Apollo Pharmacy")
    trip = months[-3] + timedelta(days=12)
    if _on(trip, today):
        services.record_transaction(
            user=user,
            account=usd,
            kind="transfer",
            amount=D("300"),
            on=trip,
            to_account=bank,
            to_amount=D("24900"),
            note="Unused travel money back",
        )
        services.record_transaction(
            user=user,
            account=bank,
            kind="transfer",
            amount=D("33200"),
            on=trip - timedelta(days=20),
            to_account=usd,
            to_amount=D("400"),
            note="Load travel card",
        )
        services.record_transaction(
            user=user,
            account=usd,
            kind="expense",
            amount=D("64.50"),
            on=trip - timedelta(days=5),
            category=_cat(user, "travel"),
            payee="Changi Airport Dining",
            tags=["singapore"],
        )
    services.set_budget(user=user, category=_cat(user, "food"), amount=D("25000"))
    services.set_budget(user=user, category=_cat(user, "transport"), amount=D("12000"))
    services.set_budget(user=user, category=_cat(user, "entertainment"), amount=D("1500"))
    services.set_budget(user=user, category=None, amount=D("80000"), rollover=False)
    next_fifth = (
        (first + timedelta(days=4))
        if today.day < 5
        else (services.month_start(first + timedelta(days=32)) + timedelta(days=4))
    )
    services.create_recurring(
        user=user,
        name="House rent",
        account=bank,
        amount=D("22000"),
        next_date=next_fifth,
        category=_cat(user, "rent"),
        payee="Landlord (Mr. Iyer)",
    )
    services.create_recurring(
        user=user,
        name="Salary",
        account=bank,
        kind="income",
        amount=D("92000"),
        is_bill=False,
        next_date=services.month_start(first + timedelta(days=32)),
        category=_cat(user, "salary"),
        payee="Infosys Ltd",
    )
    netflix_day = first + timedelta(days=14)
    services.create_recurring(
        user=user,
        name="Netflix",
        account=card,
        amount=D("649"),
        next_date=netflix_day
        if netflix_day > today
        else services.month_start(first + timedelta(days=32)) + timedelta(14),
        category=_cat(user, "subscriptions"),
        payee="Netflix",
    )
    services.create_goal(
        user=user,
        name="Goa trip",
        target_amount=D("40000"),
        saved_amount=D("12500"),
        target_date=services.month_start(today + timedelta(days=120)),
    )
    services.create_goal(
        user=user, name="New laptop", target_amount=D("85000"), saved_amount=D("61000")
    )
    services.create_rule(
        user=user, contains="swiggy", category=_cat(user, "restaurants"), tags="delivery"
    )
    services.train_categoriser(user_id=user.pk)
    stdout.write(f"  finance: {user.finance_transactions.count()} transactions for {user.email}")
