"""Many WebSocket conversations on one server process.

What it does, so the figures mean what they say:

* Starts ONE uvicorn process on loopback, the way `scripts/run-dev` does (same ASGI app, same
  defaults), on a fresh SQLite database with the demo data (Acme's 25 answers in English, Hindi
  and Tamil) — or on PostgreSQL + Redis with `--database-url` / `--redis-url` (the database is
  migrated and seeded; Redis carries the channel layer and the cache, as in production).
* Warms the server up with a few untimed questions (a cold process pays seconds to load the
  engine and the language model once; that first answer is printed, not counted).
* Opens `--conversations` chats (default 300) at once — all sockets are started within about a
  second — and keeps them all open until every visitor is done. Each visitor sends `start`,
  waits for the greeting, then asks `--questions` questions (default 5), each after a human
  think time drawn uniformly from `--think` (default 1–3 s, so 300 visitors offer about
  150 questions a second). Questions are drawn from English, Hindi, Tamil, romanised Hindi
  and out-of-scope ones ("tell me a joke").
* Measures, per question, the time from sending it to receiving the bot's reply frame (the
  typing frame in between is not an answer). Any error frame, timeout or dropped socket is
  counted as an error, never hidden.
* Prints latency p50/p95/p99/max, errors, answers per second, and the server's CPU time per
  answer (from /proc: user + system time of the uvicorn process during the timed phase), so
  a figure taken on a busy machine can be told apart from the server's own cost. The machine's
  load average is printed at the start and at the end.

    .venv/bin/python bench/assistant_chat.py                  # 300 conversations x 5 questions
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


def start_server(tmp: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
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


async def visitor(
    url: str,
    n_questions: int,
    rng: random.Random,
    stats: dict,
    think: tuple[float, float],
    all_open: asyncio.Event | None = None,
) -> None:
    import websockets

    headers = {"Origin": url.replace("ws://", "http://").split("/ws/")[0]}
    try:
        t0 = time.perf_counter()
        async with websockets.connect(
            url, additional_headers=headers, open_timeout=120, max_size=2**20
        ) as ws:
            await ws.send(json.dumps({"type": "start", "language": rng.choice(["en", "hi", "ta"])}))
            while json.loads(await asyncio.wait_for(ws.recv(), 120)).get("kind") != "hello":
                pass
            stats["connect"].append(time.perf_counter() - t0)
            for _ in range(n_questions):
                await asyncio.sleep(rng.uniform(*think))  # reading and typing
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
            if all_open is not None:
                await all_open.wait()  # every conversation stays open until all are done
    except Exception as exc:  # counted, never hidden
        stats["errors"].append(f"{type(exc).__name__}: {exc}")
        stats["finished"] += 1


async def run(port: int, server_pid: int, args) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/assistant/acme-support/"
    warm: dict = {"latency": [], "connect": [], "errors": [], "finished": 0}
    await asyncio.gather(
        *(visitor(url, 2, random.Random(i), warm, think=(0.0, 0.1)) for i in range(3))
    )
    stats: dict = {
        "latency": [],
        "connect": [],
        "errors": [],
        "finished": 0,
        "warmup": warm["latency"],
    }
    rng = random.Random(42)
    done = asyncio.Event()
    stats["load_start"] = os.getloadavg()[0]
    cpu0, started = cpu_seconds(server_pid), time.perf_counter()
    tasks = [
        asyncio.create_task(
            visitor(url, args.questions, random.Random(rng.random()), stats, args.think, done)
        )
        for _ in range(args.conversations)
    ]
    while stats["finished"] < args.conversations:  # until every visitor has asked everything
        await asyncio.sleep(0.05)
    stats["wall"] = time.perf_counter() - started
    stats["cpu"] = cpu_seconds(server_pid) - cpu0
    done.set()
    await asyncio.gather(*tasks)
    return stats


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k] * 1000


def think_range(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition(",")
    return float(low), float(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 conversations x 2 questions")
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--questions", type=int, default=5, help="questions per conversation")
    parser.add_argument(
        "--think", type=think_range, default=(1.0, 3.0), help="seconds between questions: LOW,HIGH"
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
        proc = start_server(Path(tmp), port, env)
        try:
            stats = asyncio.run(run(port, proc.pid, args))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        lat, con = stats["latency"], stats["connect"]
        asked = args.conversations * args.questions
        mean_think = sum(args.think) / 2
        rows = [
            ("server", f"1 uvicorn process, {backend}, {layer}"),
            ("concurrent conversations", f"{args.conversations}"),
            ("questions per conversation", f"{args.questions}"),
            ("think time between questions (s)", f"{args.think[0]:g}–{args.think[1]:g}"),
            (
                "offered load (questions/s, approx.)",
                f"{args.conversations / mean_think:.0f}",
            ),
            ("questions answered", f"{len(lat)} of {asked}"),
            ("errors", f"{len(stats['errors'])}"),
            ("answer latency p50 (ms)", f"{pct(lat, 50):.1f}"),
            ("answer latency p95 (ms)", f"{pct(lat, 95):.1f}"),
            ("answer latency p99 (ms)", f"{pct(lat, 99):.1f}"),
            ("answer latency max (ms)", f"{max(lat) * 1000 if lat else float('nan'):.1f}"),
            ("connect + greeting p50 (ms)", f"{pct(con, 50):.1f}"),
            ("connect + greeting p95 (ms)", f"{pct(con, 95):.1f}"),
            ("answers per second", f"{len(lat) / stats['wall']:.1f}"),
            ("wall time of the timed phase (s)", f"{stats['wall']:.1f}"),
            ("server CPU time, timed phase (s)", f"{stats['cpu']:.1f}"),
            (
                "server CPU per answer, connects included (ms)",
                f"{stats['cpu'] / max(1, len(lat)) * 1000:.1f}",
            ),
            ("server CPU use (of one core)", f"{stats['cpu'] / stats['wall'] * 100:.0f} %"),
            (
                "first (cold) answer, untimed warm-up (ms)",
                f"{stats['warmup'][0] * 1000 if stats['warmup'] else float('nan'):.0f}",
            ),
            (
                "load average (1 min) start / end",
                f"{stats['load_start']:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            ),
            ("target", "0 errors, p95 <= 200 ms"),
        ]
        width = max(len(r[0]) for r in rows)
        print("\nassistant_chat — WebSocket conversations on one uvicorn process")
        print("-" * (width + 36))
        for name, value in rows:
            print(f"{name:<{width}}  {value:>32}")
        if stats["errors"]:
            print("\nfirst errors:", *sorted(set(stats["errors"]))[:5], sep="\n  ")
            log = (Path(tmp) / "server.log").read_text(errors="replace").splitlines()
            problems = [line for line in log if "Error" in line or "Exception" in line]
            print("server log, last problems:", *problems[-8:], sep="\n  ")
        if lat:
            print(f"\nmean {statistics.fmean(lat) * 1000:.1f} ms over {len(lat)} answers")
        met = not stats["errors"] and lat and pct(lat, 95) <= 200 and len(lat) == asked
        print("target met" if met else "TARGET NOT MET")


if __name__ == "__main__":
    main()
