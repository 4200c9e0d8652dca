"""Hospital beds benchmark: public dashboard time, live push latency, booking race.

    .venv/bin/python bench/hospital_beds.py            # the issue's targets
    .venv/bin/python bench/hospital_beds.py --quick    # small and fast

1. Builds a SQLite database with N hospitals, M beds and Y years of bed movements (kept between
   runs in $CONCIERGE_BENCH_DIR or the temp folder; --rebuild makes a fresh one).
2. Public dashboard: server time of GET /hospital/ and /api/hospital/availability through the
   whole Django stack (middleware, aggregate query, template), with the cache cleared before
   every request (cold) and as served (warm). Target p95 ≤ 100 ms.
3. Live push: a real uvicorn server and a `websockets` client on /ws/hospital/beds/; a bed
   status change is made over the API and the time until the socket hears of it is measured.
   Target ≤ 1 s.
4. Booking race: R concurrent requests for K free beds (threads on the service layer) must give
   exactly K holds — on SQLite and, when reachable, on PostgreSQL (database
   concierge_bench_hospital on $BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from itertools import repeat
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("CONCIERGE_SHARED_DATA", REPO.parent / "shared" / "data")
)  # not used: synthetic data
CITIES = [
    ("Chennai", "Chennai"),
    ("Bengaluru", "Bengaluru Urban"),
    ("New Delhi", "New Delhi"),
    ("Mumbai", "Mumbai Suburban"),
    ("Hyderabad", "Hyderabad"),
    ("Kochi", "Ernakulam"),
    ("Pune", "Pune"),
    ("Kolkata", "Kolkata"),
    ("Jaipur", "Jaipur"),
    ("Lucknow", "Lucknow"),
    ("Madurai", "Madurai"),
    ("Coimbatore", "Coimbatore"),
    ("Mysuru", "Mysuru"),
    ("Ahmedabad", "Ahmedabad"),
    ("Bhopal", "Bhopal"),
    ("Patna", "Patna"),
    ("Guwahati", "Kamrup Metropolitan"),
    ("Nagpur", "Nagpur"),
    ("Visakhapatnam", "Visakhapatnam"),
    ("Thiruvananthapuram", "Thiruvananthapuram"),
]
# ward kind -> share of a hospital's beds
WARD_MIX = [
    ("general", 0.48),
    ("icu", 0.12),
    ("hdu", 0.08),
    ("maternity", 0.12),
    ("paediatric", 0.12),
    ("isolation", 0.08),
]


def bench_dir() -> Path:
    path = Path(
        os.environ.get(
            "CONCIERGE_BENCH_DIR", Path(tempfile.gettempdir()) / "concierge-bench-hospital"
        )
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "concierge.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("EMAIL_URL", "locmem://")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


# --- 1. data ------------------------------------------------------------------------------------


def build(*, hospitals: int, beds: int, years: float, seed: int = 7) -> dict:
    """Hospitals, wards, beds (realistic status mix) and years of movements, written in bulk."""
    import numpy as np
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from concierge.accounts.models import Organisation, User
    from concierge.hospital.models import Bed, Ward

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(seed)
    now = timezone.now()
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                kind="hospital",
                name=f"Bench Hospital {i:03d}",
                slug=f"bench-{i:03d}",
                city=CITIES[i % len(CITIES)][0],
                district=CITIES[i % len(CITIES)][1],
                is_public=True,
                phone="+91 00 0000 0000",
            )
            for i in range(hospitals)
        ]
    )
    orgs = list(Organisation.objects.filter(slug__startswith="bench-").order_by("pk"))
    per_hospital = beds // hospitals
    wards = []
    for org in orgs:
        for kind, _share in WARD_MIX:
            wards.append(Ward(organisation=org, name=f"{kind.title()} ward", kind=kind))
    Ward.objects.bulk_create(wards)
    wards = list(Ward.objects.filter(organisation__in=orgs).order_by("organisation_id", "pk"))
    by_org: dict[int, list[Ward]] = {}
    for w in wards:
        by_org.setdefault(w.organisation_id, []).append(w)
    statuses = np.array(["occupied", "reserved", "free", "housekeeping", "blocked"])
    probs = [0.70, 0.03, 0.17, 0.07, 0.03]
    rows = []
    for org in orgs:
        n_left = per_hospital
        for (kind, share), ward in zip(WARD_MIX, by_org[org.pk], strict=True):
            n = n_left if kind == WARD_MIX[-1][0] else int(round(per_hospital * share))
            n_left -= n
            picks = rng.choice(5, size=n, p=probs)
            for j in range(n):
                rows.append(
                    Bed(
                        organisation_id=org.pk,
                        ward=ward,
                        label=f"{kind[:1]}{j:04d}",
                        status=statuses[picks[j]],
                        has_oxygen=bool(j % 2 == 0),
                        has_ventilator=kind == "icu" and j % 2 == 0,
                        is_isolation=kind == "isolation",
                        is_paediatric=kind == "paediatric",
                        status_changed_at=now,
                    )
                )
    Bed.objects.bulk_create(rows, batch_size=5000)
    bed_rows = list(Bed.objects.values_list("pk", "organisation_id", "ward_id"))
    # Movements: admit → discharge → cleaned cycles over the years, bulk-inserted with raw SQL
    # (indexes dropped during the load and rebuilt after, as a data migration would).
    start = now.timestamp() - years * 365.25 * 86400
    n_moves = 0
    with connection.cursor() as cur:
        cur.execute("PRAGMA synchronous=OFF")
        index_sql = [
            r[0]
            for r in cur.execute(
                "SELECT sql FROM sqlite_master WHERE type='index'"
                " AND tbl_name='hospital_bedmovement' AND sql IS NOT NULL"
            ).fetchall()
        ]
        for sql in index_sql:
            name = sql.split(" ON ")[0].split()[-1]
            cur.execute(f"DROP INDEX {name}")
        insert = (
            "INSERT INTO hospital_bedmovement (organisation_id, bed_id, ward_id, at, kind,"
            " from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, '')"
        )
        cycles = int(years * 365.25 / 4.0) + 4
        horizon = now.timestamp() - 86400
        for i in range(0, len(bed_rows), 1000):
            part = np.array(bed_rows[i : i + 1000], dtype=np.int64)
            n = len(part)
            los = rng.gamma(2.0, 2.0, size=(n, cycles)) * 86400
            clean = rng.uniform(0.5, 4, size=(n, cycles)) * 3600
            idle = rng.exponential(10, size=(n, cycles)) * 3600
            first = start + rng.uniform(0, 2 * 86400, size=(n, 1))
            admit = first + np.concatenate(
                [np.zeros((n, 1)), np.cumsum(los + clean + idle, axis=1)[:, :-1]], axis=1
            )
            out = admit + los
            cleaned = out + clean
            keep = cleaned < horizon
            rows_b = np.repeat(part, keep.sum(axis=1), axis=0)
            times = [_stamps(a[keep]) for a in (admit, out, cleaned)]
            for (kind, a, b), stamp in zip(
                (
                    ("admit", "free", "occupied"),
                    ("discharge", "occupied", "housekeeping"),
                    ("cleaned", "housekeeping", "free"),
                ),
                times,
                strict=True,
            ):
                cur.executemany(
                    insert,
                    zip(
                        rows_b[:, 1].tolist(),
                        rows_b[:, 0].tolist(),
                        rows_b[:, 2].tolist(),
                        stamp,
                        repeat(kind),
                        repeat(a),
                        repeat(b),
                        strict=False,
                    ),
                )
                n_moves += len(stamp)
        for sql in index_sql:
            cur.execute(sql)
        cur.execute("ANALYZE")
    from concierge.hospital.services import recount_wards

    recount_wards()  # the beds were bulk-loaded: give the wards their counters
    staff = User.objects.create_user("bench-staff@example.org", "bench-password-123")
    from concierge.accounts.models import Membership

    Membership.objects.bulk_create(
        [Membership(user=staff, organisation=o, role="staff") for o in orgs]
    )
    return {"hospitals": len(orgs), "beds": len(bed_rows), "movements": n_moves}


def _stamps(seconds) -> list[str]:
    """Epoch seconds → the text Django's SQLite backend stores ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    import numpy as np

    text = np.datetime_as_string((seconds * 1e6).astype("datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ").tolist()


# --- 2. dashboard ------------------------------------------------------------------------------


def measure_dashboard(*, requests: int) -> dict:
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    out = {}
    for label, url in (
        ("page", "/hospital/"),
        ("page_icu_chennai", "/hospital/?ward_kind=icu&city=city:Chennai"),
        ("api", "/api/hospital/availability"),
    ):
        client.get(url)  # warm imports and templates
        cold, warm = [], []
        for _ in range(requests):
            cache.clear()
            t0 = time.perf_counter()
            response = client.get(url)
            cold.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        for _ in range(requests):
            t0 = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - t0) * 1000)
        out[label] = {
            "cold_p50": pct(cold, 50),
            "cold_p95": pct(cold, 95),
            "warm_p50": pct(warm, 50),
            "warm_p95": pct(warm, 95),
        }
    return out


