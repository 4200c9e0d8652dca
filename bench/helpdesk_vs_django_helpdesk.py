"""Concierge helpdesk side by side with django-helpdesk (the Python peer).

The same N tickets (default 100,000; 5 messages/follow-ups each, 50 agents, 5 queues,
identical subjects and bodies from one seeded generator) are generated in both, each on its own
SQLite file, then each app serves its agent ticket list and ticket detail through the Django
test client (full middleware + view + template + SQL, one process, sequential requests).
Printed: requests per second of both and the ratio Concierge / django-helpdesk.

django-helpdesk runs from its own virtualenv, bench/.venv-djhelpdesk (git-ignored), because it
pins an older Django:

    python3 -m venv bench/.venv-djhelpdesk
    bench/.venv-djhelpdesk/bin/pip install django-helpdesk

    .venv/bin/python bench/helpdesk_vs_django_helpdesk.py [--quick] [--tickets N]

If that virtualenv is missing the script says so and measures Concierge alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = HERE / ".venv-djhelpdesk"

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
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH}}
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

PEER_RUN = """
import json, os, random, sys, time
from datetime import timedelta
sys.path.insert(0, os.path.dirname(__file__))
os.environ["DJANGO_SETTINGS_MODULE"] = "peer_settings"
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django.contrib.auth import get_user_model

N, REPEAT, SEED = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
WORDS = sys.argv[4].split()
call_command("migrate", verbosity=0)
from helpdesk.models import FollowUp, Queue, Ticket

User = get_user_model()
rng = random.Random(SEED)
agents = [User.objects.create_user(f"agent{i}", f"agent{i}@bench.example", "pw",
                                   is_staff=True) for i in range(50)]
queues = [Queue.objects.create(title=name, slug=name.lower())
          for name in ("Billing", "Technical", "Delivery", "Warranty", "Account")]
def sentence(n): return " ".join(rng.choice(WORDS) for _ in range(n))
now = timezone.now()
t0 = time.perf_counter()
status_map = {"new": 1, "open": 2, "pending": 2, "resolved": 3, "closed": 4}
statuses = ["new"] * 5 + ["open"] * 15 + ["pending"] * 10 + ["resolved"] * 30 + ["closed"] * 40
for start in range(0, N, 10000):
    tickets = []
    for k in range(start, min(start + 10000, N)):
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 730))
        status = rng.choice(statuses)
        assignee = rng.choice(agents) if status != "new" or rng.random() < 0.5 else None
        queue = rng.choice(queues)
        customer = rng.randint(0, 1999)
        tickets.append(Ticket(title=sentence(6).capitalize(), queue=queue, created=created,
                              modified=created + timedelta(minutes=rng.randint(1, 5000)),
                              submitter_email=f"customer{customer}@bench.example",
                              assigned_to=assignee, status=status_map[status],
                              description=sentence(25), priority=rng.randint(1, 5)))
    with transaction.atomic():
        Ticket.objects.bulk_create(tickets, batch_size=2000)
        made = list(Ticket.objects.order_by("-id")[: len(tickets)])
        follow = []
        for t in made:
            for m in range(5):
                follow.append(FollowUp(ticket=t, date=t.created + timedelta(minutes=10 * m),
                                       title="Comment", comment=sentence(30), public=m != 4,
                                       user=rng.choice(agents) if m % 2 else None))
        FollowUp.objects.bulk_create(follow, batch_size=5000)
gen = time.perf_counter() - t0
with connection.cursor() as c:
    c.execute("ANALYZE")
client = Client()
client.force_login(agents[3])
from helpdesk.query import query_to_base64
query = query_to_base64({"filtering": {"status__in": [1, 2, 3]}, "sorting": "created",
                         "search_string": "", "sortreverse": False})
list_page = "/helpdesk/tickets/"
data_url = f"/helpdesk/datatables_ticket_list/{query}?draw=1&start=0&length=25"
ids = list(Ticket.objects.order_by("?").values_list("id", flat=True)[:REPEAT])
def rps(urls):
    for u in urls[:2]:
        r = client.get(u)
        assert r.status_code == 200, (u, r.status_code)
    t, c = time.perf_counter(), time.process_time()
    for u in urls:
        r = client.get(u)
        assert r.status_code == 200, (u, r.status_code)
    return [len(urls) / (time.perf_counter() - t), len(urls) / (time.process_time() - c)]
