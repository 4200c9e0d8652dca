"""SLA clocks in business hours (with holidays), warnings, escalation, pending reminders and
auto-close — all with `now=` so nothing depends on the wall clock."""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest

from concierge.helpdesk import selectors, services
from concierge.helpdesk.models import Holiday, Ticket
from concierge.helpdesk.sla import BusinessCalendar
from concierge.helpdesk.tests.factories import SLAPolicyFactory

IST = zoneinfo.ZoneInfo("Asia/Kolkata")


def at(y, m, d, h, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=IST)


@pytest.fixture
def cal():
    # Monday–Friday 09:00–18:00; 2026-01-26 (a Monday) is a holiday
    return BusinessCalendar(
        tz=IST,
        start=time(9),
        end=time(18),
        weekdays=frozenset({0, 1, 2, 3, 4}),
        holidays=frozenset({date(2026, 1, 26)}),
    )


def test_add_within_the_day(cal):
    assert cal.add(at(2026, 1, 21, 10), 120) == at(2026, 1, 21, 12)


def test_add_rolls_over_night_and_weekend(cal):
    # Friday 17:00 + 2h → Monday 10:00 (Monday 19 Jan is a working day)
    assert cal.add(at(2026, 1, 16, 17), 120) == at(2026, 1, 19, 10)


def test_add_skips_holiday(cal):
    # Friday 23 Jan 17:00 + 2h: weekend, then the Monday holiday → Tuesday 27 Jan 10:00
    assert cal.add(at(2026, 1, 23, 17), 120) == at(2026, 1, 27, 10)


def test_add_starting_outside_hours(cal):
    assert cal.add(at(2026, 1, 21, 20), 30) == at(2026, 1, 22, 9, 30)
    assert cal.add(at(2026, 1, 24, 12), 60) == at(2026, 1, 27, 10)  # Saturday → Tuesday


def test_between_counts_only_business_minutes(cal):
    assert cal.between(at(2026, 1, 23, 17), at(2026, 1, 27, 10)) == 120
    assert cal.between(at(2026, 1, 27, 10), at(2026, 1, 23, 17)) == -120


def test_calendar_from_organisation(org):
    Holiday.objects.create(organisation=org, day=date(2026, 1, 26), name="Republic Day")
    cal = BusinessCalendar.for_organisation(org)
    assert date(2026, 1, 26) in cal.holidays and cal.weekdays == frozenset(range(5))


@pytest.fixture
def policy(org):
    return SLAPolicyFactory(
        organisation=org,
        priority="normal",
        first_response_minutes=120,
        resolution_minutes=540,
        warn_before_minutes=30,
    )


def make(org, customer, when):
    return services.create_ticket(
        organisation=org,
        customer=customer,
        subject="Broken",
        description="Please help",
        now=when,
        check_limits=False,
    )


def test_ticket_gets_due_dates_in_business_time(org, customer, queue, policy):
    t = make(org, customer, at(2026, 1, 23, 17))  # Friday 17:00
    assert t.first_response_due == at(2026, 1, 26, 10)  # no holiday configured here
    clocks = selectors.sla_clocks(ticket=t, now=at(2026, 1, 26, 9, 30))
    assert clocks[0].minutes_left == 30 and clocks[0].state == "warning"


def test_sweep_warns_once_then_escalates(org, customer, agent, manager, queue, policy):
    t = make(org, customer, at(2026, 1, 21, 10))  # first response due 12:00
    assert services.sla_sweep(now=at(2026, 1, 21, 11))["warned"] == 0
    assert services.sla_sweep(now=at(2026, 1, 21, 11, 40))["warned"] == 1
    assert services.sla_sweep(now=at(2026, 1, 21, 11, 45))["warned"] == 0
    assert agent.notifications.filter(event="helpdesk.sla_warning").count() == 1
    counts = services.sla_sweep(now=at(2026, 1, 21, 12, 5))
    assert counts["escalated"] == 1
    t.refresh_from_db()
    assert t.priority == "high" and t.sla_breached_at is not None
    assert manager.notifications.filter(event="helpdesk.sla_breached").count() == 1
    assert services.sla_sweep(now=at(2026, 1, 21, 13))["escalated"] == 0


