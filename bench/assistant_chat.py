"""Many WebSocket conversations on one server process.

What it does, so the figures mean what they say:

* Starts ONE uvicorn process on loopback, the way `scripts/run-dev` does (same ASGI app, same
  defaults), on a fresh SQLite database with the demo data (Acme's 25 answers in English, Hindi
  and Tamil) — or on PostgreSQL + Redis with `--database-url` / `--redis-url` (the database is
  migrated and seeded; Redis carries the channel layer and the cache, as in production).
* Warms the server up with a few untimed questions (a cold process pays seconds to load the
  engine and the language model once; that first answer is printed, not counted).
* Opens `--conversations` chats (default 300) at once — all sockets are started within about a
  second, spread over `--client-procs` load-client processes (default 2, so the client is not
  the one short of CPU) — and keeps them all open until every visitor is done. Each visitor
  sends `start`, waits for the greeting, then asks `--questions` questions (default 5), each
  after a think time drawn uniformly from `--think`. Questions are drawn from English, Hindi,
  Tamil, romanised Hindi and out-of-scope ones ("tell me a joke").
* The default think time, 4–12 s between the bot's answer and the next question, is a fast
  human: reading a 20–30-word answer at 250 words a minute takes 5–7 s, and typing a short
  question (about 25 characters) at 40 words (200 characters) a minute — a good typist; on a
  phone most people are slower — takes about 7.5 s, so 12 s or more is the usual gap and 4 s
  is someone firing off a two-word follow-up without reading. 300 such visitors offer about
  38 questions a second. On the same server a second, **stress run** follows at
  `--stress-think` (default 1–3 s, faster than anyone types: about 150 questions a second)
  and is always printed too; `--no-stress` skips it.
* Permessage-deflate is off on both ends, as `scripts/run-dev` serves (`--deflate` turns it on
  on both ends, to compare).
* Measures, per question, the time from sending it to receiving the bot's reply frame (the
  typing frame in between is not an answer). Any error frame, timeout or dropped socket is
  counted as an error, never hidden.
* Prints latency p50/p95/p99/max, connect + greeting p50/p95/max, errors, answers per second,
  the server's CPU time per answer (from /proc: user + system time of the uvicorn process
  during the timed phase, with and without the connect storm) and the load client's own CPU
  time beside it, so a figure taken on a busy machine can be told apart from the server's own
  cost and a reader can see who was short of CPU. The machine's load average is printed at
  the start and at the end.

    .venv/bin/python bench/assistant_chat.py                  # 300 x 5, think 4-12 s, then 1-3 s
    .venv/bin/python bench/assistant_chat.py --quick          # 50 x 2
    createdb -h 127.0.0.1 -U postgres bench_chat
    .venv/bin/python bench/assistant_chat.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_chat \\
        --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

QUESTIONS = [
    "where is my order",
    "how long does delivery take",
    "can i pay with upi",
    "is the store open on sunday",
    "how do i return a product",
    "warranty period for fridge",
    "मेरा पार्सल कब आएगा",
    "रिफंड कब मिलेगा",
    "वारंटी कितनी है",
    "दुकान कब खुलती है",
    "என் பார்சல் எப்போது வரும்",
    "உத்தரவாதம் எவ்வளவு",
    "கடை எப்போது திறக்கும்",
    "mera order kahan hai",
    "refund kab milega",
    "installation kab hoga",
    "tell me a joke",
    "what's the weather like",
    "do you sell gift cards",
]
REBUILD = (
    "from concierge.accounts.models import Organisation\n"
    "from concierge.assistant import services\n"
    "org = Organisation.objects.get(slug='acme-support')\n"
    "services.rebuild_engine(organisation_id=org.pk, force=True)\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(tmp: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(tmp),
        "DATABASE_URL": database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
        "EMAIL_URL": "locmem://",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(REPO / "src"),
        # every simulated visitor comes from 127.0.0.1: lift the per-address limits
        "ASSISTANT_RATE_PER_IP": "1000000",
        "ASSISTANT_STARTS_PER_IP": "1000000",
        "CACHE_PREFIX": f"bench{os.getpid()}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_server(tmp: Path, port: int, env: dict[str, str], deflate: bool) -> subprocess.Popen:
    manage = [sys.executable, str(REPO / "manage.py")]
    for args in (
        ["migrate", "--noinput", "-v", "0"],
        ["seed_demo", "--only", "assistant"],
        ["shell", "-c", REBUILD],  # the engine file lives in this run's temporary MEDIA_ROOT
    ):
        subprocess.run(manage + args, env=env, cwd=REPO, check=True, capture_output=True)
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "concierge.asgi:application",
            "--app-dir",
            "src",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws-per-message-deflate",
            "true" if deflate else "false",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"server did not start; see {tmp / 'server.log'}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def new_stats() -> dict:
    return {"latency": [], "connect": [], "errors": [], "finished": 0}


async def visitor(
    url: str,
    n_questions: int,
    rng: random.Random,
    stats: dict,
    think: tuple[float, float],
    deflate: bool,
    greeted=None,
    finished=None,
    all_done=None,
) -> None:
    """One simulated visitor. `greeted` / `finished` are shared counters (one per run, over
    all client processes); the socket stays open until `all_done` (an asyncio.Event) is set."""
    import websockets

    headers = {"Origin": url.replace("ws://", "http://").split("/ws/")[0]}
    try:
        t0 = time.perf_counter()
        async with websockets.connect(
            url,
            additional_headers=headers,
            open_timeout=120,
            max_size=2**20,
            compression="deflate" if deflate else None,
        ) as ws:
            await ws.send(json.dumps({"type": "start", "language": rng.choice(["en", "hi", "ta"])}))
            while json.loads(await asyncio.wait_for(ws.recv(), 120)).get("kind") != "hello":
                pass
            stats["connect"].append(time.perf_counter() - t0)
            bump(greeted)
            for _ in range(n_questions):
                await asyncio.sleep(rng.uniform(*think))  # reading the answer, typing the next
                sent = time.perf_counter()
                await ws.send(json.dumps({"type": "message", "text": rng.choice(QUESTIONS)}))
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if frame.get("kind") == "messages" and any(
                        m["sender"] in ("bot", "system") for m in frame["messages"]
                    ):
                        stats["latency"].append(time.perf_counter() - sent)
                        break
                    if frame.get("kind") == "error":
                        stats["errors"].append(frame.get("detail", "error"))
                        break
            stats["finished"] += 1
            bump(finished)
            if all_done is not None:
                await all_done.wait()  # every conversation stays open until all are done
    except Exception as exc:  # counted, never hidden
        stats["errors"].append(f"{type(exc).__name__}: {exc}")
        stats["finished"] += 1
        bump(finished)


def bump(counter) -> None:
    if counter is not None:
        with counter.get_lock():
            counter.value += 1


def client_process(job: dict, ready, go, done, greeted, finished, results) -> None:
    """One load-client process: its share of the visitors, all started when `go` is set."""
    import threading

    import websockets  # noqa: F401  (imported before the clock starts)

    ready.wait()
    go.wait()
    cpu0 = time.process_time()
    stats = new_stats()

    async def visitors() -> None:
        all_done = asyncio.Event()
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=lambda: (done.wait(), loop.call_soon_threadsafe(all_done.set)), daemon=True
        ).start()
        tasks = [
            asyncio.create_task(
                visitor(
                    job["url"],
                    job["questions"],
                    random.Random(seed),
                    stats,
                    tuple(job["think"]),
                    job["deflate"],
                    greeted,
                    finished,
                    all_done,
                )
            )
            for seed in job["seeds"]
        ]
        while stats["finished"] < len(tasks):
            await asyncio.sleep(0.05)
        stats["cpu"] = time.process_time() - cpu0  # the client's own CPU while it worked
        await asyncio.gather(*tasks)

    asyncio.run(visitors())
    results.put(stats)


def run_phase(port: int, server_pid: int, args, think: tuple[float, float]) -> dict:
    """--conversations visitors over --client-procs processes, all started at once."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    url = f"ws://127.0.0.1:{port}/ws/assistant/acme-support/"
    n, procs_n = args.conversations, max(1, min(args.client_procs, args.conversations))
    rng = random.Random(42)
    seeds = [rng.random() for _ in range(n)]
    ready, go, done = ctx.Barrier(procs_n + 1), ctx.Event(), ctx.Event()
    greeted, finished, results = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Queue()
    procs = [
        ctx.Process(
            target=client_process,
            args=(
                {
                    "url": url,
                    "questions": args.questions,
                    "think": list(think),
                    "deflate": args.deflate,
                    "seeds": seeds[i::procs_n],
                },
                ready,
                go,
                done,
                greeted,
                finished,
                results,
            ),
        )
        for i in range(procs_n)
    ]
    for p in procs:
        p.start()
    ready.wait()  # every client process is up and has imported its libraries
    load_start = os.getloadavg()[0]
    cpu0, started = cpu_seconds(server_pid), time.perf_counter()
    go.set()
    connect_cpu = connect_wall = None
    while finished.value < n:
        if connect_cpu is None and greeted.value >= n:
            connect_cpu = cpu_seconds(server_pid) - cpu0
            connect_wall = time.perf_counter() - started
        time.sleep(0.02)
    wall = time.perf_counter() - started
    cpu = cpu_seconds(server_pid) - cpu0
    done.set()
    stats = new_stats()
    stats["client_cpu"] = 0.0
    for _ in procs:
        part = results.get(timeout=300)
        for key in ("latency", "connect", "errors"):
            stats[key] += part[key]
        stats["client_cpu"] += part["cpu"]
    for p in procs:
        p.join(timeout=30)
    stats.update(
        wall=wall,
        cpu=cpu,
        connect_cpu=connect_cpu,
        connect_wall=connect_wall,
        load_start=load_start,
        load_end=os.getloadavg()[0],
        think=think,
        procs=procs_n,
    )
    return stats


