"""Demo hospitals with wards, beds, 60 days of bed movements, patients in beds, held bookings, a
waiting list and reviews. Idempotent: a hospital that already has wards is left alone."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from concierge.accounts import services as account_services
from concierge.accounts.models import Organisation, User
from concierge.core.demo import demo_org, demo_user
from concierge.feedback import services as feedback_services
from concierge.feedback.models import Rating
from concierge.hospital import services
from concierge.hospital.models import (
    Bed,
    BedMovement,
    BedStatus,
    Booking,
    Room,
    Stay,
    Urgency,
    Ward,
    WardKind,
)

HISTORY_DAYS = 60

MORE_HOSPITALS = [
    (
        "riverside-district",
        "Riverside District Hospital",
        "New Delhi",
        "New Delhi",
        "4 Ring Road, Lajpat Nagar",
        "+91 11 2690 1100",
    ),
    (
        "green-park-government",
        "Green Park Government Hospital",
        "Bengaluru",
        "Bengaluru Urban",
        "22 Hosur Road",
        "+91 80 2222 7000",
    ),
    (
        "sunrise-childrens",
        "Sunrise Children's Hospital",
        "Mumbai",
        "Mumbai Suburban",
        "7 SV Road, Andheri West",
        "+91 22 2670 4400",
    ),
    (
        "deccan-heart",
        "Deccan Heart Institute",
        "Hyderabad",
        "Hyderabad",
        "Road No. 12, Banjara Hills",
        "+91 40 2335 8800",
    ),
    (
        "coastal-care",
        "Coastal Care Hospital",
        "Kochi",
        "Ernakulam",
        "MG Road, Ernakulam South",
        "+91 484 236 9000",
    ),
    (
        "marina-medical",
        "Marina Medical Centre",
        "Chennai",
        "Chennai",
        "3 Kamarajar Salai, Triplicane",
        "+91 44 2844 1200",
    ),
]

# (ward name, kind, beds, features, share of beds occupied now)
LAYOUTS = {
    "large": [
        ("General Ward A", WardKind.GENERAL, 14, ["oxygen"], 0.6),
        ("General Ward B", WardKind.GENERAL, 10, [], 0.7),
        ("ICU", WardKind.ICU, 8, ["oxygen", "ventilator"], 1.0),
        ("HDU", WardKind.HDU, 6, ["oxygen"], 0.7),
        ("Maternity", WardKind.MATERNITY, 8, [], 0.5),
        ("Paediatric", WardKind.PAEDIATRIC, 6, ["paediatric", "oxygen"], 0.5),
        ("Isolation", WardKind.ISOLATION, 4, ["isolation", "oxygen"], 0.5),
    ],
    "medium": [
        ("General Ward", WardKind.GENERAL, 12, ["oxygen"], 0.7),
        ("ICU", WardKind.ICU, 6, ["oxygen", "ventilator"], 0.8),
        ("Maternity", WardKind.MATERNITY, 6, [], 0.5),
        ("Isolation", WardKind.ISOLATION, 3, ["isolation"], 0.4),
    ],
    "children": [
        ("Children's Ward", WardKind.PAEDIATRIC, 12, ["paediatric", "oxygen"], 0.6),
        ("Neonatal ICU", WardKind.ICU, 6, ["paediatric", "ventilator", "oxygen"], 0.8),
        ("Maternity", WardKind.MATERNITY, 6, [], 0.5),
    ],
}

REASONS = {
    WardKind.GENERAL: [
        "Dengue fever",
        "Pneumonia",
        "Diabetic foot ulcer",
        "Typhoid",
        "Gastroenteritis with dehydration",
        "Fractured femur",
        "Cellulitis",
    ],
    WardKind.ICU: [
        "Myocardial infarction",
        "Septic shock",
        "Stroke",
        "Respiratory failure",
        "Head injury after road accident",
    ],
    WardKind.HDU: ["Post-operative monitoring", "Diabetic ketoacidosis", "Heart failure"],
    WardKind.MATERNITY: ["Delivery", "Caesarean section", "Pre-eclampsia observation"],
    WardKind.PAEDIATRIC: ["Bronchiolitis", "Febrile seizure", "Asthma attack", "Dengue fever"],
    WardKind.ISOLATION: ["Tuberculosis", "Chickenpox", "H1N1 influenza"],
}
LOS_DAYS = {
    WardKind.GENERAL: (1, 7),
    WardKind.ICU: (2, 10),
    WardKind.HDU: (1, 5),
    WardKind.MATERNITY: (1, 4),
    WardKind.PAEDIATRIC: (1, 5),
    WardKind.ISOLATION: (4, 14),
}
NAMES = [
    "Lakshmi Narayanan",
    "Suresh Kumar",
    "Fatima Begum",
    "Rahul Sharma",
    "Anjali Menon",
    "Mohammed Irfan",
    "Kavitha Rajan",
    "Vikram Singh",
    "Priya Nair",
    "Arun Prakash",
    "Deepa Iyer",
    "Joseph Thomas",
    "Meena Kumari",
    "Ganesh Babu",
    "Sneha Patil",
    "Harpreet Kaur",
    "Ramesh Gowda",
    "Aisha Khan",
    "Karthik Subramanian",
    "Nisha Verma",
]
REVIEWS = [
    (5, "The ICU nurses explained everything to us every morning. Thank you."),
    (4, "Clean ward and kind staff; the wait at admission was long."),
    (5, "Booked the bed online at night and it was ready when we arrived."),
    (3, "Treatment was good but the discharge paperwork took a whole day."),
    (4, "Doctors were patient with our questions. Parking is difficult."),
    (2, "Bed was fine, but nobody told us when the doctor would come."),
]
REVIEWERS = [
    ("meena.family@demo.concierge", "Meena S"),
    ("joseph.family@demo.concierge", "Joseph T"),
    ("farah.family@demo.concierge", "Farah A"),
]


def run(*, stdout) -> None:
    rng = random.Random(20261126)
    admin = demo_user("admin")
    hospitals = [(demo_org("city-general"), "large"), (demo_org("lakeview-hospital"), "medium")]
    for slug, name, city, district, address, phone in MORE_HOSPITALS:
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            org = account_services.create_organisation(
                owner=admin,
                name=name,
                kind=Organisation.Kind.HOSPITAL,
                slug=slug,
                city=city,
                district=district,
                address=address,
                phone=phone,
                is_public=True,
                language="en",
            )
        layout = "children" if "children" in slug else "medium"
        hospitals.append((org, layout))
    reviewers = [_reviewer(email, name) for email, name in REVIEWERS]
    for org, layout in hospitals:
        if Ward.objects.filter(organisation=org).exists():
            continue
        stdout.write(f"  hospital beds: {org.name}")
        _build(org, layout, admin=admin, rng=rng, reviewers=reviewers)
    _bookings(admin=admin)


def _reviewer(email: str, name: str) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"display_name": name, "password": make_password(None)}
    )
    return user


def _build(org: Organisation, layout: str, *, admin, rng: random.Random, reviewers) -> None:
    now = timezone.now()
    start = now - timedelta(days=HISTORY_DAYS)
    for ward_name, kind, n_beds, features, busy in LAYOUTS[layout]:
        ward = services.create_ward(
            user=admin, organisation=org, name=ward_name, kind=kind, floor=str(rng.randint(1, 5))
        )
        rooms = [Room.objects.create(ward=ward, name=f"R{i + 1}") for i in range((n_beds + 3) // 4)]
        for i in range(n_beds):
            bed_features = [f for f in features if f != "ventilator" or i % 2 == 0]
            bed = services.add_bed(
                user=admin,
                ward=ward,
                label=f"{ward_name[:1]}{i + 1:02d}",
                features=bed_features,
                room=rooms[i // 4],
                at=start,
            )
            final = _final_state(rng, busy)
            final_at = _history(
                bed,
                kind,
                start=start,
                now=now,
                final=final,
                rng=rng,
                actor=admin,
                reviewers=reviewers,
            )
            _apply_final(bed, kind, final, at=final_at, now=now, rng=rng, admin=admin)


def _final_state(rng: random.Random, busy: float) -> str:
    r = rng.random()
    if r < busy * 0.92:
        return BedStatus.OCCUPIED
    if r < busy * 0.92 + 0.06:
        return BedStatus.HOUSEKEEPING
    if r < busy * 0.92 + 0.09:
        return BedStatus.BLOCKED
    return BedStatus.FREE


def _history(
    bed: Bed, kind: str, *, start, now, final: str, rng: random.Random, actor, reviewers
) -> object:
    """Admit → discharge → housekeeping → free cycles from 60 days ago, written in bulk; returns
    when the bed's present state begins."""
    lo, hi = LOS_DAYS[kind]
    present_from = now - timedelta(hours=rng.uniform(3, 24 * hi))
    if final != BedStatus.OCCUPIED:
        present_from = now - timedelta(hours=rng.uniform(1, 10))
    t = start + timedelta(hours=rng.uniform(0, 48))
    movements, stays = [], []
    while True:
        los = timedelta(hours=rng.uniform(lo * 24, hi * 24))
        cleaning = timedelta(hours=rng.uniform(0.5, 4))
        if t + los + cleaning >= present_from:
            # A shorter last stay fills most of the gap before the present state begins.
            gap = present_from - t - cleaning - timedelta(hours=rng.uniform(1, 8))
            if gap < timedelta(hours=12):
                break
            los = gap
        stay = Stay(
            organisation_id=bed.organisation_id,
            bed=bed,
            patient_name=rng.choice(NAMES),
            patient_age=rng.randint(1 if kind == WardKind.PAEDIATRIC else 18, 88),
            patient_sex=rng.choice("FM"),
            reason=rng.choice(REASONS[kind]),
            admitted_at=t,
            admitted_by=actor,
            discharged_at=t + los,
            discharged_by=actor,
        )
        stays.append(stay)
        t_free = t + los + cleaning
        movements.append((stay, t, BedMovement.Kind.ADMIT, "free", "occupied"))
        movements.append((stay, t + los, BedMovement.Kind.DISCHARGE, "occupied", "housekeeping"))
        movements.append((None, t_free, BedMovement.Kind.CLEANED, "housekeeping", "free"))
        t = t_free + timedelta(hours=rng.expovariate(1 / 10))
    Stay.objects.bulk_create(stays)
    BedMovement.objects.bulk_create(
        [
            BedMovement(
                organisation_id=bed.organisation_id,
                bed=bed,
                ward_id=bed.ward_id,
                at=at,
                kind=k,
                from_status=a,
                to_status=b,
                actor=actor,
                stay=stay,
            )
            for stay, at, k, a, b in movements
        ]
    )
    last = movements[-1][1] if movements else None
    if last is not None:
        Bed.objects.filter(pk=bed.pk).update(status_changed_at=last)
        bed.status_changed_at = last
    # A few finished stays were booked by families who left a review.
    for stay in stays[-2:]:
        if rng.random() < 0.08:
            reviewer = rng.choice(reviewers)
            Stay.objects.filter(pk=stay.pk).update(requester=reviewer)
            stay.requester = reviewer
            score, comment = rng.choice(REVIEWS)
            rating = feedback_services.rate(
                user=reviewer,
                target=stay,
                score=score,
                comment=comment,
                context="review",
                moderated=True,
            )
            if rng.random() < 0.85:
                feedback_services.moderate(moderator=actor, rating=rating, publish=True)
            # Demo history: the review was written the day after discharge.
            Rating.objects.filter(pk=rating.pk).update(
                created_at=min(
                    stay.discharged_at + timedelta(days=1), timezone.now() - timedelta(hours=2)
                )
            )
    return max(present_from, t)


