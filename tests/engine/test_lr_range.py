"""The range test's analysis on constructed loss curves: no torch, no training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from normtui.engine.lr_range import (
    BLOWUP_FACTOR,
    LossSmoother,
    MemberRange,
    analyse_member,
    rate_schedule,
    smoothing_beta,
    summarise_run,
    summary_line,
)

RATES = rate_schedule(1e-6, 10.0, 200)
BETA = smoothing_beta(1e-6, 10.0, 200)


def falling(centre: float, blowup_at: float | None = None) -> np.ndarray:
    """A loss that falls from 2 to ~0 along a logistic in log10(rate), steepest at `centre`,
    and (from `blowup_at` on) grows tenfold per step."""
    x = np.log10(RATES)
    loss = 2.0 / (1.0 + np.exp(3.0 * (x - math.log10(centre)))) + 0.01
    if blowup_at is not None:
        past = blowup_at <= RATES
        loss[past] = loss[past] * 10.0 ** np.arange(1, past.sum() + 1)
    return loss


def test_schedule_is_exponential_from_min_to_max() -> None:
    assert RATES[0] == 1e-6 and RATES[-1] == 10.0
    ratios = RATES[1:] / RATES[:-1]
    assert np.allclose(ratios, ratios[0])


def test_the_smoothed_loss_lags_by_a_tenth_of_a_decade() -> None:
    lag_steps = BETA / (1 - BETA)
    steps_per_decade = 199 / 7
    assert lag_steps / steps_per_decade == pytest.approx(0.1)


def test_bias_correction_starts_at_the_first_loss() -> None:
    smoother = LossSmoother(0.98)
    assert smoother.add(5.0) == pytest.approx(5.0)
    assert smoother.add(5.0) == pytest.approx(5.0)


def test_suggestion_is_the_steepest_point_of_a_known_curve() -> None:
    member = analyse_member(0, RATES, falling(1e-3), BETA)
    assert member.stop is None
    assert member.suggestion is not None
    # the smoothing lags by 0.1 decade: the steepest point is found within a quarter decade
    assert abs(math.log10(member.suggestion) - (-3)) < 0.25


def test_blow_up_cuts_the_curve_and_the_usable_range() -> None:
    member = analyse_member(0, RATES, falling(1e-3, blowup_at=1e-1), BETA)
    assert member.stop is not None
    assert RATES[member.stop] >= 1e-1
    assert member.smoothed[-1] > BLOWUP_FACTOR * min(member.smoothed)
    assert member.usable is not None and member.usable[1] < RATES[member.stop]
    # the blow-up's own plunge-then-climb never counts as the steepest descent
    assert member.suggestion is not None and member.suggestion < 1e-2


def test_a_nan_loss_stops_the_member_where_it_appeared() -> None:
    loss = falling(1e-3)
    loss[150] = math.nan
    member = analyse_member(0, RATES, loss, BETA)
    assert member.stop == 150
    assert len(member.smoothed) == 150


def test_usable_range_needs_a_clear_drop_below_the_start() -> None:
    member = analyse_member(0, RATES, falling(1e-3), BETA)
    assert member.usable is not None
    low, high = member.usable
    assert 1e-5 < low < 1e-3  # not the tiniest rates, which barely move the loss
    assert high == RATES[-1]


def test_flat_loss_gives_no_suggestion_and_says_why() -> None:
    flat = [analyse_member(k, RATES, np.full(200, 1.0), BETA) for k in range(3)]
    run = summarise_run("raw", flat, RATES)
    assert run.suggestion is None
    assert "3 of 3 seeds' loss never fell" in summary_line(run)


def test_seeds_that_agree_get_a_median_suggestion_and_a_shared_range() -> None:
    members = [analyse_member(k, RATES, falling(c), BETA) for k, c in enumerate((1e-3, 2e-3, 4e-3))]
    run = summarise_run("normalized", members, RATES)
    assert run.suggestion is not None and run.why is None
    assert run.seeds_low is not None and run.seeds_high is not None
    assert run.seeds_low < run.suggestion < run.seeds_high
    assert run.spread_decades == pytest.approx(math.log10(run.seeds_high / run.seeds_low))
    assert run.usable is not None
    assert run.usable[0] == max(m.usable[0] for m in members if m.usable)  # the intersection
    line = summary_line(run)
    assert line.startswith("normalized: suggests ")
    assert "decades), usable " in line and "no blow-up by 1.0e1" in line


def test_seeds_that_disagree_get_no_suggestion() -> None:
    members = [analyse_member(k, RATES, falling(c), BETA) for k, c in enumerate((1e-4, 1e-2))]
    run = summarise_run("raw", members, RATES)
    assert run.suggestion is None
    assert run.spread_decades is not None and run.spread_decades > 1
    line = summary_line(run)
    assert "seeds disagree (suggestions span 2.0 decades > 1): no suggestion" in line


def test_median_curve_stops_when_under_half_the_seeds_are_left() -> None:
    members = [
        analyse_member(0, RATES, falling(1e-3, blowup_at=1e-2), BETA),
        analyse_member(1, RATES, falling(1e-3, blowup_at=1e-2), BETA),
        analyse_member(2, RATES, falling(1e-3), BETA),
    ]
    run = summarise_run("raw", members, RATES)
    assert math.isfinite(run.median[0])
    assert math.isnan(run.median[-1])
    assert run.blew_up == 2
    assert run.to_dict()["usable_decades"] == run.usable_decades


def test_a_median_outside_the_shared_usable_range_is_not_suggested() -> None:
    # the seeds agree on the steepest rate, but one of them can only use rates below it
    members = [
        MemberRange(0, (1.0,), (1.0,), None, suggestion=2e-1, usable=(1e-3, 1.0)),
        MemberRange(1, (1.0,), (1.0,), 150, suggestion=3e-1, usable=(1e-3, 9e-2)),
    ]
    run = summarise_run("raw", members, RATES)
    assert run.spread_decades is not None and run.spread_decades <= 1
    assert run.usable == (1e-3, 9e-2)
    assert run.suggestion is None
    line = summary_line(run)
    assert "median steepest rate 2.4e-1 is outside the rates every seed can use" in line
    assert line.endswith("usable 1.0e-3–9.0e-2 (2.0 decades)")
