"""Finance at scale: one user with N transactions over 10 years (default 1,000,000).

Measures server time (Django test client: middleware, views, templates, SQL) p50/p95 for the
dashboard, the transaction list on page 1 and page 5,000 (keyset cursor, and the API's
offset pagination), the monthly report, and a 100,000-row CSV import end to end.

    .venv/bin/python bench/finance_perf.py [--quick] [--rows N] [--keep]

Uses its own database: sqlite:////tmp/concierge_finance_bench.sqlite3 unless
BENCH_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/concierge_bench).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PAYEES = [
    "BigBasket",
    "Swiggy",
    "Zomato",
    "HP Petrol Pump",
    "Uber",
    "Ola",
    "Amazon",
    "Flipkart",
    "Apollo Pharmacy",
    "Raju Tea Stall",
    "Jio recharge",
    "TANGEDCO",
    "Reliance Fresh",
    "Netflix",
    "Indian Oil",
    "Myntra",
    "Saravana Bhavan",
    "Rapido",
]
KEYS = [
    "groceries",
    "restaurants",
    "restaurants",
    "fuel",
    "taxi",
    "taxi",
    "shopping",
    "shopping",
    "medicine",
    "coffee",
    "phone",
    "electricity",
    "groceries",
    "subscriptions",
    "fuel",
    "clothes",
    "restaurants",
    "taxi",
]


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concierge.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    import django

    django.setup()


def recompute(user) -> None:
    """Month totals and balances straight from the rows (after bulk loads and clean-ups)."""
    from django.db.models import Count, Sum

    from concierge.finance.models import Account, MonthTotal, Transaction

    MonthTotal.objects.filter(owner=user).delete()
    rows = (
        Transaction.objects.filter(owner=user, deleted_at__isnull=True)
        .values("on__year", "on__month", "category_id", "kind")
        .annotate(t=Sum("home_amount"), c=Count("id"))
    )
    MonthTotal.objects.bulk_create(
        [
            MonthTotal(
                owner=user,
                month=date(r["on__year"], r["on__month"], 1),
                category_id=r["category_id"],
                kind=r["kind"],
                total=r["t"],
                count=r["c"],
            )
            for r in rows
        ]
    )
    for acc in Account.objects.filter(owner=user):
        agg = (
            Transaction.objects.filter(account=acc, deleted_at__isnull=True)
            .values("kind")
            .annotate(t=Sum("amount"))
        )
        by = {r["kind"]: r["t"] for r in agg}
        Account.objects.filter(pk=acc.pk).update(
            balance=(by.get("income") or 0) - (by.get("expense") or 0)
        )


def build(n: int, *, years: int = 10):
    from django.core.management import call_command
    from django.db import connection, transaction

    from concierge.accounts.models import User
    from concierge.finance import services
    from concierge.finance.models import Category, Transaction

    call_command("migrate", verbosity=0)
    user = User.objects.filter(email="bench@finance.local").first()
    if user and Transaction.objects.filter(owner=user, import_batch__isnull=False).exists():
        Transaction.objects.filter(owner=user, import_batch__isnull=False).delete()
        recompute(user)
    if user and Transaction.objects.filter(owner=user).count() == n:
        return user, False
    if user:
        services.delete_all_for(user=user)
        user.delete()
    user = User.objects.create_user(
        "bench@finance.local", "bench-password-1", display_name="Bench", currency="INR"
    )
    services.ensure_profile(user=user)
    accounts = [
        services.create_account(user=user, name=name, kind=kind)
        for name, kind in (("Bank", "bank"), ("Card", "card"), ("Cash", "cash"))
    ]
    cats = {c.key: c for c in Category.objects.filter(owner=user)}
    rng = random.Random(7)
    end = date.today()
    start = end - timedelta(days=365 * years)
    span = (end - start).days
    started = time.perf_counter()
    columns = (
        "owner_id",
        "account_id",
        "kind",
        "on",
        "amount",
        "home_amount",
        "category_id",
        "payee",
        "note",
        "tags",
        "source",
        "is_split",
        "import_hash",
        "created_at",
    )
    noon = " 12:00:00+00:00"

    def rows_for(lo: int, hi: int):
        for i in range(lo, hi):
            on = start + timedelta(days=int(span * i / n))
            if i % 40 == 0:
                kind, key, amount, payee = "income", "salary", 3000, "Employer"
            else:
                j = rng.randrange(len(PAYEES))
                kind, key, payee = "expense", KEYS[j], PAYEES[j]
                amount = rng.randint(20, 4000)
            # created_at = the day it happened: a realistic history for streaks
            yield (
                user.pk,
                accounts[i % 3].pk,
                kind,
                on.isoformat(),
                f"{amount}.00",
                f"{amount}.00",
                cats[key].pk,
                payee,
                f"ref {i}",
                "",
                "import",
                False,
                "",
                on.isoformat() + noon,
            )

    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with transaction.atomic():
        chunk = 20_000
        with connection.cursor() as cursor:
            for lo in range(0, n, chunk):
                hi = min(n, lo + chunk)
                if connection.vendor == "postgresql":
                    raw = cursor.cursor  # psycopg 3: COPY is the fast path
                    with raw.copy(f"COPY finance_transaction ({quoted}) FROM STDIN") as copy:
                        for row in rows_for(lo, hi):
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO finance_transaction ({quoted}) VALUES ({marks})",
                        list(rows_for(lo, hi)),
                    )
        recompute(user)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE finance_transaction")
    print(f"generated {n:,} transactions in {time.perf_counter() - started:.0f}s", flush=True)
    month = services.month_start(end)
    services.set_budget(user=user, category=cats["food"], amount=Decimal("200000"))
    services.set_budget(user=user, category=None, amount=Decimal("900000"))
    services.train_categoriser(user_id=user.pk)
    del month
    return user, True


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per call (CPU time shows the cost when the shared
    machine is busy with other jobs)."""
    fn()  # warm up
    wall, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return wall, cpu


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--import-rows", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args()
    n = args.rows or (20_000 if args.quick else 1_000_000)
    import_rows = args.import_rows or (5_000 if args.quick else 100_000)
    repeat = args.repeat or (5 if args.quick else 20)
    url = os.environ.get(
        "BENCH_DATABASE_URL",
        "sqlite:////tmp/concierge_finance_bench%s.sqlite3" % ("_quick" if args.quick else ""),
    )
    setup_django(url)
    from django.db import connection
    from django.test import Client

    from concierge.finance import selectors, services
    from concierge.finance.models import Account, Transaction

    user, _fresh = build(n)
    client = Client()
    client.force_login(user)
    qs = selectors.search_transactions(user=user)
    target_page = 5000 if n >= 250_000 else max(2, n // 50 // 4)
    row = qs.values_list("on", "id")[(target_page - 1) * 50 - 1]
    cursor = f"{row[0].isoformat()}_{row[1]}"
    month = services.month_start(services.today_for(user))

    def get(url, **params):
        def call():
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)

        return call

    cases = [
        ("dashboard /finance/", get("/finance/"), 150),
        ("transactions page 1", get("/finance/transactions/"), 150),
        (
            f"transactions page {target_page:,} (keyset)",
            get("/finance/transactions/", after=cursor),
            150,
        ),
        ("API list page 1 (offset)", get("/api/finance/transactions"), 150),
        (
            f"API list page {target_page:,} (offset)",
            get("/api/finance/transactions", page=target_page),
            150,
        ),
        ("monthly report", get("/finance/report/", month=f"{month:%Y-%m}"), 300),
        ("monthly report CSV", get("/finance/report.csv", month=f"{month:%Y-%m}"), 300),
        ("yearly report", get("/finance/report/", period="year", year=str(month.year)), None),
    ]
    results = []
    for name, fn, target in cases:
        values, cpu = timed(fn, repeat)
        results.append(
            (name, statistics.median(values), p95(values), target, statistics.median(cpu), p95(cpu))
        )
        print(f"  measured {name}", flush=True)

    # Import a generated CSV end to end (parse, duplicates, categorise, write, totals).
    rng = random.Random(3)
    lines = ["Date,Narration,Withdrawal Amt.,Deposit Amt."]
    base = date(1990, 1, 1)
    for i in range(import_rows):
        j = rng.randrange(len(PAYEES))
        lines.append(
            f"{(base + timedelta(days=i // 30)):%d/%m/%Y},UPI-{PAYEES[j].upper()}-"
            f"{rng.randint(10**9, 10**10)},{rng.randint(20, 4000)}.00,"
        )
    data = ("\n".join(lines) + "\n").encode()
    account = Account.objects.get(owner=user, name="Bank")
    started = time.perf_counter()
    services.suggest_category(user=user, payee="warm up", note="")  # a server has it loaded
    load_s = time.perf_counter() - started
    before = Transaction.objects.filter(account=account).count()
    started, cpu = time.perf_counter(), time.process_time()
    result = services.import_file(
        user=user, account=account, data=data, filename="bench.csv", dry_run=False
    )
    import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert not result.errors and result.imported == import_rows, result.as_dict()
    assert Transaction.objects.filter(account=account).count() == before + import_rows
    started = time.perf_counter()
    again = services.import_file(
        user=user, account=account, data=data, filename="bench.csv", dry_run=True
    )
    dup_s = time.perf_counter() - started
    assert again.duplicates == import_rows
    # leave the database as generated for the next run
    Transaction.objects.filter(import_batch_id=result.batch_id).delete()
    recompute(user)

    print(
        f"\nfinance performance — {connection.vendor}, {n:,} transactions, "
        f"{repeat} runs each (server time, ms)\n"
    )
    print(f"{'case':<40} {'p50':>8} {'p95':>8} {'target':>8}  ok  {'cpu p50':>8} {'cpu p95':>8}")
    for name, p50, high, target, cpu50, cpu95 in results:
        ok = "yes" if target is None or high <= target else "NO"
        print(
            f"{name:<40} {p50:8.1f} {high:8.1f} {target or '-':>8}  {ok:<3} {cpu50:8.1f} "
            f"{cpu95:8.1f}"
        )
    print(
        f"{f'import {import_rows:,}-row CSV (s)':<40} {import_s:8.1f} {'':>8} "
        f"{15 if not args.quick else '-':>8}  {'yes' if import_s <= 15 else 'NO'}"
    )
    print(f"{'  the same import, CPU time of this process (s)':<40} {import_cpu:8.1f}")
    print(f"{'same file again, dry run: all dups (s)':<40} {dup_s:8.1f}")
    print(
        f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(other engineers' jobs share them; wall times above include that)"
    )
    print(f"{'(once per process) load categoriser (s)':<40} {load_s:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
