"""A bed change made by the task worker reaches a dashboard socket served by another process —
through Redis, the channel layer that spans processes. Runs when Redis answers; skipped
otherwise (the in-memory layer cannot cross processes; the dashboard's polling covers that, and
its cache is keyed by the database, so the next poll shows the change)."""

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from channels.layers import channel_layers
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from concierge.hospital import services
from concierge.hospital.models import Booking, WardKind
from concierge.hospital.tests.factories import (
    BedFactory,
    HospitalFactory,
    UserFactory,
    WardFactory,
    booking_kwargs,
)

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[3]

# The "web process": the real dashboard consumer behind the real ASGI router, on the Redis
# channel layer, in a Python process of its own. It prints "ready" once its socket is
# connected, then the first push it receives as JSON.
LISTENER = """
import asyncio, json, django
django.setup()
from channels.testing import WebsocketCommunicator
from concierge.asgi import application

async def main():
    socket = WebsocketCommunicator(
        application, "/ws/hospital/beds/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await socket.connect(timeout=30)
    assert connected
    print("ready", flush=True)
    print(json.dumps(await socket.receive_json_from(timeout=60)), flush=True)
    await socket.disconnect()

asyncio.run(main())
"""


def redis_url() -> str | None:
    """The Redis the suite may use — $REDIS_URL, else the local default — if it answers."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


@pytest.fixture
def redis_layer():
    url = redis_url()
    if url is None:
        pytest.skip("Redis does not answer: the cross-process push needs it")
    prefix = f"test-hospital-{uuid.uuid4().hex[:8]}"  # nobody else hears these messages
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix},
        }
    }
    channel_layers.backends.clear()
    with override_settings(CHANNEL_LAYERS=layers):
        yield url, prefix
    channel_layers.backends.clear()


def start_listener(url: str, prefix: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "concierge.settings",
        "REDIS_URL": url,
        "CACHE_PREFIX": prefix,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    listener = subprocess.Popen(
        [sys.executable, "-c", LISTENER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = listener.stdout.readline().strip()
    if line != "ready":
        listener.kill()
        pytest.fail(f"the listener did not connect: {line!r} {listener.stderr.read()[-800:]}")
    return listener


def test_hold_expired_by_the_worker_reaches_a_socket_in_another_process(
    redis_layer, django_capture_on_commit_callbacks
):
    url, prefix = redis_layer
    hospital = HospitalFactory()
    BedFactory(ward=WardFactory(organisation=hospital, kind=WardKind.ICU))
    booking = services.request_bed(
        user=UserFactory(), organisation=hospital, **booking_kwargs(ward_kind=WardKind.ICU)
    )
    Booking.objects.filter(pk=booking.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    listener = start_listener(url, prefix)
    try:
        # What the task worker runs every minute (tasks.expire_bed_holds → this service); the
        # push goes out when its transaction commits.
        with django_capture_on_commit_callbacks(execute=True):
            assert services.expire_holds() == 1
        out, err = listener.communicate(timeout=60)
    finally:
        listener.kill()
    push = json.loads(out.strip().splitlines()[-1])
    assert push["kind"] == "beds"
    assert push["hospital"] == hospital.pk and push["ward_kind"] == WardKind.ICU
    assert "patient" not in json.dumps(push).lower()  # counts only, never patient data


def test_without_push_the_next_poll_shows_a_worker_change(client):
    """In-memory layer: the worker's change is not pushed to this process, but the dashboard's
    cache is keyed by the kept counts in the database, so the next htmx poll shows it."""
    hospital = HospitalFactory(name="Poll Hospital")
    BedFactory(ward=WardFactory(organisation=hospital, kind=WardKind.ICU))
    booking = services.request_bed(
        user=UserFactory(), organisation=hospital, **booking_kwargs(ward_kind=WardKind.ICU)
    )
    url = reverse("hospital:index")
    before = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-count="free">0<' in before
    Booking.objects.filter(pk=booking.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    assert services.expire_holds() == 1
    after = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-count="free">1<' in after
