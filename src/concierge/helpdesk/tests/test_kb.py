"""Knowledge base: ranked full-text search per language, visibility, votes, deflection."""

import pytest
from django.db import connection
from django.urls import reverse

from concierge.accounts.models import Role
from concierge.helpdesk import selectors, services
from concierge.helpdesk.models import Article, Deflection
from concierge.helpdesk.tests.factories import member


@pytest.fixture
def kb(org):
    editor = member(org, Role.AGENT)
    cat = services.save_category(actor=editor, organisation=org, name="Returns")

    def add(slug, title, body, **kw):
        kw.setdefault("status", Article.Status.PUBLISHED)
        return services.save_article(
            actor=editor, organisation=org, slug=slug, title=title, body=body, category=cat, **kw
        )

    a = add(
        "refund-time",
        "When will I get my refund?",
        "Refunds reach your bank 5-7 working days after pickup.",
    )
    b = add("return-policy", "Return policy", "Return products within 10 days for a refund.")
    add("washing", "Washing machine does not start", "Check the water tap and the door.")
    add(
        "secret",
        "Refund secrets for members",
        "Customers-only refund trick.",
        visibility=Article.Visibility.CUSTOMERS,
    )
    add("draft", "Refund draft", "Not yet published refund text.", status=Article.Status.DRAFT)
    services.set_article_translation(
        actor=editor,
        article=a,
        language="hi",
        title="मुझे रिफ़ंड कब मिलेगा?",
        body="पिकअप के बाद रिफ़ंड 5-7 दिनों में आता है।",
    )
    services.set_article_translation(
        actor=editor,
        article=b,
        language="ta",
        title="திருப்பி அனுப்பும் கொள்கை",
        body="10 நாட்களுக்குள் திருப்பி அனுப்பலாம்.",
    )
    return {"editor": editor, "a": a, "b": b}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table exists on SQLite only")
def test_sqlite_uses_fts5_not_like(kb):
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM helpdesk_article_fts")
        assert c.fetchone()[0] == 7  # 5 English texts + 2 translations


def test_search_ranks_title_match_first_and_hides_drafts_and_private(kb, org):
    hits = selectors.search_articles(organisation=org, query="refund", language="en")
    titles = [h.title for h in hits]
    assert titles[0] == "When will I get my refund?"
    assert "Return policy" in titles
    assert "Refund draft" not in titles
    assert "Refund secrets for members" not in titles  # anonymous reader
    assert "<mark>" in hits[0].snippet or "<mark>" in hits[1].snippet


def test_customers_only_articles_for_members(kb, org, customer):
    hits = selectors.search_articles(organisation=org, query="refund", language="en", user=customer)
    assert "Refund secrets for members" in [h.title for h in hits]


def test_search_stems_and_prefixes_english(kb, org):
    assert [
        h.title for h in selectors.search_articles(organisation=org, query="refunds", language="en")
    ][0] == "When will I get my refund?"
    assert (
        selectors.search_articles(organisation=org, query="wash", language="en")[0].title
        == "Washing machine does not start"
    )


def test_search_in_hindi_and_tamil(kb, org):
    hi = selectors.search_articles(organisation=org, query="रिफ़ंड", language="hi")
    assert hi[0].title == "मुझे रिफ़ंड कब मिलेगा?"
    ta = selectors.search_articles(organisation=org, query="திருப்பி", language="ta")
    assert ta[0].title == "திருப்பி அனுப்பும் கொள்கை"


def test_search_falls_back_to_english_and_one_hit_per_article(kb, org):
    hits = selectors.search_articles(organisation=org, query="refund", language="hi")
    slugs = [h.article.slug for h in hits]
    assert len(slugs) == len(set(slugs))
    assert "return-policy" in slugs


def test_search_survives_fts_syntax(kb, org):
    for query in ['"', "AND OR NOT", "refund*)", "NEAR(", "-", "'; DROP TABLE x; --"]:
        selectors.search_articles(organisation=org, query=query, language="en")


