"""Hospital beds: wards, rooms, beds, the append-only bed movements, bookings and stays.

A hospital is an `accounts.Organisation` of kind "hospital". A bed's current status lives on
the bed; every change also writes one `BedMovement` row in the same transaction (services.py
does both under a row lock), so occupancy history, length of stay and the audit trail come
from the movements.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from concierge.accounts.models import Organisation


class WardKind(models.TextChoices):
    GENERAL = "general", _("General")
    ICU = "icu", _("ICU")
    HDU = "hdu", _("HDU (high dependency)")
    MATERNITY = "maternity", _("Maternity")
    PAEDIATRIC = "paediatric", _("Paediatric")
    ISOLATION = "isolation", _("Isolation")


class Feature(models.TextChoices):
    """What a bed offers; a booking may ask for one."""

    OXYGEN = "oxygen", _("Oxygen")
    VENTILATOR = "ventilator", _("Ventilator")
    ISOLATION = "isolation", _("Isolation")
    PAEDIATRIC = "paediatric", _("Paediatric")


# Feature -> the Bed boolean field that carries it.
FEATURE_FIELDS = {
    Feature.OXYGEN: "has_oxygen",
    Feature.VENTILATOR: "has_ventilator",
    Feature.ISOLATION: "is_isolation",
    Feature.PAEDIATRIC: "is_paediatric",
}


class BedStatus(models.TextChoices):
    FREE = "free", _("Free")
    RESERVED = "reserved", _("Reserved")
    OCCUPIED = "occupied", _("Occupied")
    HOUSEKEEPING = "housekeeping", _("Housekeeping")
    BLOCKED = "blocked", _("Blocked")


# HL7 v2 table 0116 (bed status): C closed, H housekeeping, I isolated, K contaminated,
# O occupied, U unoccupied. The table has no "reserved": a reserved bed is reported as "O"
# so that an integration which knows only the six codes never offers it (see
# docs/decisions/hospital-beds-hl7-status.md); our own `status` travels beside it.
HL7_BED_STATUS = {
    BedStatus.FREE: "U",
    BedStatus.RESERVED: "O",
    BedStatus.OCCUPIED: "O",
    BedStatus.HOUSEKEEPING: "H",
    BedStatus.BLOCKED: "C",
}

# The only changes a bed may make; everything else is refused with a clear error.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    BedStatus.FREE: {BedStatus.RESERVED, BedStatus.OCCUPIED, BedStatus.BLOCKED},
    BedStatus.RESERVED: {BedStatus.FREE, BedStatus.OCCUPIED},
    BedStatus.OCCUPIED: {BedStatus.HOUSEKEEPING},
    BedStatus.HOUSEKEEPING: {BedStatus.FREE, BedStatus.BLOCKED},
    BedStatus.BLOCKED: {BedStatus.FREE},
}


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "O", _("Other")
    UNKNOWN = "U", _("Not stated")


class Urgency(models.IntegerChoices):
    """Lower is more urgent: the waiting list is ordered by urgency, then by time."""

    EMERGENCY = 1, _("Emergency")
    URGENT = 2, _("Urgent")
    ROUTINE = 3, _("Routine")


class Ward(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="wards", verbose_name=_("hospital")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("ward type"), max_length=16, choices=WardKind.choices, default=WardKind.GENERAL
    )
    floor = models.CharField(_("floor"), max_length=20, blank=True)
    phone = models.CharField(_("ward phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["organisation", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="hospital_ward_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["ward", "name"]
        constraints = [
            models.UniqueConstraint(fields=["ward", "name"], name="hospital_room_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Bed(models.Model):
    """One bed. `status` is the current state, changed only by services under a row lock."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="beds")
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="beds")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="beds"
    )
    label = models.CharField(_("bed"), max_length=30)
    has_oxygen = models.BooleanField(_("oxygen"), default=False)
    has_ventilator = models.BooleanField(_("ventilator"), default=False)
    is_isolation = models.BooleanField(_("isolation"), default=False)
    is_paediatric = models.BooleanField(_("paediatric"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=BedStatus.choices, default=BedStatus.FREE
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["ward", "label"]
        constraints = [
            models.UniqueConstraint(fields=["ward", "label"], name="hospital_bed_label_unique")
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["ward", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.ward.name} · {self.label}"

    @property
    def hl7_status(self) -> str:
        return HL7_BED_STATUS[BedStatus(self.status)]

    @property
    def features(self) -> list[str]:
        return [f.value for f, name in FEATURE_FIELDS.items() if getattr(self, name)]


ALL_BEDS = ""  # BedCount.feature of the row that counts every bed of a ward


class BedCount(models.Model):
    """How many beds of one ward are in each status — for all its beds (feature "") and for
    the beds with each feature. Services change these rows in the same transaction as each bed
    movement, so the public dashboard reads a few thousand small rows, never the beds or the
    movements. `rebuild_bed_counts` (manage.py hospital_bed_counts) recomputes them from the
    beds and reports any drift."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="bed_counts")
    feature = models.CharField(max_length=16, blank=True, choices=Feature.choices)
    free = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    occupied = models.PositiveIntegerField(default=0)
    housekeeping = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    # Last status change of a bed counted here ("updated N seconds ago").
    changed_at = models.DateTimeField(null=True, blank=True)
    # How many changes this row has taken: their sum over all rows moves with every bed change
    # (and every rebuild), so it keys the dashboard's cache across processes.
    changes = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ward", "feature"], name="hospital_bedcount_unique")
        ]
        indexes = [models.Index(fields=["feature", "organisation"])]

    def __str__(self) -> str:
        return f"{self.ward_id}/{self.feature or 'all'}"

    @property
    def total(self) -> int:
        return self.free + self.reserved + self.occupied + self.housekeeping + self.blocked


class HospitalRating(models.Model):
    """A hospital's published stay reviews, kept: average, count and the 1–5 distribution.
    Recounted for the one hospital whenever one of its stays' ratings is saved or deleted
    (signals in apps.py, same transaction), so the dashboard and the hospital page read one
    narrow row per hospital instead of averaging the reviews. `rebuild_hospital_ratings`
    recounts them all (after a bulk import) and reports drift."""

    organisation = models.OneToOneField(
        Organisation, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)
    score_total = models.PositiveBigIntegerField(default=0)
    s1 = models.PositiveIntegerField(default=0)
    s2 = models.PositiveIntegerField(default=0)
    s3 = models.PositiveIntegerField(default=0)
    s4 = models.PositiveIntegerField(default=0)
    s5 = models.PositiveIntegerField(default=0)
    # The latest published reviews with a comment (newest first), for the hospital's page.
    latest_review_ids = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.count}"

    @property
    def average(self) -> float | None:
        return round(self.score_total / self.count, 2) if self.count else None


class AppendOnly(models.Model):
    """Rows that are written once and never changed or deleted one by one."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Bed movements are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Bed movements are append-only."))


class Booking(models.Model):
    """A request for a bed of a kind at a hospital: held, waiting, confirmed or closed."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("On the waiting list")
        HELD = "held", _("Bed held")
        CONFIRMED = "confirmed", _("Confirmed by the ward")
        ADMITTED = "admitted", _("Admitted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Hold expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.WAITING, Status.HELD, Status.CONFIRMED)
    HOLDING = (Status.HELD, Status.CONFIRMED)

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="bed_bookings",
        verbose_name=_("hospital"),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="bed_bookings"
    )
    ward_kind = models.CharField(_("bed type"), max_length=16, choices=WardKind.choices)
    feature = models.CharField(_("needs"), max_length=16, choices=Feature.choices, blank=True)
    patient_name = models.CharField(_("patient name"), max_length=120)
    patient_age = models.PositiveSmallIntegerField(_("age"))
    patient_sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    reason = models.CharField(_("reason"), max_length=300)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.ROUTINE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.WAITING
    )
    bed = models.ForeignKey(
        Bed, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    held_until = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "urgency", "created_at"]),
            models.Index(fields=["status", "held_until"]),
            models.Index(fields=["requester", "status"]),
        ]
        constraints = [
            # A bed is held by at most one open booking, whatever the races.
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(status__in=["held", "confirmed"]),
                name="hospital_one_hold_per_bed",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_ward_kind_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Stay(models.Model):
    """One admission, from admit to discharge. Transfers show in its bed movements."""

    organisation = models.ForeignKey(
        # History outlives configuration: a hospital with stays cannot be deleted by accident.
        Organisation,
        on_delete=models.PROTECT,
        related_name="stays",
        verbose_name=_("hospital"),
    )
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="stays")
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="stay"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bed_stays",
    )
    patient_name = models.CharField(_("patient name"), max_length=120)
    patient_age = models.PositiveSmallIntegerField(_("age"))
    patient_sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    reason = models.CharField(_("reason"), max_length=300)
    admitted_at = models.DateTimeField(default=timezone.now)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    predicted_discharge_at = models.DateTimeField(null=True, blank=True)
    predicted_low_at = models.DateTimeField(null=True, blank=True)
    predicted_high_at = models.DateTimeField(null=True, blank=True)
    # P(length of stay > d days) for d = 0…30 from the LOS model, for the ward forecast.
    predicted_survival = models.JSONField(null=True, blank=True, editable=False)
    expected_discharge_override = models.DateTimeField(
        _("expected discharge"), null=True, blank=True
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discharge_note = models.CharField(_("note"), max_length=300, blank=True)

    ratings_are_moderated = True

    class Meta:
        ordering = ["-admitted_at"]
        indexes = [
            models.Index(fields=["organisation", "discharged_at"]),
            models.Index(fields=["organisation", "admitted_at"]),
            # "Expected to free up tomorrow": the open stays by expected discharge (staff's
            # date, else the model's) — a range on the expression — and covering: the raw
            # columns are in it too, which PostgreSQL needs for an index-only scan.
            models.Index(
                Coalesce("expected_discharge_override", "predicted_discharge_at"),
                F("predicted_discharge_at"),
                F("expected_discharge_override"),
                F("organisation"),
                F("bed"),
                name="hospital_stay_open_expected",
                condition=Q(discharged_at__isnull=True),
            ),
        ]
        constraints = [
            # Two people never occupy the same bed.
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(discharged_at__isnull=True),
                name="hospital_one_open_stay_per_bed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_name} ({self.admitted_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None

    @property
    def expected_discharge_at(self):
        """Staff's own date wins over the model's prediction."""
        return self.expected_discharge_override or self.predicted_discharge_at

    @property
    def is_overdue(self) -> bool:
        """Still here after the upper end of the predicted 80 % range."""
        return (
            self.discharged_at is None
            and self.predicted_high_at is not None
            and timezone.now() > self.predicted_high_at
            and not (
                self.expected_discharge_override
                and self.expected_discharge_override > timezone.now()
            )
        )

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.patient_name.split()[:3]).upper()

    @property
    def length_of_stay_days(self) -> float:
        end = self.discharged_at or timezone.now()
        return round((end - self.admitted_at).total_seconds() / 86400, 1)

    # feedback: the family who booked reviews the stay after discharge; hospital staff moderate.
    def can_be_rated_by(self, user) -> bool:
        return (
            user.is_authenticated
            and self.discharged_at is not None
            and self.requester_id is not None
            and self.requester_id == user.pk
        )

    def can_moderate_ratings(self, user) -> bool:
        from concierge.hospital.rules import is_hospital_staff

        return is_hospital_staff(user, self.organisation)


class BedMovement(AppendOnly):
    """One change of one bed's status: who, when, from, to, and for which stay or booking."""

    class Kind(models.TextChoices):
        HOLD = "hold", _("Held for a booking")
        RELEASE = "release", _("Hold released")
        ADMIT = "admit", _("Admitted")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        DISCHARGE = "discharge", _("Discharged")
        CLEANED = "cleaned", _("Cleaned")
        BLOCK = "block", _("Blocked")
        UNBLOCK = "unblock", _("Unblocked")
        CREATED = "created", _("Bed added")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="bed_movements"
    )
    bed = models.ForeignKey(Bed, on_delete=models.CASCADE, related_name="movements")
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="movements")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=16, choices=BedStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=BedStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stay = models.ForeignKey(
        Stay, null=True, blank=True, on_delete=models.SET_NULL, related_name="movements"
    )
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="movements"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["organisation", "at"]),
            models.Index(fields=["bed", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.bed_id}: {self.from_status}→{self.to_status} at {self.at:%Y-%m-%d %H:%M}"
