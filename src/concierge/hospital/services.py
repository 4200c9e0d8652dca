"""Every write of the hospital module: bookings, holds, the waiting list, admit, transfer,
discharge, housekeeping and blocking.

Each bed change goes through `_move()`: the bed row is locked (SELECT … FOR UPDATE on
PostgreSQL; SQLite runs every write transaction as BEGIN IMMEDIATE), the transition is checked
against `ALLOWED_TRANSITIONS`, the bed's current status is updated and one append-only
`BedMovement` row is written — all in the caller's transaction. After commit the public
dashboard is told over its WebSocket group and its cache version moves on.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from concierge.accounts.models import Organisation, Role
from concierge.core.permissions import require
from concierge.core.realtime import broadcast, group_name
from concierge.hospital.models import (
    ALL_BEDS,
    ALLOWED_TRANSITIONS,
    FEATURE_FIELDS,
    Bed,
    BedCount,
    BedMovement,
    BedStatus,
    Booking,
    Feature,
    HospitalRating,
    Sex,
    Stay,
    Urgency,
    Ward,
    WardKind,
)
from concierge.notifications.services import notify

logger = logging.getLogger(__name__)

PUBLIC_GROUP = group_name("hospital", "beds", "public")

Kind = BedMovement.Kind


def hold_duration() -> timedelta:
    """How long a bed is held for a booking (default 4 h; HOSPITAL_HOLD_MINUTES)."""
    minutes = getattr(settings, "HOSPITAL_HOLD_MINUTES", None) or os.environ.get(
        "HOSPITAL_HOLD_MINUTES", "240"
    )
    return timedelta(minutes=int(minutes))


def retry_when_locked(fn):
    """SQLite answers "database is locked" when a writer waits past the busy timeout, and an
    in-memory shared-cache database says "table is locked" at once. The whole transaction is
    then retried with back-off; nothing of the failed attempt was written. Inside an outer
    transaction (or on PostgreSQL, which waits on the row lock) it runs once."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        connection = transaction.get_connection()
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return fn(*args, **kwargs)
        delay = 0.005
        for attempt in range(80):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == 79:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        raise AssertionError("unreachable")

    return wrapper


# --- the one way a bed changes -----------------------------------------------------------------


def _transition_error(bed: Bed, to: str) -> ValidationError:
    here = BedStatus(bed.status).label
    messages = {
        BedStatus.HOUSEKEEPING: _(
            "Bed %(bed)s is %(status)s: only an occupied bed can be discharged or transferred out."
        ),
        BedStatus.FREE: {
            BedStatus.OCCUPIED: _(
                "Bed %(bed)s is occupied: discharge the patient before cleaning or freeing it."
            ),
            BedStatus.FREE: _("Bed %(bed)s is already free."),
        }.get(bed.status, _("Bed %(bed)s is %(status)s and cannot be made free now.")),
        BedStatus.RESERVED: _("Bed %(bed)s is %(status)s: only a free bed can be held."),
        BedStatus.OCCUPIED: _(
            "Bed %(bed)s is %(status)s: only a free or reserved bed can take a patient."
        ),
        BedStatus.BLOCKED: _(
            "Bed %(bed)s is %(status)s: only a free bed or one in housekeeping can be blocked."
        ),
    }
    message = messages.get(to, _("Bed %(bed)s cannot change from %(status)s."))
    return ValidationError(
        message % {"bed": bed.label, "status": str(here).lower()}, code="bad_transition"
    )


def _lock_bed(bed_id: int) -> Bed:
    return (
        Bed.objects.select_for_update(of=("self",))
        .select_related("ward", "organisation")
        .get(pk=bed_id)
    )


