"""How well does the per-user categoriser guess categories? A time-ordered split of demo-like
Indian bank narrations: learn from the first 9 months, guess the last 3.

    .venv/bin/python bench/finance_categorise.py [--quick]

Narrations are generated the way Indian banks print them (UPI/POS/NEFT prefixes, reference
numbers, city suffixes, case noise), with new merchants appearing in the test months that
the model never saw — so the figure is not a memorisation score.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

MERCHANTS = {
    "groceries": [
        "BigBasket",
        "Reliance Fresh",
        "More Supermarket",
        "Nilgiris",
        "DMart",
        "Blinkit",
        "Zepto",
        "Spencers",
        "Ratnadeep",
        "Nature Basket",
    ],
    "restaurants": [
        "Swiggy",
        "Zomato",
        "Saravana Bhavan",
        "Dominos Pizza",
        "McDonalds",
        "Adyar Ananda Bhavan",
        "Barbeque Nation",
        "KFC",
        "Haldiram",
        "Eatfit",
    ],
    "fuel": [
        "HP Petrol Pump",
        "Indian Oil",
        "Bharat Petroleum",
        "Shell",
        "Nayara Energy",
        "IOCL Fuel Station",
    ],
    "taxi": ["Uber India", "Ola Cabs", "Rapido", "BluSmart", "Namma Yatri", "Meru Cabs"],
    "shopping": ["Amazon", "Flipkart", "Myntra", "Ajio", "Nykaa", "Croma", "Tata Cliq"],
    "medicine": ["Apollo Pharmacy", "MedPlus", "Netmeds", "PharmEasy", "1mg", "Wellness Forever"],
    "electricity": ["TANGEDCO", "BESCOM", "MSEDCL", "Tata Power", "Adani Electricity"],
    "phone": ["Jio Recharge", "Airtel Prepaid", "Vi Recharge", "BSNL Mobile"],
    "subscriptions": [
        "Netflix",
        "Spotify",
        "Hotstar",
        "Amazon Prime",
        "YouTube Premium",
        "SonyLIV",
        "Zee5",
    ],
    "coffee": [
        "Chaayos",
        "Starbucks",
        "Cafe Coffee Day",
        "Third Wave Coffee",
        "Blue Tokai",
        "Raju Tea Stall",
    ],
    "rent": ["Rent to landlord", "House rent", "NoBroker rent", "Rent payment"],
    "salary": ["Infosys Ltd salary", "TCS salary credit", "Wipro payroll", "Salary credit"],
}
PREFIXES = [
    "UPI-{m}-{r}@ybl",
    "UPI/{r}/{m}/paytm",
    "POS {r4} {M} {city}",
    "{M} {city}",
    "NEFT-{r}-{M}",
    "{m} order {r4}",
    "ACH D- {M}-{r}",
    "IMPS/{r}/{m}",
]
CITIES = ["BANGALORE", "CHENNAI", "MUMBAI", "PUNE", "HYDERABAD", "DELHI", "IN"]


def narration(rng: random.Random, merchant: str) -> str:
    pattern = rng.choice(PREFIXES)
    return pattern.format(
        m=merchant.lower().replace(" ", ""),
        M=merchant.upper(),
        r=rng.randint(10**9, 10**12),
        r4=rng.randint(1000, 9999),
        city=rng.choice(CITIES),
    )


def generate(rng: random.Random, months: int, per_month: int):
    rows = []
    keys = list(MERCHANTS)
    weights = [18, 14, 6, 10, 6, 4, 1, 1, 2, 12, 1, 1]
    for month in range(months):
        for _ in range(per_month):
            key = rng.choices(keys, weights)[0]
            pool = MERCHANTS[key]
            # the last merchant of each list only appears in the last quarter: unseen
            merchant = rng.choice(pool if month >= months - 3 else pool[:-1])
            amount = rng.randint(50, 4000) if key != "rent" else rng.randint(15000, 30000)
            rows.append((month, narration(rng, merchant), "", amount, key))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from concierge.finance import categorise
    from concierge.finance.quickadd import KEYWORDS

    rng = random.Random(11)
    per_month = 60 if args.quick else 150
    rows = generate(rng, 12, per_month)
    keys = sorted(MERCHANTS)
    label = {k: i for i, k in enumerate(keys)}
    train = [r for r in rows if r[0] < 9]
    test = [r for r in rows if r[0] >= 9]
    started = time.perf_counter()
    model = categorise.train(
        [categorise.text_of(p, n, a) for _m, p, n, a, _k in train], [label[k] for *_r, k in train]
    )
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    preds = categorise.predict(model, [categorise.text_of(p, n, a) for _m, p, n, a, _k in test])
    predict_ms = (time.perf_counter() - started) * 1000 / len(test)

    def keyword(text: str) -> str | None:
        words = text.lower().replace("-", " ").replace("/", " ").split()
        return next((KEYWORDS[w] for w in words if w in KEYWORDS), None)

    correct = sum(
        1 for p, r in zip(preds, test, strict=True) if p is not None and keys[p.category_id] == r[4]
    )
    answered = sum(1 for p in preds if p is not None)
    unseen = [
        (p, r)
        for p, r in zip(preds, test, strict=True)
        if any(
            r[1].lower().replace(" ", "").find(m.lower().replace(" ", "")) >= 0
            for m in [MERCHANTS[r[4]][-1]]
        )
    ]
    unseen_ok = sum(1 for p, r in unseen if p is not None and keys[p.category_id] == r[4])
    kw_correct = sum(1 for r in test if keyword(r[1]) == r[4])
    # after the user corrects the unseen merchants once each, retrain and re-measure
    corrections = {}
    for _p, r in unseen:
        corrections.setdefault(r[1].split()[0], r)
    model2 = categorise.train(
        [categorise.text_of(p, n, a) for _m, p, n, a, _k in train + list(corrections.values())],
        [label[k] for *_r, k in train + list(corrections.values())],
    )
    preds2 = categorise.predict(model2, [categorise.text_of(p, n, a) for _m, p, n, a, _k in test])
    correct2 = sum(
        1
        for p, r in zip(preds2, test, strict=True)
        if p is not None and keys[p.category_id] == r[4]
    )

    n = len(test)
    print(
        f"\nfinance categoriser — time-ordered split: train {len(train)} rows (months 1–9), "
        f"test {n} rows (months 10–12), {len(keys)} categories\n"
    )
    print(f"{'measure':<52} {'value':>10}")
    print(f"{'keyword baseline (quick-add words), accuracy':<52} {kw_correct / n:10.1%}")
    print(f"{'model: accuracy (all test rows)':<52} {correct / n:10.1%}")
    print(
        f"{f'model: coverage (confidence ≥ {categorise.MIN_CONFIDENCE:.2f})':<52} "
        f"{answered / n:10.1%}"
    )
    print(f"{'model: precision when it answers':<52} {correct / max(answered, 1):10.1%}")
    print(
        f"{'model: accuracy on merchants never seen':<52} {unseen_ok / max(len(unseen), 1):10.1%}"
    )
    print(f"{f'after {len(corrections)} corrections, accuracy':<52} {correct2 / n:10.1%}")
    print(f"{'train time (s)':<52} {train_s:10.2f}")
    print(f"{'predict time per row (ms)':<52} {predict_ms:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
