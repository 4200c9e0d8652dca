"""Every read of the hospital module.

Public reads (the bed dashboard, the availability feed, a hospital's page) carry counts only;
patient details are read through `booking_for`/`stay_for`/`hospital_for_staff`, which let in
the requester and the hospital's staff and give everyone else a 404.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Avg,
    CharField,
    Count,
    F,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import ngettext

from concierge.accounts.models import Organisation, Role
from concierge.accounts.selectors import get_scoped_or_404, has_role, organisations_for
from concierge.feedback.models import Rating
from concierge.feedback.selectors import RatingSummary
from concierge.hospital.models import (
    ALL_BEDS,
    FEATURE_FIELDS,
    Bed,
    BedCount,
    BedMovement,
    BedStatus,
    Booking,
    Feature,
    HospitalRating,
    Stay,
    Ward,
    WardKind,
)

logger = logging.getLogger(__name__)
CACHE_SECONDS = 10
STATUS_VALUES = ("free", "reserved", "occupied", "housekeeping", "blocked")
STAFF_ROLES = (Role.STAFF, Role.MANAGER, Role.ADMIN)


# --- public availability ----------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    occupied: int = 0
    reserved: int = 0
    free: int = 0
    housekeeping: int = 0
    blocked: int = 0
    updated_at: datetime | None = None

    def add(self, other: Counts) -> None:
        for name in ("total", "occupied", "reserved", "free", "housekeeping", "blocked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.updated_at and (self.updated_at is None or other.updated_at > self.updated_at):
            self.updated_at = other.updated_at

    @property
    def available(self) -> int:
        return self.free

    @property
    def occupancy_pct(self) -> int:
        usable = self.total - self.blocked
        return round(100 * (self.occupied + self.reserved) / usable) if usable else 0

    @property
    def age_seconds(self) -> int | None:
        if self.updated_at is None:
            return None
        return max(0, int((timezone.now() - self.updated_at).total_seconds()))

    @property
    def age_label(self) -> str:
        """ "updated N seconds ago" (minutes, hours, days as it grows)."""
        s = self.age_seconds
        if s is None:
            return "—"
        if s < 60:
            return ngettext("updated %(n)s second ago", "updated %(n)s seconds ago", s) % {"n": s}
        if s < 3600:
            n = s // 60
            return ngettext("updated %(n)s minute ago", "updated %(n)s minutes ago", n) % {"n": n}
        if s < 86400:
            n = s // 3600
            return ngettext("updated %(n)s hour ago", "updated %(n)s hours ago", n) % {"n": n}
        n = s // 86400
        return ngettext("updated %(n)s day ago", "updated %(n)s days ago", n) % {"n": n}


@dataclass
class WardCounts(Counts):
    kind: str = ""
    expected_free_tomorrow: int = 0

    @property
    def kind_label(self) -> str:
        return str(WardKind(self.kind).label)


@dataclass
class HospitalAvailability:
    id: int
    slug: str
    name: str
    city: str
    district: str
    phone: str
    address: str
    wards: list[WardCounts] = field(default_factory=list)
    totals: Counts = field(default_factory=Counts)
    rating: float | None = None
    rating_count: int = 0
    expected_free_tomorrow: int = 0


def public_hospitals() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL, is_public=True)


def _expected_free_tomorrow(
    *, hospital_ids, ward_kind: str = "", feature: str = ""
) -> dict[tuple[int, str], int]:
    """Open stays whose expected discharge (staff's date, else the model's) is before the end of
    tomorrow, grouped by hospital and ward type — one query that ranges over the covering
    partial index `hospital_stay_open_expected` (open stays only) and joins their beds by
    key. SQL of our own for one reason: SQLite's planner, misled by the statistics of the
    (hospital, discharged) index, would otherwise skip-scan that one and read every open
    stay's wide row (≈ 110 ms instead of ≈ 25 ms at 50,000 beds), so it is told the index."""
    now = timezone.localtime()
    end_of_tomorrow = (now + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    vendor = connection.vendor
    hint = " INDEXED BY hospital_stay_open_expected" if vendor == "sqlite" else ""
    sql = [
        f"SELECT s.organisation_id, w.kind, COUNT(s.bed_id) FROM {Stay._meta.db_table} s{hint}"
        f" JOIN {Bed._meta.db_table} b ON b.id = s.bed_id"
        f" JOIN {Ward._meta.db_table} w ON w.id = b.ward_id"
        " WHERE s.discharged_at IS NULL"
        " AND COALESCE(s.expected_discharge_override, s.predicted_discharge_at) < %s"
    ]
    params: list = [connection.ops.adapt_datetimefield_value(end_of_tomorrow)]
    if hospital_ids is not None:
        ids = [int(i) for i in hospital_ids]
        if not ids:
            return {}
        sql.append(f" AND s.organisation_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if ward_kind:
        sql.append(" AND w.kind = %s")
        params.append(ward_kind)
    if feature in Feature.values:  # only beds that have what the family needs
        sql.append(f" AND b.{FEATURE_FIELDS[Feature(feature)]}")  # a fixed column name
    sql.append(" GROUP BY s.organisation_id, w.kind")
    with connection.cursor() as cur:
        cur.execute("".join(sql), params)
        return {(org, kind): n for org, kind, n in cur.fetchall()}


FORECAST_SECONDS = 60


def cached_expected_free_tomorrow(
    *, ward_kind: str = "", feature: str = ""
) -> dict[tuple[int, str], int]:
    """`_expected_free_tomorrow` for every hospital, kept for a minute: a forecast from
    expected discharge dates, which a bed change moves by one patient at most."""
    key = f"hospital:tomorrow:{timezone.localdate()}:{ward_kind}:{feature}"
    tomorrow = cache.get(key)
    if tomorrow is None:
        tomorrow = _expected_free_tomorrow(hospital_ids=None, ward_kind=ward_kind, feature=feature)
        cache.set(key, tomorrow, FORECAST_SECONDS)
    return tomorrow


RATINGS_KEY = "hospital:ratings"  # the old cached ratings (forgotten with the reviews)


def kept_hospital_ratings() -> dict[int, tuple[float, int]]:
    """Every hospital's review average and count from the kept aggregates (one narrow row per
    hospital, recounted when one of its reviews changes): cheap with the cache emptied."""
    return {
        r.organisation_id: (r.average, r.count)
        for r in HospitalRating.objects.filter(count__gt=0).only(
            "organisation_id", "count", "score_total"
        )
    }


def counts_version() -> int:
    """The total of changes the kept bed counts have taken. Every committed bed change (from a
    web request, the task worker or cron — any process) moves it, so it keys the dashboard's
    caches: a change shows at the next request, with no invalidation message to lose. Read it
    before the counts, so a cached entry is never older than its key."""
    return BedCount.objects.aggregate(v=Sum("changes"))["v"] or 0


def cache_key(prefix: str, *parts, version: int | None = None) -> str:
    """A key under the current counts version (`version`, when the caller has read it already
    in this request: one read per request)."""
    raw = json.dumps([str(p) for p in parts])
    if version is None:
        version = counts_version()
    return f"hospital:{prefix}:{version}:{hashlib.sha1(raw.encode()).hexdigest()}"


def _grouped_availability(
    *, ward_kind: str, feature: str, ids: list[int] | None
) -> list[HospitalAvailability]:
    """One grouped query over the kept counts (the rows for all beds, or for one feature),
    joined to the hospital for its name and place; ratings and tomorrow's expected discharges
    from their own kept/cached reads. Unsorted, every place."""
    q = Q(
        feature=feature,
        organisation__kind=Organisation.Kind.HOSPITAL,
        organisation__is_public=True,
    )
    if ward_kind:
        q &= Q(ward__kind=ward_kind)
    if ids is not None:
        q &= Q(organisation_id__in=ids)
    rows = (
        BedCount.objects.filter(q)
        .values_list(
            "organisation_id",
            "organisation__slug",
            "organisation__name",
            "organisation__city",
            "organisation__district",
            "organisation__phone",
            "organisation__address",
            "ward__kind",
        )
        .annotate(**{v: Sum(v) for v in STATUS_VALUES}, changed=Max("changed_at"))
        .order_by()
    )
    hospitals: dict[int, HospitalAvailability] = {}
    for pk, slug, name, h_city, h_district, phone, address, kind, *numbers, updated in rows:
        ward = WardCounts(
            kind=kind, updated_at=updated, **dict(zip(STATUS_VALUES, numbers, strict=True))
        )
        ward.total = sum(numbers)
        if feature and not ward.total:
            continue  # no bed with that feature in this ward type
        h = hospitals.get(pk)
        if h is None:
            h = hospitals[pk] = HospitalAvailability(
                id=pk,
                slug=slug,
                name=name,
                city=h_city,
                district=h_district,
                phone=phone,
                address=address,
            )
        h.wards.append(ward)
        h.totals.add(ward)
    if hospitals:
        ratings = kept_hospital_ratings()
        tomorrow = cached_expected_free_tomorrow(ward_kind=ward_kind, feature=feature)
        for h in hospitals.values():
            h.wards.sort(key=lambda w: w.kind)
            h.rating, h.rating_count = ratings.get(h.id, (None, 0))
            for ward in h.wards:
                ward.expected_free_tomorrow = tomorrow.get((h.id, ward.kind), 0)
                h.expected_free_tomorrow += ward.expected_free_tomorrow
    return list(hospitals.values())


def availability(
    *,
    city: str = "",
    district: str = "",
    ward_kind: str = "",
    feature: str = "",
    sort: str = "free",
    hospital_ids=None,
    use_cache: bool = True,
    version: int | None = None,
) -> list[HospitalAvailability]:
    """Per public hospital and ward type: total, occupied, reserved, free… Every place and
    sort of one bed type × feature comes from the same cached list (one grouped query per
    counts version), filtered and sorted here: a place filter, a sort or the recommendations
    never cost a second query. Never touches the beds or the movements."""
    feature = feature if feature in Feature.values else ALL_BEDS
    ids = sorted(hospital_ids) if hospital_ids is not None else None
    key = None
    if use_cache:
        key = cache_key("avail", ward_kind, feature, ids, version=version)
        rows = cache.get(key)
    else:
        rows = None
    if rows is None:
        rows = _grouped_availability(ward_kind=ward_kind, feature=feature, ids=ids)
        if key:
            cache.set(key, rows, CACHE_SECONDS)
    if city:
        city = city.casefold()
        rows = [h for h in rows if h.city.casefold() == city]
    if district:
        district = district.casefold()
        rows = [h for h in rows if h.district.casefold() == district]
    if sort == "rating":
        return sorted(rows, key=lambda h: (-(h.rating or 0), -h.totals.free, h.name))
    if sort == "name":
        return sorted(rows, key=lambda h: h.name)
    return sorted(rows, key=lambda h: (-h.totals.free, -(h.rating or 0), h.name))


def saner_capacity(*, hospital_ids=None) -> list[dict]:
    """SANER-style capacity figures (HL7 Situational Awareness for Novel Epidemic Response):
    beds total / occupied / available per hospital and bed category."""
    out = []
    for h in availability(hospital_ids=hospital_ids):
        groups = []
        for w in h.wards:
            groups.append(
                {
                    "category": w.kind,
                    "numTotBeds": w.total - w.blocked,
                    "numBedsOcc": w.occupied + w.reserved,
                    "numBedsAvail": w.free,
                    "numBedsHousekeeping": w.housekeeping,
                    "numBedsClosed": w.blocked,
                }
            )
        out.append(
            {
                "hospital": h.slug,
                "name": h.name,
                "city": h.city,
                "district": h.district,
                "updated_at": h.totals.updated_at,
                "groups": groups,
            }
        )
    return out


def cities() -> list[tuple[str, str]]:
    return list(
        public_hospitals()
        .exclude(city="")
        .values_list("city", "district")
        .distinct()
        .order_by("city", "district")
    )


PLACES_KEY = "hospital:places"
PLACES_SECONDS = 300


def cached_places() -> list[tuple[str, str]]:
    """The dashboard's place filter choices, kept five minutes (hospitals rarely move)."""
    places = cache.get(PLACES_KEY)
    if places is None:
        places = cities()
        cache.set(PLACES_KEY, places, PLACES_SECONDS)
    return places


def public_hospital_or_404(*, slug: str) -> Organisation:
    hospital = public_hospitals().filter(slug=slug).first()
    if hospital is None:
        raise Http404("Not found.")
    return hospital


def hospital_page_or_404(*, user, slug: str) -> Organisation:
    """A public hospital, or a private one the user belongs to."""
    hospital = Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL, slug=slug).first()
    if hospital is None or not (
        hospital.is_public or has_role(user=user, organisation=hospital, at_least=Role.CUSTOMER)
    ):
        raise Http404("Not found.")
    return hospital


def ward_counts(*, hospital: Organisation) -> list[tuple[Ward, Counts]]:
    """Every ward of a hospital with its kept bed counts — one query."""
    rows = (
        BedCount.objects.filter(organisation=hospital, feature=ALL_BEDS)
        .select_related("ward")
        .order_by("ward__kind", "ward__name")
    )
    return [
        (
            r.ward,
            Counts(
                total=r.total,
                occupied=r.occupied,
                reserved=r.reserved,
                free=r.free,
                housekeeping=r.housekeeping,
                blocked=r.blocked,
                updated_at=r.changed_at,
            ),
        )
        for r in rows
    ]


def _stay_ids_as_text(hospital: Organisation):
    return (
        Stay.objects.filter(organisation=hospital)
        .annotate(sid=Cast("pk", CharField()))
        .values("sid")
    )


def review_summary(*, hospital: Organisation) -> RatingSummary:
    """From the kept aggregate (one row); no row yet means no published review."""
    row = HospitalRating.objects.filter(organisation=hospital).first()
    if row is None or not row.count:
        return RatingSummary(average=None, count=0, distribution=dict.fromkeys(range(5, 0, -1), 0))
    return RatingSummary(
        average=row.average,
        count=row.count,
        distribution={n: getattr(row, f"s{n}") for n in range(5, 0, -1)},
    )


def published_reviews(*, hospital: Organisation, limit: int = 8) -> list[Rating]:
    """The latest published reviews with a comment: the kept list of ids (recounted when a
    review changes) read by primary key, never a search through the hospital's stays."""
    ids = (
        HospitalRating.objects.filter(organisation=hospital)
        .values_list("latest_review_ids", flat=True)
        .first()
    )
    if not ids:
        return []
    rows = Rating.objects.filter(pk__in=ids[:limit], status=Rating.Status.PUBLISHED)
    return list(rows.select_related("user").order_by("-created_at", "-pk"))


REVIEWS_SECONDS = 300


def hospital_reviews(*, hospital: Organisation, limit: int = 8) -> tuple[RatingSummary, list]:
    """The hospital page's rating summary and latest published reviews, kept for minutes:
    they change only when staff moderate (which forgets them, `forget_reviews`)."""
    key = f"hospital:reviews:{hospital.pk}:{limit}"
    hit = cache.get(key)
    if hit is None:
        hit = (
            review_summary(hospital=hospital),
            published_reviews(hospital=hospital, limit=limit),
        )
        cache.set(key, hit, REVIEWS_SECONDS)
    return hit


def forget_reviews(*, hospital: Organisation) -> None:
    cache.delete_many([f"hospital:reviews:{hospital.pk}:8", RATINGS_KEY])


def reviews_for_moderation(*, hospital: Organisation) -> QuerySet[Rating]:
    return (
        Rating.objects.filter(
            target_type=ContentType.objects.get_for_model(Stay),
            status=Rating.Status.PENDING,
            target_id__in=_stay_ids_as_text(hospital),
        )
        .select_related("user")
        .order_by("created_at")
    )


def recommendations(
    *,
    user=None,
    ward_kind: str = "",
    feature: str = "",
    city: str = "",
    district: str = "",
    limit: int = 5,
    version: int | None = None,
) -> list[HospitalAvailability]:
    """Hospitals with a free bed of the needed kind: same district, then same city, first;
    then most free beds, best rating and most beds expected to free up tomorrow. Reads the
    same cached list as the dashboard (no query of its own once that is cached)."""
    rows = [
        h
        for h in availability(ward_kind=ward_kind, feature=feature, version=version)
        if h.totals.free > 0
    ]

    def rank(h: HospitalAvailability):
        near = (
            0
            if district and h.district.lower() == district.lower()
            else (1 if city and h.city.lower() == city.lower() else 2)
        )
        return (near, -h.totals.free, -(h.rating or 0), -h.expected_free_tomorrow, h.name)

    return sorted(rows, key=rank)[:limit]


# --- staff --------------------------------------------------------------------------------------


def staff_hospitals(*, user) -> QuerySet[Organisation]:
    return organisations_for(user=user, roles=STAFF_ROLES, kind=Organisation.Kind.HOSPITAL)


def hospital_for_staff(*, user, slug: str) -> Organisation:
    return get_scoped_or_404(
        Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL),
        user=user,
        path="pk",
        roles=STAFF_ROLES,
        slug=slug,
    )