def _move(
    bed: Bed,
    *,
    to: str,
    kind: str,
    actor=None,
    stay: Stay | None = None,
    booking: Booking | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> BedMovement:
    """Change one (locked) bed's status and write its movement row."""
    if to not in ALLOWED_TRANSITIONS[BedStatus(bed.status)]:
        raise _transition_error(bed, to)
    at = at or timezone.now()
    movement = BedMovement.objects.create(
        organisation_id=bed.organisation_id,
        bed=bed,
        ward_id=bed.ward_id,
        at=at,
        kind=kind,
        from_status=bed.status,
        to_status=to,
        actor=actor if actor is not None and actor.is_authenticated else None,
        stay=stay,
        booking=booking,
        reason=reason[:200],
    )
    before = bed.status
    bed.status = to
    bed.status_changed_at = at
    bed.status_reason = reason[:200] if to == BedStatus.BLOCKED else ""
    bed.save(update_fields=["status", "status_changed_at", "status_reason"])
    _count(bed, minus=before, plus=to, at=at)
    _announce(bed)
    return movement


def _count(bed: Bed, *, minus: str = "", plus: str = "", at: datetime) -> None:
    """Move the bed from one status column to another in its ward's kept counts — the row for
    all beds and the row of each feature it has (same transaction as the movement)."""
    keys = sorted([ALL_BEDS, *bed.features])
    changes = {
        "changed_at": Greatest(Coalesce(F("changed_at"), Value(at)), Value(at)),
        "changes": F("changes") + 1,
    }
    if minus:
        changes[minus] = F(minus) - 1
    if plus:
        changes[plus] = F(plus) + 1
    # Lock the rows in feature order first: many beds of one ward change at once (a booking
    # rush), and an UPDATE alone would lock them in whatever order its scan meets them.
    locked = list(
        BedCount.objects.select_for_update()
        .filter(ward_id=bed.ward_id, feature__in=keys)
        .order_by("feature")
        .values_list("pk", flat=True)
    )
    if len(locked) != len(keys):
        # A ward made outside the services (admin, bulk load) has no rows yet: count its beds,
        # which already hold this change.
        rebuild_bed_counts(ward_ids=[bed.ward_id])
        return
    BedCount.objects.filter(pk__in=locked).update(**changes)


@dataclass(frozen=True)
class CountDrift:
    """A kept count row that did not match the beds: what was kept and what the beds say."""

    ward_id: int
    feature: str
    kept: dict[str, int]
    actual: dict[str, int]


def rebuild_bed_counts(*, ward_ids=None, check_only: bool = False) -> list[CountDrift]:
    """Recount every ward's beds (all beds, and per feature) and compare with the kept rows.
    Rows that differ are rewritten — unless `check_only` — and returned; an empty list means
    every kept count was right. Six grouped queries over the beds, whatever their number."""
    statuses = BedStatus.values
    beds = Bed.objects.all()
    wards = Ward.objects.all()
    if ward_ids is not None:
        beds = beds.filter(ward_id__in=ward_ids)
        wards = wards.filter(pk__in=ward_ids)
    actual: dict[tuple[int, str], dict] = {}
    ward_org = dict(wards.values_list("pk", "organisation_id"))
    for ward_id in ward_org:
        for feature in [ALL_BEDS, *Feature.values]:
            actual[(ward_id, feature)] = {**dict.fromkeys(statuses, 0), "changed_at": None}
    for feature in [ALL_BEDS, *Feature.values]:
        rows = beds.filter(**({FEATURE_FIELDS[Feature(feature)]: True} if feature else {}))
        for row in (
            rows.values("ward_id")
            .annotate(
                **{s: Count("id", filter=Q(status=s)) for s in statuses},
                changed_at=Max("status_changed_at"),
            )
            .order_by()
        ):
            actual[(row.pop("ward_id"), feature)] = row
    kept = {
        (r.ward_id, r.feature): r
        for r in BedCount.objects.filter(ward_id__in=list(ward_org)).order_by("pk")
    }
    drift = []
    for (ward_id, feature), want in actual.items():
        row = kept.get((ward_id, feature))
        have = {s: getattr(row, s) for s in statuses} if row else None
        if have == {s: want[s] for s in statuses}:
            continue
        drift.append(
            CountDrift(
                ward_id=ward_id,
                feature=feature,
                kept=have or {},
                actual={s: want[s] for s in statuses},
            )
        )
        if check_only:
            continue
        values = {s: want[s] for s in statuses} | {"changed_at": want["changed_at"]}
        if row is None:
            BedCount.objects.create(
                organisation_id=ward_org[ward_id], ward_id=ward_id, feature=feature, **values
            )
        else:
            BedCount.objects.filter(pk=row.pk).update(changes=F("changes") + 1, **values)
    return drift


# --- kept review aggregates -------------------------------------------------------------------

RATING_FIELDS = ("count", "score_total", "s1", "s2", "s3", "s4", "s5")


def _published_stay_ratings():
    from django.contrib.contenttypes.models import ContentType

    from concierge.feedback.models import Rating

    return Rating.objects.filter(
        target_type=ContentType.objects.get_for_model(Stay), status=Rating.Status.PUBLISHED
    )


def _rating_aggregates(ratings) -> dict:
    return {
        "count": Count("id"),
        "score_total": Coalesce(Sum("score"), 0),
        **{f"s{n}": Count("id", filter=Q(score=n)) for n in range(1, 6)},
    }


def recount_hospital_rating(*, organisation_id: int) -> HospitalRating:
    """Recount one hospital's kept review aggregate from its published stay reviews (called
    when one of them is saved or deleted, in the same transaction)."""
    stay_ids = (
        Stay.objects.filter(organisation_id=organisation_id)
        .annotate(sid=Cast("pk", CharField()))
        .values("sid")
    )
    ratings = _published_stay_ratings().filter(target_id__in=stay_ids)
    values = ratings.aggregate(**_rating_aggregates(ratings))
    values["latest_review_ids"] = _latest_review_ids(ratings)
    row, _created = HospitalRating.objects.update_or_create(
        organisation_id=organisation_id, defaults=values
    )
    return row


LATEST_REVIEWS = 8


def _latest_review_ids(ratings) -> list[int]:
    return list(
        ratings.exclude(comment="")
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[:LATEST_REVIEWS]
    )


def rebuild_hospital_ratings(
    *, check_only: bool = False, rewrite_all: bool = False
) -> list[tuple[int, dict, dict]]:
    """Recount every hospital's kept review aggregate in one grouped query; rewrite the rows
    that differ (unless `check_only`; every row, latest reviews too, with `rewrite_all`) and
    return those that differed as (hospital, kept, actual)."""
    stay_org = Stay.objects.filter(pk=Cast(OuterRef("target_id"), BigIntegerField())).values(
        "organisation_id"
    )[:1]
    ratings = _published_stay_ratings().annotate(hospital_id=Subquery(stay_org))
    actual = {
        row.pop("hospital_id"): row
        for row in ratings.values("hospital_id").annotate(**_rating_aggregates(ratings)).order_by()
        if row["hospital_id"]
    }
    kept = {r.organisation_id: r for r in HospitalRating.objects.all()}
    zero = dict.fromkeys(RATING_FIELDS, 0)
    drift = []
    for org_id in sorted(set(actual) | set(kept)):
        want = actual.get(org_id, zero)
        row = kept.get(org_id)
        have = {f: getattr(row, f) for f in RATING_FIELDS} if row else zero
        same = have == want and (row or not actual.get(org_id))
        if not same:
            drift.append((org_id, have, want))
        if (not same or rewrite_all) and not check_only:
            stay_ids = (
                Stay.objects.filter(organisation_id=org_id)
                .annotate(sid=Cast("pk", CharField()))
                .values("sid")
            )
            latest = _latest_review_ids(_published_stay_ratings().filter(target_id__in=stay_ids))
            HospitalRating.objects.update_or_create(
                organisation_id=org_id, defaults={**want, "latest_review_ids": latest}
            )
    return drift


def rating_saved(rating) -> None:
    """Signal receiver (apps.py): a rating of a stay was saved or deleted — recount its
    hospital's kept aggregate and forget the cached review lists."""
    from django.contrib.contenttypes.models import ContentType

    if rating.target_type_id != ContentType.objects.get_for_model(Stay).pk:
        return
    if not str(rating.target_id).isdigit():
        return
    org_id = (
        Stay.objects.filter(pk=int(rating.target_id))
        .values_list("organisation_id", flat=True)
        .first()
    )
    if org_id is None:
        return
    recount_hospital_rating(organisation_id=org_id)
    from concierge.hospital.selectors import forget_reviews

    transaction.on_commit(lambda: forget_reviews(hospital=Organisation(pk=org_id)))


def _announce(bed: Bed) -> None:
    """Tell public dashboards after commit (counts only — never patient data). Their caches
    need no telling: they are keyed by the kept counts' change total (selectors)."""
    broadcast(
        PUBLIC_GROUP,
        {
            "kind": "beds",
            "hospital": bed.organisation_id,
            "ward_kind": bed.ward.kind,
            "at": timezone.now().isoformat(),
        },
    )


def _bed_context(booking: Booking, bed: Bed | None = None) -> dict:
    bed = bed or booking.bed
    held = timezone.localtime(booking.held_until) if booking.held_until else None
    return {
        "patient": booking.patient_name,
        "hospital": booking.organisation.name,
        "bed": bed.label if bed else "",
        "ward": bed.ward.name if bed else "",
        "kind": WardKind(booking.ward_kind).label,
        "held_until": formats.date_format(held, "DATETIME_FORMAT") if held else "",
    }


def _booking_url(booking: Booking) -> str:
    return reverse("hospital:booking", args=[booking.pk])


# --- bookings and the waiting list --------------------------------------------------------------


def _matching_free_beds(*, organisation: Organisation, ward_kind: str, feature: str):
    beds = Bed.objects.filter(
        organisation=organisation, ward__kind=ward_kind, status=BedStatus.FREE
    )
    if feature:
        beds = beds.filter(**{FEATURE_FIELDS[Feature(feature)]: True})
    return beds.order_by("ward__name", "label")


def _validate_request(
    *, organisation, ward_kind, feature, patient_name, patient_age, patient_sex, reason, urgency
) -> None:
    errors: dict[str, str] = {}
    if organisation.kind != Organisation.Kind.HOSPITAL:
        errors["hospital"] = _("Choose a hospital.")
    if ward_kind not in WardKind.values:
        errors["ward_kind"] = _("Choose a bed type.")
    if feature and feature not in Feature.values:
        errors["feature"] = _("Choose a bed feature from the list.")
    if not (patient_name or "").strip():
        errors["patient_name"] = _("Enter the patient's name.")
    if not isinstance(patient_age, int) or not 0 <= patient_age <= 120:
        errors["patient_age"] = _("Enter an age from 0 to 120.")
    if patient_sex not in Sex.values:
        errors["patient_sex"] = _("Choose the patient's sex.")
    if not (reason or "").strip():
        errors["reason"] = _("Say briefly why a bed is needed.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if errors:
        raise ValidationError(errors)


@retry_when_locked
@transaction.atomic
def request_bed(
    *,
    user,
    organisation: Organisation,
    ward_kind: str,
    patient_name: str,
    patient_age: int,
    patient_sex: str,
    reason: str,
    feature: str = "",
    urgency: int = Urgency.ROUTINE,
) -> Booking:
    """Hold a free matching bed for the requester, or put the request on the waiting list."""
    require(user, "hospital.book_bed", organisation)
    _validate_request(
        organisation=organisation,
        ward_kind=ward_kind,
        feature=feature,
        patient_name=patient_name,
        patient_age=patient_age,
        patient_sex=patient_sex,
        reason=reason,
        urgency=urgency,
    )
    booking = Booking.objects.create(
        organisation=organisation,
        requester=user,
        ward_kind=ward_kind,
        feature=feature or "",
        patient_name=patient_name.strip()[:120],
        patient_age=patient_age,
        patient_sex=patient_sex,
        reason=reason.strip()[:300],
        urgency=urgency,
    )
    # SKIP LOCKED: concurrent requests each take a different free bed instead of queueing on
    # the same one; whoever finds none left joins the waiting list.
    bed = (
        _matching_free_beds(organisation=organisation, ward_kind=ward_kind, feature=feature)
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("ward", "organisation")
        .first()
    )
    if bed is not None:
        _hold(booking, bed, actor=user, event="hospital.bed_held")
    else:
        position = waiting_position(booking=booking)
        notify(
            user,
            "hospital.waitlisted",
            {**_bed_context(booking), "position": position},
            url=_booking_url(booking),
            target=booking,
        )
    _tell_staff(booking)
    return booking


def _hold(booking: Booking, bed: Bed, *, actor, event: str) -> None:
    booking.bed = bed
    booking.status = Booking.Status.HELD
    booking.held_until = timezone.now() + hold_duration()
    booking.save(update_fields=["bed", "status", "held_until", "updated_at"])
    _move(bed, to=BedStatus.RESERVED, kind=Kind.HOLD, actor=actor, booking=booking)
    notify(
        booking.requester,
        event,
        _bed_context(booking, bed),
        url=_booking_url(booking),
        target=booking,
        dedup_key=f"{event}:{booking.pk}",
    )


def _tell_staff(booking: Booking) -> None:
    from concierge.accounts.models import Membership

    staff = Membership.objects.filter(
        organisation=booking.organisation, role__in=[Role.STAFF, Role.MANAGER]
    ).select_related("user")
    for membership in staff:
        notify(
            membership.user,
            "hospital.booking_received",
            {
                "hospital": booking.organisation.name,
                "kind": WardKind(booking.ward_kind).label,
                "status": Booking.Status(booking.status).label,
                "urgency": Urgency(booking.urgency).label,
            },
            url=reverse("hospital:manage", args=[booking.organisation.slug]),
            target=booking,
        )


def waiting_position(*, booking: Booking) -> int:
    """1-based place on the hospital's waiting list for this bed type."""
    return (
        Booking.objects.filter(
            organisation=booking.organisation_id,
            ward_kind=booking.ward_kind,
            status=Booking.Status.WAITING,
        )
        .filter(
            Q(urgency__lt=booking.urgency)
            | Q(urgency=booking.urgency, created_at__lt=booking.created_at)
            | Q(urgency=booking.urgency, created_at=booking.created_at, pk__lte=booking.pk)
        )
        .count()
    )


def _offer_freed_bed(bed: Bed, *, actor=None) -> Booking | None:
    """A bed just became free: hold it for the first matching request on the waiting list."""
    if bed.status != BedStatus.FREE:
        return None
    features = [""] + bed.features
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .filter(
            organisation_id=bed.organisation_id,
            ward_kind=bed.ward.kind,
            status=Booking.Status.WAITING,
            feature__in=features,
        )
        .select_related("organisation", "requester")
        .order_by("urgency", "created_at", "pk")
        .first()
    )
    if booking is None:
        return None
    _hold(booking, bed, actor=actor, event="hospital.bed_offered")
    return booking


def _locked_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organisation", "requester", "bed__ward")
        .get(pk=booking.pk)
    )