out = {"generation_s": gen,
       "list page (HTML)": rps([list_page] * REPEAT),
       "list data (first 25 open)": rps([data_url] * REPEAT),
       "ticket detail": rps([f"/helpdesk/tickets/{i}/" for i in ids])}
print("RESULT " + json.dumps(out))
"""


def concierge(n: int, repeat: int, seed: int) -> dict:
    os.environ["BENCH_DATABASE_URL"] = "sqlite:////tmp/concierge_vs_peer.sqlite3"
    Path("/tmp/concierge_vs_peer.sqlite3").unlink(missing_ok=True)
    sys.path.insert(0, str(HERE))
    import helpdesk_perf as perf

    perf.setup_django(os.environ["BENCH_DATABASE_URL"])
    from django.core.management import call_command
    from django.test import Client

    from concierge.helpdesk.models import Ticket

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    ctx = perf.build(n, 100, random.Random(seed))
    gen = time.perf_counter() - t0
    client = Client()
    client.force_login(ctx["agents"][3])
    base = f"/helpdesk/{ctx['org'].slug}/tickets/"
    numbers = list(Ticket.objects.order_by("?").values_list("number", flat=True)[:repeat])

    def rps(urls):
        for u in urls[:2]:
            assert client.get(u).status_code == 200
        t, c = time.perf_counter(), time.process_time()
        for u in urls:
            assert client.get(u).status_code == 200, u
        return [len(urls) / (time.perf_counter() - t), len(urls) / (time.process_time() - c)]

    return {
        "generation_s": gen,
        "list page (HTML)": rps([base + "?view=open"] * repeat),
        "list data (first 25 open)": rps(
            [f"/api/helpdesk/{ctx['org'].slug}/tickets?view=open&per_page=25"] * repeat
        ),
        "ticket detail": rps([f"{base}{n}/" for n in numbers]),
    }


def peer(n: int, repeat: int, seed: int, words: list[str]) -> dict | None:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        return None
    work = Path(tempfile.mkdtemp(prefix="djhelpdesk-bench-"))
    db = work / "peer.sqlite3"
    (work / "peer_settings.py").write_text(f"DB_PATH = {str(db)!r}\n" + PEER_SETTINGS)
    (work / "peer_urls.py").write_text(PEER_URLS)
    (work / "run.py").write_text(textwrap.dedent(PEER_RUN))
    proc = subprocess.run(
        [str(python), str(work / "run.py"), str(n), str(repeat), str(seed), " ".join(words)],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=7200,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"django-helpdesk run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    n = args.tickets or (5_000 if args.quick else 100_000)
    repeat = args.repeat or (20 if args.quick else 100)
    sys.path.insert(0, str(HERE))
    from helpdesk_perf import WORDS

    ours = concierge(n, repeat, 7)
    theirs = peer(n, repeat, 7, WORDS)
    # django-helpdesk's list page is a shell filled by a second (datatables) request; the
    # agent sees a list after both. Concierge renders the rows in the page itself.
    ours["list as the agent sees it"] = ours["list page (HTML)"]
    if theirs:
        page, data = theirs["list page (HTML)"], theirs["list data (first 25 open)"]
        theirs["list as the agent sees it"] = [1 / (1 / page[i] + 1 / data[i]) for i in (0, 1)]
    print(
        f"\nConcierge vs django-helpdesk — {n:,} tickets, {5 * n:,} messages, SQLite, "
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
        "list data (first 25 open)",
        "ticket detail",
    ):
        o, t = ours[key], (theirs or {}).get(key, nan)
        print(
            f"{key:28s} {o[0]:10.1f} {t[0]:10.1f} {o[0] / t[0]:6.2f}x   "
            f"{o[1]:8.1f} {t[1]:8.1f} {o[1] / t[1]:6.2f}x"
        )
    print(
        f"{'generation (s)':28s} {ours['generation_s']:10.0f} "
        f"{(theirs or {}).get('generation_s', float('nan')):10.0f}"
    )
    if theirs is None:
        print(
            "\ndjango-helpdesk is not installed in bench/.venv-djhelpdesk — see the docstring; "
            "only Concierge was measured."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
