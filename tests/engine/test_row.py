"""A sweep row: every scaler's run packed beside one raw run gives each cell the pair that
`normtui train` trains.

Bit for bit where the rows are packed like the pair's (measured: wine and diabetes below); to
1e-5 relative otherwise, the tolerance of tests/engine/test_seeds.py: packing other members
beside a member moves it within the elementwise kernels' vector lanes (measured: 2e-7 on one
member's loss after 8 epochs of SGD on 'scales')."""

from __future__ import annotations

import threading

import pytest

from normtui.engine.session import Session
from normtui.engine.sweep import rows as rows_module
from normtui.engine.sweep.plan import Cell, SweepPlan, parse_plan
from normtui.engine.sweep.results import CellFold, CellResult, cell_result
from normtui.engine.sweep.rows import Row, RowRunner, rows_of, spread

REL_TOL = 1e-5


def pair_result(plan: SweepPlan, cell: Cell) -> CellResult:
    """The cell as `normtui train` runs it: one Session of the pair, folded the same way."""
    fold = CellFold(plan.goal_accuracy, plan.goal_r2)
    session = Session(plan.session_config(cell))
    session.start(fold)
    session.join()
    return cell_result(plan, cell, fold, 0.0)


def whole_row(plan: SweepPlan) -> list[CellResult]:
    (row,) = rows_of(plan.work())
    results = RowRunner().run(plan, row)
    assert results is not None
    return results


def members(result: CellResult, run: str) -> tuple:
    values = getattr(result, run)
    return (values.val_score, values.val_loss, values.epochs_to_goal)


def close(values: tuple) -> tuple:
    """Each member's numbers at REL_TOL (None stays None: a diverged member)."""
    return tuple(
        [None if v is None else pytest.approx(v, rel=REL_TOL) for v in each] for each in values
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"datasets": "wine", "activations": "relu"},  # full batch, classes
        {"datasets": "diabetes", "activations": "tanh", "batch_size": "64"},  # batches, R²
        # SGD 0.5 on raw 'scales' runs away: the raw group diverges, the others train on
        {"datasets": "scales", "activations": "relu", "optimizer": "sgd", "lr": 0.5},
    ],
    ids=["wine", "diabetes-batches", "scales-raw-diverges"],
)
def test_a_row_gives_each_scaler_the_pair_train_would_train(settings):
    plan = parse_plan(scalers="standard,quantile", seeds=2, epochs=8, hidden="8", **settings)
    results = whole_row(plan)
    assert [r.cell.scaler for r in results] == ["standard", "quantile"]
    for result in results:
        assert result.error is None
        alone = pair_result(plan, result.cell)
        assert alone.error is None
        assert members(result, "raw") == close(members(alone, "raw"))
        assert members(result, "normalized") == close(members(alone, "normalized"))
        assert result.normalized.share == pytest.approx(alone.normalized.share, rel=REL_TOL)
        verdicts = {name: c.verdict for name, c in result.comparisons.items()}
        assert verdicts == {name: c.verdict for name, c in alone.comparisons.items()}
    assert members(results[0], "raw") == members(results[1], "raw")  # one raw run per row


@pytest.mark.parametrize(("hidden_norm", "raw_init"), [("none", "data"), ("layer", "default")])
def test_batchnorm_and_layernorm_columns_train_the_pair_train_would_train(hidden_norm, raw_init):
    """In-network scalers as sweep columns: their groups get the raw inputs and start with
    the layer, each group's batch statistics its own; `--hidden-norm` in every run of a cell,
    `--raw-init data` in the raw group; the pair session is the reference."""
    plan = parse_plan(
        datasets="wine", activations="relu", scalers="standard,batchnorm,layernorm", seeds=2,
        epochs=6, hidden="8", batch_size="32", hidden_norm=hidden_norm, raw_init=raw_init,
    )  # fmt: skip
    results = whole_row(plan)
    assert [r.cell.scaler for r in results] == ["standard", "batchnorm", "layernorm"]
    for result in results[1:]:
        assert result.error is None
        alone = pair_result(plan, result.cell)
        assert members(result, "normalized") == close(members(alone, "normalized"))
        assert members(result, "raw") == close(members(alone, "raw"))


def test_a_raw_run_that_diverged_reports_no_share_rather_than_its_first_epochs():
    plan = parse_plan(
        datasets="scales", activations="relu", scalers="standard", optimizer="sgd", lr=0.5,
        seeds=2, epochs=8, hidden="8",
    )  # fmt: skip
    (result,) = whole_row(plan)
    assert result.raw.val_score == [None, None]  # every raw member diverged
    assert result.raw.share is None
    assert result.normalized.share is not None