def is_staff_of(*, user, hospital: Organisation) -> bool:
    return has_role(user=user, organisation=hospital, at_least=Role.STAFF)


def ward_for_staff(*, user, pk: int) -> Ward:
    return get_scoped_or_404(
        Ward.objects.select_related("organisation"), user=user, roles=STAFF_ROLES, pk=pk
    )


def bed_for_staff(*, user, pk: int) -> Bed:
    return get_scoped_or_404(
        Bed.objects.select_related("organisation", "ward"), user=user, roles=STAFF_ROLES, pk=pk
    )


def beds_of(*, user, hospital: Organisation) -> QuerySet[Bed]:
    return (
        Bed.objects.filter(organisation=hospital, organisation__in=staff_hospitals(user=user))
        .select_related("ward")
        .order_by("ward__name", "label")
    )


@dataclass
class BoardBed:
    bed: Bed
    stay: Stay | None
    booking: Booking | None


def ward_board(*, ward: Ward) -> list[BoardBed]:
    """Beds of a ward with their current patient or held booking — three queries."""
    open_stays = Prefetch(
        "stays", queryset=Stay.objects.filter(discharged_at__isnull=True), to_attr="open_stays"
    )
    held = Prefetch(
        "bookings", queryset=Booking.objects.filter(status__in=Booking.HOLDING), to_attr="holds"
    )
    beds = ward.beds.select_related("room").prefetch_related(open_stays, held).order_by("label")
    return [
        BoardBed(bed=b, stay=(b.open_stays or [None])[0], booking=(b.holds or [None])[0])
        for b in beds
    ]


