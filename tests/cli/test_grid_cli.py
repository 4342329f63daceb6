"""`normtui train --lrs`: the grid's table, `--json`'s `lr_grid`, and bad grids as one-line
errors (exit 2)."""

from __future__ import annotations

import json
import math

import pytest

from normtui.engine.grid import choose

GRID = ["--dataset", "wine", "--lrs", "1e-3,1e-2,0.1", "--seeds", "3", "--epochs", "20"]


def test_train_json_has_an_lr_grid_with_per_rate_members_choices_bands_and_verdicts(
    run_main,
) -> None:
    code, out, err = run_main(["train", *GRID, "--json"])
    assert code == 0, err
    report = json.loads(out)
    grid = report["lr_grid"]
    assert grid["rates"] == [1e-3, 1e-2, 0.1]
    assert report["dataset"]["n_test"] == 36  # ceil(0.2 * 178)
    assert report["comparison"] is None  # no verdict on val rows at rates chosen on them
    for name in ("raw", "normalized"):
        run = grid["runs"][name]
        assert len(run["per_rate"]) == 3
        scores = [
            [None if m["diverged"] else m["val_accuracy"] for m in rate["members"]]
            for rate in run["per_rate"]
        ]
        losses = [
            [None if m["diverged"] else m["val_loss"] for m in rate["members"]]
            for rate in run["per_rate"]
        ]
        assert run["chosen"] == grid["rates"][choose(scores, losses)]
        assert run["chosen"] in run["works_at"]
        assert all(len(rate["members"]) == 3 for rate in run["per_rate"])
        assert all("test_accuracy" in m for m in run["per_rate"][0]["members"])
        # `runs` is each run at its chosen rate
        chosen = grid["rates"].index(run["chosen"])
        mean = run["per_rate"][chosen]["val_accuracy"]
        assert math.isclose(report["runs"][name]["val_accuracy"], mean)
    tuned = grid["comparison_tuned"]
    assert set(tuned) == {"test_accuracy", "test_loss", "epochs_to_goal"}
    assert tuned["test_accuracy"]["label"] == "test accuracy"
    assert len(grid["comparison_by_rate"]) == 3


def test_train_prints_one_row_per_rate_the_bands_and_the_tuned_verdict(run_main) -> None:
    code, out, err = run_main(["train", *GRID])
    assert code == 0, err
    assert "36 val / 36 test rows" in out
    rows = [line for line in out.splitlines() if line.split()[:1] in (["1e-3"], ["1e-2"], ["0.1"])]
    assert len(rows) == 3
    assert sum(line.count(" *") for line in rows) == 2  # each run's chosen rate is marked
    assert "chosen on the validation rows: raw " in out
    assert "raw works at" in out and "normalized works at" in out
    assert "on the 36 held-out test rows" in out
    assert "test accuracy over 3 seeds" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lrs", "x,y"], "is not 'auto' or a comma-separated list"),
        (["--lrs", "1e-3"], "needs 2..16 rates"),
        (["--lrs", "1e-3,1e-2", "--test-split", "0"], "--test-split of at least 0.05"),
        (["--test-split", "0.2"], "it needs --lrs"),
        (["--lrs", "1e-3,50"], "out of range"),
    ],
)
def test_bad_grids_are_one_line_errors_with_exit_code_2(run_main, args, words) -> None:
    code, out, err = run_main(["train", "--dataset", "iris", *args])
    assert code == 2
    assert words in err and err.count("\n") == 1 and out == ""


def test_auto_rates_follow_the_optimizer(run_main) -> None:
    from normtui.engine.config import AUTO_RATES, parse_rates

    assert parse_rates("auto", "adam") == AUTO_RATES["adam"]
    assert parse_rates("AUTO", "sgd") == AUTO_RATES["sgd"]
    assert parse_rates("1e-2, 1e-3,1e-2", "adam") == (1e-3, 1e-2)  # sorted, distinct
    assert parse_rates(None, "adam") == ()
