"""`sweep --lrs`: a row trains every scaler's run at every rate (seed-major inside each group, as
PairTrainer lays out a run), and a cell is the tuned verdict on the held-out test rows.

A row's grid member (group, seed k, rate r) must train as the pair session's member (seed k,
rate r) does: same initial weights, split, batch order and rate. Measured on wine, 5 epochs,
Adam at 1e-3 and 1e-2, batch 32, 3 groups: every val/test loss and score of the row equals the
pair session's exactly (members never mix); the tolerance is test_grid.py's 1e-4.
"""

from __future__ import annotations

import csv
import io
import json
import math
import threading

import pytest

from normtui.engine.checked import check_fields
from normtui.engine.config import ConfigError
from normtui.engine.data.prepare import prepare_members
from normtui.engine.events import GridEpoch
from normtui.engine.sweep.plan import parse_plan
from normtui.engine.sweep.results import CellFold, CellResult, cell_result
from normtui.engine.sweep.row import train_row
from normtui.engine.sweep.rows import RowRunner, rows_of
from normtui.engine.sweep.run import ResultsError, ResultsFile, read_results
from normtui.engine.trainer import PairTrainer
from normtui.tui.sweep_view import cell_view, csv_report, metrics_for, text_report

RATES = (1e-3, 1e-2)


def tiny_plan(**changes):
    options = {
        "datasets": "wine",
        "activations": "relu",
        "scalers": "none,standard,minmax",
        "seeds": 2,
        "epochs": 5,
        "hidden": "8",
        "batch_size": "32",
        "lrs": "1e-3,1e-2",
        **changes,
    }
    return parse_plan(**options)


@pytest.fixture(scope="module")
def grid_results() -> dict[str, CellResult]:
    plan = tiny_plan()
    results = RowRunner().run(plan, rows_of(plan.work())[0])
    assert results is not None
    kept = {r.cell.key: r for r in results}
    kept["wine|relu|none"] = kept["wine|relu|standard"].baseline()  # as the Collector fills it
    return kept


def test_a_grid_cell_carries_each_runs_chosen_rate_band_and_a_tuned_verdict_on_test_rows(
    grid_results,
):
    cell = grid_results["wine|relu|standard"]
    assert cell.error is None
    assert cell.rows == "test" and cell.n_test > 0 and cell.n_rows == cell.n_test
    assert cell.rates == RATES
    assert set(cell.lr_grid) == {"raw", "normalized"}
    for grid in cell.lr_grid.values():
        assert grid.chosen in RATES
        assert grid.works and set(grid.works) <= set(RATES) and grid.chosen in grid.works
        assert len(grid.val_score) == len(RATES) and len(grid.diverged) == len(RATES)
        assert grid.decades == pytest.approx(math.log10(max(grid.works) / min(grid.works)))
    # the verdicts are the tuned ones: test rows, each run at its chosen rate
    assert set(cell.comparisons) == {"test_accuracy", "test_loss", "epochs_to_goal"}
    assert "test rows" in cell.comparisons["epochs_to_goal"].verdict
    assert len(cell.raw.val_score) == 2 and len(cell.normalized.val_score) == 2
    # the baseline cell is the raw run, with the raw run's grid only
    baseline = grid_results["wine|relu|none"]
    assert set(baseline.lr_grid) == {"raw"} and baseline.normalized is None
    assert baseline.lr_grid["raw"] == cell.lr_grid["raw"]


def test_the_cells_verdict_is_grid_folds_tuned_verdict():
    """compare_runs on a grid cell makes GridFold.tuned()'s call: the same numbers."""
    plan = tiny_plan(scalers="standard")
    cell = plan.work()[0]
    config = plan.session_config(cell)
    fold = CellFold(plan.goal_accuracy, plan.goal_r2)
    prepared = {"standard": prepare_members(config)}
    assert train_row(config, prepared, {"standard": fold}, threading.Event()) == "completed"
    result = cell_result(plan, cell, fold, 0.0)
    tuned = fold.grid.tuned()
    assert tuned is not None
    for expected in tuned:
        got = result.comparisons[expected.metric]
        assert got.mean_difference == pytest.approx(expected.mean_difference, nan_ok=True)
        assert got.ci95 == expected.ci95
        assert (got.winner, got.answer, got.verdict) == (
            expected.winner,
            expected.answer,
            expected.verdict,
        )


