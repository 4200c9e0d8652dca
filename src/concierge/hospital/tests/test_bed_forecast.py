"""The ward forecast: expected occupied and free beds, checked against sums done by hand."""

import math
from datetime import date, timedelta

import pytest

from concierge.hospital.los.forecast import (
    Inpatient,
    PastStay,
    backtest_next_day_free,
    census_distribution,
    forecast_ward,
    mean_arrivals_by_weekday,
    still_in_probability,
    survival_at,
)

MONDAY = date(2026, 11, 23)
# P(LOS > d) for d = 0..4: half leave after 1 day, a quarter after 2, the rest after 4.
SHORT = [1.0, 0.5, 0.25, 0.25, 0.0]


def test_still_in_is_conditioned_on_the_days_already_stayed():
    assert still_in_probability(Inpatient(SHORT, days_stayed=0), 1) == 0.5
    assert still_in_probability(Inpatient(SHORT, days_stayed=1), 1) == 0.5  # 0.25 / 0.5
    assert still_in_probability(Inpatient(SHORT, days_stayed=2), 1) == 1.0  # 0.25 / 0.25
    assert still_in_probability(Inpatient(SHORT, days_stayed=2), 2) == 0.0
    # The staff's expected date wins over the model, whatever the model says.
    assert still_in_probability(Inpatient(SHORT, 0, expected_discharge_in=3), 2) == 1.0
    assert still_in_probability(Inpatient(SHORT, 0, expected_discharge_in=3), 3) == 0.0


def test_survival_past_the_curve_continues_its_last_daily_ratio():
    curve = [1.0, 0.8, 0.4, 0.2]
    assert survival_at(curve, 5) == pytest.approx(0.2 * 0.5**2)
    # A patient who outstayed the curve is not "certain to leave": tail ratio applies.
    assert still_in_probability(Inpatient(curve, days_stayed=9), 1) == pytest.approx(0.5)


def test_a_small_ward_matches_the_hand_computed_sums():
    patients = [
        Inpatient(SHORT, days_stayed=0),  # still in: day1 .5, day2 .25, day3 .25, day4 0
        Inpatient(SHORT, days_stayed=1),  # day1 .25/.5=.5, day2 .25/.5=.5, day3 0
        Inpatient(SHORT, days_stayed=0, expected_discharge_in=2),  # day1 1, day2 0
    ]
    arrivals = [2.0, 1.0, 0, 0, 0, 0, 0]  # Monday 2, Tuesday 1
    new = [1.0, 0.5, 0.0]  # an arrival is counted its first day, half of them the next
    forecast = forecast_ward(
        today=MONDAY - timedelta(days=1),  # Sunday: tomorrow is Monday
        beds=6,
        inpatients=patients,
        arrivals_by_weekday=arrivals,
        arrival_survival=new,
        reserved=[1, 0, 0],
        horizon=3,
    )
    monday, tuesday, wednesday = forecast.days
    # Monday: patients .5 + .5 + 1 = 2; arrivals Monday 2 x S(0)=2; reserved 1  -> 5
    assert monday.on == MONDAY
    assert monday.expected_occupied == pytest.approx(5.0)
    assert monday.expected_free == pytest.approx(1.0)
    # Tuesday: .25 + .5 + 0 = .75; Monday's 2 x S(1)=1 + Tuesday's 1 x S(0)=1 -> 2.75
    assert tuesday.expected_occupied == pytest.approx(2.75)
    assert tuesday.expected_free == pytest.approx(3.25)
    # Wednesday: .25 + 0 + 0; Monday's 2 x S(2)=0, Tuesday's 1 x S(1)=.5 -> .75
    assert wednesday.expected_occupied == pytest.approx(0.75)
    # Expected to free up tomorrow: 3 in now, 2 expected on Monday's census.
    assert forecast.free_up_tomorrow == pytest.approx(1.0)
    assert monday.expected_discharges == pytest.approx(1.0)
    assert tuesday.expected_discharges == pytest.approx(1.25)
    assert (monday.expected_admissions, tuesday.expected_admissions) == (2.0, 1.0)
    # Monday's census: Poisson-binomial(.5, .5, 1) = 1, 2, 3 with .25, .5, .25, plus Poisson(2)
    # arrivals; P(census <= 4) = .6541, so the median census is 4 and the 5 unreserved beds
    # leave 1 likely free; the ward is full (census >= 5) with probability .3459.
    assert monday.likely_free == 1
    assert monday.chance_full == pytest.approx(0.3459, abs=1e-4)


def test_census_distribution_is_exact_for_bernoulli_patients_and_poisson_arrivals():
    assert census_distribution([0.5, 0.5], 0).tolist() == [0.25, 0.5, 0.25]
    with_arrivals = census_distribution([1.0], 1.0)
    assert with_arrivals[0] == 0 and with_arrivals[1] == pytest.approx(math.exp(-1))
    assert with_arrivals.sum() == pytest.approx(1.0)


def test_free_beds_never_go_below_zero():
    full = forecast_ward(today=MONDAY, beds=1, inpatients=[Inpatient([1.0] * 31, 0)] * 3)
    assert all(day.expected_free == 0 for day in full.days)
    assert len(full.days) == 7


def test_mean_arrivals_by_weekday_over_recent_weeks():
    admitted = [MONDAY - timedelta(days=7), MONDAY - timedelta(days=14), MONDAY - timedelta(days=1)]
    admitted.append(MONDAY - timedelta(days=7 * 9))  # too old for an 8-week window
    admitted.append(MONDAY)  # today is not history yet
    assert mean_arrivals_by_weekday(admitted, today=MONDAY, weeks=2) == [1, 0, 0, 0, 0, 0, 0.5]


def test_backtest_scores_the_model_and_the_naive_forecast():
    # One bed; a patient leaves after exactly 2 days and the next arrives the day after.
    certain_two_days = [1.0, 1.0, 0.0]
    stays = [
        PastStay(MONDAY + timedelta(days=3 * i), MONDAY + timedelta(days=3 * i + 2),
                 certain_two_days)
        for i in range(10)
    ]  # fmt: skip
    result = backtest_next_day_free(
        stays=stays, beds=1, first_day=MONDAY + timedelta(days=21),
        last_day=MONDAY + timedelta(days=26), weeks=3,
    )  # fmt: skip
    assert result.days == 6
    # Occupancy cycles in, in, free: "same as today" is wrong on 4 of 6 days.
    assert result.naive_mae == pytest.approx(4 / 6)
    # The model knows each stay lasts two days; only the arrival (1/3 per day) is uncertain.
    assert result.model_mae < result.naive_mae