def _close(
    booking: Booking,
    *,
    status: str,
    actor,
    reason: str = "",
    kind: str = Kind.RELEASE,
    fields: tuple[str, ...] = (),
) -> None:
    """Close a booking; a bed it held goes back to free and is offered to the waiting list
    (after the booking has let go of it, so the bed is never held twice)."""
    bed = None
    if booking.bed_id is not None and booking.status in Booking.HOLDING:
        bed = _lock_bed(booking.bed_id)
    booking.status = status
    booking.save(update_fields=["status", "updated_at", *fields])
    if bed is not None and bed.status == BedStatus.RESERVED:
        _move(bed, to=BedStatus.FREE, kind=kind, actor=actor, booking=booking, reason=reason)
        _after_free(bed, actor=actor)


def _after_free(bed: Bed, *, actor) -> None:
    _offer_freed_bed(bed, actor=actor)


@retry_when_locked
@transaction.atomic
def confirm_booking(*, user, booking: Booking) -> Booking:
    require(user, "hospital.decide_booking", booking)
    booking = _locked_booking(booking)
    if booking.status != Booking.Status.HELD:
        raise ValidationError(
            _("Only a booking with a held bed can be confirmed (this one is %(status)s).")
            % {"status": booking.get_status_display()}
        )
    booking.status = Booking.Status.CONFIRMED
    booking.decided_by = user
    booking.save(update_fields=["status", "decided_by", "updated_at"])
    notify(
        booking.requester,
        "hospital.booking_confirmed",
        _bed_context(booking),
        url=_booking_url(booking),
        target=booking,
    )
    return booking


