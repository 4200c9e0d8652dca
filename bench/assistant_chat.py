"""Many WebSocket conversations on one server process.

Starts uvicorn on loopback with a fresh SQLite database and the demo data (Acme's 25 answers in
three languages), opens N concurrent chats with the `websockets` client, and has each visitor
ask a few questions (English, Hindi, Tamil, romanised Hindi, some out of scope) with a short
think time between them, like people typing. Measures, per answer, the time from sending the
question to receiving the bot's reply.

    .venv/bin/python bench/assistant_chat.py            # 300 conversations x 3 questions
    .venv/bin/python bench/assistant_chat.py --quick    # 50 x 2
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "EMAIL_URL": "locmem://",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(REPO / "src"),
        # every simulated visitor comes from 127.0.0.1: lift the per-address limits
        "ASSISTANT_RATE_PER_IP": "1000000",
        "ASSISTANT_STARTS_PER_IP": "1000000",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(REPO / "manage.py")]
    for args in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--only", "assistant"]):
        subprocess.run(manage + args, env=env, cwd=REPO, check=True, capture_output=True)
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
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
            "--ws-max-queue",
            "64",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("server did not start; see server.log")


async def visitor(
    url: str,
    n_questions: int,
    rng: random.Random,
    stats: dict,
    think: tuple[float, float] = (1.0, 3.0),
) -> None:
    import websockets

    headers = {"Origin": url.replace("ws://", "http://").split("/ws/")[0]}
    try:
        t0 = time.perf_counter()
        async with websockets.connect(
            url, additional_headers=headers, open_timeout=60, max_size=2**20
        ) as ws:
            await ws.send(json.dumps({"type": "start", "language": rng.choice(["en", "hi", "ta"])}))
            while json.loads(await asyncio.wait_for(ws.recv(), 60)).get("kind") != "hello":
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
    except Exception as exc:  # counted, never hidden
        stats["errors"].append(f"{type(exc).__name__}: {exc}")


async def run(port: int, conversations: int, questions: int) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/assistant/acme-support/"
    # A running server is warm: load the engine, the language model and the answer texts
    # with a few untimed questions first (a cold process takes seconds for its first answer).
    warm: dict = {"latency": [], "connect": [], "errors": []}
    await asyncio.gather(
        *(visitor(url, 2, random.Random(i), warm, think=(0.0, 0.1)) for i in range(3))
    )
    stats: dict = {"latency": [], "connect": [], "errors": [], "warmup_ms": warm["latency"]}
    rng = random.Random(42)
    started = time.perf_counter()
    tasks = []
    for i in range(conversations):
        tasks.append(
            asyncio.create_task(visitor(url, questions, random.Random(rng.random()), stats))
        )
        if i % 50 == 49:
            await asyncio.sleep(0.2)  # people do not all arrive in the same millisecond
    await asyncio.gather(*tasks)
    stats["wall"] = time.perf_counter() - started
    return stats


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 conversations x 2 questions")
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    conversations = 50 if args.quick else args.conversations
    questions = 2 if args.quick else args.questions

    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        port = free_port()
        print(f"starting server (fresh database, demo data) on 127.0.0.1:{port} …", flush=True)
        proc = start_server(Path(tmp), port)
        try:
            stats = asyncio.run(run(port, conversations, questions))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        lat, con = stats["latency"], stats["connect"]
        rows = [
            ("concurrent conversations", f"{conversations}"),
            ("questions answered", f"{len(lat)} of {conversations * questions}"),
            ("errors", f"{len(stats['errors'])}"),
            ("answer latency p50 (ms)", f"{pct(lat, 50):.1f}"),
            ("answer latency p95 (ms)", f"{pct(lat, 95):.1f}"),
            ("answer latency p99 (ms)", f"{pct(lat, 99):.1f}"),
            ("answer latency max (ms)", f"{max(lat) * 1000 if lat else float('nan'):.1f}"),
            ("connect + greeting p95 (ms)", f"{pct(con, 95):.1f}"),
            ("answers per second", f"{len(lat) / stats['wall']:.1f}"),
            ("wall time (s)", f"{stats['wall']:.1f}"),
            (
                "first (cold) answer, untimed warm-up (ms)",
                f"{stats['warmup_ms'][0] * 1000 if stats['warmup_ms'] else float('nan'):.0f}",
            ),
            (
                "load average at the end (1 min)",
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            ),
            ("target", "0 errors, p95 <= 200 ms"),
        ]
        width = max(len(r[0]) for r in rows)
        print("\nassistant_chat — WebSocket conversations on one uvicorn process")
        print("-" * (width + 16))
        for name, value in rows:
            print(f"{name:<{width}}  {value:>12}")
        if stats["errors"]:
            print("\nfirst errors:", *sorted(set(stats["errors"]))[:5], sep="\n  ")
        if lat:
            print(f"\nmean {statistics.fmean(lat) * 1000:.1f} ms over {len(lat)} answers")


if __name__ == "__main__":
    main()