def test_first_response_stops_the_first_clock(org, customer, agent, queue, policy):
    t = make(org, customer, at(2026, 1, 21, 10))
    services.reply_as_agent(
        agent=agent,
        ticket=t,
        body="Looking",
        status_after="open",
        seen_message_id=services.last_public_message_id(t),
        now=at(2026, 1, 21, 11),
    )
    t.refresh_from_db()
    clocks = {c.label: c for c in selectors.sla_clocks(ticket=t, now=at(2026, 1, 21, 12, 30))}
    assert clocks["first_response"].state == "met"
    assert services.sla_sweep(now=at(2026, 1, 21, 12, 30))["escalated"] == 0


def test_pending_pauses_resolution_clock(org, customer, agent, queue, policy):
    t = make(org, customer, at(2026, 1, 21, 10))  # resolution due 21 Jan 10:00 + 9h = 22 Jan 10:00
    assert t.resolution_due == at(2026, 1, 22, 10)
    services.reply_as_agent(
        agent=agent,
        ticket=t,
        body="Photo please?",
        seen_message_id=services.last_public_message_id(t),
        now=at(2026, 1, 21, 11),
    )
    services.reply_as_customer(customer=customer, ticket=t, body="Here", now=at(2026, 1, 21, 15))
    t.refresh_from_db()
    assert t.status == Ticket.Status.OPEN
    assert t.resolution_due == at(2026, 1, 22, 14)  # 4 business hours paused


def pending_ticket(org, customer, agent, when):
    t = make(org, customer, when)
    services.reply_as_agent(
        agent=agent,
        ticket=t,
        body="Can you send a photo?",
        seen_message_id=services.last_public_message_id(t),
        now=when,
    )
    t.refresh_from_db()
    return t


def test_reminder_then_notice_then_close_never_silently(org, customer, agent, queue):
    start = at(2026, 2, 2, 10)
    t = pending_ticket(org, customer, agent, start)
    assert services.pending_sweep(now=start + timedelta(days=2))["reminded"] == 0
    assert services.pending_sweep(now=start + timedelta(days=3, hours=1))["reminded"] == 1
    assert services.pending_sweep(now=start + timedelta(days=3, hours=2))["reminded"] == 0
    assert services.pending_sweep(now=start + timedelta(days=6, hours=1))["noticed"] == 1
    # the close waits for the notice to have been out for a while, even if the sweep is late
    assert services.pending_sweep(now=start + timedelta(days=6, hours=2))["closed"] == 0
    assert services.pending_sweep(now=start + timedelta(days=7, hours=2))["closed"] == 1
    t.refresh_from_db()
    assert t.status == Ticket.Status.CLOSED
    events = [n.event for n in customer.notifications.order_by("pk")]
    assert (
        events.index("helpdesk.pending_reminder")
        < events.index("helpdesk.autoclose_notice")
        < events.index("helpdesk.ticket_closed")
    )
    # one click reopens
    services.reopen_ticket(actor=customer, ticket=t, now=start + timedelta(days=8))
    t.refresh_from_db()
    assert t.status == Ticket.Status.OPEN


def test_late_sweep_sends_notice_before_closing(org, customer, agent, queue):
    start = at(2026, 2, 2, 10)
    t = pending_ticket(org, customer, agent, start)
    counts = services.pending_sweep(now=start + timedelta(days=30))
    assert counts == {"reminded": 0, "noticed": 1, "closed": 0}
    t.refresh_from_db()
    assert t.status == Ticket.Status.PENDING


def test_customer_reply_resets_the_wait(org, customer, agent, queue):
    start = at(2026, 2, 2, 10)
    t = pending_ticket(org, customer, agent, start)
    services.reply_as_customer(
        customer=customer, ticket=t, body="Sent it", now=start + timedelta(days=5)
    )
    assert services.pending_sweep(now=start + timedelta(days=9)) == {
        "reminded": 0,
        "noticed": 0,
        "closed": 0,
    }