@retry_when_locked
@transaction.atomic
def decline_booking(*, user, booking: Booking, reason: str) -> Booking:
    require(user, "hospital.decide_booking", booking)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the family a reason.")})
    booking = _locked_booking(booking)
    if not booking.is_open:
        raise ValidationError(
            _("This booking is already %(status)s.") % {"status": booking.get_status_display()}
        )
    booking.decided_by = user
    booking.decision_reason = reason.strip()[:300]
    _close(
        booking,
        status=Booking.Status.DECLINED,
        actor=user,
        reason=reason,
        fields=("decided_by", "decision_reason"),
    )
    notify(
        booking.requester,
        "hospital.booking_declined",
        {**_bed_context(booking), "reason": booking.decision_reason},
        url=_booking_url(booking),
        target=booking,
    )
    return booking


@retry_when_locked
@transaction.atomic
def cancel_booking(*, user, booking: Booking) -> Booking:
    require(user, "hospital.cancel_booking", booking)
    booking = _locked_booking(booking)
    if not booking.is_open:
        raise ValidationError(
            _("This booking is already %(status)s.") % {"status": booking.get_status_display()}
        )
    _close(booking, status=Booking.Status.CANCELLED, actor=user, reason="cancelled")
    return booking


def expire_holds(*, now: datetime | None = None) -> int:
    """Release every hold whose time ran out; each in its own transaction. Returns how many."""
    now = now or timezone.now()
    due = list(
        Booking.objects.filter(status__in=Booking.HOLDING, held_until__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    expired = 0
    for pk in due:
        expired += _expire_one(pk, now=now)
    return expired


@retry_when_locked
@transaction.atomic
def _expire_one(pk: int, *, now: datetime) -> int:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organisation", "requester", "bed__ward")
        .filter(pk=pk)
        .first()
    )
    if booking is None or booking.status not in Booking.HOLDING or booking.held_until > now:
        return 0  # someone admitted, declined or cancelled it a moment ago
    _close(booking, status=Booking.Status.EXPIRED, actor=None, reason="hold expired")
    notify(
        booking.requester,
        "hospital.hold_expired",
        _bed_context(booking),
        url=_booking_url(booking),
        target=booking,
    )
    return 1


def expire_due_holds() -> int:
    """The check on read: cheap when nothing is due (one indexed query)."""
    if not Booking.objects.filter(
        status__in=Booking.HOLDING, held_until__lte=timezone.now()
    ).exists():
        return 0
    return expire_holds()


# --- ward operations ---------------------------------------------------------------------------


def _staff_bed(user, bed: Bed) -> Bed:
    require(user, "hospital.operate_ward", bed.organisation)
    return _lock_bed(bed.pk)


def _predict(stay: Stay) -> None:
    from concierge.hospital.selectors import predicted_discharge

    prediction = predicted_discharge(stay=stay)
    if prediction is not None:
        (
            stay.predicted_discharge_at,
            stay.predicted_low_at,
            stay.predicted_high_at,
            stay.predicted_survival,
        ) = prediction


@retry_when_locked
@transaction.atomic
def admit(
    *,
    user,
    booking: Booking | None = None,
    bed: Bed | None = None,
    patient_name: str = "",
    patient_age: int | None = None,
    patient_sex: str = "",
    reason: str = "",
    expected_discharge: datetime | None = None,
    at: datetime | None = None,
) -> Stay:
    """Admit a patient: from a booking (its held bed) or a walk-in into a free bed."""
    at = at or timezone.now()
    if booking is not None:
        require(user, "hospital.decide_booking", booking)
        booking = _locked_booking(booking)
        if booking.status not in Booking.HOLDING or booking.bed_id is None:
            raise ValidationError(
                _("Only a booking with a held bed can be admitted (this one is %(status)s).")
                % {"status": booking.get_status_display()}
            )
        bed = _lock_bed(booking.bed_id)
        patient_name, patient_age = booking.patient_name, booking.patient_age
        patient_sex, reason = booking.patient_sex, booking.reason
    else:
        if bed is None:
            raise ValidationError({"bed": _("Choose a bed.")})
        bed = _staff_bed(user, bed)
        errors = {}
        if not (patient_name or "").strip():
            errors["patient_name"] = _("Enter the patient's name.")
        if not isinstance(patient_age, int) or not 0 <= patient_age <= 120:
            errors["patient_age"] = _("Enter an age from 0 to 120.")
        if patient_sex not in Sex.values:
            errors["patient_sex"] = _("Choose the patient's sex.")
        if not (reason or "").strip():
            errors["reason"] = _("Say briefly why the patient is admitted.")
        if errors:
            raise ValidationError(errors)
        if bed.status != BedStatus.FREE:
            raise (
                _transition_error(bed, BedStatus.OCCUPIED)
                if bed.status != BedStatus.RESERVED
                else ValidationError(
                    _("Bed %(bed)s is held for a booking: admit that booking or choose a free bed.")
                    % {"bed": bed.label}
                )
            )
    if expected_discharge is not None and expected_discharge <= at:
        raise ValidationError(
            {"expected_discharge": _("The expected discharge must be after admission.")}
        )
    stay = Stay(
        organisation_id=bed.organisation_id,
        bed=bed,
        booking=booking,
        requester=booking.requester if booking else None,
        patient_name=patient_name.strip()[:120],
        patient_age=patient_age,
        patient_sex=patient_sex,
        reason=reason.strip()[:300],
        admitted_at=at,
        admitted_by=user,
        expected_discharge_override=expected_discharge,
    )
    _predict(stay)
    try:
        with transaction.atomic():
            stay.save()
    except IntegrityError:
        raise ValidationError(_("Bed %(bed)s already has a patient.") % {"bed": bed.label})
    _move(
        bed, to=BedStatus.OCCUPIED, kind=Kind.ADMIT, actor=user, stay=stay, booking=booking, at=at
    )
    if booking is not None:
        booking.status = Booking.Status.ADMITTED
        booking.decided_by = booking.decided_by or user
        booking.save(update_fields=["status", "decided_by", "updated_at"])
        notify(
            booking.requester,
            "hospital.admitted",
            _bed_context(booking, bed),
            url=_booking_url(booking),
            target=booking,
        )
    return stay


def _locked_stay(stay: Stay) -> Stay:
    return (
        Stay.objects.select_for_update(of=("self",))
        .select_related("organisation", "bed__ward", "requester")
        .get(pk=stay.pk)
    )


@retry_when_locked
@transaction.atomic
def transfer(
    *, user, stay: Stay, to_bed: Bed, reason: str = "", at: datetime | None = None
) -> Stay:
    """Move a patient to another free bed (any ward of the same hospital)."""
    require(user, "hospital.operate_ward", stay.organisation)
    stay = _locked_stay(stay)
    if not stay.is_open:
        raise ValidationError(_("This patient has already been discharged."))
    if to_bed.organisation_id != stay.organisation_id:
        raise ValidationError({"to_bed": _("Choose a bed in the same hospital.")})
    if to_bed.pk == stay.bed_id:
        raise ValidationError({"to_bed": _("The patient is already in that bed.")})
    # Locks are always taken booking → bed → ward. Here both beds, then both wards (whose
    # counters change), each in id order, so two transfers in opposite directions never wait
    # on each other.
    first, second = sorted([stay.bed_id, to_bed.pk])
    locked = {first: _lock_bed(first), second: _lock_bed(second)}
    list(
        Ward.objects.select_for_update()
        .filter(pk__in=[locked[first].ward_id, locked[second].ward_id])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    old_bed, new_bed = locked[stay.bed_id], locked[to_bed.pk]
    if new_bed.status != BedStatus.FREE:
        raise ValidationError({"to_bed": _("Bed %(bed)s is not free.") % {"bed": new_bed.label}})
    at = at or timezone.now()
    _move(
        old_bed,
        to=BedStatus.HOUSEKEEPING,
        kind=Kind.TRANSFER_OUT,
        actor=user,
        stay=stay,
        reason=reason,
        at=at,
    )
    stay.bed = new_bed
    stay.save(update_fields=["bed"])
    _move(
        new_bed,
        to=BedStatus.OCCUPIED,
        kind=Kind.TRANSFER_IN,
        actor=user,
        stay=stay,
        reason=reason,
        at=at,
    )
    return stay


@retry_when_locked
@transaction.atomic
def discharge(*, user, stay: Stay, note: str = "", at: datetime | None = None) -> Stay:
    """Discharge: the bed goes to housekeeping and the family is asked for a review."""
    require(user, "hospital.operate_ward", stay.organisation)
    stay = _locked_stay(stay)
    if not stay.is_open:
        raise ValidationError(_("This patient has already been discharged."))
    bed = _lock_bed(stay.bed_id)
    at = at or timezone.now()
    if at < stay.admitted_at:
        raise ValidationError(_("Discharge cannot be before admission."))
    _move(
        bed,
        to=BedStatus.HOUSEKEEPING,
        kind=Kind.DISCHARGE,
        actor=user,
        stay=stay,
        reason=note,
        at=at,
    )
    stay.discharged_at = at
    stay.discharged_by = user
    stay.discharge_note = note.strip()[:300]
    stay.save(update_fields=["discharged_at", "discharged_by", "discharge_note"])
    if stay.requester is not None:
        notify(
            stay.requester,
            "hospital.review_request",
            {"patient": stay.patient_name, "hospital": stay.organisation.name},
            url=reverse("hospital:stay", args=[stay.pk]),
            target=stay,
        )
    return stay


@retry_when_locked
@transaction.atomic
def discharge_bed(*, user, bed: Bed, note: str = "") -> Stay:
    """Discharge whoever is in `bed` (the ward board works bed by bed)."""
    require(user, "hospital.operate_ward", bed.organisation)
    stay = Stay.objects.filter(bed=bed, discharged_at__isnull=True).first()
    if stay is None:
        raise _transition_error(bed, BedStatus.HOUSEKEEPING)
    return discharge(user=user, stay=stay, note=note)


@retry_when_locked
@transaction.atomic
def mark_cleaned(*, user, bed: Bed) -> Bed:
    """Housekeeping done: the bed is free (and offered to the waiting list)."""
    bed = _staff_bed(user, bed)
    if bed.status != BedStatus.HOUSEKEEPING:
        raise ValidationError(
            _("Only a bed in housekeeping can be marked clean (bed %(bed)s is %(status)s).")
            % {"bed": bed.label, "status": bed.get_status_display().lower()}
        )
    _move(bed, to=BedStatus.FREE, kind=Kind.CLEANED, actor=user)
    _after_free(bed, actor=user)
    return bed


@retry_when_locked
@transaction.atomic
def block_bed(*, user, bed: Bed, reason: str) -> Bed:
    bed = _staff_bed(user, bed)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the bed is out of service.")})
    _move(bed, to=BedStatus.BLOCKED, kind=Kind.BLOCK, actor=user, reason=reason.strip())
    return bed


@retry_when_locked
@transaction.atomic
def unblock_bed(*, user, bed: Bed) -> Bed:
    bed = _staff_bed(user, bed)
    if bed.status != BedStatus.BLOCKED:
        raise ValidationError(_("Bed %(bed)s is not blocked.") % {"bed": bed.label})
    _move(bed, to=BedStatus.FREE, kind=Kind.UNBLOCK, actor=user)
    _after_free(bed, actor=user)
    return bed


@retry_when_locked
@transaction.atomic
def set_expected_discharge(*, user, stay: Stay, when: datetime | None) -> Stay:
    """Staff's own expected discharge; it wins over the model's prediction (None clears it)."""
    require(user, "hospital.operate_ward", stay.organisation)
    stay = _locked_stay(stay)
    if not stay.is_open:
        raise ValidationError(_("This patient has already been discharged."))
    if when is not None and when <= stay.admitted_at:
        raise ValidationError({"when": _("The expected discharge must be after admission.")})
    stay.expected_discharge_override = when
    stay.save(update_fields=["expected_discharge_override"])
    return stay


# --- set-up ------------------------------------------------------------------------------------


@transaction.atomic
def create_ward(*, user, organisation: Organisation, name: str, kind: str, floor: str = "") -> Ward:
    require(user, "hospital.manage_beds", organisation)
    if kind not in WardKind.values:
        raise ValidationError({"kind": _("Choose a ward type.")})
    if Ward.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationError({"name": _("A ward with this name exists.")})
    ward = Ward.objects.create(organisation=organisation, name=name, kind=kind, floor=floor)
    BedCount.objects.bulk_create(
        [
            BedCount(organisation=organisation, ward=ward, feature=feature)
            for feature in [ALL_BEDS, *Feature.values]
        ]
    )
    return ward


@transaction.atomic
def add_bed(
    *,
    user,
    ward: Ward,
    label: str,
    features: list[str] | tuple[str, ...] = (),
    room=None,
    at: datetime | None = None,
) -> Bed:
    require(user, "hospital.manage_beds", ward.organisation)
    if Bed.objects.filter(ward=ward, label=label).exists():
        raise ValidationError({"label": _("This ward already has a bed with that label.")})
    flags = {FEATURE_FIELDS[Feature(f)]: True for f in features}
    at = at or timezone.now()
    bed = Bed.objects.create(
        organisation_id=ward.organisation_id,
        ward=ward,
        room=room,
        label=label,
        status=BedStatus.FREE,
        status_changed_at=at,
        **flags,
    )
    BedMovement.objects.create(
        organisation_id=ward.organisation_id,
        bed=bed,
        ward=ward,
        at=at,
        kind=Kind.CREATED,
        from_status="",
        to_status=BedStatus.FREE,
        actor=user,
    )
    _count(bed, plus=BedStatus.FREE, at=at)
    _announce(bed)
    return bed


@retry_when_locked
@transaction.atomic
def forget_requester(*, user) -> None:
    """Account deleted: open requests are cancelled (their beds released); the hospital keeps
    its stays and movements, no longer linked to the account."""
    for booking in Booking.objects.filter(requester=user, status__in=Booking.OPEN):
        booking = _locked_booking(booking)
        _close(booking, status=Booking.Status.CANCELLED, actor=None, reason="account deleted")
    Booking.objects.filter(requester=user).update(requester=None)
    Stay.objects.filter(requester=user).update(requester=None)
