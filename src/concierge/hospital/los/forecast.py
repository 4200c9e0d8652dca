"""When beds free up: the expected census of a ward over the next days (pure functions).

Convention: a ward's census is taken once a day at the same time of day as "now". A patient
admitted on day a with a stay of L whole days (L ≥ 1) is counted on days a, a + 1, …, a + L - 1.
So a patient who has stayed t days (t = today - admission day) is still counted k days from now
with probability P(L > t + k | L > t) = S(t + k) / S(t), where S(d) = P(L > d) is the predicted
survival (`StayPrediction.survival`), and an arrival on day j is counted on day k ≥ j with
probability S_new(k - j).

Expected occupied beds on day k = Σ current patients' probabilities (a staff-set expected
discharge date overrides the model: the patient is counted until that day, not on it)
+ Σ_{j=1..k} mean arrivals on day j's weekday × S_new(k - j) + beds reserved on day k.
Expected free = beds - expected occupied, never below 0.

Patients leave independently and arrivals are Poisson, so the census on day k is exactly a
Poisson-binomial (current patients) plus a Poisson (thinned arrivals): `likely_free` (its
median, which minimises absolute error) and `chance_full` come from that distribution.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DEFAULT_HORIZON = 7
DEFAULT_HISTORY_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Inpatient:
    """A patient in the ward now."""

    survival: Sequence[float]  # P(LOS > d) for d = 0, 1, …; from the stay prediction
    days_stayed: int  # whole days since admission; 0 = admitted today
    expected_discharge_in: int | None = None  # staff override: days from today until discharge


@dataclass(frozen=True, slots=True)
class ForecastDay:
    on: date
    expected_occupied: float
    expected_free: float
    expected_discharges: float  # current patients expected to leave on that day
    expected_admissions: float
    likely_free: int  # median of the free-bed distribution: the best single whole number
    chance_full: float  # P(no free bed)


@dataclass(frozen=True, slots=True)
class WardForecast:
    beds: int
    days: list[ForecastDay]
    free_up_tomorrow: float  # current patients expected to have left by tomorrow's census


def survival_at(survival: Sequence[float], day: int) -> float:
    """S(day); past the end of the list the last day-on-day ratio continues geometrically."""
    if day < 0:
        return 1.0
    if day < len(survival):
        return float(survival[day])
    if len(survival) < 2 or survival[-2] <= 0:
        return 0.0
    ratio = min(1.0, survival[-1] / survival[-2])
    return float(survival[-1] * ratio ** (day - len(survival) + 1))


def still_in_probability(patient: Inpatient, ahead: int) -> float:
    """P(the patient is still counted `ahead` days from now | counted now)."""
    if ahead <= 0:
        return 1.0
    if patient.expected_discharge_in is not None:
        return 1.0 if ahead < patient.expected_discharge_in else 0.0
    stayed = max(0, patient.days_stayed)
    now = survival_at(patient.survival, stayed)
    if now <= 0:
        # Already longer than the model thought possible: continue at the tail's daily ratio.
        return survival_at(patient.survival, len(patient.survival) + ahead) / max(
            survival_at(patient.survival, len(patient.survival)), 1e-12
        )
    return min(1.0, survival_at(patient.survival, stayed + ahead) / now)


def census_distribution(still_in: Sequence[float], arrivals: float) -> np.ndarray:
    """P(census = n): each current patient in with their own probability, plus Poisson arrivals."""
    dist = np.zeros(len(still_in) + 1)
    dist[0] = 1.0
    for n, p in enumerate(still_in, start=1):
        dist[1 : n + 1] = dist[1 : n + 1] * (1 - p) + dist[:n] * p
        dist[0] *= 1 - p
    if arrivals > 0:
        top = int(arrivals + 10 * np.sqrt(arrivals) + 10)
        counts = np.arange(top + 1)
        log_pmf = counts * np.log(arrivals) - arrivals - np.cumsum(np.log(np.maximum(counts, 1)))
        dist = np.convolve(dist, np.exp(log_pmf))
    return dist / dist.sum()


def mean_arrivals_by_weekday(
    admitted_on: Iterable[date], *, today: date, weeks: int = DEFAULT_HISTORY_WEEKS
) -> list[float]:
    """Mean admissions per weekday (Monday first) over the `weeks` full weeks before today."""
    start = today - timedelta(days=7 * weeks)
    counts = [0] * 7
    for day in admitted_on:
        if start <= day < today:
            counts[day.weekday()] += 1
    return [c / weeks for c in counts]


def mean_survival(survivals: Iterable[Sequence[float]], *, days: int = 31) -> list[float]:
    """Average survival curve of several stays (for the ward's expected new arrivals)."""
    rows = [[survival_at(s, d) for d in range(days)] for s in survivals]
    if not rows:
        return [1.0] + [0.0] * (days - 1)
    return np.mean(np.array(rows), axis=0).tolist()


def forecast_ward(
    *,
    today: date,
    beds: int,
    inpatients: Sequence[Inpatient],
    arrivals_by_weekday: Sequence[float] = (0.0,) * 7,
    arrival_survival: Sequence[float] = (1.0,),
    reserved: int | Sequence[float] = 0,
    horizon: int = DEFAULT_HORIZON,
) -> WardForecast:
    """Expected occupied and free beds of one ward on each of the next `horizon` days.

    `reserved` is a number of beds held every day, or one figure per day (day 1 first).
    """
    if len(arrivals_by_weekday) != 7:
        raise ValueError("arrivals_by_weekday needs 7 figures, Monday first")
    still_in = np.array(
        [[still_in_probability(p, k) for k in range(horizon + 1)] for p in inpatients]
    ).reshape(len(inpatients), horizon + 1)
    current = still_in.sum(axis=0)
    days = []
    for k in range(1, horizon + 1):
        on = today + timedelta(days=k)
        arrivals = sum(
            arrivals_by_weekday[(today + timedelta(days=j)).weekday()]
            * survival_at(arrival_survival, k - j)
            for j in range(1, k + 1)
        )
        held = reserved if isinstance(reserved, int | float) else reserved[k - 1]
        occupied = float(current[k] + arrivals + held)
        census = census_distribution(still_in[:, k], arrivals)
        cdf = np.cumsum(census)
        median_census = int(np.searchsorted(cdf, 0.5 - 1e-12))
        room = beds - round(held)  # beds left for patients
        days.append(
            ForecastDay(
                on=on,
                expected_occupied=occupied,
                expected_free=max(0.0, beds - occupied),
                expected_discharges=float(current[k - 1] - current[k]),
                expected_admissions=float(arrivals_by_weekday[on.weekday()]),
                likely_free=max(0, room - median_census),
                chance_full=float(1.0 - cdf[room - 1])
                if 0 < room <= len(cdf)
                else (1.0 if room <= 0 else 0.0),
            )
        )
    return WardForecast(beds=beds, days=days, free_up_tomorrow=float(current[0] - current[1]))


# ---------------------------------------------------------------------------------- backtest


@dataclass(frozen=True, slots=True)
class PastStay:
    admitted_on: date
    discharged_on: date  # first day the patient is no longer counted
    survival: Sequence[float]  # predicted at admission


@dataclass(frozen=True, slots=True)
class Backtest:
    days: int
    model_mae: float  # next-day free beds, expected value
    median_mae: float  # next-day free beds, `likely_free`
    naive_mae: float  # "tomorrow as today"


def census(stays: Iterable[PastStay], on: date) -> list[PastStay]:
    return [s for s in stays if s.admitted_on <= on < s.discharged_on]


def backtest_next_day_free(
    *,
    stays: Sequence[PastStay],
    beds: int,
    first_day: date,
    last_day: date,
    weeks: int = DEFAULT_HISTORY_WEEKS,
) -> Backtest:
    """Forecast tomorrow's free beds every day from `first_day` to `last_day` (inclusive) with
    only what was known that day, and compare with what happened and with "same as today"."""
    model_errors, median_errors, naive_errors = [], [], []
    day = first_day
    while day <= last_day:
        now = census(stays, day)
        history = [s for s in stays if day - timedelta(days=7 * weeks) <= s.admitted_on < day]
        forecast = forecast_ward(
            today=day,
            beds=beds,
            inpatients=[Inpatient(s.survival, (day - s.admitted_on).days) for s in now],
            arrivals_by_weekday=mean_arrivals_by_weekday(
                (s.admitted_on for s in history), today=day, weeks=weeks
            ),
            arrival_survival=mean_survival(s.survival for s in history),
            horizon=1,
        )
        actual = max(0, beds - len(census(stays, day + timedelta(days=1))))
        model_errors.append(abs(forecast.days[0].expected_free - actual))
        median_errors.append(abs(forecast.days[0].likely_free - actual))
        naive_errors.append(abs(max(0, beds - len(now)) - actual))
        day += timedelta(days=1)
    return Backtest(
        days=len(model_errors),
        model_mae=float(np.mean(model_errors)) if model_errors else float("nan"),
        median_mae=float(np.mean(median_errors)) if median_errors else float("nan"),
        naive_mae=float(np.mean(naive_errors)) if naive_errors else float("nan"),
    )
