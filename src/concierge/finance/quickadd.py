"""One line → a transaction draft: `120 coffee`, `2500 salary yesterday`, `450 groceries @card`.

Pure parsing (no database): the service resolves the category and account names it finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Words that mean money came in (English, Hindi, Tamil, romanised).
INCOME_WORDS = {
    "salary",
    "income",
    "refund",
    "interest",
    "bonus",
    "dividend",
    "cashback",
    "received",
    "got",
    "tankhwah",
    "vetan",
    "वेतन",
    "तनख्वाह",
    "सैलरी",
    "சம்பளம்",
    "freelance",
    "rent-received",
}

# Keyword → default category key (see services.DEFAULT_CATEGORIES).
KEYWORDS = {
    "coffee": "coffee",
    "tea": "coffee",
    "chai": "coffee",
    "cafe": "coffee",
    "चाय": "coffee",
    "காபி": "coffee",
    "groceries": "groceries",
    "grocery": "groceries",
    "vegetables": "groceries",
    "sabzi": "groceries",
    "milk": "groceries",
    "doodh": "groceries",
    "kirana": "groceries",
    "bigbasket": "groceries",
    "blinkit": "groceries",
    "zepto": "groceries",
    "दूध": "groceries",
    "किराना": "groceries",
    "பால்": "groceries",
    "மளிகை": "groceries",
    "lunch": "restaurants",
    "dinner": "restaurants",
    "breakfast": "restaurants",
    "restaurant": "restaurants",
    "swiggy": "restaurants",
    "zomato": "restaurants",
    "food": "food",
    "खाना": "food",
    "உணவு": "food",
    "petrol": "fuel",
    "diesel": "fuel",
    "fuel": "fuel",
    "पेट्रोल": "fuel",
    "பெட்ரோல்": "fuel",
    "uber": "taxi",
    "ola": "taxi",
    "taxi": "taxi",
    "auto": "taxi",
    "rapido": "taxi",
    "cab": "taxi",
    "metro": "public_transport",
    "bus": "public_transport",
    "train": "public_transport",
    "rent": "rent",
    "किराया": "rent",
    "வாடகை": "rent",
    "electricity": "electricity",
    "eb": "electricity",
    "bijli": "electricity",
    "बिजली": "electricity",
    "மின்சாரம்": "electricity",
    "water": "water",
    "internet": "internet",
    "wifi": "internet",
    "broadband": "internet",
    "recharge": "phone",
    "mobile": "phone",
    "phone": "phone",
    "netflix": "subscriptions",
    "spotify": "subscriptions",
    "hotstar": "subscriptions",
    "prime": "subscriptions",
    "subscription": "subscriptions",
    "movie": "movies",
    "movies": "movies",
    "cinema": "movies",
    "medicine": "medicine",
    "pharmacy": "medicine",
    "doctor": "doctor",
    "hospital": "doctor",
    "दवा": "medicine",
    "மருந்து": "medicine",
    "clothes": "clothes",
    "shoes": "clothes",
    "amazon": "shopping",
    "flipkart": "shopping",
    "shopping": "shopping",
    "school": "education",
    "fees": "education",
    "books": "education",
    "tuition": "education",
    "haircut": "personal_care",
    "salon": "personal_care",
    "gift": "gifts",
    "donation": "gifts",
    "temple": "gifts",
    "flight": "travel",
    "hotel": "travel",
    "trip": "travel",
    "salary": "salary",
    "वेतन": "salary",
    "सैलरी": "salary",
    "சம்பளம்": "salary",
    "interest": "interest",
    "refund": "refunds",
    "cashback": "refunds",
    "bonus": "salary",
    "freelance": "business",
}

DAY_WORDS = {
    "today": 0,
    "aaj": 0,
    "आज": 0,
    "இன்று": 0,
    "yesterday": 1,
    "kal": 1,
    "कल": 1,
    "நேற்று": 1,
}
MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass
class QuickDraft:
    amount: Decimal
    kind: str  # "expense" | "income"
    on: date
    text: str  # the words left: payee/note, also what the category comes from
    account_hint: str = ""
    category_key: str = ""
    tags: list[str] = field(default_factory=list)


class QuickAddError(ValueError):
    pass


_AMOUNT = re.compile(
    r"^(?P<sign>[+-])?(?:₹|rs\.?|inr)?\s*(?P<num>\d[\d,]*(?:\.\d{1,2})?)(?P<k>k)?$", re.I
)


def parse(line: str, *, today: date) -> QuickDraft:
    """Raise QuickAddError with a friendly message when no amount can be found."""
    words = (line or "").strip().split()
    if not words:
        raise QuickAddError(_("Type an amount and what it was for, e.g. “120 coffee”."))
    amount = None
    sign = ""
    rest: list[str] = []
    account_hint = ""
    tags: list[str] = []
    on = today
    i = 0
    while i < len(words):
        word = words[i]
        low = word.lower().strip(",.")
        match = _AMOUNT.match(word.replace("₹", "").strip()) if amount is None else None
        if match:
            try:
                amount = Decimal(match.group("num").replace(",", ""))
            except InvalidOperation:
                amount = None
            else:
                if match.group("k"):
                    amount *= 1000
                sign = match.group("sign") or ""
                i += 1
                continue
        if word.startswith("@") and len(word) > 1:
            account_hint = word[1:]
        elif word.startswith("#") and len(word) > 1:
            tags.append(word[1:].lower())
        elif low in DAY_WORDS:
            on = today - timedelta(days=DAY_WORDS[low])
        elif low in ("on", "last") and i + 1 < len(words) and words[i + 1].lower() in WEEKDAYS:
            target = WEEKDAYS.index(words[i + 1].lower())
            delta = (today.weekday() - target) % 7 or 7
            on = today - timedelta(days=delta)
            i += 1
        elif (
            re.fullmatch(r"\d+", low)
            and i + 2 < len(words)
            and words[i + 1].lower() == "days"
            and words[i + 2].lower() == "ago"
        ):
            on = today - timedelta(days=int(low))
            i += 2
        elif re.fullmatch(r"\d{1,2}[/.-]\d{1,2}([/.-]\d{2,4})?", low):
            on = _day_month(low, today) or on
        elif (
            re.fullmatch(r"\d{1,2}", low)
            and i + 1 < len(words)
            and words[i + 1].lower()[:3] in MONTHS
        ):
            on = _safe_date(today.year, MONTHS[words[i + 1].lower()[:3]], int(low), today) or on
            i += 1
        else:
            rest.append(word)
        i += 1
    if amount is None or amount <= 0:
        raise QuickAddError(
            _("Start with an amount, e.g. “120 coffee” or “2500 salary yesterday”.")
        )
    if amount >= Decimal("1e13"):  # amounts are stored with 16 digits, 2 after the point
        raise QuickAddError(_("That amount is too large."))
    if on > today:
        on = on.replace(year=on.year - 1) if (on - today).days > 31 else on
    text = " ".join(rest)
    lowered = [w.lower().strip(",.") for w in rest]
    kind = "income" if sign == "+" or any(w in INCOME_WORDS for w in lowered) else "expense"
    key = next((KEYWORDS[w] for w in lowered if w in KEYWORDS), "")
    return QuickDraft(
        amount=amount.quantize(Decimal("0.01")),
        kind=kind,
        on=on,
        text=text,
        account_hint=account_hint,
        category_key=key,
        tags=tags,
    )


def _safe_date(year: int, month: int, day: int, today: date) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    if value > today:
        try:
            value = date(year - 1, month, day)
        except ValueError:
            return None
    return value


def _day_month(text: str, today: date) -> date | None:
    parts = [int(p) for p in re.split(r"[/.-]", text)]
    day, month = parts[0], parts[1]
    year = parts[2] if len(parts) > 2 else today.year
    if year < 100:
        year += 2000
    if len(parts) > 2:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return _safe_date(year, month, day, today)