# --- 3. live push ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_push(*, database_url: str, samples: int) -> dict:
    import asyncio
    import urllib.request

    import websockets

    from concierge.accounts.models import User
    from concierge.accounts.services import create_api_token
    from concierge.hospital.models import Bed

    staff = User.objects.get(email="bench-staff@example.org")
    token = create_api_token(user=staff, name=f"bench {time.time()}")
    secret = token.plain
    bed_ids = list(Bed.objects.filter(status="free").values_list("pk", flat=True)[:samples])
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO / "src"),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "concierge.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except OSError:
                time.sleep(0.3)

        def post(path: str, body: dict) -> float:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                data=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
                method="POST",
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=30) as response:
                response.read()
            return t0

        async def run() -> list[float]:
            latencies = []
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/hospital/beds/", origin=f"http://127.0.0.1:{port}"
            ) as ws:
                for bed_id in bed_ids:
                    for action, body in (("block", {"reason": "bench"}), ("unblock", {})):
                        loop = asyncio.get_running_loop()
                        sent = await loop.run_in_executor(
                            None, post, f"/api/hospital/beds/{bed_id}/{action}", body
                        )
                        await asyncio.wait_for(ws.recv(), timeout=10)
                        latencies.append((time.perf_counter() - sent) * 1000)
            return latencies

        latencies = asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {
        "samples": len(latencies),
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "max": max(latencies),
    }


