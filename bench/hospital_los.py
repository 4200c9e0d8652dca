"""Length-of-stay model and bed forecast: held-out figures, latency, training time, backtest.

    .venv/bin/python bench/hospital_los.py [--quick]

Trains exactly as `manage.py los train` does (split by patient: fit / calibration / test) on
../shared/data/los (CONCIERGE_SHARED_DATA overrides), scores the test patients only, and
compares with a plain gradient-boosting model and the training median. Then it simulates a
year of four wards whose patients are held-out real stays, and backtests tomorrow's free beds
against "same as today".
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from concierge.hospital.los import features as F
from concierge.hospital.los import model as M
from concierge.hospital.los.forecast import PastStay, backtest_next_day_free

DATA = Path(
    os.environ.get(
        "CONCIERGE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
WARDS = {"ward A": 12, "ward B": 20, "ward C": 30, "ward D": 40}
WIDTHS = (9, 7, 9, 7)
WEEKDAY_LOAD = [1.2, 1.1, 1.05, 1.0, 1.0, 0.85, 0.8]  # more admissions early in the week


def engineered_reference_mae(frame, seed: int) -> float:
    """Default HistGradientBoostingRegressor on *our* feature matrix (encodings included)."""
    clean = M.clean_target(frame)
    fit, _, test = M.split_patients(clean, test_size=0.1, calibration_size=0.1, seed=seed)
    fit_frame, test_frame = clean.iloc[fit], clean.iloc[test]
    model, encodings, vocabularies = M.fit_point_model(
        fit_frame, groups=M.patient_groups(fit_frame), params={"random_state": 0}
    )
    x = F.encode(F.read_columns(test_frame), encodings=encodings, vocabularies=vocabularies)
    return float(np.mean(np.abs(model.predict(x) - test_frame[F.TARGET].to_numpy(float))))


def latency(model: M.LosModel, test_frame, n: int) -> tuple[float, float, float]:
    rows = test_frame[list(F.ADMISSION_COLUMNS)].head(n)
    records = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in rows.to_dict("records")
    ]
    wall, cpu = [], []
    for record in records:
        w, c = time.perf_counter(), time.thread_time()
        M.predict_stay(record, model=model)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return statistics.median(wall), float(np.percentile(wall, 95)), statistics.median(cpu)


def simulate_ward(beds: int, stays: list[tuple[int, list[float]]], days: int, rng) -> list:
    """A ward that admits Poisson arrivals while it has a free bed; each patient is a real
    held-out stay (its true LOS and the model's prediction made at admission)."""
    mean_los = float(np.mean([los for los, _ in stays]))
    base = 0.9 * beds / mean_los  # arrivals per day for ~90 % occupancy
    start = date(2025, 1, 6)  # a Monday
    admitted, in_ward = [], []
    for d in range(days):
        today = start + timedelta(days=d)
        in_ward = [s for s in in_ward if s.discharged_on > today]
        for _ in range(rng.poisson(base * WEEKDAY_LOAD[today.weekday()])):
            if len(in_ward) >= beds:
                break  # turned away: the ward is full
            los, survival = stays[rng.integers(len(stays))]
            stay = PastStay(today, today + timedelta(days=int(los)), survival)
            in_ward.append(stay)
            admitted.append(stay)
    return admitted


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a 20,000-row sample, 6 months")
    args = parser.parse_args()
    source = DATA / "los" / "diabetes130_train.csv.gz"
    if not source.exists():
        print(f"shared data not found at {source}; set CONCIERGE_SHARED_DATA", file=sys.stderr)
        return 1
    frame = M.read_stays([source])
    if args.quick:
        frame = frame.sample(20_000, random_state=0).reset_index(drop=True)

    cpu = time.process_time()
    result = M.train(frame, seed=0, threads=1)
    cpu = time.process_time() - cpu
    t = result.test
    engineered = engineered_reference_mae(frame, seed=0)

    clean = M.clean_target(frame)
    _, _, test_rows = M.split_patients(clean, test_size=0.1, calibration_size=0.1, seed=0)
    test_frame = clean.iloc[test_rows].reset_index(drop=True)
    median_ms, p95_ms, cpu_ms = latency(result.model, test_frame, 200)
    predicted = result.model.predict(test_frame)
    y = test_frame[F.TARGET].to_numpy()
    # Is P(LOS > d) honest? Mean predicted vs observed share of test stays longer than d days.
    gaps = [abs(predicted.survival[:, d].mean() - (y > d).mean()) for d in range(1, 15)]
    ranked = np.argsort(predicted.days)
    short, long = ranked[: len(y) // 4], ranked[-len(y) // 4 :]

    print(f"held-out patients: {t.rows} stays; fit {result.model.card['rows']['fit']}, "
          f"calibration {result.model.card['rows']['calibration']}")  # fmt: skip
    print(f"{'measure':<60} {'value':>10}")
    lines = [
        ("model MAE (days)", t.mae),
        ("reference GBM MAE: sklearn defaults, raw admission columns", result.reference_mae),
        ("reference GBM MAE: sklearn defaults, our feature matrix", engineered),
        ("median baseline MAE (training median)", t.median_baseline_mae),
        ("model / reference (raw columns)", t.mae / result.reference_mae),
        ("model / reference (our features)", t.mae / engineered),
        ("model / median baseline", t.mae / t.median_baseline_mae),
        ("coverage of the 80 % interval", t.coverage_80),
        ("mean interval width (days, inclusive)", t.mean_interval_width),
        ("RMSE (days)", t.rmse),
        ("survival: max |mean P(LOS>d) - observed share|, d=1..14", max(gaps)),
        ("observed mean stay, quarter predicted shortest (days)", y[short].mean()),
        ("observed mean stay, quarter predicted longest (days)", y[long].mean()),
        ("R²", t.r2),
        ("one-admission latency, median (ms, wall)", median_ms),
        ("one-admission latency, p95 (ms, wall)", p95_ms),
        ("one-admission latency, median (ms, CPU)", cpu_ms),
        ("training seconds (wall, 1 thread)", result.seconds),
        ("training + scoring + reference, CPU seconds", cpu),
    ]
    for name, value in lines:
        print(f"{name:<60} {value:>10.4f}")

    stays = [
        (int(los), [float(s) for s in predicted.survival[i]])
        for i, los in enumerate(test_frame[F.TARGET])
    ]
    population = np.mean(predicted.survival, axis=0).tolist()
    days = 200 if args.quick else 420
    rng = np.random.default_rng(0)
    print(f"\nbed forecast backtest: next-day free beds, {days - 70} days after an 8-week warm-up")
    print(f"{'ward':<8} {'beds':>5} {'expected':>9} {'likely':>7} {'no-model':>9} {'naive':>7}")
    totals = []
    for name, beds in WARDS.items():
        history = simulate_ward(beds, stays, days, rng)
        first, last = (
            history[0].admitted_on + timedelta(days=70),
            history[0].admitted_on + (timedelta(days=days - 2)),
        )
        scored = backtest_next_day_free(stays=history, beds=beds, first_day=first, last_day=last)
        flat = [PastStay(s.admitted_on, s.discharged_on, population) for s in history]
        plain = backtest_next_day_free(stays=flat, beds=beds, first_day=first, last_day=last)
        row = (scored.model_mae, scored.median_mae, plain.median_mae, scored.naive_mae)
        totals.append(row)
        print(
            f"{name:<8} {beds:>5} "
            + " ".join(f"{v:>{w}.3f}" for v, w in zip(row, WIDTHS, strict=True))
        )
    mean = np.mean(totals, axis=0)
    print(
        f"{'mean':<8} {'':>5} "
        + " ".join(f"{v:>{w}.3f}" for v, w in zip(mean, WIDTHS, strict=True))
    )
    print("MAE of next-day free beds. expected: mean forecast; likely: its median (whole beds);")
    print("no-model: likely, every patient given the average survival; naive: same as today.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