def free_beds_for_transfer(*, hospital: Organisation) -> QuerySet[Bed]:
    return (
        Bed.objects.filter(organisation=hospital, status=BedStatus.FREE)
        .select_related("ward")
        .order_by("ward__name", "label")
    )


def open_bookings(*, hospital: Organisation) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(organisation=hospital, status__in=Booking.HOLDING)
        .select_related("bed__ward", "requester")
        .order_by("held_until")
    )


def waiting_list(*, hospital: Organisation) -> QuerySet[Booking]:
    """The hospital's queue: most urgent first, then first come."""
    return (
        Booking.objects.filter(organisation=hospital, status=Booking.Status.WAITING)
        .select_related("requester")
        .order_by("urgency", "created_at", "pk")
    )


def open_stays(*, hospital: Organisation) -> QuerySet[Stay]:
    return (
        Stay.objects.filter(organisation=hospital, discharged_at__isnull=True)
        .select_related("bed__ward")
        .order_by("admitted_at")
    )


# --- the family's own bookings and stays ----------------------------------------------------


def bookings_for_requester(*, user) -> QuerySet[Booking]:
    if not user.is_authenticated:
        return Booking.objects.none()
    return (
        Booking.objects.filter(requester=user)
        .select_related("organisation", "bed__ward", "stay")
        .order_by("-created_at")
    )


