"""Inventory at scale: N items × S stores and M ledger movements (default 50,000 × 20 and
10,000,000 — the issue's targets).

Measures, with the Django test client (middleware, view, template, SQL), the server time of
the stock-on-hand list (random pages and a search) and of the item page; the time to post a
10-line sale through `services.sell_stock` (locks, FEFO, ledger, levels, alerts); and
`inventory_rebuild --check` over the whole ledger.

    .venv/bin/python bench/inventory_stock.py [--quick] [--db sqlite|postgres] [--keep]

Own databases, reused between runs: var/bench_inventory.sqlite3 in the repository, or
postgres://postgres@127.0.0.1:5432/bench_inventory (BENCH_DATABASE_URL overrides). `--quick`
uses its own (var/bench_inventory_quick.sqlite3, bench_inventory_quick), so a quick run never
regenerates — and so destroys — the full data.
`--build-only` generates the data and stops. Each figure is given as wall time and as the
process's CPU time (the server's own work, which other load on the machine does not inflate;
PostgreSQL's server process is not counted in it).
The ledger is generated with raw SQL in chunks (COPY on PostgreSQL), with the movement indexes
dropped during the load and rebuilt after; StockLevel and ItemStock are written to agree with
it, which the rebuild check then proves.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from _measure import BackendCpu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SQLITE_URL = "sqlite:///" + str(ROOT / "var" / "bench_inventory.sqlite3")
PG_URL = "postgres://postgres@127.0.0.1:5432/bench_inventory"
QUICK_SUFFIX = "_quick"


def database_url(*, db: str, quick: bool) -> str:
    """The bench database: BENCH_DATABASE_URL, else the full or the quick run's own."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    if db == "postgres":
        return PG_URL + (QUICK_SUFFIX if quick else "")
    if quick:
        return SQLITE_URL.replace(".sqlite3", QUICK_SUFFIX + ".sqlite3")
    return SQLITE_URL


MOVEMENT_COLUMNS = (
    "organisation_id",
    "store_id",
    "location_id",
    "item_id",
    "kind",
    "quantity",
    "unit_cost",
    "unit_price",
    "reason",
    "reference",
    "created_at",
)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concierge.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()


def ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _movement_indexes(connection) -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND "
                "tbl_name='inventory_movement' AND sql IS NOT NULL"
            )
        else:
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE "
                "tablename='inventory_movement' AND indexname NOT LIKE '%%pkey'"
            )
        return list(cur.fetchall())