def test_a_rows_grid_members_train_as_the_pair_sessions_do():
    plan = tiny_plan(scalers="standard,minmax")
    config = plan.session_config(plan.work()[0])
    events: dict[str, list[GridEpoch]] = {"standard": [], "minmax": []}

    def sink(scaler):
        return lambda event: isinstance(event, GridEpoch) and events[scaler].append(event)

    prepared = {s: prepare_members(config.replace(scaler=s)) for s in events}
    sinks = {s: sink(s) for s in events}
    assert train_row(config, prepared, sinks, threading.Event()) == "completed"
    worst = 0.0
    for scaler in events:
        trainer = PairTrainer(config.replace(scaler=scaler, parallel=False))
        row = {(e.run, e.epoch): e for e in events[scaler]}
        for epoch in range(1, plan.epochs + 1):
            outcome = trainer.train_epoch()
            for run, grid in outcome.grids.items():
                mine = row[(run, epoch)]
                assert mine.chosen == grid["chosen"] and mine.rates == grid["rates"]
                for name in ("val_loss", "test_loss", "val_score", "test_score"):
                    for a_rate, b_rate in zip(getattr(mine, name), grid[name], strict=True):
                        for a, b in zip(a_rate, b_rate, strict=True):
                            assert a == pytest.approx(b, rel=1e-4, abs=1e-6)
                            worst = max(worst, abs(a - b) / max(abs(b), 1e-12))
    print(f"worst relative difference {worst:.2g}")
    assert worst < 1e-4


def test_a_grid_cell_round_trips_its_json_line_and_old_lines_still_read(grid_results, tmp_path):
    cell = grid_results["wine|relu|standard"]
    again = CellResult.from_dict(json.loads(json.dumps(cell.to_dict())))
    check_fields(again)
    assert again.to_dict() == cell.to_dict()
    assert again.lr_grid == cell.lr_grid and again.rates == RATES and again.rows == "test"
    old = cell.to_dict()
    for key in ("rows", "n_test", "rates", "lr_grid"):
        old.pop(key)
    before = CellResult.from_dict(old)
    check_fields(before)
    assert before.rows == "val" and before.lr_grid == {} and before.rates == ()


def test_a_results_file_keeps_the_grid_and_names_a_damaged_grid_field(grid_results, tmp_path):
    plan = tiny_plan()
    path = tmp_path / "grid.jsonl"
    file = ResultsFile(str(path), plan)
    for result in grid_results.values():
        file.write(result)
    file.close()
    read_plan, read = read_results(str(path))
    assert read_plan == plan and read_plan.lrs == RATES and read_plan.test_split == 0.2
    assert read["wine|relu|standard"].lr_grid == grid_results["wine|relu|standard"].lr_grid
    lines = path.read_text().splitlines()
    for damage, words in (
        (lambda g: g["raw"].update(chosen="x"), "lr_grid.raw.chosen"),
        (lambda g: g["raw"].pop("works"), "works"),
        (lambda g: g.update(raw=[1]), "lr_grid.raw"),
    ):
        record = json.loads(lines[1])
        damage(record["cell"]["lr_grid"])
        broken = tmp_path / "broken.jsonl"
        broken.write_text("\n".join([lines[0], json.dumps(record)]) + "\n")
        with pytest.raises(ResultsError, match=words):
            read_results(str(broken))


def test_the_rates_metric_shows_each_runs_band_and_the_report_names_the_chosen_rates(
    grid_results,
):
    plan = tiny_plan()
    assert "rates" in metrics_for(plan) and "rates" not in metrics_for(tiny_plan(lrs=None))
    cell = grid_results["wine|relu|standard"]
    raw, norm = cell.lr_grid["raw"], cell.lr_grid["normalized"]
    view = cell_view(cell, "rates")
    assert view.text == f"{len(raw.works)}→{len(norm.works)}"
    assert view.tone == "measured"  # a width, never a verdict
    assert "raw works at" in view.detail and "normalized works at" in view.detail
    accuracy = cell_view(cell, "accuracy")
    assert "rates chosen on val: raw" in accuracy.detail
    assert f"judged on {cell.n_test} held-out test rows" in accuracy.detail
    report = text_report(plan, grid_results, "accuracy")
    assert "test accuracy at chosen rates" in report
    assert "raw chose" in report and "held-out test rows" in report
    rows = list(csv.DictReader(io.StringIO(csv_report(plan, grid_results))))
    standard = rows[1]
    assert standard["scaler"] == "standard" and standard["rows"] == "test"
    assert float(standard["chosen_rate_raw"]) == raw.chosen
    assert float(standard["chosen_rate_normalized"]) == norm.chosen
    assert int(standard["works_normalized"]) == len(norm.works)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lrs": "x"}, "--lrs 'x' is not 'auto'"),
        ({"lrs": "1e-3"}, "needs 2..16 rates, got 1"),
        ({"lrs": None, "test_split": 0.2}, "it needs --lrs"),
        ({"test_split": 0.01}, "--test-split of at least 0.05"),
    ],
)
def test_a_bad_grid_is_one_config_error(changes, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(".", r"\.")):
        tiny_plan(**changes)