def _visible_q(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}requester": user}) | Q(
        **{f"{prefix}organisation__in": staff_hospitals(user=user)}
    )


def booking_for(*, user, pk: int) -> Booking:
    """The requester and the hospital's staff see a booking; anyone else gets a 404."""
    if not user.is_authenticated:
        raise Http404("Not found.")
    booking = (
        Booking.objects.filter(_visible_q(user), pk=pk)
        .select_related("organisation", "bed__ward", "requester")
        .first()
    )
    if booking is None:
        raise Http404("Not found.")
    return booking


def stay_for(*, user, pk: int) -> Stay:
    if not user.is_authenticated:
        raise Http404("Not found.")
    stay = (
        Stay.objects.filter(_visible_q(user), pk=pk)
        .select_related("organisation", "bed__ward", "requester")
        .first()
    )
    if stay is None:
        raise Http404("Not found.")
    return stay


def stays_for_requester(*, user) -> QuerySet[Stay]:
    if not user.is_authenticated:
        return Stay.objects.none()
    return Stay.objects.filter(requester=user).select_related("organisation", "bed__ward")


def stay_bed_history(*, stay: Stay) -> QuerySet[BedMovement]:
    return (
        stay.movements.filter(kind__in=[BedMovement.Kind.ADMIT, BedMovement.Kind.TRANSFER_IN])
        .select_related("bed__ward")
        .order_by("at", "pk")
    )


