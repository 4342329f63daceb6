"""The one fold (engine/fold.py): what "best" means, what a diverged run reports, which epochs
are medians, the same for the dashboard, `train` and the sweep."""

from __future__ import annotations

import math

from sample_events import member_epoch

from normtui.engine.events import EpochEnd, RunDiverged
from normtui.engine.fold import RunFold

NAN = math.nan


def _epoch(epoch: int, scores: tuple[float, ...], diverged=None) -> EpochEnd:
    """One epoch of the raw run (tests/sample_events.py)."""
    return member_epoch("raw", epoch, scores, diverged)


def test_best_is_the_best_of_the_mean_curve_at_one_epoch_not_each_seeds_own_best() -> None:
    run = RunFold()
    run.epoch_end(_epoch(1, (0.9, 0.5)), seed=0, goal=0.95)  # mean 0.70; member 0's own best
    run.epoch_end(_epoch(2, (0.7, 0.8)), seed=0, goal=0.95)  # mean 0.75: the best mean
    run.epoch_end(_epoch(3, (0.6, 0.85)), seed=0, goal=0.95)  # mean 0.725; member 1's own best
    assert math.isclose(run.best_mean, 0.75) and run.best_mean_epoch == 2
    # the mean of each seed's own best would be (0.9 + 0.85) / 2 = 0.875 at a "median" epoch 2
    assert [m.at_best_mean for m in run.members] == [0.7, 0.8]
    assert math.isclose(run.val_score, 0.725) and run.epochs == 3


def test_a_run_whose_every_member_diverged_reports_their_values_at_divergence() -> None:
    """Not the last live member's value presented as the run's (train printed 76.5% so)."""
    run = RunFold()
    run.epoch_end(_epoch(1, (0.5, 0.6, 0.7)), seed=0, goal=0.95)
    run.epoch_end(_epoch(2, (0.55, 0.65, 0.75)), seed=0, goal=0.95)
    assert not run.run_diverged(RunDiverged(3.0, "raw", 3, "nan", member=0), seed=0)
    run.epoch_end(_epoch(3, (NAN, 0.6, 0.8), (True, False, False)), seed=0, goal=0.95)
    assert run.diverged == 1 and not run.at_divergence
    assert math.isclose(run.val_score, 0.7)  # the two live members' mean
    run.run_diverged(RunDiverged(4.0, "raw", 4, "inf", member=1), seed=0)
    run.epoch_end(_epoch(4, (NAN, NAN, 0.9), (True, True, False)), seed=0, goal=0.95)
    assert math.isclose(run.val_score, 0.9)  # one live member: its value, said as 1/3 seeds
    # the best mean is over every member: 0.65 at epoch 2, not the survivor's 0.9
    assert math.isclose(run.best_mean, 0.65) and run.best_mean_epoch == 2
    assert [m.at_best_mean for m in run.members] == [0.55, 0.65, 0.75]
    assert run.run_diverged(RunDiverged(6.0, "raw", 6, "nan", member=2), seed=0)  # the last
    run.run_diverged(RunDiverged(6.0, "raw", 6, "nan"), seed=0)
    assert run.at_divergence and run.diverged_whole and run.diverged_epoch == 6
    # each member's last value before it diverged: 0.55 (e2), 0.6 (e3), 0.9 (e4)
    assert [m.val_score for m in run.members] == [0.55, 0.6, 0.9]
    assert [m.diverged_epoch for m in run.members] == [3, 4, 6]
    assert math.isclose(run.val_score, (0.55 + 0.6 + 0.9) / 3)
    assert run.epochs == 6  # trained up to the epoch its last member diverged
    assert run.to_dict()["at_divergence"] is True and run.to_dict()["diverged"] is True


def test_epochs_to_the_goal_is_the_median_over_the_members_that_reached_it() -> None:
    run = RunFold()
    for epoch, scores in enumerate([(0.9, 0.9, 0.9), (0.96, 0.9, 0.9), (0.96, 0.97, 0.9)], 1):
        run.epoch_end(_epoch(epoch, scores), seed=0, goal=0.95)
    assert run.goal_epochs() == [2, 3] and run.epochs_to_goal == 2.5 and run.reached == 2


def test_one_seed_is_its_own_run_and_a_member_event_before_any_epoch_is_not_the_whole_run() -> None:
    run = RunFold()
    assert not run.run_diverged(RunDiverged(1.0, "raw", 1, "nan", member=0), seed=0)
    one = RunFold()
    event = EpochEnd(1.0, "raw", 1, 0.5, 0.5, 0.8, 0.7, 1e-3, "relu", 1.0)
    one.epoch_end(event, seed=7, goal=0.95)
    assert [m.seed for m in one.members] == [7]
    assert one.val_score == 0.7 and one.best_mean == 0.7 and one.best_mean_epoch == 1
    assert one.run_diverged(RunDiverged(2.0, "raw", 2, "nan"), seed=7)
    assert one.at_divergence and one.val_score == 0.7 and one.diverged_epoch == 2
