"""The verdict rules on constructed cases: the corrected interval against a hand computation,
failures that count, censored epochs to goal, three answers (TOST both ways), a bounded scale
for R², and many comparisons controlled on a null matrix."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats

from normtui.engine.inference import t_interval, t_quantile
from normtui.engine.seeds import member_seeds
from normtui.engine.statistics import (
    AHEAD,
    EQUIVALENT,
    INCONCLUSIVE,
    Comparison,
    compare_goal,
    compare_metrics,
    compare_paired,
    control,
    goal_text,
)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 15, 63, 200])
@pytest.mark.parametrize("p", [0.5, 0.6, 0.9, 0.975, 0.995, 0.025])
def test_t_quantile_matches_scipy(p: float, df: int) -> None:
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9, abs=1e-12)


def test_without_overlap_the_interval_is_the_plain_paired_t() -> None:
    raw = [0.556, 0.722, 0.889, 0.667, 0.611, 0.778]
    normalized = [1.0, 0.944, 1.0, 0.972, 1.0, 0.944]
    differences = [n - r for r, n in zip(raw, normalized, strict=True)]
    expected = stats.ttest_rel(normalized, raw).confidence_interval(0.95)
    low, high = t_interval(differences)
    assert low == pytest.approx(expected.low, rel=1e-9)
    assert high == pytest.approx(expected.high, rel=1e-9)


def test_the_corrected_resampled_t_interval_by_hand() -> None:
    """Nadeau & Bengio: var × (1/J + n_val/n_train). d = 1..5 pts, J = 5, n_val/n_train = 0.25:
    mean 0.03, s² = 0.00025, se = sqrt(0.00025 × 0.45) = 0.0106066, t(0.975, 4) = 2.7764451,
    half-width 0.0294486 (the plain t's: 0.0196324, ×1.5 = sqrt(2.25))."""
    low, high = t_interval([0.01, 0.02, 0.03, 0.04, 0.05], overlap=0.25)
    assert low == pytest.approx(0.03 - 0.0294486, abs=1e-7)
    assert high == pytest.approx(0.03 + 0.0294486, abs=1e-7)
    plain_low, _ = t_interval([0.01, 0.02, 0.03, 0.04, 0.05])
    assert 0.03 - plain_low == pytest.approx(0.0196324, abs=1e-7)


def accuracy(raw, normalized, diverged=None, delta=1 / 36, overlap=0.25) -> Comparison:
    return compare_paired(
        raw,
        normalized,
        metric="val_accuracy",
        higher_is_better=True,
        delta=delta,
        overlap=overlap,
        diverged=diverged,
    )


def test_normalized_ahead_in_every_seed_is_named_with_its_interval_and_sign_test() -> None:
    result = accuracy([0.6, 0.55, 0.7, 0.8, 0.65], [0.97, 1.0, 0.94, 1.0, 1.0])
    assert result.answer == AHEAD and result.winner == "normalized"
    assert (result.seeds, result.wins, result.losses) == (5, 5, 0)
    assert result.sign_p == pytest.approx(0.0625)
    assert result.verdict.startswith("normalized ahead in 5/5 seeds: +32 pts val accuracy (95% CI")
    assert "sign test p 0.062" in result.verdict


@pytest.mark.parametrize("seeds", [6, 10])
def test_every_failure_on_one_side_names_the_other_side(seeds: int) -> None:
    """SGD at lr 1 on wine: raw diverges in every seed, normalized reaches 97-100%."""
    raw = [None] * seeds
    normalized = [0.97 + 0.005 * k for k in range(seeds)]
    result = accuracy(raw, normalized, diverged=([True] * seeds, [False] * seeds))
    assert result.answer == AHEAD and result.winner == "normalized" and result.test == "sign"
    assert result.verdict.startswith(f"normalized ahead in {seeds}/{seeds} seeds on val accuracy")
    assert f"raw diverged in {seeds}/{seeds}" in result.verdict
    flipped = accuracy(normalized, raw, diverged=([False] * seeds, [True] * seeds))
    assert flipped.winner == "raw"


def test_five_failures_on_one_side_cannot_reach_five_percent_and_say_so() -> None:
    result = accuracy([None] * 5, [0.97] * 5, diverged=([True] * 5, [False] * 5))
    assert result.answer == INCONCLUSIVE and result.winner is None
    assert result.p_ahead == pytest.approx(0.0625)
    assert "raw diverged in 5/5" in result.verdict and "6+ seeds" in result.verdict


def test_a_diverged_member_is_never_dropped_to_flatter_its_run() -> None:
    """The issue's case: normalized diverged in 2 of 5 and was 'ahead in 3/3 seeds'."""
    result = accuracy(
        [0.7] * 5, [None, None, 0.9, 0.92, 0.95], diverged=([False] * 5, [True] * 2 + [False] * 3)
    )
    assert result.answer == INCONCLUSIVE and result.winner is None
    assert (result.wins, result.losses, result.seeds) == (3, 2, 5)
    assert "normalized diverged in 2/5" in result.verdict


def test_both_diverged_is_a_tie_left_out_and_said() -> None:
    flags = ([False, True, True, True, False], [False, True, True, True, False])
    result = accuracy([0.9, None, None, None, 0.8], [0.95, None, None, None, 0.9], diverged=flags)
    assert result.seeds == 2 and result.both_diverged == 3
    assert "3 seed(s) left out: both runs diverged in 3" in result.verdict
    one = accuracy([0.9, None, None, None, None], [0.95] + [None] * 4, diverged=flags)
    assert one.verdict.startswith("1 of 5 seeds compared (4 seed(s) left out: both runs diverged")
    assert "cannot tell an effect from noise" in one.verdict


def test_a_censored_pair_is_still_a_known_sign() -> None:
    """Raw never reached the goal in 100 epochs, normalized did in every seed: each pair's order
    is known, and the exact sign test on those orders decides (the clearest win there is, once
    there are seeds enough for any exact test to speak)."""
    reached = [30, 40, 35, 50, 45, 38, 33, 41, 36, 44]
    result = compare_goal([None] * 10, reached, budget=100, overlap=0.25, goal="35/36 = 97.2%")
    assert result.test == "sign" and result.answer == AHEAD and result.winner == "normalized"
    assert (result.wins, result.losses) == (10, 0) and result.reached == (0, 10)
    assert result.mean_difference == pytest.approx(sum(reached) / 10 - 100)  # restricted mean
    assert result.verdict == (
        "normalized reached 35/36 = 97.2% in 10/10 seeds, raw in 0/10 by e100: normalized sooner"
        " in 10/10 seeds with a known order (exact sign test p 0.002; restricted mean −61 ep)"
    )
    five = compare_goal([None] * 5, reached[:5], budget=100, goal="35/36 = 97.2%")
    assert five.answer == INCONCLUSIVE and five.sign_p == pytest.approx(0.0625)
    assert "normalized sooner in 5, raw in 0 of 5" in five.verdict and "6+ seeds" in five.verdict
    mixed = compare_goal([None, 50], [30, None], budget=100)
    assert (mixed.wins, mixed.losses) == (1, 1)  # each pair's order known from one side
    nobody = compare_goal([None] * 3, [None] * 3, budget=80, goal="95%")
    assert nobody.answer == INCONCLUSIVE
    assert nobody.verdict == "epochs to 95%: neither run got there in 3 seed(s) by e80"


def test_when_every_member_got_there_the_epochs_take_the_corrected_t() -> None:
    result = compare_goal([80, 90, 85, 95, 88], [30, 40, 35, 50, 45], budget=100, overlap=0.25)
    assert result.test == "t" and result.answer == AHEAD and result.ci95 is not None
    assert "normalized sooner by 48 ep (restricted mean, 95% CI" in result.verdict


def test_a_mostly_censored_goal_is_never_called_equivalent() -> None:
    result = compare_goal([None] * 5, [None] * 4 + [99], budget=100)
    assert result.answer == INCONCLUSIVE


def test_equivalence_and_ahead_are_tests_both_ways() -> None:
    """TOST: equivalent when the 90% interval lies inside ±δ; ahead when the 95% interval lies
    beyond it; inconclusive otherwise."""
    tight = accuracy([0.90, 0.91, 0.92, 0.93, 0.94], [0.901, 0.909, 0.921, 0.931, 0.939])
    assert tight.answer == EQUIVALENT and tight.winner is None
    low, high = tight.ci90
    assert -tight.delta < low < high < tight.delta
    assert tight.verdict.startswith("equivalent on val accuracy within ±2.8 pts over 5 seeds")
    wide = accuracy([0.90, 0.80, 0.95, 0.85, 0.88], [0.95, 0.78, 0.99, 0.80, 0.93])
    assert wide.answer == INCONCLUSIVE and wide.winner is None
    assert wide.verdict.startswith("inconclusive on val accuracy over 5 seeds (normalized − raw")
    # clear of zero but not of δ: the old rule's resolution on the point estimate named a winner
    small = accuracy([0.600, 0.610, 0.620], [0.620, 0.640, 0.655])
    assert small.ci95[0] > 0 and small.answer == INCONCLUSIVE


def test_every_seed_exactly_one_row_ahead_is_neither_ahead_nor_equivalent() -> None:
    raw = [20 / 30, 21 / 30, 25 / 30, 26 / 30, 27 / 30]
    normalized = [21 / 30, 22 / 30, 26 / 30, 27 / 30, 28 / 30]
    result = accuracy(raw, normalized, delta=1 / 30)
    assert result.answer == INCONCLUSIVE


def test_regression_compares_r2_clipped_at_zero() -> None:
    """scales_regression's raw seeds at −234 to −56 printed '+131 val R²'; the clipped scale
    is bounded by 1."""
    result = compare_paired(
        [-234.0, -120.0, -56.0, -80.0, -150.0],
        [0.91, 0.93, 0.92, 0.90, 0.94],
        metric="val_r2",
        higher_is_better=True,
        delta=0.01,
    )
    assert result.mean_difference == pytest.approx(0.92)
    assert result.winner == "normalized" and "+0.92 val R² (clipped at 0)" in result.verdict


def test_loss_is_compared_as_a_ratio() -> None:
    result = compare_paired(
        [1.0, 1.2, 0.9, 1.1],
        [0.10, 0.13, 0.09, 0.1],
        metric="val_loss",
        higher_is_better=False,
        delta=math.log(1.1),
    )
    assert result.winner == "normalized"
    assert "val loss 0.1× raw's (95% CI 0.089× to 0.11×" in result.verdict


def test_the_null_matrix_stays_within_the_chosen_rate() -> None:
    """60 cells, 5 seeds, differences drawn around zero: uncontrolled, most matrices mark a
    cell; with Benjamini-Hochberg the share of matrices with any mark stays within 5%."""
    rng = random.Random(7)
    repetitions, marked, marked_raw = 300, 0, 0
    for _ in range(repetitions):
        cells = [
            compare_paired(
                [0.0] * 5,
                [rng.gauss(0.0, 0.03) for _ in range(5)],
                metric="val_accuracy",
                higher_is_better=True,
                delta=1e-9,
            )
            for _ in range(60)
        ]
        marked_raw += any(c.answer == AHEAD for c in cells)
        marked += any(c.answer == AHEAD for c in control(cells))
    assert marked_raw / repetitions > 0.5  # the control is doing something
    assert marked / repetitions <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / repetitions)