def queue_position(*, booking: Booking) -> int | None:
    if booking.status != Booking.Status.WAITING:
        return None
    from concierge.hospital.services import waiting_position

    return waiting_position(booking=booking)


# --- reports -------------------------------------------------------------------------------------


@dataclass
class DayRow:
    day: date
    ward: str
    beds: int
    occupied_hours: float
    admissions: int
    discharges: int

    @property
    def occupancy_pct(self) -> float:
        return round(100 * self.occupied_hours / (24 * self.beds), 1) if self.beds else 0.0


@dataclass
class OccupancyReport:
    start: date
    end: date
    wards: list[str]
    rows: list[DayRow]
    admissions_per_day: dict[date, int]
    discharges_per_day: dict[date, int]
    average_los_days: float | None
    discharges: int
    beds: int
    turnover: float
    housekeeping_hours: float | None
    housekeeping_count: int


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def occupancy_report(
    *, hospital: Organisation, days: int = 30, end: date | None = None
) -> OccupancyReport:
    """Occupancy per ward per day, admissions and discharges per day, average length of stay,
    bed turnover and time in housekeeping — all from the bed movements (three queries)."""
    tz = timezone.get_current_timezone()
    end = end or timezone.localdate()
    start = end - timedelta(days=days - 1)
    t0 = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    t1 = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    now = timezone.now()
    beds = list(Bed.objects.filter(organisation=hospital).values("id", "status", "ward__name"))
    ward_of = {b["id"]: b["ward__name"] for b in beds}
    ward_beds: dict[str, int] = defaultdict(int)
    for b in beds:
        ward_beds[b["ward__name"]] += 1
    moves = list(
        BedMovement.objects.filter(organisation=hospital, at__gte=t0, at__lt=t1)
        .values("bed_id", "at", "kind", "from_status", "to_status")
        .order_by("at", "id")
    )
    by_bed: dict[int, list[dict]] = defaultdict(list)
    for m in moves:
        by_bed[m["bed_id"]].append(m)
    # A bed's status at t0 is the from_status of its first movement in the window, or its
    # current status when it has not moved since.
    occupied: dict[tuple[date, str], float] = defaultdict(float)
    hk_durations: list[float] = []

    def add_interval(ward: str, a: datetime, b: datetime) -> None:
        while a < b:
            day_end = datetime.combine(
                timezone.localtime(a, tz).date() + timedelta(days=1), datetime.min.time(), tzinfo=tz
            )
            part = min(b, day_end)
            occupied[(timezone.localtime(a, tz).date(), ward)] += (part - a).total_seconds()
            a = part

    for b in beds:
        ms = by_bed.get(b["id"], [])
        status = ms[0]["from_status"] if ms else b["status"]
        since = t0
        hk_since = None
        for m in ms:
            if status == BedStatus.OCCUPIED:
                add_interval(b["ward__name"], since, m["at"])
            if m["to_status"] == BedStatus.HOUSEKEEPING:
                hk_since = m["at"]
            elif status == BedStatus.HOUSEKEEPING and hk_since is not None:
                hk_durations.append((m["at"] - hk_since).total_seconds() / 3600)
                hk_since = None
            status, since = m["to_status"], m["at"]
        if status == BedStatus.OCCUPIED:
            add_interval(b["ward__name"], since, min(t1, now))
    admissions: dict[date, int] = defaultdict(int)
    discharges: dict[date, int] = defaultdict(int)
    adm_ward: dict[tuple[date, str], int] = defaultdict(int)
    dis_ward: dict[tuple[date, str], int] = defaultdict(int)
    for m in moves:
        d = timezone.localtime(m["at"], tz).date()
        if m["kind"] == BedMovement.Kind.ADMIT:
            admissions[d] += 1
            adm_ward[(d, ward_of[m["bed_id"]])] += 1
        elif m["kind"] == BedMovement.Kind.DISCHARGE:
            discharges[d] += 1
            dis_ward[(d, ward_of[m["bed_id"]])] += 1
    los = Stay.objects.filter(
        organisation=hospital, discharged_at__gte=t0, discharged_at__lt=t1
    ).aggregate(avg=Avg(F("discharged_at") - F("admitted_at")), n=Count("id"))
    avg_los = los["avg"].total_seconds() / 86400 if los["avg"] is not None else None
    wards = sorted(ward_beds)
    rows = [
        DayRow(
            day=d,
            ward=w,
            beds=ward_beds[w],
            occupied_hours=round(occupied.get((d, w), 0) / 3600, 2),
            admissions=adm_ward.get((d, w), 0),
            discharges=dis_ward.get((d, w), 0),
        )
        for d in _days(start, end)
        for w in wards
    ]
    n_beds = len(beds)
    return OccupancyReport(
        start=start,
        end=end,
        wards=wards,
        rows=rows,
        admissions_per_day={d: admissions.get(d, 0) for d in _days(start, end)},
        discharges_per_day={d: discharges.get(d, 0) for d in _days(start, end)},
        average_los_days=round(avg_los, 2) if avg_los is not None else None,
        discharges=los["n"],
        beds=n_beds,
        turnover=round(los["n"] / n_beds, 2) if n_beds else 0.0,
        housekeeping_hours=(
            round(sum(hk_durations) / len(hk_durations), 2) if hk_durations else None
        ),
        housekeeping_count=len(hk_durations),
    )


