"""Query plans of the agent views as on a million tickets — no timing, only plans and counts.

SQLite picks its plan from the statistics in sqlite_stat1. The test data here is a handful of
rows, so the statistics measured by bench/helpdesk_perf.py on 1,000,000 tickets are planted
instead (the SQLite documentation suggests exactly this for testing plans); the planner then
chooses as it would on the big database. Each agent view's page must walk an index in its sort
order (no sort step) and each capped count must be answered from an index alone. Dropping or
reshaping one of the ticket indexes in models.py makes these tests fail.

PostgreSQL plans at size are checked by the benchmark (docs/decisions/helpdesk-perf-at-1m.md);
on PostgreSQL only the query budget below runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from concierge.helpdesk.models import SavedView, Ticket
from concierge.helpdesk.tests.factories import TicketFactory

# sqlite_stat1 rows measured by `bench/helpdesk_perf.py --engine sqlite` on 1,000,000 tickets
# (50 agents, 2,000 customers, 5 queues, 30 % of tickets open).
MILLION_TICKET_STATS = {
    "hd_ticket_assignee_recent": "1000000 19608 19608 1",
    "hd_ticket_assignee_status": "1000000 19608 3985 1",
    "hd_ticket_customer": "1000000 500 1",
    "hd_ticket_due": "1000000 1000000 200000 2",
    "hd_ticket_org_assignee_cov": "1000000 1000000 19608 3985 3985 997 200",
    "hd_ticket_org_breach_cov": "1000000 1000000 1000000 200000 2 1 1",
    "hd_ticket_org_due": "1000000 1000000 1000000 2 2",
    "hd_ticket_org_open_cov": "1000000 1000000 1000000 200000 50000 10000",
    "hd_ticket_org_recent_cov": "1000000 1000000 1000000 2 2 1 1",
    "hd_ticket_org_status": "1000000 1000000 200000 2",
    "hd_ticket_queue": "1000000 200000 40000 1",
    "helpdesk_ticket_assignee_id_fd8858a9": "1000000 19608",
    "helpdesk_ticket_category_id_f691e911": "1000000 1000000",
    "helpdesk_ticket_created_at_cd770843": "1000000 2",
    "helpdesk_ticket_customer_id_69346a04": "1000000 500",
    "helpdesk_ticket_email_message_id_71eb27ba": "1000000 1000000",
    "helpdesk_ticket_merged_into_id_5cb70bdd": "1000000 1000000",
    "helpdesk_ticket_organisation_id_537afe2e": "1000000 1000000",
    "helpdesk_ticket_queue_id_9b210169": "1000000 200000",
    "sqlite_autoindex_helpdesk_ticket_1": "1000000 1000000 1",
}
NEIGHBOUR_STATS = {
    "accounts_user": {"sqlite_autoindex_accounts_user_1": "2050 1"},
    "helpdesk_queue": {
        "helpdesk_queue_last_assigned_id_d855eabd": "5 5",
        "helpdesk_queue_manager_id_053acc62": "5 5",
        "helpdesk_queue_organisation_id_7a3fc97a": "5 5",
        "sqlite_autoindex_helpdesk_queue_1": "5 5 1",
    },
    "helpdesk_queuemember": {
        "helpdesk_queuemember_queue_id_67a57515": "50 10",
        "helpdesk_queuemember_user_id_9446938d": "50 1",
        "sqlite_autoindex_helpdesk_queuemember_1": "50 10 1",
    },
}

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="plans at size on PostgreSQL: see the benchmark"
)


@pytest.fixture
def tickets(org, customer, agent, queue):
    now = timezone.now()
    rows = []
    for i, (status, priority) in enumerate(
        [
            ("new", "normal"),
            ("new", "urgent"),
            ("open", "high"),
            ("open", "urgent"),
            ("pending", "high"),
            ("resolved", "normal"),
            ("closed", "low"),
        ]
        * 3
    ):
        created = now - timedelta(hours=i * 7)
        rows.append(
            TicketFactory(
                organisation=org,
                customer=customer,
                queue=queue,
                assignee=agent if i % 2 else None,
                status=status,
                priority=priority,
                created_at=created,
                updated_at=created + timedelta(minutes=30),
                first_response_due=created + timedelta(hours=8),
                resolution_due=created + timedelta(hours=40),
            )
        )
    return rows


def _plant_million_ticket_stats() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        for table, stats in {"helpdesk_ticket": MILLION_TICKET_STATS, **NEIGHBOUR_STATS}.items():
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [table])
            cursor.executemany(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)",
                [(table, index, stat) for index, stat in stats.items()],
            )
        cursor.execute("ANALYZE sqlite_schema")  # reload the statistics


def _ticket_queries(client, url: str) -> tuple[tuple[str, list], tuple[str, list]]:
    """(page query, capped count query) the agent list view runs for `url`, with params."""
    seen: list[tuple[str, list]] = []

    def capture(execute, sql, params, many, context):
        seen.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        response = client.get(url)
    assert response.status_code == 200
    on_tickets = [(sql, p) for sql, p in seen if 'FROM "helpdesk_ticket"' in sql]
    counts = [(sql, p) for sql, p in on_tickets if sql.startswith("SELECT COUNT(*)")]
    pages = [(sql, p) for sql, p in on_tickets if "ORDER BY" in sql and "LIMIT" in sql]
    assert len(counts) == 1 and len(pages) == 1, on_tickets
    return pages[0], counts[0]


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in cursor.fetchall())


VIEWS = [
    # (query string, the page must come in index order)
    ("view=mine", True),
    ("view=unassigned", True),
    ("view=breaching", True),
    ("view=open", True),
    ("view=open&priority=high", True),
    ("view=mine&priority=urgent", False),  # sorts one agent's open tickets of one priority
    ("view=open&status=pending", True),
    ("view=all", True),
    ("view=open&priority=urgent&queue={queue}", False),  # a saved view's filters
]


@sqlite_only
@pytest.mark.parametrize(("query", "ordered"), VIEWS)
def test_agent_view_plans_at_a_million_tickets(client, agent, queue, tickets, query, ordered):
    _plant_million_ticket_stats()
    client.force_login(agent)
    url = reverse("helpdesk:tickets", args=[queue.organisation.slug])
    page, count = _ticket_queries(client, f"{url}?{query.format(queue=queue.pk)}")

    page_plan, count_plan = _plan(*page), _plan(*count)
    # never a full table scan, never a union of index lookups that must read every row
    for plan in (page_plan, count_plan):
        assert "SCAN helpdesk_ticket" not in plan, plan
        assert "MULTI-INDEX OR" not in plan, plan
    if ordered:  # 50 rows read along the index, not all matches sorted
        assert "TEMP B-TREE FOR ORDER BY" not in page_plan, page_plan
    # the count is capped and read from the index alone
    assert "LIMIT" in count[0]
    assert "USING COVERING INDEX" in count_plan, count_plan


@sqlite_only
def test_ticket_page_reads_by_index(client, agent, queue, tickets):
    _plant_million_ticket_stats()
    client.force_login(agent)
    ticket = tickets[3]
    seen: list[tuple[str, list]] = []

    def capture(execute, sql, params, many, context):
        seen.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        response = client.get(
            reverse("helpdesk:ticket", args=[ticket.organisation.slug, ticket.number])
        )
    assert response.status_code == 200
    big_tables = ("helpdesk_ticket", "helpdesk_message", "helpdesk_ticketevent")
    checked = 0
    for sql, params in seen:
        if any(f'FROM "{table}"' in sql for table in big_tables):
            plan = _plan(sql, params)
            for table in big_tables:
                assert f"SCAN {table}" not in plan, (sql, plan)
            checked += 1
    assert checked >= 3


def test_agent_views_query_budget(client, agent, queue, tickets, django_assert_max_num_queries):
    """The number of queries of every agent view is fixed, whatever the number of tickets."""
    SavedView.objects.create(
        organisation=queue.organisation, user=agent, name="Urgent", query="view=open"
    )
    client.force_login(agent)
    url = reverse("helpdesk:tickets", args=[queue.organisation.slug])
    budgets = {}
    for query, _ordered in VIEWS:
        with django_assert_max_num_queries(20) as captured:
            response = client.get(f"{url}?{query.format(queue=queue.pk)}")
        assert response.status_code == 200
        budgets[query] = len(captured.captured_queries)
    TicketFactory.create_batch(
        30, organisation=queue.organisation, queue=queue, assignee=agent, status="open"
    )
    for query, _ordered in VIEWS:
        with django_assert_max_num_queries(budgets[query]):
            client.get(f"{url}?{query.format(queue=queue.pk)}")
    assert Ticket.objects.count() == len(tickets) + 30


def test_duplicate_check_compares_a_bounded_number_of_tickets(org, customer, queue):
    """The ticket page's duplicate check reads at most SIMILAR_CANDIDATES of the customer's
    open tickets, however many they have."""
    from concierge.helpdesk import selectors

    TicketFactory.create_batch(
        selectors.SIMILAR_CANDIDATES + 5,
        organisation=org,
        customer=customer,
        queue=queue,
        status="open",
        subject="Fridge not cooling",
    )
    ticket = Ticket.objects.filter(customer=customer).first()
    fetched: list[str] = []

    def capture(execute, sql, params, many, context):
        fetched.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        similar = selectors.similar_open_tickets(ticket=ticket)
    assert len(similar) == 5  # all alike: the best five are shown
    assert len(fetched) == 1
    assert fetched[0].endswith(f"LIMIT {selectors.SIMILAR_CANDIDATES}")