def build(*, items: int, stores: int, movements: int, out) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from concierge.accounts.models import Membership, Organisation, User
    from concierge.inventory.models import (
        Category,
        Item,
        Location,
        Movement,
        Store,
        Supplier,
    )

    call_command("migrate", verbosity=0)
    # ">=": earlier measurement runs add their own sales to the ledger.
    org = Organisation.objects.filter(slug="bench-shops").first()
    if (
        org
        and Movement.objects.filter(organisation=org).count()
        >= movements  # earlier runs add their sales
        and Item.objects.filter(organisation=org).count() == items
    ):
        out("reusing the generated data")
        return {"org": org, "generated": None}
    started = time.perf_counter()
    with connection.cursor() as cur:
        for table in (
            "inventory_alertstate",
            "inventory_movement",
            "inventory_stocklevel",
            "inventory_itemstock",
            "inventory_reorderrule",
        ):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed names
    Organisation.objects.filter(slug="bench-shops").delete()
    org = Organisation.objects.create(kind="retailer", name="Bench Shops", slug="bench-shops")
    user = User.objects.filter(email="bench@inventory.local").first() or User.objects.create_user(
        "bench@inventory.local", "bench-password-1", display_name="Bench"
    )
    Membership.objects.create(user=user, organisation=org, role="manager")
    supplier = Supplier.objects.create(organisation=org, name="Bench Supplier")
    cats = [Category.objects.create(organisation=org, name=f"Category {i}") for i in range(20)]
    store_objs = [
        Store.objects.create(organisation=org, code=f"S{i:02d}", name=f"Store {i:02d}")
        for i in range(stores)
    ]
    locs = [Location.objects.create(store=s, code="MAIN", name="Main shelf") for s in store_objs]
    rng = np.random.default_rng(7)
    words = ["Rice", "Dal", "Oil", "Soap", "Tea", "Milk", "Salt", "Sugar", "Atta", "Paste"]
    Item.objects.bulk_create(
        [
            Item(
                organisation=org,
                sku=f"B-{i:06d}",
                name=f"{words[i % 10]} {i:06d}",
                gtin=f"{2000000000000 + i}",
                category=cats[i % 20],
                supplier=supplier,
                cost=10,
                price=15,
                average_cost=10,
            )
            for i in range(items)
        ],
        batch_size=5000,
    )
    item_ids = np.array(
        Item.objects.filter(organisation=org).order_by("pk").values_list("pk", flat=True)
    )
    store_ids = np.array([s.pk for s in store_objs])
    loc_ids = np.array([loc.pk for loc in locs])
    out(f"catalogue: {items} items, {stores} stores in {time.perf_counter() - started:.0f}s")

    indexes = _movement_indexes(connection)
    with connection.cursor() as cur:
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    pairs = items * stores
    per_pair = max(movements // pairs, 1)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    written = 0
    on_hand = np.zeros(pairs, dtype=np.int64)
    chunk_pairs = max(200_000 // per_pair, 1)
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-1000000")
    for start in range(0, pairs, chunk_pairs):
        stop = min(start + chunk_pairs, pairs)
        n_pairs = stop - start
        pair_idx = np.repeat(np.arange(start, stop), per_pair)
        step = np.tile(np.arange(per_pair), n_pairs)
        item_i = pair_idx // stores
        store_i = pair_idx % stores
        receive = step == 0
        qty = np.where(receive, 500, -rng.integers(1, 6, len(pair_idx)))
        seconds = np.sort(rng.integers(0, 365 * 86400, (n_pairs, per_pair)), axis=1).ravel()
        on_hand[start:stop] += qty.reshape(n_pairs, per_pair).sum(axis=1)
        base = np.datetime64((now - timedelta(days=365)).replace(tzinfo=None), "s")
        stamps = np.datetime_as_string(base + seconds.astype("timedelta64[s]"), unit="s")
        n = len(pair_idx)
        rows = list(
            zip(
                [org.pk] * n,
                store_ids[store_i].tolist(),
                loc_ids[store_i].tolist(),
                item_ids[item_i].tolist(),
                np.where(receive, "receive", "sale").tolist(),
                qty.tolist(),
                ["10"] * n,
                [None if r else "15" for r in receive.tolist()],
                [""] * n,
                [""] * n,
                [t + "+00:00" for t in stamps.tolist()],
                strict=True,
            )
        )
        _insert(connection, rows)
        written += len(rows)
        if (start // chunk_pairs) % 10 == 0:
            rate = written / (time.perf_counter() - t0)
            out(f"  ledger {written:,}/{movements:,} rows ({rate:,.0f} rows/s)")
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    with connection.cursor() as cur:
        for _name, sql in indexes:
            cur.execute(sql)
    index_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    p = np.arange(pairs)
    it, st, lo = (
        item_ids[p // stores].tolist(),
        store_ids[p % stores].tolist(),
        loc_ids[p % stores].tolist(),
    )
    oh = on_hand.tolist()
    stamp = now.isoformat()
    for a in range(0, pairs, 200_000):
        b = min(a + 200_000, pairs)
        _insert(
            connection,
            list(zip(it[a:b], st[a:b], lo[a:b], oh[a:b], strict=True)),
            "inventory_stocklevel",
            ("item_id", "store_id", "location_id", "quantity"),
        )
        _insert(
            connection,
            [(i, s_, q, 0, 0, stamp) for i, s_, q in zip(it[a:b], st[a:b], oh[a:b], strict=True)],
            "inventory_itemstock",
            ("item_id", "store_id", "on_hand", "reserved", "in_transit", "last_sale_at"),
        )
    levels_s = time.perf_counter() - t2
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # What autovacuum does to a freshly loaded table (PostgreSQL 13+ vacuums after
            # inserts too): the visibility map set, so counts can be index-only scans.
            cur.execute("VACUUM (ANALYZE)")
        else:
            cur.execute("ANALYZE")
    out(
        f"ledger: {written:,} rows in {load_s:.0f}s, indexes {index_s:.0f}s, levels {levels_s:.0f}s"
    )
    return {
        "org": org,
        "generated": {"rows": written, "load_s": load_s, "index_s": index_s, "levels_s": levels_s},
    }


def _insert(connection, rows, table="inventory_movement", columns=MOVEMENT_COLUMNS) -> None:
    if connection.vendor == "postgresql":
        buf = io.StringIO()
        for r in rows:
            buf.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
        buf.seek(0)
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.cursor() as cur, cur.copy(sql) as copy:
            copy.write(buf.getvalue())
        connection.connection.commit()
        return
    # The raw sqlite3 connection: no per-row parameter rewriting by the Django wrapper.
    marks = ", ".join(["?"] * len(columns))
    raw = connection.connection
    raw.execute("BEGIN")
    raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    raw.execute("COMMIT")


def pct(values, p):
    values = sorted(values)
    return values[min(int(len(values) * p / 100), len(values) - 1)]


def measure(*, org, samples: int, out) -> list[tuple]:
    from django.test import Client

    from concierge.accounts.models import User
    from concierge.inventory import ledger, services
    from concierge.inventory.models import Item, Store
    from concierge.inventory.services import SaleLine

    user = User.objects.get(email="bench@inventory.local")
    client = Client()
    client.force_login(user)
    stores = list(Store.objects.filter(organisation=org))
    items = list(Item.objects.filter(organisation=org).values_list("pk", flat=True))
    rng = random.Random(3)
    results = []
    backend_cpu = BackendCpu()

    def timed(label, fn, n, target):
        fn()  # warm up
        times, cpu = [], []
        server = backend_cpu.seconds()
        for _ in range(n):
            t, c = time.perf_counter(), time.process_time()
            fn()
            cpu.append((time.process_time() - c) * 1000)
            times.append((time.perf_counter() - t) * 1000)
        server = (backend_cpu.seconds() - server) * 1000 / n
        results.append(
            (
                label,
                statistics.median(times),
                pct(times, 95),
                statistics.median(cpu),
                pct(cpu, 95),
                server,
                target,
            )
        )

    def stock_page():
        # A random keyset page: the 50 rows after a random item in name order (the list pages
        # by `after=<item id>`; it has no page numbers).
        s = rng.choice(stores)
        r = client.get("/inventory/", {"store": s.pk, "after": rng.choice(items)})
        assert r.status_code == 200, r.status_code

    def stock_search():
        s = rng.choice(stores)
        r = client.get("/inventory/", {"store": s.pk, "q": f"{rng.randint(0, 999):03d}"})
        assert r.status_code == 200

    def item_page():
        s = rng.choice(stores)
        r = client.get(f"/inventory/items/{rng.choice(items)}/", {"store": s.pk})
        assert r.status_code == 200, r.status_code

    def sale(confirm=True):
        s = rng.choice(stores)
        chosen = Item.objects.filter(pk__in=rng.sample(items, 10))
        services.sell_stock(
            user=user,
            store=s,
            confirm=confirm,
            lines=[SaleLine(item=i, quantity=1) for i in chosen],
        )

    timed("stock-on-hand list, random page", stock_page, samples, 150)
    timed("stock-on-hand list, search", stock_search, samples, 150)
    timed("item page", item_page, samples, 150)
    timed("post a 10-line sale (service)", sale, samples, 50)
    timed("  … with the unusual-quantity check", lambda: sale(confirm=False), samples, 50)
    t, c, server = time.perf_counter(), time.process_time(), backend_cpu.seconds()
    report = ledger.check()
    check_s, check_cpu = time.perf_counter() - t, time.process_time() - c
    check_server = backend_cpu.seconds() - server
    assert report.ok, (report.level_diffs[:5], report.stock_diffs[:5])
    out(
        f"rebuild check: {report.levels_checked:,} ledger groups, "
        f"{report.stocks_checked:,} item×store rows, agree={report.ok}"
    )
    results.append(
        (
            "inventory_rebuild --check (whole ledger)",
            check_s * 1000,
            check_s * 1000,
            check_cpu * 1000,
            check_cpu * 1000,
            check_server * 1000,
            120_000,
        )
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int)
    parser.add_argument("--stores", type=int)
    parser.add_argument("--movements", type=int)
    parser.add_argument("--samples", type=int)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    items = args.items or (2_000 if args.quick else 50_000)
    stores = args.stores or (5 if args.quick else 20)
    movements = args.movements or (100_000 if args.quick else 10_000_000)
    samples = args.samples or (20 if args.quick else 60)
    url = database_url(db=args.db, quick=args.quick)
    if url.startswith("sqlite"):
        (ROOT / "var").mkdir(exist_ok=True)
    if url.startswith("postgres"):
        try:
            ensure_pg_database(url)
        except Exception as exc:  # no server: say so and skip rather than fail the suite
            print(f"PostgreSQL not available ({exc}); skipped.")
            return 0
    setup_django(url)
    from django.db import connection

    # One connection for the whole run, as a deployment with persistent connections (or a
    # pooler) has: the server process whose CPU is read stays the same.
    connection.settings_dict["CONN_MAX_AGE"] = None

    def out(msg):
        print(msg, flush=True)

    out(f"database: {connection.vendor} ({url.split('@')[-1]})")
    out(f"sizes: {items:,} items × {stores} stores, {movements:,} movements")
    built = build(items=items, stores=stores, movements=movements, out=out)
    if args.build_only:
        return 0
    results = measure(org=built["org"], samples=samples, out=out)
    print(
        f"\n{'measure':<44} {'wall p50':>9} {'wall p95':>9} {'CPU p50':>9} {'CPU p95':>9}"
        f" {'db CPU':>7} {'target':>8}  ok (CPU p95 + db CPU)"
    )
    for label, p50, p95, c50, c95, server, target in results:
        print(
            f"{label:<44} {p50:>9.1f} {p95:>9.1f} {c50:>9.1f} {c95:>9.1f} {server:>7.1f}"
            f" {target:>8}  {'yes' if c95 + server <= target else 'NO'}"
        )
    print(
        "CPU: this process (Django, and SQLite in-process). db CPU: the PostgreSQL server"
        " process of the connection, mean per operation."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
