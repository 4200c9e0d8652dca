"""Concierge helpdesk side by side with django-helpdesk (the Python peer): requests per second
of the agent's ticket list and ticket detail, and the ratio Concierge / django-helpdesk.

Same data: Concierge's data set is generated once by bench/helpdesk_perf.py (N tickets, default
100,000, 5 messages each, 50 agents in 5 queues, 2,000 customers) into
var/bench_helpdesk_<N>_100.sqlite3; django-helpdesk's database (var/bench_djhelpdesk_<N>.sqlite3)
is then filled from that file row by row — same ticket ids, subjects, descriptions, queues,
assignees, priorities, statuses, timestamps, and every message as a follow-up (internal notes as
non-public follow-ups). Both databases are reused on the next run.

Fair by construction:
- same machine, same process model: one Python process per app, sequential requests through
  Django's test client (full middleware + view + template + SQL), after two warm-up requests;
- same engine and settings: SQLite for both, with Concierge's connection pragmas (WAL,
  synchronous=NORMAL, 64 MB page cache) given to django-helpdesk too;
- DEBUG off in both;
- both logged in as an agent (Concierge: an agent member of one queue; django-helpdesk: a staff
  user, which is its agent role) — the same user (agent3) in both;
- the same list: open tickets, newest first, 50 rows — Concierge's "All open" view (its page
  size is 50) and django-helpdesk's list page plus its datatables request with length=50,
  filtered to Open + Reopened and sorted by creation, newest first (its list cannot sort by last
  update). django-helpdesk renders an empty shell and fills it with that second request, so the
  list "as the agent sees it" costs both requests; both are also printed separately. The JSON
  lists are compared too (Concierge's /api/helpdesk/…/tickets?view=open&per_page=50);
- the same tickets' detail pages, in the same random order.

Requests per second are printed by wall clock and per CPU-second of the serving process (the
fairer figure on a shared, busy machine; SQLite runs in-process, so it includes the SQL).

django-helpdesk runs from its own virtualenv, bench/.venv-djhelpdesk (git-ignored), because it
pins an older Django; it is not a dependency of the product:

    python3 -m venv bench/.venv-djhelpdesk
    bench/.venv-djhelpdesk/bin/pip install django-helpdesk

    .venv/bin/python bench/helpdesk_vs_django_helpdesk.py [--quick] [--tickets N] [--repeat R]

If that virtualenv is missing the script says so and measures Concierge alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = HERE / ".venv-djhelpdesk"
ARTICLES = 100
PAGE_SIZE = 50  # Concierge's agent list page size (views.CappedPaginator(qs, 50))

PEER_SETTINGS = """
SECRET_KEY = "bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
HELPDESK_TEAMS_MODE_ENABLED = False
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
              "APP_DIRS": True, "OPTIONS": {"context_processors": [
                  "django.template.context_processors.request",
                  "django.contrib.auth.context_processors.auth",
                  "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH, "OPTIONS": {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"}}}
SITE_ID = 1
STATIC_URL = "/static/"
USE_TZ = True
TIME_ZONE = "Asia/Kolkata"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_URL = "/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""

PEER_URLS = """
from django.urls import include, path
urlpatterns = [path("helpdesk/", include("helpdesk.urls"))]
"""

