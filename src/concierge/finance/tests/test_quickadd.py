from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concierge.finance.quickadd import QuickAddError, parse

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("line", "amount", "kind", "on", "key", "account"),
    [
        ("120 coffee", "120", "expense", TODAY, "coffee", ""),
        ("2500 salary yesterday", "2500", "income", date(2026, 11, 25), "salary", ""),
        ("450 groceries @card", "450", "expense", TODAY, "groceries", "card"),
        ("₹1,200.50 petrol", "1200.50", "expense", TODAY, "fuel", ""),
        ("coffee 80", "80", "expense", TODAY, "coffee", ""),
        ("+500 from mom", "500", "income", TODAY, "", ""),
        ("1.5k rent 3 days ago", "1500", "expense", date(2026, 11, 23), "rent", ""),
        ("300 swiggy 20/11", "300", "expense", date(2026, 11, 20), "restaurants", ""),
        ("250 चाय", "250", "expense", TODAY, "coffee", ""),
        ("60 auto 5 nov #work", "60", "expense", date(2026, 11, 5), "taxi", ""),
        ("-5 coffee", "5", "expense", TODAY, "coffee", ""),
    ],
)
def test_quick_add_lines(line, amount, kind, on, key, account):
    draft = parse(line, today=TODAY)
    assert draft.amount == Decimal(amount)
    assert draft.kind == kind
    assert draft.on == on
    assert draft.category_key == key
    assert draft.account_hint == account


def test_tags_are_collected():
    assert parse("60 auto #work #trip", today=TODAY).tags == ["work", "trip"]


@pytest.mark.parametrize("line", ["", "coffee", "abc def", "0 tea", "@card"])
def test_lines_without_a_positive_amount_are_refused(line):
    with pytest.raises(QuickAddError):
        parse(line, today=TODAY)


@given(st.text(max_size=60))
def test_any_text_parses_or_refuses_cleanly(text):
    try:
        draft = parse(text, today=TODAY)
    except QuickAddError:
        return
    assert draft.amount > 0
    assert draft.on <= TODAY


def test_a_huge_amount_is_refused_not_a_crash():
    with pytest.raises(QuickAddError):
        parse("100000000000000000000000000", today=TODAY)
