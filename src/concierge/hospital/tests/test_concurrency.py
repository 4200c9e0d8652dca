"""Two people never hold or occupy the same bed: many concurrent requests for the last free
beds give exactly one hold per bed — on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row locks,
SKIP LOCKED)."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from concierge.hospital import services
from concierge.hospital.models import BedMovement, BedStatus, Booking, Stay, WardKind
from concierge.hospital.tests.factories import (
    BedFactory,
    HospitalFactory,
    UserFactory,
    WardFactory,
    booking_kwargs,
    staff_of,
)


def _race(n_requests: int, n_beds: int):
    hospital = HospitalFactory()
    ward = WardFactory(organisation=hospital, kind=WardKind.ICU)
    beds = BedFactory.create_batch(n_beds, ward=ward)
    users = UserFactory.create_batch(n_requests)
    barrier = threading.Barrier(n_requests)
    errors: list[BaseException] = []

    def book(user):
        try:
            barrier.wait(timeout=30)
            services.request_bed(
                user=user, organisation=hospital, **booking_kwargs(ward_kind=WardKind.ICU)
            )
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return hospital, beds, errors


def _assert_one_hold_per_bed(beds, n_requests: int, errors) -> None:
    assert errors == []
    statuses = Counter(Booking.objects.values_list("status", flat=True))
    assert statuses == {"held": len(beds), "waiting": n_requests - len(beds)}
    held_beds = list(Booking.objects.filter(status="held").values_list("bed_id", flat=True))
    assert sorted(held_beds) == sorted(b.pk for b in beds)  # each bed exactly once
    for bed in beds:
        bed.refresh_from_db()
        assert bed.status == BedStatus.RESERVED
        assert bed.movements.filter(kind=BedMovement.Kind.HOLD).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_booking_of_the_last_free_beds_sqlite_or_any():
    hospital, beds, errors = _race(n_requests=16, n_beds=3)
    _assert_one_hold_per_bed(beds, 16, errors)


@pytest.mark.django_db(transaction=True)
def test_concurrent_admissions_into_one_bed_give_one_stay():
    hospital = HospitalFactory()
    bed = BedFactory(ward=WardFactory(organisation=hospital))
    nurses = [staff_of(hospital) for _ in range(6)]
    barrier = threading.Barrier(len(nurses))
    outcomes: list[str] = []

    def admit(nurse, i):
        try:
            barrier.wait(timeout=30)
            services.admit(
                user=nurse,
                bed=bed,
                patient_name=f"Patient {i}",
                patient_age=40,
                patient_sex="F",
                reason="x",
            )
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=admit, args=(n, i)) for i, n in enumerate(nurses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(outcomes) == {"ok": 1, "ValidationError": 5}
    assert Stay.objects.filter(bed=bed, discharged_at__isnull=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_booking_with_postgres_row_locks():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    hospital, beds, errors = _race(n_requests=40, n_beds=5)
    _assert_one_hold_per_bed(beds, 40, errors)