def _apply_final(bed: Bed, kind: str, final: str, *, at, now, rng: random.Random, admin) -> None:
    if final == BedStatus.FREE:
        return
    if final == BedStatus.BLOCKED:
        services.block_bed(
            user=admin,
            bed=bed,
            reason=rng.choice(
                ["Oxygen line repair", "Mattress replacement", "Deep cleaning after infection"]
            ),
        )
        return
    lo, hi = LOS_DAYS[kind]
    admitted = at if final == BedStatus.OCCUPIED else at - timedelta(days=rng.uniform(lo, hi))
    stay = services.admit(
        user=admin,
        bed=bed,
        patient_name=rng.choice(NAMES),
        patient_age=rng.randint(1 if kind == WardKind.PAEDIATRIC else 18, 88),
        patient_sex=rng.choice("FM"),
        reason=rng.choice(REASONS[kind]),
        at=admitted,
    )
    if final == BedStatus.HOUSEKEEPING:
        services.discharge(user=admin, stay=stay, at=min(at, now))
        return
    # Ward staff's own estimate for most patients (the LOS model adds its own when installed).
    if rng.random() < (0.75 if stay.predicted_discharge_at is None else 0.2):
        expected = admitted + timedelta(days=rng.uniform(lo, hi))
        if expected <= now:
            expected = now + timedelta(hours=rng.uniform(4, 60))
        services.set_expected_discharge(user=admin, stay=stay, when=expected)