# --- 4. booking race -------------------------------------------------------------------------


def race(*, requests: int, free_beds: int, workers: int) -> dict:
    """`requests` booking requests for `free_beds` free ICU beds at one hospital, released at
    once from `workers` threads. Returns counts; exactly `free_beds` holds is the pass."""
    from collections import Counter

    from django.db import connections

    from concierge.accounts.models import Organisation, User
    from concierge.hospital import services
    from concierge.hospital.models import Bed, BedMovement, Booking, Stay, Ward

    stamp = str(int(time.time() * 1000))
    org = Organisation.objects.create(
        kind="hospital", name=f"Race {stamp}", slug=f"race-{stamp}", is_public=True
    )
    ward = Ward.objects.create(organisation=org, name="ICU", kind="icu")
    Bed.objects.bulk_create(
        [Bed(organisation=org, ward=ward, label=f"R{i}") for i in range(free_beds)]
    )
    services.recount_wards(organisation_ids=[org.pk])
    users = User.objects.bulk_create(
        [User(email=f"race-{stamp}-{i}@example.org", password="!") for i in range(requests)]
    )
    users = list(User.objects.filter(email__startswith=f"race-{stamp}-"))
    queue = list(users)
    lock = threading.Lock()
    errors: list[str] = []
    barrier = threading.Barrier(workers)

    def work():
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    break
                user = queue.pop()
            try:
                services.request_bed(
                    user=user,
                    organisation=org,
                    ward_kind="icu",
                    patient_name="Bench Patient",
                    patient_age=50,
                    patient_sex="F",
                    reason="bench",
                    urgency=2,
                )
            except Exception as exc:  # noqa: BLE001 — counted and shown
                errors.append(f"{type(exc).__name__}: {exc}"[:120])
        connections.close_all()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    statuses = Counter(Booking.objects.filter(organisation=org).values_list("status", flat=True))
    held_beds = list(
        Booking.objects.filter(organisation=org, status="held").values_list("bed_id", flat=True)
    )
    reserved = Bed.objects.filter(organisation=org, status="reserved").count()
    # Leave the reusable database as it was: the race hospital and its families go.
    # History is protected from cascading deletes, so the bench removes it explicitly.
    BedMovement.objects.filter(organisation=org).delete()
    Stay.objects.filter(organisation=org).delete()
    Booking.objects.filter(organisation=org).delete()
    org.delete()
    User.objects.filter(email__startswith=f"race-{stamp}-").delete()
    return {
        "requests": requests,
        "workers": workers,
        "free_beds": free_beds,
        "held": statuses.get("held", 0),
        "waiting": statuses.get("waiting", 0),
        "distinct_beds_held": len(set(held_beds)),
        "beds_reserved": reserved,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "seconds": round(seconds, 2),
        "ok": statuses.get("held", 0) == free_beds == len(set(held_beds)) == reserved
        and not errors,
    }


