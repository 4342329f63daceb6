"""The sweep's live matrix, fed fixed results (no training): colours only where the interval
excludes zero, metrics switched by key, cells filling as they arrive, Enter returns the cell."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import DataTable, Static

from normtui.engine.sweep.plan import Cell, SweepPlan
from normtui.engine.sweep.results import CellResult, RunResult, compare_runs
from normtui.tui.sweep_app import SweepApp

PLAN = SweepPlan(
    datasets=("wine", "iris"),
    activations=("relu", "tanh"),
    scalers=("none", "standard", "minmax"),
    seeds=5,
    epochs=100,
)


@dataclass
class FixedProgress:
    total: int = 12
    done: int = 9

    def line(self) -> str:
        return f"{self.done}/{self.total} cells, 0.50 cells/s, ETA 6s"


def run(
    scores: list[float], losses: list[float], epochs: list[int | None], share: float
) -> RunResult:
    return RunResult(
        val_score=scores,
        val_loss=losses,
        epochs_to_goal=epochs,
        share=share,
        share_range=(share - 0.02, share + 0.02),
    )


def result(cell: Cell, raw: RunResult, normalized: RunResult | None) -> CellResult:
    made = CellResult(
        cell=cell, seeds=(0, 1, 2, 3, 4), epochs=100, n_val=36, raw=raw, normalized=normalized
    )
    made.comparisons = compare_runs(made)
    return made


RAW = run([0.61, 0.72, 0.56, 0.69, 0.64], [0.95, 0.9, 1.1, 0.92, 1.0], [None] * 5, 0.5)
CLEAR_WIN = run(
    [1.0, 0.97, 1.0, 0.97, 1.0], [0.1, 0.12, 0.09, 0.11, 0.1], [30, 28, 35, 31, 29], 0.0
)
NO_CLEAR = run([0.64, 0.69, 0.58, 0.72, 0.61], [0.94, 0.92, 1.05, 0.93, 0.99], [None] * 5, 0.48)
CLEAR_LOSS = run([0.5, 0.58, 0.47, 0.6, 0.52], [1.2, 1.1, 1.3, 1.15, 1.25], [None] * 5, 0.8)


def fixed_results() -> dict[str, CellResult]:
    results = {}
    for dataset in PLAN.datasets:
        for activation, other in (("relu", NO_CLEAR), ("tanh", CLEAR_LOSS)):
            if dataset == "iris" and activation == "tanh":
                continue  # still training: shown as pending
            standard = result(Cell(dataset, activation, "standard"), RAW, CLEAR_WIN)
            results[standard.cell.key] = standard
            results[f"{dataset}|{activation}|none"] = standard.baseline()
            minmax = result(Cell(dataset, activation, "minmax"), RAW, other)
            results[minmax.cell.key] = minmax
    return results


def make_app(**kwargs) -> SweepApp:
    return SweepApp(PLAN, fixed_results(), progress=FixedProgress(), handle_signals=False, **kwargs)


def cell_text(app: SweepApp, row: str, scaler: str) -> str:
    return str(app.sweep_screen.query_one(DataTable).get_cell(row, scaler))


async def test_a_cell_is_marked_only_where_the_interval_excludes_zero():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert cell_text(app, "wine|relu", "standard").endswith("▲")  # 5/5 seeds, CI > 0
        assert cell_text(app, "wine|tanh", "minmax").endswith("▼")  # raw ahead, CI < 0
        unclear = cell_text(app, "wine|relu", "minmax")
        assert not unclear.endswith(("▲", "▼"))  # the seeds cannot tell
        assert cell_text(app, "wine|relu", "none") == "64%"  # the raw baseline's own value
        assert cell_text(app, "iris|tanh", "standard") == "·"  # not finished yet


async def test_keys_switch_the_metric_and_the_cursor_cell_shows_its_interval():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = app.sweep_screen.query_one("#sweep-title", Static)
        await pilot.press("right")
        detail = str(app.sweep_screen.query_one("#sweep-detail", Static).render())
        assert "wine · relu · standard" in detail and "95% CI" in detail
        assert "normalized ahead in 5/5 seeds" in detail
        await pilot.press("m")
        assert "epochs to the goal" in str(title.render())
        assert cell_text(app, "wine|relu", "standard").startswith(">")  # raw never reached
        await pilot.press("3")
        assert "val loss" in str(title.render())
        assert cell_text(app, "wine|relu", "standard").startswith("−")
        await pilot.press("4")
        assert "dead / saturated" in str(title.render())
        assert cell_text(app, "wine|relu", "standard") == "−50▲"
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SweepHelp"
        await pilot.press("escape")


async def test_cells_fill_as_they_finish_and_enter_returns_the_cell():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        late = result(Cell("iris", "tanh", "standard"), RAW, CLEAR_WIN)
        app.post_result(late)  # from the sweep's thread in real use
        for _ in range(50):
            await pilot.pause(0.05)
            if cell_text(app, "iris|tanh", "standard") != "·":
                break
        assert cell_text(app, "iris|tanh", "standard").endswith("▲")
        app.sweep_screen.move_to(Cell("iris", "tanh", "standard"))
        await pilot.press("enter")
    assert app.return_value == Cell("iris", "tanh", "standard")


async def test_back_from_a_cells_dashboard_the_cursor_is_where_it_was():
    chosen = Cell("iris", "tanh", "minmax")
    app = make_app(cursor=chosen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.sweep_screen.cursor_cell() == chosen
        await pilot.press("enter")
    assert app.return_value == chosen


async def test_q_quits_without_a_cell():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert app.return_value is None


def test_sweep_matrix_80x24(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_sweep_matrix_120x40_speed(snap_compare) -> None:
    async def speed(pilot) -> None:
        await pilot.press("m")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=speed)


async def test_a_tick_while_the_app_tears_down_draws_nothing():
    """The 10 Hz tick could run once more as the app quit, after the progress line was removed:
    NoMatches '#sweep-rate' (seen under load)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    app._tick()  # the widgets are gone now


async def test_the_title_says_r2_once_a_regression_dataset_has_a_cell():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        title = app.sweep_screen.query_one("#sweep-title", Static)
        assert "val accuracy: normalized − raw (pts)" in str(title.render())
        regression = result(Cell("iris", "tanh", "standard"), RAW, CLEAR_WIN)
        regression.task = "regression"
        app.post_result(regression)
        for _ in range(50):
            await pilot.pause(0.05)
            if "R²" in str(title.render()):
                break
        assert "val accuracy (pts) or R² (regression)" in str(title.render())