def _bookings(*, admin) -> None:
    """Held beds and a waiting list, so the ward's queue and the family pages show something."""
    if Booking.objects.exists():
        return
    city = demo_org("city-general")
    lakeview = demo_org("lakeview-hospital")
    arjun = demo_user("family")
    meena, joseph, farah = (User.objects.get(email=e) for e, _n in REVIEWERS)
    # ICU at City General is full: two families wait, the more urgent first.
    services.request_bed(
        user=meena,
        organisation=city,
        ward_kind=WardKind.ICU,
        feature="ventilator",
        patient_name="Kannan S",
        patient_age=67,
        patient_sex="M",
        reason="COPD exacerbation, needs ventilation",
        urgency=Urgency.URGENT,
    )
    services.request_bed(
        user=joseph,
        organisation=city,
        ward_kind=WardKind.ICU,
        patient_name="Mary Joseph",
        patient_age=58,
        patient_sex="F",
        reason="Post-surgery monitoring",
        urgency=Urgency.ROUTINE,
    )
    services.request_bed(
        user=farah,
        organisation=city,
        ward_kind=WardKind.MATERNITY,
        patient_name="Farah Ali",
        patient_age=29,
        patient_sex="F",
        reason="Labour expected this week",
        urgency=Urgency.ROUTINE,
    )
    held = services.request_bed(
        user=arjun,
        organisation=lakeview,
        ward_kind=WardKind.GENERAL,
        patient_name="Sunita Kumar",
        patient_age=61,
        patient_sex="F",
        reason="High fever for five days",
        urgency=Urgency.URGENT,
    )
    if held.status == Booking.Status.HELD:
        services.confirm_booking(user=admin, booking=held)