# --- length of stay (the colleague's `concierge.hospital.los` package) --------------------------


def _los_function(name: str):
    """A function from the LOS package, or None while the package has not landed."""
    for module_name in ("concierge.hospital.los.model", "concierge.hospital.los.forecast"):
        try:
            module = importlib.import_module(module_name)
        except Exception:  # not there yet, or broken: the seam stays closed
            continue
        fn = getattr(module, name, None)
        if callable(fn):
            return fn
    return None


def predicted_discharge(*, stay: Stay) -> tuple[datetime, datetime, datetime, list] | None:
    """(expected, low, high) discharge times of the 80 % range and the survival curve from the
    LOS model (`concierge.hospital.los`); None when the model is missing or cannot say."""
    predict = _los_function("predict_stay")
    if predict is None:
        return None
    try:
        result = predict(
            age=stay.patient_age,
            sex=stay.patient_sex,
            reason=stay.reason,
            ward_kind=stay.bed.ward.kind,
        )
        mid, low, high = float(result.days), float(result.low), float(result.high)
        survival = [float(x) for x in getattr(result, "survival", [])]
    except Exception:  # a broken model never blocks an admission
        logger.warning("length-of-stay prediction failed", exc_info=True)
        return None
    at = stay.admitted_at
    return (at + timedelta(days=mid), at + timedelta(days=low), at + timedelta(days=high), survival)


