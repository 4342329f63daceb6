"""The sweep's pieces without a CLI: cells, results as data, the collector's counting."""

from __future__ import annotations

import json
import math

import pytest

from normtui.engine.sweep.plan import Cell, SweepPlan, parse_plan
from normtui.engine.sweep.results import CellResult, RunResult, compare_runs
from normtui.engine.sweep.rows import Row, RowRunner
from normtui.engine.sweep.run import Collector, ResultsError, ResultsFile, read_results


def made(cell: Cell, raw: RunResult, normalized: RunResult | None, seeds: int = 3) -> CellResult:
    result = CellResult(
        cell=cell, seeds=tuple(range(seeds)), epochs=50, n_val=30, raw=raw, normalized=normalized
    )
    result.comparisons = compare_runs(result)
    return result


def runs(scores, epochs, share_range) -> RunResult:
    return RunResult(
        val_score=scores,
        val_loss=[1 - s for s in scores],
        epochs_to_goal=epochs,
        share=sum(share_range) / 2,
        share_range=share_range,
    )


def test_a_result_survives_its_json_line_unchanged():
    cell = Cell("wine", "tanh", "standard")
    result = made(
        cell,
        runs([0.6, 0.7, 0.65], [None, 40, None], (0.9, 0.99)),
        runs([0.95, 1.0, 0.97], [12, 10, 15], (0.0, 0.02)),
    )
    line = json.dumps({"cell": result.to_dict()}, allow_nan=False)
    back = CellResult.from_dict(json.loads(line)["cell"])
    assert back.to_dict() == result.to_dict()
    assert back.comparisons["val_accuracy"].winner == "normalized"


def test_speed_up_counts_a_seed_that_never_reached_the_goal_as_infinitely_slow():
    cell = Cell("wine", "relu", "standard")
    # raw reached in 1 of 3 seeds: its median over every seed is "never", not 20
    result = made(
        cell,
        runs([0.6] * 3, [20, None, None], (0.4, 0.5)),
        runs([1.0] * 3, [10, 12, 11], (0.0, 0.01)),
    )
    assert result.raw.median_epochs_to_goal == 20  # over the seeds that reached it (JSON field)
    assert math.isinf(result.raw.median_epochs_all)
    assert result.speedup is None
    both = made(
        cell, runs([0.6] * 3, [40, 44, 50], (0.4, 0.5)), runs([1.0] * 3, [10, 11, 12], (0, 0.01))
    )
    assert both.speedup == pytest.approx(44 / 11)


def test_shares_name_a_winner_only_when_every_seed_of_one_run_is_below_the_other():
    cell = Cell("wine", "relu", "minmax")
    apart = made(
        cell, runs([0.6] * 3, [None] * 3, (0.4, 0.6)), runs([0.9] * 3, [None] * 3, (0.0, 0.1))
    )
    assert apart.share_winner == "normalized"
    overlapping = made(
        cell, runs([0.6] * 3, [None] * 3, (0.1, 0.6)), runs([0.9] * 3, [None] * 3, (0.0, 0.2))
    )
    assert overlapping.share_winner is None
    one_seed = made(cell, runs([0.6], [None], (0.5, 0.5)), runs([0.9], [None], (0.0, 0.0)), seeds=1)
    assert one_seed.share_winner is None  # one seed cannot tell an effect from noise


def test_a_cell_finished_twice_is_counted_and_written_once(tmp_path):
    """Dask may run a cell again after losing the worker that had finished it."""
    plan = SweepPlan(datasets=("wine",), activations=("relu",), scalers=("none", "standard"))
    path = tmp_path / "r.jsonl"
    file = ResultsFile(str(path), plan)
    collector = Collector(plan, file, {})
    result = made(
        Cell("wine", "relu", "standard"),
        runs([0.6] * 3, [None] * 3, (0.4, 0.5)),
        runs([0.9] * 3, [None] * 3, (0, 0.1)),
    )
    collector.add(result)
    collector.add(result)
    file.close()
    assert collector.progress.done == 2  # the cell and its row's baseline
    assert collector.complete
    lines = path.read_text().splitlines()
    assert len(lines) == 3  # header, the cell, the baseline derived from its raw run
    _, read = read_results(str(path))
    assert read["wine|relu|none"].normalized is None
    assert read["wine|relu|none"].raw.val_score == [0.6] * 3


def test_a_results_file_is_never_overwritten(tmp_path):
    plan = SweepPlan(datasets=("wine",), activations=("relu",), scalers=("standard",))
    path = tmp_path / "r.jsonl"
    ResultsFile(str(path), plan).close()
    with pytest.raises(ResultsError, match="exists; resume it with --resume"):
        ResultsFile(str(path), plan)


