"""Bed lifecycle: every transition, every forbidden one, holds, the waiting list, movements."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from concierge.hospital import selectors, services
from concierge.hospital.models import BedMovement, BedStatus, Booking, Stay, Urgency, WardKind
from concierge.hospital.tests.factories import (
    BedFactory,
    HospitalFactory,
    UserFactory,
    WardFactory,
    booking_kwargs,
    staff_of,
)
from concierge.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital():
    return HospitalFactory()


@pytest.fixture
def ward(hospital):
    return WardFactory(organisation=hospital, kind=WardKind.GENERAL)


@pytest.fixture
def nurse(hospital):
    return staff_of(hospital)


@pytest.fixture
def family():
    return UserFactory()


def events(user):
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("event", flat=True)
    )


def statuses(bed):
    return list(bed.movements.order_by("at", "pk").values_list("from_status", "to_status"))


def test_full_journey_hold_confirm_admit_discharge_clean(hospital, ward, nurse, family):
    bed = BedFactory(ward=ward)
    booking = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    bed.refresh_from_db()
    assert booking.status == Booking.Status.HELD and booking.bed == bed
    assert bed.status == BedStatus.RESERVED
    assert booking.held_until > timezone.now() + timedelta(hours=3, minutes=59)

    services.confirm_booking(user=nurse, booking=booking)
    stay = services.admit(user=nurse, booking=booking)
    bed.refresh_from_db()
    booking.refresh_from_db()
    assert bed.status == BedStatus.OCCUPIED and booking.status == Booking.Status.ADMITTED
    assert stay.requester == family and stay.patient_name == "Lakshmi Devi"

    services.discharge(user=nurse, stay=stay)
    bed.refresh_from_db()
    assert bed.status == BedStatus.HOUSEKEEPING
    services.mark_cleaned(user=nurse, bed=bed)
    bed.refresh_from_db()
    assert bed.status == BedStatus.FREE
    assert statuses(bed) == [
        ("free", "reserved"),
        ("reserved", "occupied"),
        ("occupied", "housekeeping"),
        ("housekeeping", "free"),
    ]
    assert events(family) == [
        "hospital.bed_held",
        "hospital.booking_confirmed",
        "hospital.admitted",
        "hospital.review_request",
    ]


def test_walk_in_admit_transfer_and_bed_history(hospital, ward, nurse):
    icu = WardFactory(organisation=hospital, kind=WardKind.ICU)
    bed, icu_bed = BedFactory(ward=ward), BedFactory(ward=icu)
    stay = services.admit(
        user=nurse,
        bed=bed,
        patient_name="Ravi S",
        patient_age=40,
        patient_sex="M",
        reason="Fracture",
    )
    services.transfer(user=nurse, stay=stay, to_bed=icu_bed, reason="deteriorating")
    bed.refresh_from_db()
    icu_bed.refresh_from_db()
    stay.refresh_from_db()
    assert (bed.status, icu_bed.status, stay.bed) == ("housekeeping", "occupied", icu_bed)
    history = selectors.stay_bed_history(stay=stay)
    assert [m.bed for m in history] == [bed, icu_bed]


@pytest.mark.parametrize(
    "status, action, message",
    [
        ("free", "discharge_bed", "only an occupied bed"),
        ("free", "mark_cleaned", "Only a bed in housekeeping"),
        ("occupied", "mark_cleaned", "Only a bed in housekeeping"),
        ("occupied", "block_bed", "only a free bed or one in housekeeping"),
        ("reserved", "block_bed", "only a free bed or one in housekeeping"),
        ("blocked", "mark_cleaned", "Only a bed in housekeeping"),
        ("free", "unblock_bed", "is not blocked"),
        ("housekeeping", "discharge_bed", "only an occupied bed"),
    ],
)
def test_forbidden_bed_transitions_are_clear_errors(ward, nurse, status, action, message):
    bed = BedFactory(ward=ward, status=status)
    kwargs = {"reason": "broken rail"} if action == "block_bed" else {}
    with pytest.raises(ValidationError, match=message):
        getattr(services, action)(user=nurse, bed=bed, **kwargs)
    bed.refresh_from_db()
    assert bed.status == status
    assert not bed.movements.exists()


def test_booking_a_blocked_bed_is_impossible(hospital, ward, nurse, family):
    bed = BedFactory(ward=ward)
    services.block_bed(user=nurse, bed=bed, reason="oxygen line repair")
    booking = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    assert booking.status == Booking.Status.WAITING and booking.bed is None
    with pytest.raises(ValidationError, match="Blocked|blocked"):
        services.admit(
            user=nurse, bed=bed, patient_name="A B", patient_age=3, patient_sex="F", reason="x"
        )
    services.unblock_bed(user=nurse, bed=bed)  # frees it: offered to the waiting list
    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD and booking.bed == bed
    assert events(family) == ["hospital.waitlisted", "hospital.bed_offered"]


def test_walk_in_into_a_reserved_bed_is_refused(hospital, ward, nurse, family):
    bed = BedFactory(ward=ward)
    services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    with pytest.raises(ValidationError, match="held for a booking"):
        services.admit(
            user=nurse, bed=bed, patient_name="A B", patient_age=30, patient_sex="F", reason="x"
        )


def test_hold_expires_frees_bed_and_tells_requester(hospital, ward, family):
    bed = BedFactory(ward=ward)
    booking = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    assert services.expire_holds() == 0
    assert services.expire_holds(now=timezone.now() + timedelta(hours=4, minutes=1)) == 1
    booking.refresh_from_db()
    bed.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED and bed.status == BedStatus.FREE
    assert events(family)[-1] == "hospital.hold_expired"
    assert statuses(bed)[-1] == ("reserved", "free")


def test_expired_hold_goes_to_the_next_in_the_queue(hospital, ward, family):
    bed = BedFactory(ward=ward)
    first = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    other = UserFactory()
    second = services.request_bed(user=other, organisation=hospital, **booking_kwargs())
    assert second.status == Booking.Status.WAITING
    Booking.objects.filter(pk=first.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    assert services.expire_due_holds() == 1
    second.refresh_from_db()
    assert second.status == Booking.Status.HELD and second.bed == bed
    assert events(other) == ["hospital.waitlisted", "hospital.bed_offered"]


def test_waiting_list_orders_by_urgency_then_time(hospital, ward, nurse):
    bed = BedFactory(ward=ward, status=BedStatus.HOUSEKEEPING)
    users = [UserFactory() for _ in range(3)]
    routine = services.request_bed(
        user=users[0], organisation=hospital, **booking_kwargs(urgency=Urgency.ROUTINE)
    )
    urgent_early = services.request_bed(
        user=users[1], organisation=hospital, **booking_kwargs(urgency=Urgency.URGENT)
    )
    urgent_late = services.request_bed(
        user=users[2], organisation=hospital, **booking_kwargs(urgency=Urgency.URGENT)
    )
    assert list(selectors.waiting_list(hospital=hospital)) == [urgent_early, urgent_late, routine]
    assert selectors.queue_position(booking=routine) == 3
    services.mark_cleaned(user=nurse, bed=bed)
    urgent_early.refresh_from_db()
    assert urgent_early.status == Booking.Status.HELD
    assert list(selectors.waiting_list(hospital=hospital)) == [urgent_late, routine]


def test_feature_requests_only_match_beds_with_the_feature(hospital, ward, nurse, family):
    plain = BedFactory(ward=ward)
    oxygen = BedFactory(ward=ward, has_oxygen=True, status=BedStatus.HOUSEKEEPING)
    booking = services.request_bed(
        user=family, organisation=hospital, **booking_kwargs(feature="oxygen")
    )
    assert booking.status == Booking.Status.WAITING  # the plain free bed does not do
    services.mark_cleaned(user=nurse, bed=oxygen)
    booking.refresh_from_db()
    plain.refresh_from_db()
    assert booking.bed == oxygen and plain.status == BedStatus.FREE


def test_decline_needs_reason_releases_bed_and_notifies(hospital, ward, nurse, family):
    bed = BedFactory(ward=ward)
    booking = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    with pytest.raises(ValidationError):
        services.decline_booking(user=nurse, booking=booking, reason=" ")
    services.decline_booking(user=nurse, booking=booking, reason="Needs a cardiac ICU")
    booking.refresh_from_db()
    bed.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED and bed.status == BedStatus.FREE
    assert booking.decision_reason == "Needs a cardiac ICU"
    assert events(family)[-1] == "hospital.booking_declined"
    with pytest.raises(ValidationError, match="Only a booking with a held bed"):
        services.confirm_booking(user=nurse, booking=booking)


def test_requester_cancels_and_bed_is_free(hospital, ward, family):
    bed = BedFactory(ward=ward)
    booking = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    services.cancel_booking(user=family, booking=booking)
    bed.refresh_from_db()
    assert bed.status == BedStatus.FREE


def test_strangers_cannot_operate(hospital, ward, family):
    bed = BedFactory(ward=ward, status=BedStatus.HOUSEKEEPING)
    booking = services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        services.mark_cleaned(user=stranger, bed=bed)
    with pytest.raises(PermissionDenied):
        services.confirm_booking(user=family, booking=booking)  # requester is not staff
    with pytest.raises(PermissionDenied):
        services.cancel_booking(user=stranger, booking=booking)
    other_hospital_staff = staff_of(HospitalFactory())
    with pytest.raises(PermissionDenied):
        services.mark_cleaned(user=other_hospital_staff, bed=bed)


def test_bad_booking_input_is_a_field_error_and_writes_nothing(hospital, ward, family):
    BedFactory(ward=ward)
    with pytest.raises(ValidationError) as exc:
        services.request_bed(
            user=family,
            organisation=hospital,
            **booking_kwargs(patient_age=300, patient_name=" ", ward_kind="spa"),
        )
    assert set(exc.value.message_dict) == {"patient_age", "patient_name", "ward_kind"}
    assert not Booking.objects.exists()


def test_private_hospital_cannot_be_booked_by_outsiders(ward, family):
    private = HospitalFactory(is_public=False)
    with pytest.raises(PermissionDenied):
        services.request_bed(user=family, organisation=private, **booking_kwargs())


def test_movements_are_append_only(ward, nurse):
    bed = BedFactory(ward=ward)
    services.block_bed(user=nurse, bed=bed, reason="leak")
    movement = BedMovement.objects.get()
    movement.reason = "changed"
    with pytest.raises(ValidationError):
        movement.save()
    with pytest.raises(ValidationError):
        movement.delete()
    assert movement.actor == nurse and movement.to_status == "blocked"


def test_staff_expected_discharge_wins_and_overdue_flag(ward, nurse):
    bed = BedFactory(ward=ward)
    stay = services.admit(
        user=nurse,
        bed=bed,
        patient_name="Meena K",
        patient_age=70,
        patient_sex="F",
        reason="Stroke",
        at=timezone.now() - timedelta(days=10),
    )
    Stay.objects.filter(pk=stay.pk).update(
        predicted_discharge_at=stay.admitted_at + timedelta(days=4),
        predicted_low_at=stay.admitted_at + timedelta(days=2),
        predicted_high_at=stay.admitted_at + timedelta(days=6),
    )
    stay.refresh_from_db()
    assert stay.is_overdue
    when = timezone.now() + timedelta(days=2)
    stay = services.set_expected_discharge(user=nurse, stay=stay, when=when)
    assert stay.expected_discharge_at == when and not stay.is_overdue
    with pytest.raises(ValidationError):
        services.set_expected_discharge(
            user=nurse, stay=stay, when=stay.admitted_at - timedelta(days=1)
        )


def test_discharge_twice_is_refused(ward, nurse):
    bed = BedFactory(ward=ward)
    stay = services.admit(
        user=nurse, bed=bed, patient_name="X Y", patient_age=5, patient_sex="M", reason="Asthma"
    )
    services.discharge(user=nurse, stay=stay)
    with pytest.raises(ValidationError, match="already been discharged"):
        services.discharge(user=nurse, stay=stay)


def test_transfer_to_an_occupied_bed_is_refused(ward, nurse):
    a, b = BedFactory(ward=ward), BedFactory(ward=ward)
    stay = services.admit(
        user=nurse, bed=a, patient_name="X Y", patient_age=5, patient_sex="M", reason="Asthma"
    )
    services.admit(
        user=nurse, bed=b, patient_name="P Q", patient_age=50, patient_sex="F", reason="Fever"
    )
    with pytest.raises(ValidationError, match="not free"):
        services.transfer(user=nurse, stay=stay, to_bed=b)
    a.refresh_from_db()
    assert a.status == BedStatus.OCCUPIED


def test_deleting_a_hospital_with_history_is_refused_not_cascaded(hospital, ward, family):
    """Bookings and bed movements are history: the hospital cannot be deleted under them."""
    from django.db.models.deletion import ProtectedError

    from concierge.hospital.models import BedMovement

    BedFactory(ward=ward)
    services.request_bed(user=family, organisation=hospital, **booking_kwargs())
    assert BedMovement.objects.filter(organisation=hospital).exists()
    with pytest.raises(ProtectedError):
        hospital.delete()
    assert Booking.objects.filter(organisation=hospital).count() == 1