def test_published_articles_translate_with_fallback(kb, org):
    items = {
        i.article.slug: i for i in selectors.published_articles(organisation=org, language="hi")
    }
    assert items["refund-time"].title == "मुझे रिफ़ंड कब मिलेगा?"
    assert items["return-policy"].language == "en"
    assert "draft" not in items and "secret" not in items


def test_markdown_is_sanitised(org):
    editor = member(org, Role.AGENT)
    a = services.save_article(
        actor=editor,
        organisation=org,
        slug="x",
        title="X",
        body="**bold** <script>alert(1)</script> [a](javascript:alert(1))",
        status=Article.Status.PUBLISHED,
    )
    html = a.translations.get().body_html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_customer_cannot_edit_kb(org, customer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.save_article(actor=customer, organisation=org, slug="x", title="X", body="Y")


def test_votes_once_per_voter(kb):
    a = kb["a"]
    services.vote_article(article=a, helpful=True, voter_key="s1")
    services.vote_article(article=a, helpful=True, voter_key="s1")
    services.vote_article(article=a, helpful=False, voter_key="s2")
    a.refresh_from_db()
    assert (a.helpful_yes, a.helpful_no) == (1, 1)
    services.vote_article(article=a, helpful=False, voter_key="s1")
    a.refresh_from_db()
    assert (a.helpful_yes, a.helpful_no) == (0, 2)


def test_public_kb_pages_without_login(kb, org, client):
    r = client.get(reverse("helpdesk:kb_home", args=[org.slug]))
    assert r.status_code == 200 and "When will I get my refund?" in r.content.decode()
    r = client.get(reverse("helpdesk:kb_article", args=[org.slug, "refund-time"]))
    assert r.status_code == 200
    assert "Related articles" in r.content.decode()
    assert client.get(reverse("helpdesk:kb_article", args=[org.slug, "secret"])).status_code == 404
    assert client.get(reverse("helpdesk:kb_article", args=[org.slug, "draft"])).status_code == 404
    r = client.get(reverse("helpdesk:kb_search", args=[org.slug]), {"q": "washing"})
    assert "Washing machine does not start" in r.content.decode()
    r = client.post(reverse("helpdesk:kb_vote", args=[org.slug, "refund-time"]), {"helpful": "yes"})
    assert r.status_code == 302
    kb["a"].refresh_from_db()
    assert kb["a"].helpful_yes == 1


def test_private_organisation_kb_is_404_for_strangers(kb, org, client):
    org.is_public = False
    org.save()
    assert client.get(reverse("helpdesk:kb_home", args=[org.slug])).status_code == 404


def test_suggestions_and_deflection_counted(kb, org, customer, client):
    client.force_login(customer)
    r = client.get(
        reverse("helpdesk:ticket_suggest", args=[org.slug]), {"subject": "where is my refund"}
    )
    assert "When will I get my refund?" in r.content.decode()
    r = client.post(
        reverse("helpdesk:deflect", args=[org.slug]),
        {"article": "refund-time", "query": "where is my refund"},
    )
    assert r.status_code == 302
    d = Deflection.objects.get()
    assert d.article == kb["a"] and d.user == customer
    assert not org.tickets.exists()


def test_related_articles(kb, org):
    related = selectors.related_articles(article=kb["a"], language="en")
    assert "return-policy" in [h.article.slug for h in related]
    assert kb["a"].slug not in [h.article.slug for h in related]


def test_article_with_every_word_wins_even_when_ranking_is_bounded(kb, org, monkeypatch):
    from concierge.helpdesk import fts

    editor = kb["editor"]
    for n in range(6):  # many articles match one word of the query
        services.save_article(
            actor=editor,
            organisation=org,
            slug=f"door-{n}",
            title=f"Door hinge {n}",
            body="The door closes softly.",
            status=Article.Status.PUBLISHED,
        )
    monkeypatch.setattr(fts, "PG_RANK_CANDIDATES", 3)
    hits = selectors.search_articles(organisation=org, query="door water tap", language="en")
    assert hits[0].title == "Washing machine does not start"
    assert len({h.article.slug for h in hits}) == len(hits) > 1
