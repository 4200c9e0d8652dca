"""Full-text search over article translations, on both database backends.

SQLite: an FTS5 table `helpdesk_article_fts` (rowid = translation id; porter + unicode61, so
English words are stemmed and Devanagari/Tamil words tokenise), kept in step by the services
that write translations, ranked with bm25 (title weighted 8×).
PostgreSQL: a stored generated `search` tsvector column on helpdesk_articletranslation
(`english` configuration for English, `simple` for the others) with a GIN index, ranked with
ts_rank_cd. Other backends fall back to LIKE (ranked by title match first)."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection

FTS_TABLE = "helpdesk_article_fts"
_SPLIT = re.compile(r"[\s.,;:!?\"'()\[\]{}<>/\\|@#$%^&*+=~`_\-–—।॥]+")
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"
PG_CONFIG = {"en": "english"}

SQLITE_SETUP = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, language UNINDEXED, tokenize='porter unicode61 remove_diacritics 2')",
]
SQLITE_TEARDOWN = [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
PG_SETUP = [
    "ALTER TABLE helpdesk_articletranslation ADD COLUMN IF NOT EXISTS search tsvector "
    "GENERATED ALWAYS AS ("
    "setweight(to_tsvector(CASE WHEN language = 'en' THEN 'english'::regconfig "
    "ELSE 'simple'::regconfig END, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector(CASE WHEN language = 'en' THEN 'english'::regconfig "
    "ELSE 'simple'::regconfig END, coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX IF NOT EXISTS helpdesk_translation_search ON helpdesk_articletranslation "
    "USING GIN (search)",
]
PG_TEARDOWN = [
    "DROP INDEX IF EXISTS helpdesk_translation_search",
    "ALTER TABLE helpdesk_articletranslation DROP COLUMN IF EXISTS search",
]


def install(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_SETUP, "postgresql": PG_SETUP}.get(vendor, []):
        schema_editor.execute(sql)


def uninstall(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_TEARDOWN, "postgresql": PG_TEARDOWN}.get(vendor, []):
        schema_editor.execute(sql)


def terms(query: str, *, limit: int = 12) -> list[str]:
    """Words of a user query, lower-cased, de-duplicated, at most `limit`."""
    seen: list[str] = []
    for word in _SPLIT.split(query.lower()):
        if word and word not in seen:
            seen.append(word[:60])
    return seen[:limit]


def index_translation(translation) -> None:
    """Write (or rewrite) one translation's row in the SQLite index. PostgreSQL needs nothing:
    its column is generated."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [translation.pk])
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, title, body, language) VALUES (%s, %s, %s, %s)",
            [translation.pk, translation.title, translation.body, translation.language],
        )


def unindex_translations(ids) -> None:
    if connection.vendor != "sqlite" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [[i] for i in ids])


@dataclass(frozen=True)
class Hit:
    translation_id: int
    score: float
    snippet: str  # HTML-safe, with <mark> around matched words


_MARKUP = re.compile(r"\*\*|__|`+|^#+\s*|\[|\]\([^)]*\)", re.M)


def _safe_snippet(raw: str) -> str:
    text = html.escape(_MARKUP.sub("", raw or ""))
    return text.replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")


def _lexeme(word: str) -> str:
    return "".join(ch for ch in word if unicodedata.category(ch)[0] in "LMN")