def _postgres_race(args) -> dict | None:
    base = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    url = base.rstrip("/") + "/concierge_bench_hospital"
    try:
        import psycopg

        with psycopg.connect(
            base.rstrip("/") + "/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = 'concierge_bench_hospital'"
            ).fetchone()
            if not exists:
                conn.execute("CREATE DATABASE concierge_bench_hospital")
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"PostgreSQL not reachable ({type(exc).__name__})"}
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--part",
            "race",
            "--database-url",
            url,
            "--race-requests",
            str(args.race_requests),
            "--race-beds",
            str(args.race_beds),
            "--race-workers",
            str(min(args.race_workers, 80)),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"skipped": f"failed: {out.stderr[-300:]}"}


def calibrate() -> float:
    t0 = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return (time.perf_counter() - t0) * 1000


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--part", default="all", choices=["all", "race"])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--race-requests", type=int, default=500)
    parser.add_argument("--race-beds", type=int, default=10)
    parser.add_argument("--race-workers", type=int, default=500)
    parser.add_argument(
        "--years",
        type=float,
        default=None,
        help="years of bed movements to generate (default 5; 0.25 with --quick)",
    )
    args = parser.parse_args()
    if args.quick:
        hospitals, beds, years, dash_n, push_n = 20, 2_000, 0.25, 30, 5
        args.race_requests, args.race_workers = (
            min(args.race_requests, 100),
            min(args.race_workers, 100),
        )
    else:
        hospitals, beds, years, dash_n, push_n = 200, 50_000, 5.0, 100, 20

    if args.years is not None:
        years = args.years
    if args.part == "race":
        setup_django(args.database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(
            json.dumps(
                race(
                    requests=args.race_requests, free_beds=args.race_beds, workers=args.race_workers
                )
            )
        )
        return

    db = bench_dir() / f"beds-{hospitals}-{beds}-{years}.sqlite3"
    if args.rebuild and db.exists():
        db.unlink()
    fresh = not db.exists()
    url = f"sqlite:///{db}"
    setup_django(url)
    t0 = time.perf_counter()
    if fresh:
        sizes = build(hospitals=hospitals, beds=beds, years=years)
    else:
        from concierge.hospital.models import Bed, BedMovement

        sizes = {
            "hospitals": Bed.objects.values("organisation").distinct().count(),
            "beds": Bed.objects.count(),
            "movements": BedMovement.objects.count(),
        }
    build_s = time.perf_counter() - t0
    dashboard = measure_dashboard(requests=dash_n)
    push = measure_push(database_url=url, samples=push_n)
    sqlite_race = race(
        requests=args.race_requests, free_beds=args.race_beds, workers=args.race_workers
    )
    pg_race = _postgres_race(args)

    print(f"\nHospital beds benchmark ({'quick' if args.quick else 'full'})")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"a 3M-step Python loop takes {calibrate():.0f} ms (about 150 ms when idle)"
    )
    print(
        f"data: {sizes['hospitals']} hospitals, {sizes['beds']:,} beds, "
        f"{sizes['movements']:,} movements ({years} years); "
        f"{'built' if fresh else 'reused'} in {build_s:.0f} s"
    )
    print(f"\n{'measure':<52}{'p50':>10}{'p95':>10}{'target':>12}")
    for label, row in dashboard.items():
        for mode in ("cold", "warm"):
            print(
                f"{'dashboard ' + label + ' (' + mode + ' cache), ms':<52}"
                f"{row[mode + '_p50']:>10.1f}{row[mode + '_p95']:>10.1f}"
                f"{'≤ 100' if mode == 'cold' else '':>12}"
            )
    print(
        f"{'bed change → dashboard socket, ms (n=' + str(push['samples']) + ')':<52}"
        f"{push['p50']:>10.1f}{push['p95']:>10.1f}{'≤ 1000':>12}"
    )
    for name, r in (("SQLite", sqlite_race), ("PostgreSQL", pg_race)):
        if not r or "skipped" in r:
            print(f"booking race on {name}: {r.get('skipped') if r else 'skipped'}")
            continue
        print(
            f"booking race on {name}: {r['requests']} requests from {r['workers']} threads "
            f"for {r['free_beds']} free beds → {r['held']} held ({r['distinct_beds_held']} "
            f"distinct beds), {r['waiting']} waiting, {r['errors']} errors, "
            f"{r['seconds']} s — {'OK' if r['ok'] else 'FAIL'}"
            + (f" [{r['first_error']}]" if r["first_error"] else "")
        )


if __name__ == "__main__":
    main()
