"""/api/hospital/: public availability (no auth, counts only) and the signed-in work — bookings,
the waiting list, admissions, bed operations and reviews. Thin over services and selectors."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from concierge.core.api import ErrorOut, Pagination
from concierge.feedback import services as feedback_services
from concierge.hospital import selectors, services
from concierge.hospital.models import HL7_BED_STATUS, Bed, BedStatus, Booking, Stay

router = Router(tags=["hospital"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# --- schemas ----------------------------------------------------------------------------------


class WardAvailabilityOut(Schema):
    ward_kind: str
    total: int
    occupied: int
    reserved: int
    free: int
    housekeeping: int
    blocked: int
    expected_free_tomorrow: int
    updated_at: datetime | None
    updated_seconds_ago: int | None


class HospitalAvailabilityOut(Schema):
    hospital: str
    name: str
    city: str
    district: str
    phone: str
    free: int
    total: int
    occupied: int
    reserved: int
    expected_free_tomorrow: int
    rating: float | None
    rating_count: int
    updated_at: datetime | None
    wards: list[WardAvailabilityOut]


class SanerGroupOut(Schema):
    category: str
    numTotBeds: int  # noqa: N815 — SANER measure names
    numBedsOcc: int  # noqa: N815
    numBedsAvail: int  # noqa: N815
    numBedsHousekeeping: int  # noqa: N815
    numBedsClosed: int  # noqa: N815


class SanerOut(Schema):
    hospital: str
    name: str
    city: str
    district: str
    updated_at: datetime | None
    groups: list[SanerGroupOut]


class HospitalOut(Schema):
    slug: str
    name: str
    city: str
    district: str
    address: str
    phone: str


class WardOut(Schema):
    id: int
    name: str
    kind: str
    total: int
    free: int
    occupied: int
    reserved: int
    housekeeping: int
    blocked: int


class BedOut(Schema):
    id: int
    ward_id: int
    ward: str
    ward_kind: str
    label: str
    status: str
    hl7_status: str = Field(
        description="HL7 v2 table 0116: U unoccupied, O occupied (also "
        "reserved), H housekeeping, C closed"
    )
    features: list[str]
    status_changed_at: datetime
    status_reason: str


class BookingIn(Schema):
    hospital: str
    ward_kind: str
    feature: str = ""
    patient_name: str
    patient_age: int
    patient_sex: str
    reason: str
    urgency: int = 3


class BookingOut(Schema):
    id: int
    hospital: str
    status: str
    ward_kind: str
    feature: str
    urgency: int
    patient_name: str
    patient_age: int
    patient_sex: str
    reason: str
    bed_id: int | None
    bed: str | None
    held_until: datetime | None
    decision_reason: str
    queue_position: int | None
    stay_id: int | None
    created_at: datetime


class ReasonIn(Schema):
    reason: str = ""


class AdmitIn(Schema):
    booking_id: int | None = None
    bed_id: int | None = None
    patient_name: str = ""
    patient_age: int | None = None
    patient_sex: str = ""
    reason: str = ""
    expected_discharge: datetime | None = None


class StayOut(Schema):
    id: int
    hospital: str
    bed_id: int
    bed: str
    ward: str
    patient_name: str
    patient_age: int
    patient_sex: str
    reason: str
    admitted_at: datetime
    expected_discharge_at: datetime | None
    predicted_discharge_at: datetime | None
    predicted_low_at: datetime | None
    predicted_high_at: datetime | None
    expected_discharge_override: datetime | None
    overdue: bool
    discharged_at: datetime | None
    booking_id: int | None


class TransferIn(Schema):
    to_bed_id: int
    reason: str = ""


class DischargeIn(Schema):
    note: str = ""


class ExpectedIn(Schema):
    expected_discharge: datetime | None


class ReviewIn(Schema):
    score: int
    comment: str = ""


class ReviewOut(Schema):
    id: int
    score: int
    comment: str
    status: str
    created_at: datetime


# --- helpers ----------------------------------------------------------------------------------


def _booking_out(b: Booking) -> dict:
    return {
        "id": b.pk,
        "hospital": b.organisation.slug,
        "status": b.status,
        "ward_kind": b.ward_kind,
        "feature": b.feature,
        "urgency": b.urgency,
        "patient_name": b.patient_name,
        "patient_age": b.patient_age,
        "patient_sex": b.patient_sex,
        "reason": b.reason,
        "bed_id": b.bed_id,
        "bed": f"{b.bed.ward.name} · {b.bed.label}" if b.bed_id else None,
        "held_until": b.held_until if b.is_open else None,
        "decision_reason": b.decision_reason,
        "queue_position": selectors.queue_position(booking=b),
        "stay_id": getattr(getattr(b, "stay", None), "pk", None)
        if b.status == Booking.Status.ADMITTED
        else None,
        "created_at": b.created_at,
    }


def _stay_out(s: Stay) -> dict:
    return {
        "id": s.pk,
        "hospital": s.organisation.slug,
        "bed_id": s.bed_id,
        "bed": s.bed.label,
        "ward": s.bed.ward.name,
        "patient_name": s.patient_name,
        "patient_age": s.patient_age,
        "patient_sex": s.patient_sex,
        "reason": s.reason,
        "admitted_at": s.admitted_at,
        "expected_discharge_at": s.expected_discharge_at,
        "predicted_discharge_at": s.predicted_discharge_at,
        "predicted_low_at": s.predicted_low_at,
        "predicted_high_at": s.predicted_high_at,
        "expected_discharge_override": s.expected_discharge_override,
        "overdue": s.is_overdue,
        "discharged_at": s.discharged_at,
        "booking_id": s.booking_id,
    }


def _bed_out(b: Bed) -> dict:
    return {
        "id": b.pk,
        "ward_id": b.ward_id,
        "ward": b.ward.name,
        "ward_kind": b.ward.kind,
        "label": b.label,
        "status": b.status,
        "hl7_status": HL7_BED_STATUS[BedStatus(b.status)],
        "features": b.features,
        "status_changed_at": b.status_changed_at,
        "status_reason": b.status_reason,
    }


def _staff_only(user, hospital) -> None:
    if not selectors.is_staff_of(user=user, hospital=hospital):
        raise Http404("Not found.")


# --- public -----------------------------------------------------------------------------------


@router.get(
    "/availability",
    auth=None,
    response=list[HospitalAvailabilityOut],
    summary="Free, occupied and reserved beds per public hospital and bed type",
)
def availability(
    request,
    city: str = "",
    district: str = "",
    ward_kind: str = "",
    feature: str = "",
    sort: str = "free",
):
    services.expire_due_holds()
    version = selectors.counts_version()  # once per request: keys both caches
    key = selectors.cache_key(
        "avail-json", city, district, ward_kind, feature, sort, version=version
    )
    body = cache.get(key)
    if body is not None:
        return HttpResponse(body, content_type="application/json")
    rows = selectors.availability(
        city=city,
        district=district,
        ward_kind=ward_kind,
        feature=feature,
        sort=sort,
        version=version,
    )
    data = [
        {
            "hospital": h.slug,
            "name": h.name,
            "city": h.city,
            "district": h.district,
            "phone": h.phone,
            "free": h.totals.free,
            "total": h.totals.total,
            "occupied": h.totals.occupied,
            "reserved": h.totals.reserved,
            "expected_free_tomorrow": h.expected_free_tomorrow,
            "rating": h.rating,
            "rating_count": h.rating_count,
            "updated_at": h.totals.updated_at,
            "wards": [
                {
                    "ward_kind": w.kind,
                    "total": w.total,
                    "occupied": w.occupied,
                    "reserved": w.reserved,
                    "free": w.free,
                    "housekeeping": w.housekeeping,
                    "blocked": w.blocked,
                    "expected_free_tomorrow": w.expected_free_tomorrow,
                    "updated_at": w.updated_at,
                    "updated_seconds_ago": w.age_seconds,
                }
                for w in h.wards
            ],
        }
        for h in rows
    ]
    # The feed is polled by integrations: serialise once and keep the bytes until the next bed
    # change moves the key (or a few seconds, for the "seconds ago" figures).
    body = json.dumps(data, cls=DjangoJSONEncoder)
    cache.set(key, body, selectors.CACHE_SECONDS)
    return HttpResponse(body, content_type="application/json")


@router.get(
    "/capacity",
    auth=None,
    response=list[SanerOut],
    summary="SANER-style bed capacity per hospital and category",
)
def capacity(request):
    services.expire_due_holds()
    return selectors.saner_capacity()


@router.get("/hospitals", auth=None, response=list[HospitalOut])
@paginate(Pagination)
def hospitals(request, city: str = ""):
    qs = selectors.public_hospitals().order_by("name")
    return qs.filter(city__iexact=city) if city else qs


@router.get("/hospitals/{slug}/wards", auth=None, response={200: list[WardOut], 404: ErrorOut})
def wards(request, slug: str):
    hospital = selectors.public_hospital_or_404(slug=slug)
    return [
        {
            "id": w.pk,
            "name": w.name,
            "kind": w.kind,
            "total": c.total,
            "free": c.free,
            "occupied": c.occupied,
            "reserved": c.reserved,
            "housekeeping": c.housekeeping,
            "blocked": c.blocked,
        }
        for w, c in selectors.ward_counts(hospital=hospital)
    ]


@router.get("/hospitals/{slug}/reviews", auth=None, response={200: list[ReviewOut], 404: ErrorOut})
def reviews(request, slug: str):
    hospital = selectors.public_hospital_or_404(slug=slug)
    return selectors.published_reviews(hospital=hospital, limit=100)


# --- staff: beds --------------------------------------------------------------------------------


@router.get("/hospitals/{slug}/beds", response={200: list[BedOut], **ERRORS})
@paginate(Pagination)
def beds(request, slug: str, status: str = "", ward_id: int | None = None):
    hospital = selectors.hospital_for_staff(user=request.auth, slug=slug)
    qs = selectors.beds_of(user=request.auth, hospital=hospital)
    if status:
        qs = qs.filter(status=status)
    if ward_id:
        qs = qs.filter(ward_id=ward_id)
    return [_bed_out(b) for b in qs]


@router.post(
    "/beds/{bed_id}/{action}",
    response={200: BedOut, **ERRORS},
    summary="clean, block (reason) or unblock a bed",
)
def bed_action(request, bed_id: int, action: str, payload: ReasonIn | None = None):
    bed = selectors.bed_for_staff(user=request.auth, pk=bed_id)
    reason = payload.reason if payload else ""
    if action == "clean":
        bed = services.mark_cleaned(user=request.auth, bed=bed)
    elif action == "block":
        bed = services.block_bed(user=request.auth, bed=bed, reason=reason)
    elif action == "unblock":
        bed = services.unblock_bed(user=request.auth, bed=bed)
    else:
        raise Http404("Not found.")
    return _bed_out(bed)


# --- bookings -----------------------------------------------------------------------------------


@router.get("/bookings", response={200: list[BookingOut], 401: ErrorOut})
@paginate(Pagination)
def my_bookings(request):
    services.expire_due_holds()
    return [_booking_out(b) for b in selectors.bookings_for_requester(user=request.auth)]


@router.post("/bookings", response={201: BookingOut, **ERRORS})
def create_booking(request, payload: BookingIn):
    hospital = selectors.hospital_page_or_404(user=request.auth, slug=payload.hospital)
    data = payload.dict()
    data.pop("hospital")
    try:
        booking = services.request_bed(user=request.auth, organisation=hospital, **data)
    except PermissionDenied:
        raise Http404("Not found.") from None
    return 201, _booking_out(booking)


@router.get("/bookings/{booking_id}", response={200: BookingOut, **ERRORS})
def get_booking(request, booking_id: int):
    services.expire_due_holds()
    return _booking_out(selectors.booking_for(user=request.auth, pk=booking_id))


@router.post(
    "/bookings/{booking_id}/{action}",
    response={200: BookingOut, **ERRORS},
    summary="confirm, decline (reason) or cancel a booking",
)
def booking_action(request, booking_id: int, action: str, payload: ReasonIn | None = None):
    booking = selectors.booking_for(user=request.auth, pk=booking_id)
    if action == "confirm":
        booking = services.confirm_booking(user=request.auth, booking=booking)
    elif action == "decline":
        booking = services.decline_booking(
            user=request.auth, booking=booking, reason=payload.reason if payload else ""
        )
    elif action == "cancel":
        booking = services.cancel_booking(user=request.auth, booking=booking)
    else:
        raise Http404("Not found.")
    return _booking_out(selectors.booking_for(user=request.auth, pk=booking.pk))


@router.get("/hospitals/{slug}/waiting-list", response={200: list[BookingOut], **ERRORS})
@paginate(Pagination)
def waiting_list(request, slug: str):
    hospital = selectors.hospital_for_staff(user=request.auth, slug=slug)
    return [_booking_out(b) for b in selectors.waiting_list(hospital=hospital)]


@router.get("/hospitals/{slug}/holds", response={200: list[BookingOut], **ERRORS})
@paginate(Pagination)
def holds(request, slug: str):
    hospital = selectors.hospital_for_staff(user=request.auth, slug=slug)
    return [_booking_out(b) for b in selectors.open_bookings(hospital=hospital)]


# --- admissions --------------------------------------------------------------------------------


@router.get("/hospitals/{slug}/admissions", response={200: list[StayOut], **ERRORS})
@paginate(Pagination)
def admissions(request, slug: str):
    hospital = selectors.hospital_for_staff(user=request.auth, slug=slug)
    return [
        _stay_out(s) for s in selectors.open_stays(hospital=hospital).select_related("organisation")
    ]


@router.post(
    "/admissions",
    response={201: StayOut, **ERRORS},
    summary="Admit from a booking (booking_id) or a walk-in into a free bed (bed_id)",
)
def admit(request, payload: AdmitIn):
    if payload.booking_id:
        booking = selectors.booking_for(user=request.auth, pk=payload.booking_id)
        _staff_only(request.auth, booking.organisation)
        stay = services.admit(
            user=request.auth, booking=booking, expected_discharge=payload.expected_discharge
        )
    elif payload.bed_id:
        bed = selectors.bed_for_staff(user=request.auth, pk=payload.bed_id)
        stay = services.admit(
            user=request.auth,
            bed=bed,
            patient_name=payload.patient_name,
            patient_age=payload.patient_age,
            patient_sex=payload.patient_sex,
            reason=payload.reason,
            expected_discharge=payload.expected_discharge,
        )
    else:
        from django.core.exceptions import ValidationError

        raise ValidationError({"booking_id": "Give a booking_id or a bed_id."})
    return 201, _stay_out(stay)


def _stay_for_staff(request, stay_id: int) -> Stay:
    stay = selectors.stay_for(user=request.auth, pk=stay_id)
    _staff_only(request.auth, stay.organisation)
    return stay


@router.get("/admissions/{stay_id}", response={200: StayOut, **ERRORS})
def get_admission(request, stay_id: int):
    return _stay_out(selectors.stay_for(user=request.auth, pk=stay_id))


@router.post("/admissions/{stay_id}/transfer", response={200: StayOut, **ERRORS})
def transfer(request, stay_id: int, payload: TransferIn):
    stay = _stay_for_staff(request, stay_id)
    to_bed = selectors.bed_for_staff(user=request.auth, pk=payload.to_bed_id)
    return _stay_out(
        services.transfer(user=request.auth, stay=stay, to_bed=to_bed, reason=payload.reason)
    )


@router.post("/admissions/{stay_id}/discharge", response={200: StayOut, **ERRORS})
def discharge(request, stay_id: int, payload: DischargeIn | None = None):
    stay = _stay_for_staff(request, stay_id)
    return _stay_out(
        services.discharge(user=request.auth, stay=stay, note=payload.note if payload else "")
    )


@router.post("/admissions/{stay_id}/expected-discharge", response={200: StayOut, **ERRORS})
def expected_discharge(request, stay_id: int, payload: ExpectedIn):
    stay = _stay_for_staff(request, stay_id)
    return _stay_out(
        services.set_expected_discharge(
            user=request.auth, stay=stay, when=payload.expected_discharge
        )
    )


@router.post(
    "/admissions/{stay_id}/review",
    response={201: ReviewOut, **ERRORS},
    summary="The family's review of a finished stay (held for moderation)",
)
def review(request, stay_id: int, payload: ReviewIn):
    stay = selectors.stay_for(user=request.auth, pk=stay_id)
    rating = feedback_services.rate(
        user=request.auth,
        target=stay,
        score=payload.score,
        comment=payload.comment,
        context="review",
        moderated=Stay.ratings_are_moderated,
    )
    return 201, rating