# Runs inside bench/.venv-djhelpdesk. argv: source (Concierge SQLite file), JSON of
# {"repeat": R, "numbers": [...]}. Prints one line "RESULT {json}".
PEER_RUN = r"""
import json, os, sqlite3, sys, time
from datetime import datetime, timezone as tz
sys.path.insert(0, os.path.dirname(__file__))
os.environ["DJANGO_SETTINGS_MODULE"] = "peer_settings"
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.contrib.auth import get_user_model

SOURCE, ARGS = sys.argv[1], json.loads(sys.argv[2])
call_command("migrate", verbosity=0)
from helpdesk.models import FollowUp, Queue, Ticket
from helpdesk.query import query_to_base64

User = get_user_model()
STATUS = {"new": 1, "open": 1, "pending": 1, "resolved": 3, "closed": 4}
PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}


def ts(text):
    return datetime.fromisoformat(text).replace(tzinfo=tz.utc)


gen = None
if not Ticket.objects.exists():
    t0 = time.perf_counter()
    src = sqlite3.connect(f"file:{SOURCE}?mode=ro", uri=True)
    users = {}
    for pk, email in src.execute(
        "SELECT u.id, u.email FROM accounts_user u WHERE u.email LIKE 'agent%@bench.example'"
    ):
        users[pk] = User.objects.create_user(
            email.split("@")[0], email, "pw", is_staff=True
        )
    queues = {}
    for pk, name in src.execute("SELECT id, name FROM helpdesk_queue ORDER BY id"):
        queues[pk] = Queue.objects.create(title=name, slug=name.lower())
    rows = src.execute(
        "SELECT number, subject, description, customer_email, queue_id, assignee_id, status, "
        "priority, created_at, updated_at, id FROM helpdesk_ticket ORDER BY id"
    )
    while batch := rows.fetchmany(10000):
        with transaction.atomic():
            Ticket.objects.bulk_create(
                [
                    Ticket(id=number, title=subject, description=description,
                           submitter_email=email, queue=queues[queue_id],
                           assigned_to=users.get(assignee_id), status=STATUS[status],
                           priority=PRIORITY[priority], created=ts(created),
                           modified=ts(updated))
                    for number, subject, description, email, queue_id, assignee_id, status,
                    priority, created, updated, _pk in batch
                ],
                batch_size=2000,
            )
            number_of = {pk: number for number, *_rest, pk in batch}
            follow = []
            marks = ",".join("?" * len(number_of))
            for ticket_id, kind, author_id, body, created in src.execute(
                "SELECT ticket_id, kind, author_id, body, created_at FROM helpdesk_message "
                f"WHERE ticket_id IN ({marks}) ORDER BY id", list(number_of)
            ):
                follow.append(FollowUp(ticket_id=number_of[ticket_id], date=ts(created),
                                       title="Comment", comment=body, public=kind == "public",
                                       user=users.get(author_id)))
            FollowUp.objects.bulk_create(follow, batch_size=5000)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    gen = time.perf_counter() - t0

agent = User.objects.get(username="agent3")
client = Client()
client.force_login(agent)
query = query_to_base64({"filtering": {"status__in": [1, 2]}, "sorting": "created",
                         "search_string": "", "sortreverse": True})
list_page = "/helpdesk/tickets/"
data_url = (f"/helpdesk/datatables_ticket_list/{query}?draw=1&start=0&length={ARGS['page']}"
            "&order[0][column]=5&order[0][dir]=desc")
repeat = ARGS["repeat"]


def rps(urls):
    for u in urls[:2]:
        r = client.get(u)
        assert r.status_code == 200, (u, r.status_code)
    t, c = time.perf_counter(), time.process_time()
    for u in urls[2:]:
        r = client.get(u)
        assert r.status_code == 200, (u, r.status_code)
    n = len(urls) - 2
    return [n / (time.perf_counter() - t), n / (time.process_time() - c)]


rows = json.loads(client.get(data_url).content)["data"]
assert len(rows) == ARGS["page"], len(rows)
out = {"generation_s": gen,
       "list page (HTML)": rps([list_page] * (repeat + 2)),
       "list data (JSON)": rps([data_url] * (repeat + 2)),
       "ticket detail": rps([f"/helpdesk/tickets/{n}/" for n in ARGS["numbers"]])}
print("RESULT " + json.dumps(out))
"""


