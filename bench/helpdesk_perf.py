"""Helpdesk at scale: N tickets (default 1,000,000) with 5 messages and a history row each,
and A knowledge-base articles (default 10,000), on SQLite and on PostgreSQL.

Measures server time of every agent view (my tickets, unassigned in my queues, breaching soon,
all open, filters, a saved view, page 100 of all), the ticket page and the KB search view,
through the real URLs with Django's test client (middleware, view, template, SQL) as an agent,
DEBUG off: p50 / p95 of wall time and of CPU time (this process, plus on PostgreSQL the CPU of
the backend serving the connection). Targets: p95 ≤ 150 ms (views, ticket page), ≤ 100 ms
(KB search); the verdict is on CPU time, because on a shared machine wall time mostly measures
the wait for a core.

    .venv/bin/python bench/helpdesk_perf.py [--quick] [--engine sqlite|postgres|both]
        [--tickets N] [--articles A] [--repeat R] [--generate-only]

The data is generated once and reused: var/bench_helpdesk.sqlite3 and the PostgreSQL database
bench_helpdesk (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/bench_helpdesk)
for the full size, with a _<tickets>_<articles> suffix for other sizes (--quick: 20,000 / 1,000).
Bulk load: secondary indexes dropped and rebuilt after, SQLite executemany on the raw connection,
PostgreSQL COPY. Without PostgreSQL reachable only SQLite is measured.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _measure import BackendCpu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

_WORDS_TEXT = (
    "refund payment invoice delivery courier warranty washing machine fridge dishwasher oven "
    "mixer cooler filter drain leak noise error display remote installation slot technician "
    "pickup return damaged broken smell smoke cooling heating door seal pipe order tracking "
    "address account password otp coupon emi bank upi card charged twice replacement spare "
    "part motor pump fan compressor gas knob timer light switch "
)
WORDS = _WORDS_TEXT.split()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concierge.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    import django

    django.setup()


def ensure_pg_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    _ = parsed


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def _sqlite_ts(value: datetime) -> str:
    """What Django writes for an aware datetime on SQLite: naive UTC text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _secondary_indexes(cursor, vendor: str, tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of every index on `tables` that is not a primary key or a
    constraint — dropped before the bulk load and rebuilt after (one sort instead of millions
    of random B-tree inserts)."""
    if vendor == "sqlite":
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            tables,
        )
    else:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
    return list(cursor.fetchall())


TICKET_COLUMNS = (
    "id, organisation_id, number, subject, description, customer_id, customer_email, "
    "customer_name, queue_id, assignee_id, status, priority, customer_priority, language, "
    "channel, created_at, updated_at, first_response_due, resolution_due, first_response_at, "
    "resolved_at, closed_at, pending_since, spam_score, is_spam, email_message_id"
)
MESSAGE_COLUMNS = (
    "ticket_id, kind, author_id, author_email, from_agent, body, channel, email_message_id, "
    "created_at"
)
EVENT_COLUMNS = "ticket_id, actor_id, actor_name, kind, data, created_at"


def _ticket_chunk(
    rng: random.Random,
    first_id: int,
    count: int,
    org_id: int,
    agents: list[int],
    customers: list[tuple[int, str, str]],
    queues: list[int],
    now: datetime,
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    statuses = ["new"] * 5 + ["open"] * 15 + ["pending"] * 10 + ["resolved"] * 30 + ["closed"] * 40
    priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
    tickets, messages, events = [], [], []
    for ticket_id in range(first_id, first_id + count):
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 730))
        status = rng.choice(statuses)
        assignee = rng.choice(agents) if status != "new" or rng.random() < 0.5 else None
        customer_id, customer_email, customer_name = rng.choice(customers)
        updated = created + timedelta(minutes=rng.randint(1, 5000))
        tickets.append(
            (
                ticket_id,
                org_id,
                ticket_id,
                sentence(rng, 6).capitalize(),
                sentence(rng, 25),
                customer_id,
                customer_email,
                customer_name,
                rng.choice(queues),
                assignee,
                status,
                rng.choice(priorities),
                "normal",
                "en",
                "web",
                created,
                updated,
                created + timedelta(hours=8),
                created + timedelta(hours=40),
                created + timedelta(hours=rng.randint(1, 12)) if status != "new" else None,
                updated if status in ("resolved", "closed") else None,
                updated if status == "closed" else None,
                updated if status == "pending" else None,
                0.0,
                False,
                "",
            )
        )
        for m in range(5):
            agent_msg = m % 2 == 1
            messages.append(
                (
                    ticket_id,
                    "public" if m != 4 else "note",
                    rng.choice(agents) if agent_msg else customer_id,
                    customer_email,
                    agent_msg or m == 4,
                    sentence(rng, 30),
                    "web",
                    "",
                    created + timedelta(minutes=10 * m),
                )
            )
        events.append((ticket_id, None, "", "created", "{}", created))
    return tickets, messages, events


def _load_sqlite(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    marks = ", ".join(["?"] * len(rows[0]))
    converted = [
        tuple(_sqlite_ts(v) if isinstance(v, datetime) else v for v in row) for row in rows
    ]
    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", converted)


def _load_postgres(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _bulk_tickets(
    n_tickets: int, org, agents: list, customers: list, queues: list, rng: random.Random
) -> None:
    """Tickets, messages and history rows straight into the tables: SQLite executemany on the
    raw connection with foreign keys and syncing off, PostgreSQL COPY with the foreign-key
    triggers off; secondary indexes dropped first and rebuilt at the end."""
    from django.db import connection
    from django.utils import timezone

    from concierge.helpdesk.models import HelpdeskSettings, Message, Ticket, TicketEvent

    vendor = connection.vendor
    tables = [Ticket._meta.db_table, Message._meta.db_table, TicketEvent._meta.db_table]
    now = timezone.now()
    agent_ids = [a.pk for a in agents]
    customer_rows = [(c.pk, c.email, c.display_name) for c in customers]
    queue_ids = [q.pk for q in queues]
    connection.ensure_connection()
    raw = connection.connection
    cursor = raw.cursor()
    if vendor == "sqlite":
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -1000000")
        load = _load_sqlite
    else:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        load = _load_postgres
    indexes = _secondary_indexes(connection.cursor(), vendor, tables)
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    raw.commit()
    t0 = time.perf_counter()
    chunk = 20_000
    for start in range(0, n_tickets, chunk):
        count = min(chunk, n_tickets - start)
        tickets, messages, events = _ticket_chunk(
            rng, start + 1, count, org.pk, agent_ids, customer_rows, queue_ids, now
        )
        if vendor == "sqlite":
            cursor.execute("BEGIN")
        load(cursor, tables[0], TICKET_COLUMNS, tickets)
        load(cursor, tables[1], MESSAGE_COLUMNS, messages)
        load(cursor, tables[2], EVENT_COLUMNS, events)
        raw.commit()
        done = start + count
        if done % 100_000 == 0 or done == n_tickets:
            print(f"  … {done:,} tickets ({time.perf_counter() - t0:.0f} s)", flush=True)
    t1 = time.perf_counter()
    for _name, sql in indexes:
        cursor.execute(sql)
    if vendor == "postgresql":
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{tables[0]}', 'id'), {n_tickets})")
        cursor.execute("SET session_replication_role = DEFAULT")
    else:
        cursor.execute("PRAGMA foreign_keys = ON")
    raw.commit()
    print(f"  indexes rebuilt ({time.perf_counter() - t1:.0f} s)", flush=True)
    HelpdeskSettings.objects.update_or_create(
        organisation=org, defaults={"next_number": n_tickets + 1}
    )


def _articles(n_articles: int, org, rng: random.Random) -> None:
    from django.db import connection
    from django.utils import timezone

    from concierge.helpdesk import fts
    from concierge.helpdesk.models import Article, ArticleTranslation

    now = timezone.now()
    for start in range(0, n_articles, 2000):
        batch = [
            Article(
                organisation=org,
                slug=f"article-{i}",
                status="published",
                visibility="public",
                published_at=now,
            )
            for i in range(start, min(start + 2000, n_articles))
        ]
        Article.objects.bulk_create(batch)
        made = Article.objects.filter(organisation=org, slug__in=[a.slug for a in batch])
        translations = []
        for article in made:
            body = " ".join(sentence(rng, 15) + "." for _ in range(8))
            translations.append(
                ArticleTranslation(
                    article=article,
                    language="en",
                    title=sentence(rng, 5).capitalize(),
                    body=body,
                    body_html=f"<p>{body}</p>",
                )
            )
        ArticleTranslation.objects.bulk_create(translations)
        if connection.vendor == "sqlite":
            rows = ArticleTranslation.objects.filter(article__in=made)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {fts.FTS_TABLE}(rowid, title, body, language) "
                    "VALUES (%s, %s, %s, %s)",
                    [(t.pk, t.title, t.body, t.language) for t in rows],
                )


def _people(org) -> tuple[list, list, list]:
    """50 agents in 5 queues, 2,000 customers, SLA policies — idempotent."""
    from concierge.accounts.models import Membership, Role, User
    from concierge.helpdesk.models import Queue, QueueMember, SLAPolicy

    agents = []
    for i in range(50):
        user, _c = User.objects.get_or_create(
            email=f"agent{i}@bench.example", defaults={"display_name": f"Agent {i}"}
        )
        Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": Role.AGENT})
        agents.append(user)
    User.objects.bulk_create(
        [
            User(email=f"customer{i}@bench.example", display_name=f"Customer {i}")
            for i in range(2000)
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    customers = list(
        User.objects.filter(
            email__startswith="customer", email__endswith="@bench.example"
        ).order_by("pk")
    )
    Membership.objects.bulk_create(
        [Membership(user=c, organisation=org, role=Role.CUSTOMER) for c in customers],
        ignore_conflicts=True,
        batch_size=1000,
    )
    queues = []
    for name in ("Billing", "Technical", "Delivery", "Warranty", "Account"):
        queue, _c = Queue.objects.get_or_create(organisation=org, name=name)
        queues.append(queue)
    for i, agent in enumerate(agents):
        QueueMember.objects.get_or_create(
            queue=queues[i % 5], user=agent, defaults={"languages": "en,hi"}
        )
    for priority, first, resolution in (
        ("low", 960, 4800),
        ("normal", 480, 2400),
        ("high", 240, 960),
        ("urgent", 60, 240),
    ):
        SLAPolicy.objects.get_or_create(
            organisation=org,
            priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )
    return agents, customers, queues


BENCH_MARK = "bench_helpdesk_complete"


def build(n_tickets: int, n_articles: int, rng: random.Random) -> dict:
    """Generate the data set once; a database that already holds a complete one is reused
    (a marker table records the sizes it was built with)."""
    from django.db import connection

    from concierge.accounts.models import Organisation

    org, _c = Organisation.objects.get_or_create(
        slug="bench-support",
        defaults={"kind": "company", "name": "Bench Support", "is_public": True},
    )
    agents, customers, queues = _people(org)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BENCH_MARK} (tickets integer, articles integer)"
        )
        cursor.execute(f"SELECT tickets, articles FROM {BENCH_MARK}")
        marked = cursor.fetchone()
    if marked == (n_tickets, n_articles):
        print("  reusing the generated data", flush=True)
        return {"org": org, "agents": agents, "gen_tickets": None, "gen_articles": None}
    if marked is not None or org.tickets.exists():
        raise SystemExit(
            f"the bench database holds other data {marked}; delete it or pick another one"
        )
    t0 = time.perf_counter()
    _bulk_tickets(n_tickets, org, agents, customers, queues, rng)
    gen_tickets = time.perf_counter() - t0
    t1 = time.perf_counter()
    _articles(n_articles, org, rng)
    gen_articles = time.perf_counter() - t1
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
        cursor.execute(f"INSERT INTO {BENCH_MARK} VALUES (%s, %s)", [n_tickets, n_articles])
    return {"org": org, "agents": agents, "gen_tickets": gen_tickets, "gen_articles": gen_articles}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


class ServerClock:
    """Server time of one request three ways: wall clock; CPU of this process (Django:
    middleware, view, template — and SQL too on SQLite, which runs in-process); and on
    PostgreSQL also the CPU of the backend serving this connection, read from
    /proc/<pid>/schedstat (same machine). On a machine shared by several busy processes wall
    time mostly measures the wait for a core; CPU time measures the work."""

    def __init__(self) -> None:
        self.backend = BackendCpu()

    def _backend_ns(self) -> int:
        return round(self.backend.seconds() * 1e9)

    def run(self, fn, repeat: int) -> dict[str, list[float]]:
        wall, cpu = [], []
        for _ in range(repeat):
            w, c, b = time.perf_counter(), time.process_time(), self._backend_ns()
            fn()
            wall.append((time.perf_counter() - w) * 1000)
            cpu.append((time.process_time() - c) * 1000 + (self._backend_ns() - b) / 1_000_000)
        return {"wall": wall, "cpu": cpu}


def measure(ctx: dict, repeat: int, rng: random.Random) -> list[tuple[str, dict]]:
    """Every agent view through the real URLs (Django test client: middleware, view, template,
    SQL), as an agent of one queue; the ticket page on random tickets; KB search through the
    htmx search view on random one-to-three-word queries."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from concierge.helpdesk.models import Queue, SavedView, Ticket

    assert not settings.DEBUG, "measure with DEBUG off (make bench sets DEBUG=0)"
    org = ctx["org"]
    agent = ctx["agents"][3]
    technical = Queue.objects.get(organisation=org, name="Technical")
    saved_query = f"view=open&priority=urgent&queue={technical.pk}"
    SavedView.objects.get_or_create(
        organisation=org, user=agent, name="Urgent technical", defaults={"query": saved_query}
    )
    client = Client()
    client.force_login(agent)
    base = f"/helpdesk/{org.slug}/tickets/"
    top = (
        Ticket.objects.filter(organisation=org)
        .order_by("-number")
        .values_list("number", flat=True)[0]
    )
    numbers = [rng.randint(1, top) for _ in range(repeat + 2)]
    clock = ServerClock()
    connection.ensure_connection()

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    cases = [
        ("my tickets", base + "?view=mine"),
        ("unassigned in my queues", base + "?view=unassigned"),
        ("breaching soon", base + "?view=breaching"),
        ("all open", base + "?view=open"),
        ("filter: open + priority high", base + "?view=open&priority=high"),
        ("filter: open + status + queue", base + f"?view=open&status=pending&queue={technical.pk}"),
        ("filter: mine + priority urgent", base + "?view=mine&priority=urgent"),
        ("saved view (open, urgent, queue)", base + "?" + saved_query),
        ("all, page 100", base + "?view=all&page=100"),
    ]
    results = []
    for label, url in cases:
        get(url)  # warm-up: first request of a URL compiles templates, fills caches
        results.append((label, clock.run(lambda u=url: get(u), repeat)))
    it = iter(numbers)
    get(f"{base}{next(it)}/")
    results.append(("ticket page", clock.run(lambda: get(f"{base}{next(it)}/"), repeat)))
    search = f"/helpdesk/{org.slug}/kb/search/?q="
    queries = [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(repeat + 1)]
    qi = iter(queries)
    get(search + next(qi))
    results.append(("KB search (view, 8 hits)", clock.run(lambda: get(search + next(qi)), repeat)))
    return results


FULL_TICKETS, FULL_ARTICLES = 1_000_000, 10_000
QUICK_TICKETS, QUICK_ARTICLES = 20_000, 1_000
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_helpdesk"


def database_url(engine: str, n_tickets: int, n_articles: int) -> str:
    """One reusable database per engine and size: var/bench_helpdesk.sqlite3 or the PostgreSQL
    database bench_helpdesk for the full size, with a _<tickets>_<articles> suffix otherwise
    (BENCH_POSTGRES_URL overrides the PostgreSQL server and name)."""
    suffix = (
        ""
        if (n_tickets, n_articles) == (FULL_TICKETS, FULL_ARTICLES)
        else (f"_{n_tickets}_{n_articles}")
    )
    if engine == "sqlite":
        var = Path(os.environ.get("CONCIERGE_VAR_DIR", ROOT / "var"))
        var.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{var / f'bench_helpdesk{suffix}.sqlite3'}"
    return os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL) + suffix


