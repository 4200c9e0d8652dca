"""/api/hospital/: public counts, bookings, admissions, errors and privacy."""

import pytest

from concierge.hospital import services
from concierge.hospital.models import BedStatus, WardKind
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
    hospital = HospitalFactory(slug="api-general", name="API General")
    ward = WardFactory(organisation=hospital, kind=WardKind.GENERAL, name="Gen")
    beds = BedFactory.create_batch(2, ward=ward)
    return {
        "hospital": hospital,
        "ward": ward,
        "beds": beds,
        "nurse": staff_of(hospital),
        "family": UserFactory(),
    }


def test_availability_is_public_with_counts_and_no_patient_data(client, world):
    services.request_bed(
        user=world["family"],
        organisation=world["hospital"],
        **booking_kwargs(patient_name="Hidden Name"),
    )
    response = client.get("/api/hospital/availability")
    assert response.status_code == 200
    [row] = response.json()
    assert (row["hospital"], row["free"], row["reserved"], row["total"]) == ("api-general", 1, 1, 2)
    assert row["wards"][0]["ward_kind"] == "general"
    assert "Hidden Name" not in response.content.decode()
    assert "patient" not in response.content.decode()
    saner = client.get("/api/hospital/capacity").json()
    assert saner[0]["groups"][0] == {
        "category": "general",
        "numTotBeds": 2,
        "numBedsOcc": 1,
        "numBedsAvail": 1,
        "numBedsHousekeeping": 0,
        "numBedsClosed": 0,
    }


def test_private_hospitals_are_not_in_the_public_feed(client, world):
    private = HospitalFactory(is_public=False, slug="private-one")
    BedFactory(ward=WardFactory(organisation=private))
    assert [r["hospital"] for r in client.get("/api/hospital/availability").json()] == [
        "api-general"
    ]
    assert client.get("/api/hospital/hospitals/private-one/wards").status_code == 404


def test_booking_needs_auth_then_holds_a_bed(client, world):
    payload = {"hospital": "api-general", **booking_kwargs(), "urgency": 1}
    assert (
        client.post("/api/hospital/bookings", payload, content_type="application/json").status_code
        == 401
    )
    client.force_login(world["family"])
    response = client.post("/api/hospital/bookings", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "held" and body["bed_id"] in [b.pk for b in world["beds"]]
    listed = client.get("/api/hospital/bookings").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]


def test_bad_booking_is_422_with_field_errors(client, world):
    client.force_login(world["family"])
    response = client.post(
        "/api/hospital/bookings",
        {"hospital": "api-general", **booking_kwargs(patient_sex="X")},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "patient_sex", "message": "Choose the patient's sex."}
    ]
    response = client.post(
        "/api/hospital/bookings", {"hospital": "api-general"}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["errors"]


def test_stranger_gets_404_on_bookings_and_admissions(client, world):
    booking = services.request_bed(
        user=world["family"], organisation=world["hospital"], **booking_kwargs()
    )
    stay = services.admit(user=world["nurse"], booking=booking)
    client.force_login(UserFactory())
    assert client.get(f"/api/hospital/bookings/{booking.pk}").status_code == 404
    assert client.get(f"/api/hospital/admissions/{stay.pk}").status_code == 404
    assert (
        client.post(
            f"/api/hospital/admissions/{stay.pk}/discharge", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/hospital/hospitals/api-general/beds").status_code == 404
    assert client.get("/api/hospital/hospitals/api-general/waiting-list").status_code == 404
    # The requester can read the stay but not run the ward.
    client.force_login(world["family"])
    assert client.get(f"/api/hospital/admissions/{stay.pk}").status_code == 200
    assert (
        client.post(
            f"/api/hospital/admissions/{stay.pk}/discharge", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_staff_admit_transfer_discharge_clean_via_api(client, world):
    client.force_login(world["nurse"])
    a, b = world["beds"]
    response = client.post(
        "/api/hospital/admissions",
        {
            "bed_id": a.pk,
            "patient_name": "Walk In",
            "patient_age": 45,
            "patient_sex": "M",
            "reason": "Chest pain",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    stay_id = response.json()["id"]
    beds = client.get("/api/hospital/hospitals/api-general/beds").json()["items"]
    assert {x["label"]: x["hl7_status"] for x in beds} == {a.label: "O", b.label: "U"}
    moved = client.post(
        f"/api/hospital/admissions/{stay_id}/transfer",
        {"to_bed_id": b.pk},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["bed_id"] == b.pk
    again = client.post(f"/api/hospital/beds/{b.pk}/clean", {}, content_type="application/json")
    assert again.status_code == 422 and "housekeeping" in again.json()["detail"]
    out = client.post(
        f"/api/hospital/admissions/{stay_id}/discharge",
        {"note": "well"},
        content_type="application/json",
    )
    assert out.status_code == 200 and out.json()["discharged_at"]
    clean = client.post(f"/api/hospital/beds/{b.pk}/clean", {}, content_type="application/json")
    assert clean.json()["status"] == BedStatus.FREE and clean.json()["hl7_status"] == "U"
    blocked = client.post(
        f"/api/hospital/beds/{b.pk}/block",
        {"reason": "Rail broken"},
        content_type="application/json",
    )
    assert blocked.json()["hl7_status"] == "C"


def test_waiting_list_and_decline_via_api(client, world):
    for bed in world["beds"]:
        services.block_bed(user=world["nurse"], bed=bed, reason="repair")
    booking = services.request_bed(
        user=world["family"], organisation=world["hospital"], **booking_kwargs()
    )
    client.force_login(world["nurse"])
    queue = client.get("/api/hospital/hospitals/api-general/waiting-list").json()
    assert [x["id"] for x in queue["items"]] == [booking.pk]
    assert queue["items"][0]["queue_position"] == 1
    no_reason = client.post(
        f"/api/hospital/bookings/{booking.pk}/decline", {}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    declined = client.post(
        f"/api/hospital/bookings/{booking.pk}/decline",
        {"reason": "No ICU capacity"},
        content_type="application/json",
    )
    assert declined.json()["status"] == "declined"


def test_review_via_api_only_after_discharge(client, world):
    booking = services.request_bed(
        user=world["family"], organisation=world["hospital"], **booking_kwargs()
    )
    stay = services.admit(user=world["nurse"], booking=booking)
    client.force_login(world["family"])
    early = client.post(
        f"/api/hospital/admissions/{stay.pk}/review", {"score": 5}, content_type="application/json"
    )
    assert early.status_code == 403
    services.discharge(user=world["nurse"], stay=stay)
    ok = client.post(
        f"/api/hospital/admissions/{stay.pk}/review",
        {"score": 5, "comment": "Great"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["status"] == "pending"
    assert client.get("/api/hospital/hospitals/api-general/reviews").json() == []
