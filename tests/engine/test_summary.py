"""`train`'s summary: member means, per-member fields, and verdicts from engine/statistics.py."""

from __future__ import annotations

import math

from sample_events import member_epoch

from normtui.engine.events import EpochEnd, RunDiverged
from normtui.engine.summary import Summarizer

NAN = math.nan


_epoch = member_epoch  # (run, epoch, scores, diverged): tests/sample_events.py


def test_a_diverged_member_and_one_that_never_reaches_the_goal_are_left_out() -> None:
    summary = Summarizer(goal_accuracy=0.95)
    # epoch 1: nobody at the goal; epoch 2: normalized members 0 and 1 reach it, raw member 1 too
    summary(_epoch("raw", 1, (0.5, 0.6, 0.7, 0.6)))
    summary(_epoch("normalized", 1, (0.8, 0.9, 0.9, 0.85)))
    summary(_epoch("raw", 2, (0.5, 0.96, 0.7, 0.6)))
    summary(_epoch("normalized", 2, (0.96, 0.97, 0.9, 0.9)))
    # epoch 3: normalized member 3 diverges; the others go on
    summary(RunDiverged(time_s=3.0, run="normalized", epoch=3, loss="nan", member=3))
    summary(_epoch("raw", 3, (0.55, 0.66, 0.7, 0.65)))
    summary(_epoch("normalized", 3, (0.97, 0.97, 0.94, NAN), (False, False, False, True)))
    raw, norm = summary.runs["raw"], summary.runs["normalized"]
    assert not norm.diverged_whole and norm.diverged == 1  # one member of four
    assert [m.diverged for m in norm.members] == [False, False, False, True]
    assert norm.members[3].diverged_epoch == 3
    assert math.isclose(norm.val_score, (0.97 + 0.97 + 0.94) / 3)
    assert norm.epochs_to_goal == 2 and norm.reached == 2  # median of (2, 2)
    assert raw.epochs_to_goal == 2 and raw.reached == 1
    score, loss, goal = summary.comparisons()
    # the diverged member is not left out: its pair goes to raw, decided by an exact sign test
    assert score.seeds == 4 and score.test == "sign" and score.diverged == (0, 1)
    assert (score.wins, score.losses) == (3, 1) and score.winner is None
    assert "normalized diverged in 1/4" in score.verdict
    assert loss.seeds == 4 and loss.winner is None
    # epochs to goal: every pair, censored at the 3 epochs trained (member 1: raw 2, norm 2;
    # members 0: normalized at 2, raw never; members 2 and 3: neither)
    assert goal.seeds == 4 and goal.reached == (1, 2) and goal.budget == 3
    assert (goal.wins, goal.losses) == (1, 0)
    report = norm.to_dict()
    assert report["members"][3]["diverged"] is True and "val_accuracy" in report["members"][0]


def test_tied_members_name_no_winner_and_one_seed_cannot_tell() -> None:
    summary = Summarizer()
    summary(_epoch("raw", 1, (0.5, 0.5, 0.5)))
    summary(_epoch("normalized", 1, (0.5, 0.5, 0.5)))
    score, _, _ = summary.comparisons()
    assert score.winner is None and score.wins == score.losses == 0
    assert score.answer == "equivalent"
    assert score.verdict.startswith("equivalent on val accuracy within ±1.0 pts over 3 seeds")
    one = Summarizer()
    for run, accuracy in (("raw", 0.5), ("normalized", 1.0)):
        one(
            EpochEnd(
                time_s=1.0,
                run=run,
                epoch=1,
                train_loss=0.5,
                val_loss=0.5,
                train_accuracy=accuracy,
                val_accuracy=accuracy,
                learning_rate=1e-3,
                activation="relu",
                elapsed_s=1.0,
            )
        )
    score, _, _ = one.comparisons()
    assert score.seeds == 1 and score.winner is None
    assert score.verdict.startswith("one seed: cannot tell an effect from noise")
    assert one.runs["normalized"].epochs_to_goal == 1  # one seed: its own epoch, an int
    assert isinstance(one.runs["normalized"].best_mean_epoch, int)


def test_a_run_is_diverged_only_when_the_whole_run_is() -> None:
    summary = Summarizer()
    summary(_epoch("raw", 1, (0.5, 0.6)))
    summary(RunDiverged(time_s=2.0, run="raw", epoch=2, loss="inf", member=0))
    assert not summary.runs["raw"].diverged_whole
    summary(RunDiverged(time_s=2.0, run="raw", epoch=2, loss="nan", member=1))
    summary(RunDiverged(time_s=2.0, run="raw", epoch=2, loss="nan"))
    assert summary.runs["raw"].diverged_whole and summary.runs["raw"].diverged_epoch == 2
    assert all(m.diverged for m in summary.runs["raw"].members)
