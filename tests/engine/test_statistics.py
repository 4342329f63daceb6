"""The paired comparison: the interval matches scipy.stats, and a winner needs real evidence."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from normtui.engine.statistics import compare_paired, t_interval, t_quantile


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 15, 63, 200])
@pytest.mark.parametrize("p", [0.5, 0.6, 0.9, 0.975, 0.995, 0.025])
def test_t_quantile_matches_scipy(p: float, df: int) -> None:
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-12)


def test_t_interval_matches_scipy_paired_test() -> None:
    raw = [0.556, 0.722, 0.889, 0.667, 0.611, 0.778]
    normalized = [1.0, 0.944, 1.0, 0.972, 1.0, 0.944]
    differences = [n - r for r, n in zip(raw, normalized, strict=True)]
    expected = stats.ttest_rel(normalized, raw).confidence_interval(0.95)
    low, high = t_interval(differences)
    assert low == pytest.approx(expected.low, rel=1e-9)
    assert high == pytest.approx(expected.high, rel=1e-9)


def test_normalized_ahead_in_every_seed_is_named_with_its_interval() -> None:
    result = compare_paired(
        [0.6, 0.55, 0.7, 0.8, 0.65],
        [0.97, 1.0, 0.94, 1.0, 1.0],
        metric="val_accuracy",
        higher_is_better=True,
        resolution=1 / 36,
    )
    assert result.winner == "normalized"
    assert (result.seeds, result.wins, result.losses) == (5, 5, 0)
    assert result.mean_difference == pytest.approx(0.322)
    assert result.verdict.startswith("normalized ahead in 5/5 seeds: +32 pts val accuracy (95% CI")


def test_lower_loss_wins_and_reads_from_the_winners_side() -> None:
    result = compare_paired(
        [0.30, 0.31, 0.29], [0.50, 0.52, 0.49], metric="val_loss", higher_is_better=False
    )
    assert result.winner == "raw"
    assert result.wins == 0 and result.losses == 3
    assert result.mean_difference == pytest.approx(0.2033, abs=1e-4)
    assert result.verdict == "raw ahead in 3/3 seeds: −0.203 val loss (95% CI −0.218 to −0.189)"


def test_an_interval_that_straddles_zero_names_no_winner() -> None:
    result = compare_paired(
        [0.6, 0.55, 0.7, 0.8, 0.65],
        [0.61, 0.54, 0.72, 0.79, 0.66],
        metric="val_accuracy",
        higher_is_better=True,
    )
    assert result.winner is None
    low, high = result.ci95
    assert low < 0 < high
    assert result.verdict.startswith("no clear difference in val accuracy over 5 seeds")


def test_one_seed_cannot_tell_an_effect_from_noise() -> None:
    result = compare_paired([0.6], [0.9], metric="val_accuracy", higher_is_better=True)
    assert result.winner is None and result.ci95 is None
    assert result.mean_difference == pytest.approx(0.3)
    assert result.verdict.startswith("one seed: cannot tell an effect from noise")


def test_all_members_tied_is_no_difference() -> None:
    result = compare_paired([0.5, 0.7], [0.5, 0.7], metric="val_accuracy", higher_is_better=True)
    assert result.winner is None
    assert result.ci95 == (0.0, 0.0)
    assert result.verdict == "no difference in val accuracy in any of 2 seeds"


def test_a_consistent_difference_under_one_validation_row_names_no_winner() -> None:
    # Every seed +0.5 pt, so the interval excludes zero, but a 36-row split moves in 2.8 pt steps.
    result = compare_paired(
        [0.600, 0.610, 0.620],
        [0.605, 0.615, 0.626],
        metric="val_accuracy",
        higher_is_better=True,
        resolution=1 / 36,
    )
    low, _ = result.ci95
    assert low > 0
    assert result.winner is None
    assert "under the resolution" in result.verdict


def test_some_ties_count_neither_way() -> None:
    result = compare_paired(
        [0.5, 0.5, 0.6, 0.6], [0.5, 0.9, 0.6, 0.95], metric="val_accuracy", higher_is_better=True
    )
    assert (result.wins, result.losses, result.seeds) == (2, 0, 4)


def test_diverged_or_missing_members_are_left_out_and_counted() -> None:
    result = compare_paired(
        [300.0, None, 200.0, math.nan],
        [50.0, 40.0, None, 45.0],
        metric="epochs_to_goal",
        higher_is_better=False,
    )
    assert result.seeds == 1 and result.excluded == 3
    assert result.verdict.endswith("3 seed(s) left out")


def test_no_usable_pair_says_so() -> None:
    result = compare_paired([None], [None], metric="val_loss", higher_is_better=False)
    assert result.mean_difference is None and result.winner is None
    assert "no seed to compare" in result.verdict


def test_json_form_is_plain_data() -> None:
    result = compare_paired([0.1, 0.2], [0.3, 0.5], metric="val_loss", higher_is_better=False)
    data = result.to_dict()
    assert data["metric"] == "val_loss" and data["seeds"] == 2
    assert isinstance(data["ci95"], list) and len(data["ci95"]) == 2


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        compare_paired([0.1], [0.1, 0.2], metric="val_loss", higher_is_better=False)


def test_a_runaway_difference_prints_compact() -> None:
    result = compare_paired(
        [0.5, 0.6, 0.4], [5.3e34, 1.2e35, 0.5], metric="val_loss", higher_is_better=False
    )
    assert "e+" not in result.verdict and "e34" in result.verdict


def test_a_gap_of_exactly_one_validation_row_is_not_under_the_resolution() -> None:
    """Every seed one row of 30 ahead: the float differences fall a hair under 1/30, and the
    verdict read '+3.3 pts is under the resolution 3.3 pts'."""
    raw = [20 / 30, 21 / 30, 25 / 30, 26 / 30, 27 / 30]
    normalized = [21 / 30, 22 / 30, 26 / 30, 27 / 30, 28 / 30]
    assert all(n - r < 1 / 30 for r, n in zip(raw, normalized, strict=True))
    comparison = compare_paired(
        raw, normalized, metric="val_accuracy", higher_is_better=True, resolution=1 / 30
    )
    assert comparison.winner == "normalized" and "under the resolution" not in comparison.verdict
