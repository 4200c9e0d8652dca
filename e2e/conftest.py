"""Browser journeys: a real server (uvicorn + task worker) on a fresh SQLite database with the
demo data, driven by Playwright in Debian's Chromium. Screenshots go to e2e/artifacts/."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, base_dir: Path):
        self.base_dir = base_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_dir = base_dir / "mail"
        self.env = {
            **os.environ,
            "CONCIERGE_VAR_DIR": str(base_dir),
            "DATABASE_URL": f"sqlite:///{base_dir / 'e2e.sqlite3'}",
            "EMAIL_URL": f"file://{self.mail_dir}",
            "SITE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO / "src"),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env.pop("REDIS_URL", None)
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput")
        self.manage("compilemessages", "--ignore=.venv")
        self.manage("seed_demo")
        log = open(self.base_dir / "server.log", "w")  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "concierge.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        self.processes.append(
            subprocess.Popen(
                [sys.executable, str(REPO / "manage.py"), "db_worker", "--interval", "0.2"],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the e2e server did not start; see server.log")

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def mails_to(self, address: str, timeout: float = 60) -> list[str]:
        """Decoded texts ("Subject: …" + plain body) of every message written to the mail
        folder for `address`, oldest first (waits for the task worker to send them)."""
        deadline = time.time() + timeout
        while True:
            found = []
            if self.mail_dir.is_dir():
                for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
                    raw = path.read_bytes()
                    for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
                        if not chunk.strip():
                            continue
                        message = email.message_from_bytes(chunk, policy=email.policy.default)
                        if address.lower() not in str(message.get("To", "")).lower():
                            continue
                        body = message.get_body(preferencelist=("plain", "html"))
                        text = body.get_content() if body is not None else ""
                        found.append(f"Subject: {message.get('Subject', '')}\n\n{text}")
            if found or time.time() > deadline:
                return found
            time.sleep(0.3)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("e2e"))
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, server):
    """A factory for more browsers (two agents, a visitor and an agent…)."""
    contexts = []

    def make(**kwargs):
        context = browser.new_context(
            base_url=server.url, viewport=kwargs.pop("viewport", {"width": 1280, "height": 900})
        )
        contexts.append(context)
        p = context.new_page()
        p.set_default_timeout(30_000)
        return p

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """shot(page, "step-name") writes e2e/artifacts/<test>/<NN>-<step>.png."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