def concierge(n: int, repeat: int, numbers: list[int]) -> tuple[dict, str]:
    os.environ["DEBUG"] = "0"
    sys.path.insert(0, str(HERE))
    import helpdesk_perf as perf

    url = perf.database_url("sqlite", n, ARTICLES)
    perf.setup_django(url)
    from django.conf import settings
    from django.test import Client

    assert not settings.DEBUG
    perf.migrate()
    t0 = time.perf_counter()
    ctx = perf.build(n, ARTICLES, random.Random(42))
    gen = time.perf_counter() - t0 if ctx["gen_tickets"] is not None else None
    client = Client()
    client.force_login(ctx["agents"][3])
    slug = ctx["org"].slug
    base = f"/helpdesk/{slug}/tickets/"

    def rps(urls: list[str]) -> list[float]:
        for u in urls[:2]:
            assert client.get(u).status_code == 200, u
        t, c = time.perf_counter(), time.process_time()
        for u in urls[2:]:
            assert client.get(u).status_code == 200, u
        done = len(urls) - 2
        return [done / (time.perf_counter() - t), done / (time.process_time() - c)]

    data_url = f"/api/helpdesk/{slug}/tickets?view=open&per_page={PAGE_SIZE}"
    assert len(client.get(data_url).json()["items"]) == PAGE_SIZE
    results = {
        "generation_s": gen,
        "list page (HTML)": rps([base + "?view=open"] * (repeat + 2)),
        "list data (JSON)": rps([data_url] * (repeat + 2)),
        "ticket detail": rps([f"{base}{number}/" for number in numbers]),
    }
    return results, url.split("sqlite:///", 1)[1]


def peer(source: str, n: int, repeat: int, numbers: list[int]) -> dict | None:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        return None
    work = ROOT / "var" / f"djhelpdesk_{n}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "peer.sqlite3"
    (work / "peer_settings.py").write_text(f"DB_PATH = {str(db)!r}\n" + PEER_SETTINGS)
    (work / "peer_urls.py").write_text(PEER_URLS)
    (work / "run.py").write_text(PEER_RUN)
    args = json.dumps({"repeat": repeat, "numbers": numbers, "page": PAGE_SIZE})
    proc = subprocess.run(
        [str(python), str(work / "run.py"), source, args],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=3600,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"django-helpdesk run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 tickets, 10 requests")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    n = args.tickets or (5_000 if args.quick else 100_000)
    repeat = args.repeat or (10 if args.quick else 100)
    rng = random.Random(7)
    numbers = [rng.randint(1, n) for _ in range(repeat + 2)]
    ours, source = concierge(n, repeat, numbers)
    theirs = peer(source, n, repeat, numbers)
    # django-helpdesk's list page is a shell filled by a second (datatables) request; the
    # agent sees a list after both. Concierge renders the rows in the page itself.
    ours["list as the agent sees it"] = ours["list page (HTML)"]
    if theirs:
        page, data = theirs["list page (HTML)"], theirs["list data (JSON)"]
        theirs["list as the agent sees it"] = [1 / (1 / page[i] + 1 / data[i]) for i in (0, 1)]
    print(
        f"\nConcierge vs django-helpdesk — the same {n:,} tickets and {5 * n:,} messages, "
        f"SQLite for both, DEBUG off, logged in as the same agent, {PAGE_SIZE} rows a page, "
        f"{repeat} sequential requests each; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        "requests per second, higher is better: by wall clock, and per CPU-second of the "
        "serving process (robust on a busy machine)"
    )
    print(
        f"{'page':28s} {'Concierge':>10s} {'django-hd':>10s} {'ratio':>7s}   "
        f"{'C/CPU-s':>8s} {'dh/CPU-s':>8s} {'ratio':>7s}"
    )
    nan = [float("nan")] * 2
    for key in (
        "list as the agent sees it",
        "list page (HTML)",
        "list data (JSON)",
        "ticket detail",
    ):
        o, t = ours[key], (theirs or {}).get(key, nan)
        print(
            f"{key:28s} {o[0]:10.1f} {t[0]:10.1f} {o[0] / t[0]:6.2f}x   "
            f"{o[1]:8.1f} {t[1]:8.1f} {o[1] / t[1]:6.2f}x"
        )

    def seconds(value: float | None) -> str:
        return "reused" if value is None else f"{value:.0f} s"

    gen_theirs = seconds(theirs.get("generation_s")) if theirs else "n/a"
    print(f"generation: Concierge {seconds(ours['generation_s'])}, django-helpdesk {gen_theirs}")
    if theirs is None:
        print(
            "\ndjango-helpdesk is not installed in bench/.venv-djhelpdesk — see the docstring; "
            "only Concierge was measured."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