def test_a_row_too_big_for_one_model_trains_its_scalers_a_few_at_a_time(monkeypatch):
    plan = parse_plan(
        datasets="iris", activations="gelu", scalers="standard,minmax,robust", seeds=2,
        epochs=6, hidden="8",
    )  # fmt: skip
    packed = whole_row(plan)
    chunks = record_chunks(monkeypatch)
    monkeypatch.setattr(rows_module, "PACK_VALUES", 1)  # every model holds the pair only
    apart = whole_row(plan)
    assert chunks == [("standard",), ("minmax",), ("robust",)]
    for one, other in zip(packed, apart, strict=True):
        assert members(one, "raw") == members(other, "raw")
        assert members(one, "normalized") == members(other, "normalized")


def record_chunks(monkeypatch) -> list[tuple[str, ...]]:
    """The scalers of each model `train_row` trains, from now on."""
    from normtui.engine.sweep import row as row_module

    original = row_module.train_row
    chunks: list[tuple[str, ...]] = []

    def recording(config, prepared, sinks, cancel):
        chunks.append(tuple(prepared))
        return original(config, prepared, sinks, cancel)

    monkeypatch.setattr(row_module, "train_row", recording)
    return chunks


def test_a_dataset_is_prepared_once_for_all_its_activations(monkeypatch):
    from normtui.engine.data import prepare as prepare_module

    prepared: list[str] = []
    original = prepare_module.prepare_members

    def counting(config, dataset=None, progress=None):
        prepared.append(config.scaler)
        return original(config, dataset, progress)

    monkeypatch.setattr(prepare_module, "prepare_members", counting)
    plan = parse_plan(
        datasets="iris,wine", activations="relu,tanh,sigmoid", scalers="standard,minmax",
        seeds=2, epochs=2, hidden="8",
    )  # fmt: skip
    runner = RowRunner()
    for row in rows_of(plan.work()):
        results = runner.run(plan, row)
        assert results is not None and all(r.error is None for r in results)
    assert prepared == ["standard", "minmax", "standard", "minmax"]  # per dataset, not per row


def test_a_stop_during_a_row_ends_it_without_results():
    plan = parse_plan(
        datasets="digits", activations="relu", scalers="standard,minmax", seeds=2,
        epochs=100_000, hidden="16",
    )  # fmt: skip
    runner = RowRunner()
    (row,) = rows_of(plan.work())
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(runner.run(plan, row)))
    worker.start()
    threading.Timer(1.0, runner.stop).start()
    worker.join(120)
    assert not worker.is_alive(), "the row did not stop"
    assert outcome == [None]


def test_data_that_cannot_be_split_fails_every_cell_of_its_row_with_the_reason(tmp_path):
    table = tmp_path / "tiny.csv"
    rows = ["x,y,label"] + [f"{i},{i * 2},b" for i in range(30)] + ["99,1,a"]
    table.write_text("\n".join(rows) + "\n")
    plan = parse_plan(
        datasets=str(table), activations="relu", scalers="standard,minmax", target="label",
        seeds=2, epochs=3, hidden="8",
    )  # fmt: skip
    (row,) = rows_of(plan.work())
    results = RowRunner().run(plan, row)
    assert results is not None and [r.cell.scaler for r in results] == ["standard", "minmax"]
    for result in results:
        assert result.error is not None and "class 'a' has 1 row(s)" in result.error
        assert result.error.startswith("tiny.csv is too small")  # the message train gives
        assert "\n" not in result.error


def test_rows_keep_the_grid_order_and_round_trip_as_data():
    plan = parse_plan(datasets="wine,iris", activations="relu,tanh", scalers="none,standard")
    rows = rows_of(plan.work())
    assert [row.label() for row in rows] == [
        "wine · relu",
        "wine · tanh",
        "iris · relu",
        "iris · tanh",
    ]
    assert all(Row.from_dict(row.to_dict()) == row for row in rows)


@pytest.mark.parametrize(("setting", "expected"), [("1", 1), ("", None), ("many", None)])
def test_torch_threads_keep_to_the_share_a_worker_was_given(monkeypatch, setting, expected):
    """`sweep --jobs N` gives each worker OMP_NUM_THREADS = cores // N and a Dask nanny sets 1:
    a big model must not set torch back to every core (N workers x all cores oversubscribe)."""
    import os

    from normtui.engine.trainer import plan_threads

    monkeypatch.setenv("OMP_NUM_THREADS", setting)
    cores = os.cpu_count() or 1
    assert plan_threads(False, 10**9, "cpu") == (False, expected or cores)


def test_rows_are_halved_until_every_worker_has_one():
    plan = parse_plan(
        datasets="wine", activations="relu,tanh", scalers="none,standard,minmax,robust"
    )
    rows = rows_of(plan.work())  # two rows of three cells
    assert spread(rows, 2) == rows
    pieces = spread(rows, 4)
    assert [len(p.cells) for p in pieces] == [1, 2, 1, 2]
    assert [c for p in pieces for c in p.cells] == [c for r in rows for c in r.cells]
    assert len(spread(rows, 100)) == 6  # one cell each, no further