@dataclass
class ForecastDay:
    day: date
    occupied: float
    expected_free: float
    likely_free: int | None = None
    chance_full: float | None = None


def ward_forecast(*, ward: Ward, days: int = 7) -> list[ForecastDay]:
    """Expected occupied and free beds of a ward on each of the next days.

    With the LOS package: every patient's predicted survival curve (or staff's date, which
    wins), recent admissions per weekday and held beds go into `los.forecast.forecast_ward`.
    Without it: a patient counts until the expected discharge; one without a date stays."""
    beds = ward.beds.exclude(status=BedStatus.BLOCKED).count()
    reserved = ward.beds.filter(status=BedStatus.RESERVED).count()
    today = timezone.localdate()
    stays = list(
        Stay.objects.filter(bed__ward=ward, discharged_at__isnull=True).only(
            "admitted_at",
            "expected_discharge_override",
            "predicted_discharge_at",
            "predicted_survival",
        )
    )
    forecast_ward = _los_function("forecast_ward")
    if forecast_ward is not None:
        try:
            return _los_forecast(
                ward=ward,
                beds=beds,
                reserved=reserved,
                stays=stays,
                today=today,
                days=days,
                forecast_ward=forecast_ward,
            )
        except Exception:
            logger.warning("ward forecast failed; using expected dates only", exc_info=True)
    out = []
    tz = timezone.get_current_timezone()
    for i in range(1, days + 1):
        day = today + timedelta(days=i)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        occ = (
            sum(
                1
                for s in stays
                if s.expected_discharge_at is None or s.expected_discharge_at >= end
            )
            + reserved
        )
        out.append(ForecastDay(day=day, occupied=occ, expected_free=max(beds - occ, 0)))
    return out