async def warm_up(port: int, deflate: bool) -> list[float]:
    """A few untimed questions: a cold process loads the engine and the language model."""
    url = f"ws://127.0.0.1:{port}/ws/assistant/acme-support/"
    warm = new_stats()
    await asyncio.gather(
        *(visitor(url, 2, random.Random(i), warm, (0.0, 0.1), deflate) for i in range(3))
    )
    return warm["latency"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k] * 1000


#: Seconds between the bot's answer and the visitor's next question (see the docstring).
DEFAULT_THINK = (4.0, 12.0)
STRESS_THINK = (1.0, 3.0)


def think_range(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition(",")
    return float(low), float(high or low)


def report(stats: dict, args, backend: str, layer: str, warmup: list[float]) -> bool:
    lat, con = stats["latency"], stats["connect"]
    asked = args.conversations * args.questions
    think = stats["think"]
    wall, cpu, client_cpu = stats["wall"], stats["cpu"], stats["client_cpu"]
    n_answers = max(1, len(lat))
    connect_cpu = stats["connect_cpu"]
    rows = [
        ("server", f"1 uvicorn process, {backend}, {layer}"),
        ("permessage-deflate (server and client)", "on" if args.deflate else "off"),
        ("load client", f"{stats['procs']} processes"),
        ("concurrent conversations", f"{args.conversations}"),
        ("questions per conversation", f"{args.questions}"),
        ("think time between questions (s)", f"{think[0]:g}–{think[1]:g}"),
        ("offered load (questions/s, approx.)", f"{args.conversations / (sum(think) / 2):.0f}"),
        ("questions answered", f"{len(lat)} of {asked}"),
        ("errors", f"{len(stats['errors'])}"),
        ("answer latency p50 (ms)", f"{pct(lat, 50):.1f}"),
        ("answer latency p95 (ms)", f"{pct(lat, 95):.1f}"),
        ("answer latency p99 (ms)", f"{pct(lat, 99):.1f}"),
        ("answer latency max (ms)", f"{max(lat) * 1000 if lat else float('nan'):.1f}"),
        ("connect + greeting p50 (ms)", f"{pct(con, 50):.1f}"),
        ("connect + greeting p95 (ms)", f"{pct(con, 95):.1f}"),
        ("connect + greeting max (ms)", f"{max(con) * 1000 if con else float('nan'):.1f}"),
        (
            "all greeted after (s) / server CPU till then (s)",
            "n/a" if connect_cpu is None else f"{stats['connect_wall']:.2f} / {connect_cpu:.2f}",
        ),
        (
            "server CPU per connect + greeting (ms)",
            "n/a" if connect_cpu is None else f"{connect_cpu / max(1, len(con)) * 1000:.1f}",
        ),
        ("answers per second", f"{len(lat) / wall:.1f}"),
        ("wall time of the timed phase (s)", f"{wall:.1f}"),
        ("server CPU time, timed phase (s)", f"{cpu:.1f}"),
        ("server CPU per answer, connects included (ms)", f"{cpu / n_answers * 1000:.1f}"),
        (
            "server CPU per answer, connects excluded (ms)",
            "n/a" if connect_cpu is None else f"{(cpu - connect_cpu) / n_answers * 1000:.1f}",
        ),
        ("server CPU use (of one core)", f"{cpu / wall * 100:.0f} %"),
        ("client CPU time, all processes (s)", f"{client_cpu:.1f}"),
        ("client CPU use (of one core)", f"{client_cpu / wall * 100:.0f} %"),
        (
            "first (cold) answer, untimed warm-up (ms)",
            f"{warmup[0] * 1000 if warmup else float('nan'):.0f}",
        ),
        (
            "load average (1 min) start / end",
            f"{stats['load_start']:.1f} / {stats['load_end']:.1f} on {os.cpu_count()} CPUs",
        ),
        ("target", "0 errors, p95 <= 200 ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print("-" * (width + 36))
    for name, value in rows:
        print(f"{name:<{width}}  {value:>32}")
    if stats["errors"]:
        print("\nfirst errors:", *sorted(set(stats["errors"]))[:5], sep="\n  ")
    if lat:
        print(f"\nmean {statistics.fmean(lat) * 1000:.1f} ms over {len(lat)} answers")
    met = bool(not stats["errors"] and lat and pct(lat, 95) <= 200 and len(lat) == asked)
    print("target met" if met else "TARGET NOT MET")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 conversations x 2 questions")
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--questions", type=int, default=5, help="questions per conversation")
    parser.add_argument(
        "--think",
        type=think_range,
        default=DEFAULT_THINK,
        help="seconds between an answer and the next question: LOW,HIGH (default 4,12: a "
        "human reading the answer and typing a short question, see the docstring)",
    )
    parser.add_argument(
        "--stress-think",
        type=think_range,
        default=STRESS_THINK,
        help="think time of the second, stress run on the same server (default 1,3); "
        "--no-stress skips it",
    )
    parser.add_argument("--no-stress", action="store_true", help="only the run at --think")
    parser.add_argument(
        "--client-procs", type=int, default=2, help="load-client processes (default 2)"
    )
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="WebSocket permessage-deflate on, server and client (scripts/run-dev: off)",
    )
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--redis-url", default="", help="default: in-memory layer and cache")
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.questions = 50, 2

    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        port = free_port()
        env = server_env(Path(tmp), args.database_url, args.redis_url)
        backend = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        layer = "Redis" if args.redis_url else "in-memory"
        print(f"starting uvicorn ({backend}, {layer} channel layer) on 127.0.0.1:{port} …")
        proc = start_server(Path(tmp), port, env, deflate=args.deflate)
        phases = [("target run", args.think)]
        if not args.no_stress:
            phases.append(("stress run (faster than anyone types)", args.stress_think))
        results = []
        try:
            warmup = asyncio.run(warm_up(port, args.deflate))
            for _name, think in phases:
                results.append(run_phase(port, proc.pid, args, think))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        met = []
        for (name, _think), stats in zip(phases, results, strict=False):
            print(f"\nassistant_chat — {name}: WebSocket conversations on one uvicorn process")
            met.append(report(stats, args, backend, layer, warmup))
        if any(stats["errors"] for stats in results):
            log = (Path(tmp) / "server.log").read_text(errors="replace").splitlines()
            problems = [line for line in log if "Error" in line or "Exception" in line]
            print("\nserver log, last problems:", *problems[-8:], sep="\n  ")
        print("\nat the default (human) pace: " + ("target met" if met[0] else "TARGET NOT MET"))


if __name__ == "__main__":
    main()
