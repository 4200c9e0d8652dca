"""Pages: the public dashboard (anonymous), booking, the ward board, reports, privacy."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from concierge.feedback.models import Rating
from concierge.hospital import services
from concierge.hospital.models import BedStatus, Booking, Stay, WardKind
from concierge.hospital.tests.factories import (
    BedFactory,
    HospitalFactory,
    UserFactory,
    WardFactory,
    booking_kwargs,
    staff_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    chennai = HospitalFactory(name="Chennai Care", city="Chennai", district="Chennai")
    pune = HospitalFactory(name="Pune Heart", city="Pune", district="Pune")
    general = WardFactory(organisation=chennai, kind=WardKind.GENERAL, name="Gen")
    icu = WardFactory(organisation=chennai, kind=WardKind.ICU, name="ICU")
    BedFactory.create_batch(3, ward=general)
    BedFactory(ward=general, status=BedStatus.OCCUPIED)
    BedFactory(ward=icu, has_ventilator=True)
    BedFactory.create_batch(2, ward=WardFactory(organisation=pune, kind=WardKind.ICU))
    return {
        "chennai": chennai,
        "pune": pune,
        "general": general,
        "icu": icu,
        "nurse": staff_of(chennai),
        "family": UserFactory(),
    }


def test_public_dashboard_shows_counts_without_login(client, world):
    response = client.get(reverse("hospital:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chennai Care" in html and "Pune Heart" in html
    rows = {h.name: h for h in response.context["hospitals"]}
    assert (rows["Chennai Care"].totals.free, rows["Chennai Care"].totals.occupied) == (4, 1)
    assert response.context["totals"]["free"] == 6


def test_dashboard_filters_by_place_type_and_feature(client, world):
    r = client.get(reverse("hospital:index"), {"city": "city:Pune"})
    assert [h.name for h in r.context["hospitals"]] == ["Pune Heart"]
    r = client.get(reverse("hospital:index"), {"ward_kind": "icu", "feature": "ventilator"})
    rows = {h.name: h.totals.free for h in r.context["hospitals"]}
    assert rows == {"Chennai Care": 1}
    assert [h.name for h in r.context["recommended"]] == ["Chennai Care"]


def test_dashboard_aggregates_in_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    for _ in range(5):
        hospital = HospitalFactory()
        BedFactory.create_batch(3, ward=WardFactory(organisation=hospital))
    with django_assert_max_num_queries(8):
        client.get(reverse("hospital:index"), {"sort": "rating"})


def test_htmx_poll_returns_fragment_with_fresh_counts(client, world):
    url = reverse("hospital:index")
    first = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in first.content.decode()
    services.request_bed(user=world["family"], organisation=world["chennai"], **booking_kwargs())
    second = client.get(url, headers={"HX-Request": "true"})
    row = {h.name: h for h in second.context["hospitals"]}["Chennai Care"]
    assert (row.totals.free, row.totals.reserved) == (3, 1)  # not a stale cached answer


def test_public_pages_never_show_patient_details(client, world):
    services.request_bed(
        user=world["family"],
        organisation=world["chennai"],
        **booking_kwargs(patient_name="Secret Patient"),
    )
    for url in (
        reverse("hospital:index"),
        reverse("hospital:hospital", args=[world["chennai"].slug]),
        "/api/hospital/availability",
        "/api/hospital/capacity",
    ):
        assert "Secret Patient" not in client.get(url).content.decode()


def test_book_flow_holds_a_bed(client, world):
    client.force_login(world["family"])
    url = reverse("hospital:book", args=[world["chennai"].slug])
    response = client.post(url, {**booking_kwargs(), "urgency": 2, "feature": ""})
    booking = Booking.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "hospital:booking", args=[booking.pk]
    )
    assert booking.status == "held"
    page = client.get(response.url).content.decode()
    assert "Lakshmi Devi" in page and "Cancel booking" in page


def test_book_form_errors_stay_on_the_page(client, world):
    client.force_login(world["family"])
    url = reverse("hospital:book", args=[world["chennai"].slug])
    response = client.post(url, {**booking_kwargs(patient_age=999), "urgency": 2})
    assert response.status_code == 200
    assert response.context["form"].errors["patient_age"]
    assert not Booking.objects.exists()


def test_booking_login_required_and_stranger_gets_404(client, world):
    booking = services.request_bed(
        user=world["family"], organisation=world["chennai"], **booking_kwargs()
    )
    url = reverse("hospital:booking", args=[booking.pk])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("hospital:booking_action", args=[booking.pk, "cancel"])).status_code
        == 404
    )
    client.force_login(staff_of(world["pune"]))  # staff of another hospital
    assert client.get(url).status_code == 404
    client.force_login(world["nurse"])
    assert client.get(url).status_code == 200


def test_staff_pages_are_404_for_strangers(client, world):
    bed = world["general"].beds.first()
    client.force_login(world["family"])
    for url in (
        reverse("hospital:manage", args=[world["chennai"].slug]),
        reverse("hospital:ward", args=[world["general"].pk]),
        reverse("hospital:reports", args=[world["chennai"].slug]),
        reverse("hospital:admit", args=[bed.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("hospital:bed_action", args=[bed.pk, "block"]), {"reason": "x"}
        ).status_code
        == 404
    )
    bed.refresh_from_db()
    assert bed.status == BedStatus.FREE


def test_ward_board_journey_confirm_admit_discharge_clean(client, world):
    booking = services.request_bed(
        user=world["family"], organisation=world["chennai"], **booking_kwargs()
    )
    client.force_login(world["nurse"])
    client.post(reverse("hospital:booking_action", args=[booking.pk, "confirm"]))
    client.post(reverse("hospital:booking_action", args=[booking.pk, "admit"]))
    bed = booking.bed
    bed.refresh_from_db()
    assert bed.status == BedStatus.OCCUPIED
    board = client.get(reverse("hospital:ward", args=[bed.ward_id])).content.decode()
    assert "LD" in board  # the patient's initials
    client.post(reverse("hospital:bed_action", args=[bed.pk, "discharge"]))
    bed.refresh_from_db()
    assert bed.status == BedStatus.HOUSEKEEPING
    response = client.post(reverse("hospital:bed_action", args=[bed.pk, "discharge"]), follow=True)
    assert "only an occupied bed" in response.content.decode()  # a clear error, not a 500
    client.post(reverse("hospital:bed_action", args=[bed.pk, "clean"]))
    bed.refresh_from_db()
    assert bed.status == BedStatus.FREE


def test_ward_board_queries_do_not_grow_with_beds(client, world, django_assert_max_num_queries):
    nurse = world["nurse"]
    for i in range(12):
        bed = BedFactory(ward=world["general"])
        services.admit(
            user=nurse, bed=bed, patient_name=f"P {i}", patient_age=30, patient_sex="F", reason="x"
        )
    client.force_login(nurse)
    with django_assert_max_num_queries(20):
        client.get(reverse("hospital:ward", args=[world["general"].pk]))


def test_walk_in_admit_form(client, world):
    bed = world["general"].beds.filter(status=BedStatus.FREE).first()
    client.force_login(world["nurse"])
    url = reverse("hospital:admit", args=[bed.pk])
    bad = client.post(
        url, {"patient_name": "", "patient_age": 30, "patient_sex": "F", "reason": "x"}
    )
    assert bad.status_code == 200 and bad.context["form"].errors
    ok = client.post(
        url,
        {"patient_name": "Walk In", "patient_age": 30, "patient_sex": "F", "reason": "Chest pain"},
    )
    assert ok.status_code == 302
    assert Stay.objects.get().patient_name == "Walk In"


def test_review_after_discharge_is_moderated_then_public(client, world):
    booking = services.request_bed(
        user=world["family"], organisation=world["chennai"], **booking_kwargs()
    )
    stay = services.admit(user=world["nurse"], booking=booking)
    assert not stay.can_be_rated_by(world["family"])  # not before discharge
    services.discharge(user=world["nurse"], stay=stay)
    stay.refresh_from_db()
    assert stay.can_be_rated_by(world["family"])
    assert not stay.can_be_rated_by(UserFactory())
    client.force_login(world["family"])
    page = client.get(reverse("hospital:stay", args=[stay.pk])).content.decode()
    assert "How was the stay" in page
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Stay)
    client.post(
        reverse("feedback:rate", args=[ct.pk, stay.pk]),
        {"score": 4, "comment": "Kind nurses in the general ward."},
    )
    rating = Rating.objects.get()
    assert rating.status == Rating.Status.PENDING
    public = reverse("hospital:hospital", args=[world["chennai"].slug])
    assert "Kind nurses" not in client.get(public).content.decode()
    client.force_login(world["nurse"])
    client.post(
        reverse("hospital:moderate_review", args=[world["chennai"].slug, rating.pk, "publish"])
    )
    client.logout()
    assert "Kind nurses" in client.get(public).content.decode()


def test_reports_and_csv(client, world):
    nurse = world["nurse"]
    bed = world["general"].beds.filter(status=BedStatus.FREE).first()
    stay = services.admit(
        user=nurse,
        bed=bed,
        patient_name="R",
        patient_age=30,
        patient_sex="F",
        reason="x",
        at=timezone.now() - timedelta(days=2),
    )
    services.discharge(user=nurse, stay=stay)
    client.force_login(nurse)
    page = client.get(reverse("hospital:reports", args=[world["chennai"].slug]))
    assert page.status_code == 200
    report = page.context["report"]
    assert report.discharges == 1 and 1.9 < report.average_los_days < 2.1
    csv = client.get(
        reverse("hospital:reports", args=[world["chennai"].slug]), {"days": 7, "format": "csv"}
    ).content.decode()
    assert csv.splitlines()[0].startswith("date,ward,beds,occupied_hours")
    assert len(csv.splitlines()) == 1 + 7 * 2  # 7 days × 2 wards


def test_occupancy_report_counts_hours_from_movements(world):
    from concierge.hospital.selectors import occupancy_report

    nurse = world["nurse"]
    bed = world["icu"].beds.get()
    tz = timezone.get_current_timezone()
    day = timezone.localdate() - timedelta(days=3)
    from datetime import datetime

    start = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=6)
    stay = services.admit(
        user=nurse, bed=bed, patient_name="R", patient_age=30, patient_sex="F", reason="x", at=start
    )
    services.discharge(user=nurse, stay=stay, at=start + timedelta(hours=12))
    report = occupancy_report(hospital=world["chennai"], days=7)
    row = next(r for r in report.rows if r.day == day and r.ward == "ICU")
    assert row.occupied_hours == 12.0 and row.occupancy_pct == 50.0
    assert row.admissions == 1 and row.discharges == 1


def test_dashboard_card_for_staff_and_family(client, world):
    services.request_bed(user=world["family"], organisation=world["chennai"], **booking_kwargs())
    client.force_login(world["family"])
    assert "Lakshmi Devi" in client.get("/").content.decode()
    client.force_login(world["nurse"])
    home = client.get("/").content.decode()
    assert "Chennai Care" in home


def test_module_is_in_the_nav_for_anonymous_visitors(client, world):
    assert reverse("hospital:index") in client.get(reverse("hospital:index")).content.decode()


def test_admission_stores_the_los_prediction_and_forecast_uses_it(client, world):
    from concierge.hospital import selectors

    bed = world["general"].beds.filter(status=BedStatus.FREE).first()
    stay = services.admit(
        user=world["nurse"],
        bed=bed,
        patient_name="P Q",
        patient_age=70,
        patient_sex="F",
        reason="Heart failure 428.0",
    )
    if selectors.model_card() is None:
        pytest.skip("the LOS package is not installed")
    assert stay.predicted_low_at <= stay.predicted_discharge_at <= stay.predicted_high_at
    assert len(stay.predicted_survival) > 1
    forecast = selectors.ward_forecast(ward=world["general"])
    assert len(forecast) == 7 and all(f.likely_free is not None for f in forecast)
    client.force_login(world["nurse"])
    page = client.get(reverse("hospital:model_card", args=[world["chennai"].slug]))
    assert page.status_code == 200 and "trained-at" in page.content.decode()


def test_next_parameter_is_not_an_open_redirect(client, world):
    booking = services.request_bed(
        user=world["family"], organisation=world["chennai"], **booking_kwargs()
    )
    client.force_login(world["nurse"])
    response = client.post(
        reverse("hospital:booking_action", args=[booking.pk, "confirm"]),
        {"next": "https://evil.example/phish"},
    )
    assert response.url == reverse("hospital:booking", args=[booking.pk])