def test_control_says_when_it_changed_an_answer() -> None:
    strong = accuracy([0.5] * 5, [0.95, 0.97, 0.99, 0.96, 0.98])
    weak = accuracy([0.5, 0.6, 0.55, 0.5, 0.52], [0.56, 0.64, 0.62, 0.55, 0.60], delta=0.01)
    assert weak.answer == AHEAD
    nulls = [accuracy([0.5] * 5, [0.5, 0.52, 0.48, 0.51, 0.49]) for _ in range(40)]
    controlled = control([strong, weak, *nulls])
    assert controlled[0].answer == AHEAD
    assert controlled[1].answer != AHEAD and "Benjamini–Hochberg over 42" in controlled[1].verdict


def test_the_goal_reads_as_the_accuracy_this_split_needs() -> None:
    assert goal_text(0.95, False, 36) == "35/36 = 97.2%"
    assert goal_text(0.95, False, 30) == "29/30 = 96.7%"
    assert goal_text(0.95, False, 200) == "190/200 = 95.0%"
    assert goal_text(0.9, True, 50) == "R² 0.9"


def test_seeds_of_two_invocations_share_nothing() -> None:
    assert member_seeds(0, 1) == (0,)  # one seed is the post's loop
    zero, one = member_seeds(0, 5), member_seeds(1, 5)
    assert zero[0] == 0 and one[0] == 1 and not set(zero) & set(one)
    assert member_seeds(0, 10)[:5] == zero  # more seeds keep the first ones
    assert all(0 <= seed < 2**32 for seed in member_seeds(2**32 - 1, 10))


def test_compare_metrics_uses_the_overlap_and_the_budget() -> None:
    score, _, goal = compare_metrics(
        ([0.6, 0.62, 0.58], [0.97, 1.0, 0.97]),
        ([1.0, 1.1, 0.9], [0.1, 0.12, 0.09]),
        ([None, None, None], [20.0, 25.0, 30.0]),
        regression=False,
        n_val=36,
        n_train=142,
        budget=60,
        goal=0.95,
    )
    assert score.delta == pytest.approx(1 / 36) and goal.budget == 60
    assert goal.label == "epochs to 35/36 = 97.2%"
    assert score.ci95 == pytest.approx(t_interval([0.37, 0.38, 0.39], overlap=36 / 142), abs=1e-12)


def test_json_round_trip() -> None:
    result = accuracy([0.5, 0.6], [0.7, 0.9])
    data = result.to_dict()
    assert data["answer"] == result.answer and isinstance(data["ci95"], list)
    assert Comparison.from_dict(data) == result


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        compare_paired([0.1], [0.1, 0.2], metric="val_loss", higher_is_better=False)