def test_a_baseline_alone_trains_its_own_raw_run():
    plan = parse_plan(
        datasets="iris", activations="relu", scalers="none", seeds=2, epochs=3, hidden="8"
    )
    cell = Cell("iris", "relu", "none")
    results = RowRunner().run(plan, Row("iris", "relu", (cell,)))
    assert results is not None and len(results) == 1
    result = results[0]
    assert result.error is None
    assert result.normalized is None and result.comparisons == {}
    assert len(result.raw.val_score) == 2


def test_a_stopped_runner_gives_no_result():
    plan = parse_plan(datasets="iris", activations="relu", scalers="standard", seeds=1, epochs=3)
    runner = RowRunner()
    runner.stop()
    assert runner.run(plan, Row("iris", "relu", (Cell("iris", "relu", "standard"),))) is None


def trained(dataset: str, scaler: str, seconds: float, error: str | None = None) -> CellResult:
    result = made(
        Cell(dataset, "relu", scaler),
        runs([0.6] * 3, [None] * 3, (0.4, 0.5)),
        runs([0.9] * 3, [None] * 3, (0, 0.1)),
    )
    result.seconds, result.error = seconds, error
    return result


def test_the_eta_times_each_dataset_by_its_own_cells_and_names_the_untimed_ones():
    """After wine's cheap cells, cells/s extrapolated said "ETA 4s" and digits then took 12 s."""
    plan = SweepPlan(
        datasets=("wine", "digits"), activations=("relu",), scalers=("standard", "minmax")
    )
    collector = Collector(plan, None, {})
    progress = collector.progress
    progress.started_s -= 2.0  # as if the first two cells took 2 s of wall time
    collector.add(trained("wine", "standard", 1.0))
    collector.add(trained("wine", "minmax", 1.0))
    assert progress.left == {"wine": 0, "digits": 2}
    assert progress.untimed() == ["digits"]
    assert progress.line().endswith("ETA ? (digits not timed yet)"), "no guess for digits"
    collector.add(trained("digits", "standard", 10.0))
    # 12 s of compute in ~2 s of wall time; one digits cell left at 10 s of compute
    assert progress.eta_s == pytest.approx(10 / 6, rel=0.05)
    naive = (progress.total - progress.done) / progress.cells_per_s
    assert progress.eta_s > 2 * naive, "a digits cell costs what digits cells cost"
    assert progress.line().endswith("ETA 2s")


def test_a_failed_cell_retried_in_a_resumed_sweep_counts_once_when_it_finishes():
    plan = SweepPlan(datasets=("wine",), activations=("relu",), scalers=("standard", "minmax"))
    failed = trained("wine", "standard", 0.0, error="out of memory")
    collector = Collector(plan, None, {failed.cell.key: failed})
    assert collector.progress.done == 0 and collector.progress.left == {"wine": 2}
    collector.add(trained("wine", "minmax", 1.0, error="out of memory"))
    assert collector.progress.left == {"wine": 1}, "a failure leaves the estimate"
    collector.add(trained("wine", "standard", 1.0))
    collector.add(trained("wine", "minmax", 1.0))
    assert collector.progress.done == 2 and collector.complete
    assert collector.progress.left == {"wine": 0}


def test_the_rate_stops_with_the_sweep_instead_of_decaying_on_a_finished_screen(monkeypatch):
    """A finished matrix left open said 3.19 cells/s, then 1.55 cells/s six seconds later."""
    from normtui.engine.sweep import run as sweep_run

    clock = [100.0]
    monkeypatch.setattr(sweep_run.time, "monotonic", lambda: clock[0])
    plan = SweepPlan(datasets=("wine",), activations=("relu",), scalers=("standard", "minmax"))
    collector = Collector(plan, None, {})
    collector.progress.started_s = clock[0]
    clock[0] += 2.0
    collector.add(trained("wine", "standard", 1.0))
    assert collector.progress.line() == "1/2 cells, 0.50 cells/s, ETA 2s"
    collector.progress.end()  # stopped (Ctrl+C): no estimate for cells that will not train
    clock[0] += 60.0
    assert collector.progress.line() == "1/2 cells, 0.50 cells/s, took 2s"

    collector = Collector(plan, None, {})
    collector.progress.started_s = clock[0]
    clock[0] += 4.0
    collector.add(trained("wine", "standard", 1.0))
    collector.add(trained("wine", "minmax", 1.0))
    clock[0] += 60.0
    assert collector.progress.line() == "2/2 cells, 0.50 cells/s, took 4s"