def postgres_reachable(url: str) -> bool:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def migrate() -> None:
    """Helpdesk (and what it depends on) must migrate; other apps' migrations may be in flux
    while the reused bench database is older than the working tree — then say so and go on."""
    from django.core.management import call_command
    from django.db import DatabaseError

    call_command("migrate", "helpdesk", verbosity=0)
    try:
        call_command("migrate", verbosity=0)
    except DatabaseError as exc:
        print(f"  other apps' migrations not applied to the bench database: {exc}", flush=True)


def run_engine(args: argparse.Namespace, n_tickets: int, n_articles: int, repeat: int) -> int:
    url = database_url(args.engine, n_tickets, n_articles)
    if args.engine == "postgres":
        ensure_pg_database(url)
    setup_django(url)
    from django.db import connection

    migrate()
    rng = random.Random(42)
    print(
        f"{connection.vendor}: {n_tickets:,} tickets, {5 * n_tickets:,} messages, "
        f"{n_articles:,} articles in {url.rsplit('/', 1)[-1]}",
        flush=True,
    )
    ctx = build(n_tickets, n_articles, rng)
    if args.generate_only:
        return 0
    load_before = os.getloadavg()[0]
    results = measure(ctx, repeat, rng)
    print()
    print(
        f"helpdesk perf — {connection.vendor}, {n_tickets:,} tickets, {5 * n_tickets:,} "
        f"messages, {n_articles:,} articles, {repeat} requests each"
    )
    if ctx["gen_tickets"] is not None:
        print(
            f"generation: tickets+messages {ctx['gen_tickets']:.0f} s, articles "
            f"{ctx['gen_articles']:.0f} s"
        )
    print(
        f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        "CPU = this process"
        + (" + its PostgreSQL backend" if connection.vendor != "sqlite" else "")
    )
    print(
        f"{'what':34s} {'wall p50':>9s} {'wall p95':>9s} {'CPU p50':>8s} {'CPU p95':>8s}  "
        "target (p95)"
    )
    for label, values in results:
        target = 100 if label.startswith("KB") else 150
        cpu95 = pct(values["cpu"], 95)
        verdict = "ok" if cpu95 <= target else "MISSED"
        print(
            f"{label:34s} {statistics.median(values['wall']):9.1f} {pct(values['wall'], 95):9.1f} "
            f"{statistics.median(values['cpu']):8.1f} {cpu95:8.1f}  ≤ {target} ms {verdict}"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="20,000 tickets, 1,000 articles")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--articles", type=int)
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    n_tickets = args.tickets or (QUICK_TICKETS if args.quick else FULL_TICKETS)
    n_articles = args.articles or (QUICK_ARTICLES if args.quick else FULL_ARTICLES)
    repeat = args.repeat or (10 if args.quick else 60)
    if args.engine != "both":
        return run_engine(args, n_tickets, n_articles, repeat)
    # one process per engine: Django binds its database at setup
    code = 0
    for engine in ("sqlite", "postgres"):
        if engine == "postgres" and not postgres_reachable(
            database_url(engine, n_tickets, n_articles)
        ):
            print("\nPostgreSQL is not reachable (BENCH_POSTGRES_URL); measured SQLite only.")
            continue
        cmd = [sys.executable, __file__, "--engine", engine, "--tickets", str(n_tickets)]
        cmd += ["--articles", str(n_articles), "--repeat", str(repeat)]
        cmd += ["--generate-only"] if args.generate_only else []
        code |= subprocess.call(cmd)
    return code


if __name__ == "__main__":
    sys.exit(main())
