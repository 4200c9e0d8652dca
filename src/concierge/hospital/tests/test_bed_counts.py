"""The kept bed counts (per ward × feature) the public dashboard reads: right after every
transition, untouched by refused ones, rebuildable, and the cached dashboard shows a change at
once — without reading the beds or the movements."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from concierge.hospital import selectors, services
from concierge.hospital.models import ALL_BEDS, Bed, BedCount, BedStatus, Booking, WardKind
from concierge.hospital.tests.factories import (
    HospitalFactory,
    UserFactory,
    WardFactory,
    booking_kwargs,
    staff_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital():
    return HospitalFactory(city="Chennai", district="Chennai")


@pytest.fixture
def nurse(hospital):
    return staff_of(hospital)


@pytest.fixture
def manager(hospital):
    return staff_of(hospital, role="manager")


@pytest.fixture
def family():
    return UserFactory()


@pytest.fixture
def icu(hospital, manager):
    """An ICU made through the services: two ventilator beds with oxygen, one plain bed."""
    ward = services.create_ward(user=manager, organisation=hospital, name="ICU", kind=WardKind.ICU)
    for label in ("V1", "V2"):
        services.add_bed(user=manager, ward=ward, label=label, features=["ventilator", "oxygen"])
    services.add_bed(user=manager, ward=ward, label="P1")
    return ward


@pytest.fixture
def general(hospital, manager):
    ward = services.create_ward(
        user=manager, organisation=hospital, name="General", kind=WardKind.GENERAL
    )
    services.add_bed(user=manager, ward=ward, label="G1", features=["oxygen"])
    return ward


def kept(ward, feature=ALL_BEDS) -> dict[str, int]:
    row = BedCount.objects.get(ward=ward, feature=feature)
    return {s: getattr(row, s) for s in BedStatus.values if getattr(row, s)}


def assert_counts_match_beds():
    """Every kept row equals a fresh count of the beds (all beds and each feature)."""
    assert services.rebuild_bed_counts(check_only=True) == []


def bed(ward, label) -> Bed:
    return Bed.objects.get(ward=ward, label=label)


def test_new_ward_and_beds_are_counted_per_feature(icu):
    assert kept(icu) == {"free": 3}
    assert kept(icu, "ventilator") == {"free": 2}
    assert kept(icu, "oxygen") == {"free": 2}
    assert kept(icu, "isolation") == {}
    assert_counts_match_beds()


def test_hold_admit_discharge_clean_each_move_one_count(hospital, icu, nurse, family):
    booking = services.request_bed(
        user=family,
        organisation=hospital,
        **booking_kwargs(ward_kind=WardKind.ICU, feature="ventilator"),
    )
    assert kept(icu) == {"free": 2, "reserved": 1}
    assert kept(icu, "ventilator") == {"free": 1, "reserved": 1}
    assert_counts_match_beds()

    stay = services.admit(user=nurse, booking=booking)
    assert kept(icu, "ventilator") == {"free": 1, "occupied": 1}
    assert_counts_match_beds()

    services.discharge(user=nurse, stay=stay)
    assert kept(icu, "ventilator") == {"free": 1, "housekeeping": 1}
    assert kept(icu, "oxygen") == {"free": 1, "housekeeping": 1}
    assert_counts_match_beds()

    services.mark_cleaned(user=nurse, bed=stay.bed)
    assert kept(icu) == {"free": 3}
    assert_counts_match_beds()


def test_release_by_cancel_decline_and_expiry(hospital, icu, nurse, family):
    kwargs = booking_kwargs(ward_kind=WardKind.ICU)
    first = services.request_bed(user=family, organisation=hospital, **kwargs)
    second = services.request_bed(user=family, organisation=hospital, **kwargs)
    third = services.request_bed(user=family, organisation=hospital, **kwargs)
    assert kept(icu) == {"reserved": 3}
    services.cancel_booking(user=family, booking=first)
    assert kept(icu) == {"free": 1, "reserved": 2}
    services.decline_booking(user=nurse, booking=second, reason="no staff tonight")
    assert kept(icu) == {"free": 2, "reserved": 1}
    Booking.objects.filter(pk=third.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    assert services.expire_holds() == 1
    assert kept(icu) == {"free": 3}
    assert_counts_match_beds()


def test_freed_bed_offered_to_waiting_list_stays_counted(hospital, icu, nurse, family):
    kwargs = booking_kwargs(ward_kind=WardKind.ICU)
    holds = [services.request_bed(user=family, organisation=hospital, **kwargs) for _ in range(3)]
    waiting = services.request_bed(user=family, organisation=hospital, **kwargs)
    assert waiting.status == Booking.Status.WAITING
    services.cancel_booking(user=family, booking=holds[0])  # bed freed → offered → held again
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.HELD
    assert kept(icu) == {"reserved": 3}
    assert_counts_match_beds()


def test_walk_in_transfer_block_unblock(hospital, icu, general, nurse):
    stay = services.admit(
        user=nurse,
        bed=bed(icu, "V1"),
        patient_name="Arun Prakash",
        patient_age=58,
        patient_sex="M",
        reason="Respiratory failure",
    )
    assert kept(icu, "ventilator") == {"free": 1, "occupied": 1}
    services.transfer(user=nurse, stay=stay, to_bed=bed(general, "G1"))
    assert kept(icu, "ventilator") == {"free": 1, "housekeeping": 1}
    assert kept(general) == {"occupied": 1}
    assert kept(general, "oxygen") == {"occupied": 1}
    assert kept(general, "ventilator") == {}
    services.block_bed(user=nurse, bed=bed(icu, "P1"), reason="monitor broken")
    assert kept(icu) == {"free": 1, "housekeeping": 1, "blocked": 1}
    assert kept(icu, "ventilator") == {"free": 1, "housekeeping": 1}  # P1 has no ventilator
    services.unblock_bed(user=nurse, bed=bed(icu, "P1"))
    assert kept(icu) == {"free": 2, "housekeeping": 1}
    services.block_bed(
        user=nurse, bed=bed(icu, "V1"), reason="deep clean"
    )  # housekeeping → blocked
    assert kept(icu, "ventilator") == {"free": 1, "blocked": 1}
    assert_counts_match_beds()


def test_refused_transitions_leave_counts_alone(hospital, icu, nurse, family):
    before = {f: kept(icu, f) for f in ("", "ventilator", "oxygen")}
    with pytest.raises(ValidationError):
        services.mark_cleaned(user=nurse, bed=bed(icu, "V1"))  # free bed is not in housekeeping
    with pytest.raises(ValidationError):
        services.discharge_bed(user=nurse, bed=bed(icu, "V1"))  # nobody in a free bed
    with pytest.raises(ValidationError):
        services.unblock_bed(user=nurse, bed=bed(icu, "V2"))
    services.block_bed(user=nurse, bed=bed(icu, "P1"), reason="repair")
    with pytest.raises(ValidationError):
        services.admit(
            user=nurse,
            bed=bed(icu, "P1"),
            patient_name="A B",
            patient_age=30,
            patient_sex="F",
            reason="x",
        )
    assert {f: kept(icu, f) for f in ("ventilator", "oxygen")} == {
        "ventilator": before["ventilator"],
        "oxygen": before["oxygen"],
    }
    assert kept(icu) == {"free": 2, "blocked": 1}
    assert_counts_match_beds()


def test_rebuild_finds_and_fixes_drift_and_command_checks(icu, capsys):
    BedCount.objects.filter(ward=icu, feature="ventilator").update(free=7)
    Bed.objects.filter(ward=icu, label="P1").update(status=BedStatus.BLOCKED)  # outside services
    with pytest.raises(CommandError):
        call_command("hospital_bed_counts", "--check")
    assert "beds say" in capsys.readouterr().out
    drift = services.rebuild_bed_counts(check_only=True)
    assert {(d.feature, d.kept["free"], d.actual["free"]) for d in drift} == {
        ("ventilator", 7, 2),
        ("", 3, 2),
    }
    call_command("hospital_bed_counts")
    assert kept(icu) == {"free": 2, "blocked": 1}
    assert kept(icu, "ventilator") == {"free": 2}
    call_command("hospital_bed_counts", "--check")  # no error now


def test_ward_made_outside_services_gets_its_rows_on_first_change(hospital, nurse):
    ward = WardFactory(organisation=hospital, kind=WardKind.HDU)  # no kept rows yet
    Bed.objects.create(organisation=hospital, ward=ward, label="H1", has_oxygen=True)
    services.block_bed(user=nurse, bed=Bed.objects.get(label="H1"), reason="repair")
    assert kept(ward) == {"blocked": 1}
    assert kept(ward, "oxygen") == {"blocked": 1}
    assert_counts_match_beds()


def test_dashboard_reads_kept_counts_never_beds_or_movements(hospital, icu, general):
    with CaptureQueriesContext(connection) as ctx:
        for feature in ("", "ventilator"):
            rows = selectors.availability(feature=feature, city="Chennai", use_cache=False)
    queries = [q["sql"] for q in ctx.captured_queries]
    assert any('FROM "hospital_bedcount"' in q for q in queries)
    assert not any("hospital_bedmovement" in q for q in queries)
    # Beds are joined only by the forecast over open stays (cached for a minute), never counted.
    assert all('FROM "hospital_stay"' in q for q in queries if '"hospital_bed" ' in q)
    (row,) = rows
    assert [(w.kind, w.free, w.total) for w in row.wards] == [("icu", 2, 2)]


def test_cached_dashboard_shows_a_change_at_once(client, hospital, icu, nurse):
    url = reverse("hospital:index")
    first = client.get(url, {"feature": "ventilator"}, headers={"HX-Request": "true"})
    assert 'data-count="free">2<' in first.content.decode()
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url, {"feature": "ventilator"}, headers={"HX-Request": "true"})
    assert again.content == first.content
    assert not any('"hospital_bedcount"."free"' in q["sql"] for q in ctx.captured_queries)
    # The change is made as another process would: nothing tells this process's cache.
    services.block_bed(user=nurse, bed=bed(icu, "V1"), reason="repair")
    after = client.get(url, {"feature": "ventilator"}, headers={"HX-Request": "true"})
    assert 'data-count="free">1<' in after.content.decode()
    api = client.get("/api/hospital/availability", {"feature": "ventilator"}).json()
    assert api[0]["free"] == 1


def test_counts_version_moves_with_every_change_and_rebuild(icu, nurse):
    v0 = selectors.counts_version()
    services.block_bed(user=nurse, bed=bed(icu, "V1"), reason="repair")
    v1 = selectors.counts_version()
    assert v1 > v0
    BedCount.objects.filter(ward=icu, feature=ALL_BEDS).update(free=0)
    services.rebuild_bed_counts()
    assert selectors.counts_version() > v1
    cache.clear()


def test_tomorrow_forecast_follows_the_feature_filter(hospital, icu, nurse):
    """Found looking at the page: with "ventilator" chosen, tomorrow's figure counted every
    ICU patient, more beds than the filter shows."""
    soon = timezone.now() + timedelta(hours=20)
    for label in ("P1", "V1"):
        services.admit(
            user=nurse,
            bed=bed(icu, label),
            patient_name="Asha Rao",
            patient_age=40,
            patient_sex="F",
            reason="Observation",
            expected_discharge=soon,
        )
    (every,) = selectors.availability(use_cache=False)
    (ventilator,) = selectors.availability(feature="ventilator", use_cache=False)
    assert every.expected_free_tomorrow == 2
    assert ventilator.expected_free_tomorrow == 1
