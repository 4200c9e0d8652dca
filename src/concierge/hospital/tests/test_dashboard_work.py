"""The dashboard's work per request: kept review aggregates, one grouped query per counts
version whatever the place, sort or recommendations, the places list cached, the rows rendered
from plain values (escaped), and the caches moving with every change."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from concierge.feedback import services as feedback_services
from concierge.feedback.models import Rating
from concierge.hospital import selectors, services
from concierge.hospital.models import Bed, BedStatus, HospitalRating, Stay, WardKind
from concierge.hospital.tests.factories import (
    BedFactory,
    HospitalFactory,
    UserFactory,
    WardFactory,
    booking_kwargs,
    staff_of,
)

pytestmark = pytest.mark.django_db

GROUPED = 'SUM("hospital_bedcount"."free")'


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    chennai = HospitalFactory(name="Chennai <Care>", city="Chennai", district="Chennai")
    pune = HospitalFactory(name="Pune Heart", city="Pune", district="Pune")
    general = WardFactory(organisation=chennai, kind=WardKind.GENERAL, name="Gen")
    icu = WardFactory(organisation=chennai, kind=WardKind.ICU, name="ICU")
    BedFactory.create_batch(3, ward=general)
    BedFactory(ward=icu, has_ventilator=True)
    BedFactory.create_batch(2, ward=WardFactory(organisation=pune, kind=WardKind.ICU))
    services.rebuild_bed_counts()
    return {"chennai": chennai, "pune": pune, "general": general, "icu": icu}


def _reviewed_stay(hospital, ward, score: int, *, publish: bool = True) -> Rating:
    nurse = staff_of(hospital)
    family = UserFactory()
    booking = services.request_bed(
        user=family, organisation=hospital, **booking_kwargs(ward_kind=ward.kind)
    )
    stay = services.admit(user=nurse, booking=booking)
    services.discharge(user=nurse, stay=stay)
    stay.refresh_from_db()
    rating = feedback_services.rate(
        user=family, target=stay, score=score, comment="ok", moderated=True
    )
    if publish:
        feedback_services.moderate(moderator=nurse, rating=rating, publish=True)
    return rating


def _recount(hospital) -> tuple[float | None, int]:
    """The aggregate recomputed from the ratings, as the kept row should hold it."""
    scores = [
        r.score
        for r in Rating.objects.filter(
            target_type=ContentType.objects.get_for_model(Stay),
            status=Rating.Status.PUBLISHED,
            target_id__in=[
                str(pk)
                for pk in Stay.objects.filter(organisation=hospital).values_list("pk", flat=True)
            ],
        )
    ]
    return (round(sum(scores) / len(scores), 2) if scores else None, len(scores))


def test_kept_ratings_follow_moderation_edits_and_deletes(world):
    chennai, general = world["chennai"], world["general"]
    pending = _reviewed_stay(chennai, general, 2, publish=False)
    assert selectors.kept_hospital_ratings() == {}  # pending reviews do not count
    _reviewed_stay(chennai, general, 5)
    _reviewed_stay(chennai, general, 4)
    kept = selectors.kept_hospital_ratings()
    assert kept[chennai.pk] == _recount(chennai) == (4.5, 2)
    feedback_services.moderate(
        moderator=staff_of(chennai), rating=Rating.objects.get(pk=pending.pk), publish=True
    )
    assert selectors.kept_hospital_ratings()[chennai.pk] == _recount(chennai) == (3.67, 3)
    summary = selectors.review_summary(hospital=chennai)
    assert (summary.average, summary.count) == (3.67, 3)
    assert summary.distribution == {5: 1, 4: 1, 3: 0, 2: 1, 1: 0}
    Rating.objects.get(pk=pending.pk).delete()
    assert selectors.kept_hospital_ratings()[chennai.pk] == _recount(chennai) == (4.5, 2)
    assert services.rebuild_hospital_ratings(check_only=True) == []


def test_rebuild_hospital_ratings_repairs_drift_and_reports_it(world):
    chennai = world["chennai"]
    _reviewed_stay(chennai, world["general"], 3)
    HospitalRating.objects.filter(organisation=chennai).update(count=9, score_total=9)
    drift = services.rebuild_hospital_ratings(check_only=True)
    assert [(org, kept["count"], actual["count"]) for org, kept, actual in drift] == [
        (chennai.pk, 9, 1)
    ]
    assert HospitalRating.objects.get(organisation=chennai).count == 9  # check only
    services.rebuild_hospital_ratings()
    assert selectors.kept_hospital_ratings()[chennai.pk] == _recount(chennai) == (3.0, 1)
    assert services.rebuild_hospital_ratings(check_only=True) == []


def test_dashboard_rating_changes_at_once_when_a_review_is_published(client, world):
    chennai = world["chennai"]
    rating = _reviewed_stay(chennai, world["general"], 5, publish=False)
    url = reverse("hospital:index")
    before = client.get(url, {"sort": "rating"}, headers={"HX-Request": "true"})
    assert "5.0" not in before.content.decode()
    feedback_services.moderate(moderator=staff_of(chennai), rating=rating, publish=True)
    # No bed changed, so the counts' key did not move: the published review shows once the
    # fragment's short lifetime runs out — here, the cache emptied as that would.
    cache.clear()
    after = client.get(url, {"sort": "rating"}, headers={"HX-Request": "true"})
    assert "5.0" in after.content.decode()
    api = client.get("/api/hospital/availability").json()
    assert {h["hospital"]: h["rating"] for h in api}[chennai.slug] == 5.0


def test_one_grouped_query_serves_every_place_sort_and_the_recommendations(client, world):
    url = reverse("hospital:index")
    with CaptureQueriesContext(connection) as ctx:
        for query in (
            {"ward_kind": "icu"},
            {"ward_kind": "icu", "sort": "rating"},
            {"ward_kind": "icu", "city": "city:Pune"},
            {"ward_kind": "icu", "city": "city:Chennai", "sort": "name"},
        ):
            response = client.get(url, query, headers={"HX-Request": "true"})
            assert response.status_code == 200
    grouped = [q for q in ctx.captured_queries if GROUPED in q["sql"]]
    assert len(grouped) == 1, [q["sql"][-400:] for q in grouped]
    # a bed change moves the key: the next request groups once more, and shows the change
    services.block_bed(
        user=staff_of(world["pune"]),
        bed=Bed.objects.filter(organisation=world["pune"]).first(),
        reason="repair",
    )
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"ward_kind": "icu", "city": "city:Pune"})
    assert len([q for q in ctx.captured_queries if GROUPED in q["sql"]]) == 1
    assert 'data-count="free">1<' in response.content.decode()
    assert [h.name for h in response.context["recommended"]] == ["Pune Heart", "Chennai <Care>"]


def test_counts_version_is_read_once_per_request(client, world):
    for path in (reverse("hospital:index"), "/api/hospital/availability?feature=ventilator"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        sums = [q for q in ctx.captured_queries if 'SUM("hospital_bedcount"."changes")' in q["sql"]]
        assert len(sums) == 1, path


def test_places_list_is_cached(client, world):
    url = reverse("hospital:index")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert not any("DISTINCT" in q["sql"] for q in ctx.captured_queries)
    assert "city:Pune" in page and "city:Chennai" in page


def test_rows_are_escaped_and_match_the_counts(client, world):
    html = client.get(reverse("hospital:index")).content.decode()
    assert "Chennai &lt;Care&gt;" in html and "Chennai <Care>" not in html
    assert 'data-count="free">4<' in html  # 3 general + 1 ICU at Chennai
    assert 'data-kind="icu">ICU 1/1</span>' in html
    assert "No reviews yet" in html
    empty = client.get(reverse("hospital:index"), {"city": "city:Nowhere"})
    assert empty.status_code == 200


def test_no_match_row_when_filters_leave_nothing(client, world):
    BedFactory(ward=world["general"], status=BedStatus.FREE)
    html = client.get(reverse("hospital:index"), {"feature": "paediatric"}).content.decode()
    assert "No hospital matches these filters." in html


def test_latest_reviews_are_kept_newest_first_with_comments_only(world):
    chennai, general = world["chennai"], world["general"]
    first = _reviewed_stay(chennai, general, 5)
    second = _reviewed_stay(chennai, general, 3)
    Rating.objects.filter(pk=second.pk).update(comment="")  # no signal: as a bulk edit would
    services.rebuild_hospital_ratings(rewrite_all=True)
    assert [r.pk for r in selectors.published_reviews(hospital=chennai)] == [first.pk]
    third = _reviewed_stay(chennai, general, 4)
    assert [r.pk for r in selectors.published_reviews(hospital=chennai)] == [third.pk, first.pk]
    with CaptureQueriesContext(connection) as ctx:
        selectors.published_reviews(hospital=chennai)
    assert not any('"hospital_stay"' in q["sql"] for q in ctx.captured_queries)
    Rating.objects.get(pk=third.pk).delete()
    assert [r.pk for r in selectors.published_reviews(hospital=chennai)] == [first.pk]


def test_rows_built_in_python_are_translated(client, world):
    from django.utils import translation

    with translation.override("hi"):
        html = client.get(
            reverse("hospital:index"), headers={"HX-Request": "true", "Accept-Language": "hi"}
        ).content.decode()
    assert "अभी कोई समीक्षा नहीं" in html  # "No reviews yet"


def test_management_command_checks_and_repairs_review_aggregates(world):
    from django.core.management import CommandError, call_command

    chennai = world["chennai"]
    _reviewed_stay(chennai, world["general"], 4)
    call_command("hospital_bed_counts", "--check")  # all in step
    HospitalRating.objects.filter(organisation=chennai).update(count=0, score_total=0)
    with pytest.raises(CommandError):
        call_command("hospital_bed_counts", "--check")
    call_command("hospital_bed_counts")
    call_command("hospital_bed_counts", "--check")
    assert selectors.kept_hospital_ratings()[chennai.pk] == (4.0, 1)