def search(
    *, organisation_id: int, language: str, query: str, visibilities: list[str], limit: int
) -> list[Hit]:
    words = terms(query)
    if not words:
        return []
    vis = ", ".join(["%s"] * len(visibilities))
    base_filter = (
        f"a.organisation_id = %s AND a.status = 'published' "
        f"AND a.visibility IN ({vis}) AND t.language = %s"
    )
    params_filter = [organisation_id, *visibilities, language]
    if connection.vendor == "sqlite":
        # any word may match (OR); bm25 rewards documents matching more of them; the last word
        # is a prefix, so results appear while the customer is still typing.
        parts = ['"{}"'.format(w.replace('"', '""')) for w in words]
        parts[-1] += "*"
        match = " OR ".join(parts)
        sql = (
            f"SELECT t.id, bm25({FTS_TABLE}, 8.0, 1.0) AS rank, "
            f"snippet({FTS_TABLE}, 1, '{_MARK_OPEN}', '{_MARK_CLOSE}', '…', 16) "
            f"FROM {FTS_TABLE} JOIN helpdesk_articletranslation t ON t.id = {FTS_TABLE}.rowid "
            f"JOIN helpdesk_article a ON a.id = t.article_id "
            f"WHERE {FTS_TABLE} MATCH %s AND {base_filter} ORDER BY rank LIMIT %s"
        )
        params = [match, *params_filter, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [Hit(row[0], -float(row[1]), _safe_snippet(row[2])) for row in cursor]
    if connection.vendor == "postgresql":
        return _pg_search(
            words,
            language=language,
            base_filter=base_filter,
            params_filter=params_filter,
            limit=limit,
        )
    return _like_search(
        organisation_id=organisation_id,
        language=language,
        visibilities=visibilities,
        words=words,
        limit=limit,
    )


# PostgreSQL ranks at most this many matching translations. A query whose words appear in most
# of a large knowledge base would otherwise rank every article (90 ms at 10,000 articles).
PG_RANK_CANDIDATES = 300


def _pg_search(words, *, language, base_filter, params_filter, limit) -> list[Hit]:
    """All words first (the best answers contain every word), then any word to fill up.

    Each pass ranks a bounded set of candidates, so the cost does not grow with the number of
    matching articles; the all-words pass keeps the best answers inside that set."""
    config = PG_CONFIG.get(language, "simple")
    # Keep letters, digits and combining marks: Devanagari and Tamil vowel signs are
    # marks (not \w), and dropping them would turn "रिफ़ंड" into another word.
    lexemes = [f"{x}:*" for x in (_lexeme(w) for w in words) if x]
    if not lexemes:
        return []
    hits: list[Hit] = []
    operators = [" & ", " | "] if len(lexemes) > 1 else [" | "]
    for operator in operators:
        seen = [hit.translation_id for hit in hits]
        exclude = "AND t.id <> ALL(%s)" if seen else ""
        sql = (
            "SELECT t.id, ts_rank_cd(t.search, q) AS rank, "
            f"ts_headline('{config}', t.body, q, 'StartSel={_MARK_OPEN}, StopSel={_MARK_CLOSE}, "
            "MaxWords=25, MinWords=8') "
            "FROM (SELECT t.id FROM helpdesk_articletranslation t "
            "JOIN helpdesk_article a ON a.id = t.article_id "
            f"WHERE t.search @@ to_tsquery('{config}', %s) AND {base_filter} {exclude} LIMIT %s) c "
            f"JOIN helpdesk_articletranslation t ON t.id = c.id, to_tsquery('{config}', %s) q "
            "ORDER BY rank DESC LIMIT %s"
        )
        tsquery = operator.join(lexemes)
        params = [tsquery, *params_filter, *([seen] if seen else []), PG_RANK_CANDIDATES]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, tsquery, limit - len(hits)])
            hits += [Hit(row[0], float(row[1]), _safe_snippet(row[2])) for row in cursor]
        if len(hits) >= limit:
            break
    return hits


def _like_search(*, organisation_id, language, visibilities, words, limit) -> list[Hit]:
    from django.db.models import Q

    from concierge.helpdesk.models import ArticleTranslation

    any_word = Q()
    for w in words:
        any_word |= Q(title__icontains=w) | Q(body__icontains=w)
    qs = ArticleTranslation.objects.filter(
        any_word,
        language=language,
        article__organisation_id=organisation_id,
        article__status="published",
        article__visibility__in=visibilities,
    )
    scored = []
    for t in qs[:2000]:
        text_title, text_body = t.title.lower(), t.body.lower()
        score = sum(3 * (w in text_title) + (w in text_body) for w in words)
        scored.append(Hit(t.pk, float(score), html.escape(t.body[:160])))
    return sorted(scored, key=lambda h: -h.score)[:limit]