def _los_forecast(*, ward, beds, reserved, stays, today, days, forecast_ward):
    from concierge.hospital.los import forecast as los_forecast

    inpatients = []
    for s in stays:
        stayed = (today - timezone.localdate(s.admitted_at)).days
        override = None
        if s.expected_discharge_override is not None:
            override = max(0, (timezone.localdate(s.expected_discharge_override) - today).days)
        elif not s.predicted_survival:
            override = days + 1  # nothing known: assume the patient stays
        inpatients.append(
            los_forecast.Inpatient(
                survival=s.predicted_survival or [1.0],
                days_stayed=stayed,
                expected_discharge_in=override,
            )
        )
    since = today - timedelta(weeks=los_forecast.DEFAULT_HISTORY_WEEKS)
    admitted = [
        timezone.localdate(at)
        for at in BedMovement.objects.filter(
            ward=ward, kind=BedMovement.Kind.ADMIT, at__date__gte=since
        ).values_list("at", flat=True)
    ]
    arrivals = los_forecast.mean_arrivals_by_weekday(admitted, today=today)
    recent = [s.predicted_survival for s in stays if s.predicted_survival]
    result = forecast_ward(
        today=today,
        beds=beds,
        inpatients=inpatients,
        arrivals_by_weekday=arrivals,
        arrival_survival=los_forecast.mean_survival(recent),
        reserved=reserved,
        horizon=days,
    )
    return [
        ForecastDay(
            day=d.on,
            occupied=round(d.expected_occupied, 1),
            expected_free=round(d.expected_free, 1),
            likely_free=d.likely_free,
            chance_full=round(d.chance_full, 2),
        )
        for d in result.days
    ]


def model_card() -> dict | None:
    """The LOS model card the colleague ships beside the model (data, figures, date)."""
    shipped_card = _los_function("shipped_card")
    if shipped_card is None:
        return None
    try:
        return shipped_card()
    except (OSError, ValueError):
        return None


# --- dashboard cards ---------------------------------------------------------------------------


def staff_card(*, user) -> list[tuple[Organisation, Counts]]:
    hospitals = list(staff_hospitals(user=user))
    rows = (
        BedCount.objects.filter(organisation__in=hospitals, feature=ALL_BEDS)
        .values("organisation_id")
        .annotate(**{v: Sum(v) for v in STATUS_VALUES}, updated_at=Max("changed_at"))
        .order_by()
    )
    by_id = {r.pop("organisation_id"): r for r in rows}
    out = []
    for h in hospitals:
        r = by_id.get(h.pk)
        counts = Counts() if r is None else Counts(total=sum(r[v] for v in STATUS_VALUES), **r)
        out.append((h, counts))
    return out
