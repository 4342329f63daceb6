"""The sweep's live matrix, fed fixed results (no training): colours only where the interval
excludes zero, metrics switched by key, cells filling as they arrive, Enter opening the cell's
dashboard over the matrix and esc coming back to it, in one app."""

from __future__ import annotations

import dataclasses
import sys
import threading
from dataclasses import dataclass

import pytest
from conftest import FakeSession, wait_until
from textual.widgets import DataTable, Static

from normtui.engine.sweep.plan import Cell, SweepPlan
from normtui.engine.sweep.results import CellResult, RateGrid, RunResult, compare_runs
from normtui.tui.screens.session import SessionScreen
from normtui.tui.sweep_app import CellFinished, CellSession, SweepApp, SweepEnded
from normtui.tui.theme_loader import load_theme
from normtui.tui.viewstate.state import DashboardState

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
    return SweepApp(
        PLAN,
        fixed_results(),
        progress=FixedProgress(),
        theme=load_theme("dark"),
        handle_signals=False,
        **kwargs,
    )


def finish(app: SweepApp, result: CellResult) -> None:
    """What the sweep's thread does when a cell finishes."""
    app.post_message(CellFinished(result, FixedProgress()))


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
        # raw never reached the goal, normalized did in every seed: said, and with 5 seeds the
        # exact test on the known orders (p 0.0625) cannot mark it (10 seeds do, below)
        assert cell_text(app, "wine|relu", "standard") == ">3.3×"
        detail = str(app.sweep_screen.query_one("#sweep-detail", Static).render())
        assert "in 5/5 seeds, raw in 0/5 by e100" in detail and "6+ seeds" in detail
        await pilot.press("3")
        assert "val loss" in str(title.render())
        assert cell_text(app, "wine|relu", "standard").endswith("×▲")  # normalized ÷ raw
        await pilot.press("4")
        assert "dead / saturated" in str(title.render())
        assert cell_text(app, "wine|relu", "standard") == "−50▲"
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SweepHelp"
        await pilot.press("escape")


async def test_cells_fill_as_they_finish():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        late = result(Cell("iris", "tanh", "standard"), RAW, CLEAR_WIN)
        finish(app, late)
        for _ in range(50):
            await pilot.pause(0.05)
            if cell_text(app, "iris|tanh", "standard") != "·":
                break
        assert cell_text(app, "iris|tanh", "standard").endswith("▲")


async def test_q_quits(capfd):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert app.return_code == 0
    assert app.notes == []


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
    app.sweep_screen.draw_progress()  # the widgets are gone now


async def test_the_title_says_r2_once_a_regression_dataset_has_a_cell():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        title = app.sweep_screen.query_one("#sweep-title", Static)
        assert "val accuracy: normalized − raw (pts)" in str(title.render())
        regression = result(Cell("iris", "tanh", "standard"), RAW, CLEAR_WIN)
        regression.task = "regression"
        finish(app, regression)
        for _ in range(50):
            await pilot.pause(0.05)
            if "R²" in str(title.render()):
                break
        assert "val accuracy (pts) or R² (regression)" in str(title.render())


def test_a_censored_win_over_ten_seeds_is_marked_and_the_csv_has_its_bound() -> None:
    """Issue 25 item 7: raw 0/10 at the goal, normalized 10/10: '>3.3×▲', and the CSV's
    speedup column carries the same bound instead of staying empty."""
    from normtui.tui.sweep_view import cell_view, csv_report

    raw = run([0.6] * 10, [1.0] * 10, [None] * 10, 0.5)
    norm = run([1.0] * 10, [0.1] * 10, [30, 28, 35, 31, 29, 30, 32, 27, 33, 30], 0.0)
    made = CellResult(
        cell=Cell("wine", "relu", "standard"),
        seeds=tuple(range(10)),
        epochs=100,
        n_val=36,
        raw=raw,
        normalized=norm,
    )
    made.comparisons = compare_runs(made)
    assert cell_view(made, "speed").marked == ">3.3×▲"
    plan = SweepPlan(datasets=("wine",), activations=("relu",), scalers=("standard",), seeds=10)
    header, row = csv_report(plan, {made.cell.key: made}).splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert values["speedup"] == "3.3333333333333335" and values["speedup_bound"] == ">"


def test_an_interval_never_prints_a_signed_zero() -> None:
    from normtui.tui.sweep_view import _interval

    assert _interval((-0.20, -0.0004), 100.0) == "−20 to −0.040"
    assert _interval((-0.2, 0.0), 100.0) == "−20 to 0"


class Opened:
    """A fake opener of cells: each Enter gets a FakeSession (no torch) and is recorded."""

    def __init__(self) -> None:
        self.sessions: list[FakeSession] = []
        self.closed: list[str] = []

    def __call__(self, cell: Cell) -> tuple[CellSession, DashboardState]:
        config = PLAN.dashboard_config(cell, pace=50.0)
        session = FakeSession(config)
        self.sessions.append(session)

        def close(reason: str) -> list[str]:
            self.closed.append(reason)
            return [f"normtui: session log: {cell.label()}"]

        return CellSession(session, close), DashboardState(config)


async def test_enter_opens_the_cells_dashboard_and_esc_comes_back_to_the_same_cell(capfd):
    """One app, one process: the matrix stays under the dashboard, the cursor where it was, and
    nothing reaches the terminal until the app is gone (the summary once, at exit)."""
    opened = Opened()
    app = make_app(open_cell=opened)
    chosen = Cell("iris", "relu", "minmax")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        matrix = app.sweep_screen
        matrix.move_to(chosen)
        await pilot.pause()
        detail = str(matrix.query_one("#sweep-detail", Static).render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionScreen))
        dashboard = app.screen
        assert isinstance(dashboard, SessionScreen)
        config = dashboard.state.config
        assert (config.dataset, config.activation, config.scaler) == ("iris", "relu", "minmax")
        await wait_until(pilot, lambda: dashboard.state.started is not None)  # it trains
        shown = {key.action for key in dashboard.query("FooterKey")}
        assert "back" in shown
        finish(app, result(Cell("iris", "tanh", "standard"), RAW, CLEAR_WIN))  # the sweep goes on
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is matrix)
        assert opened.sessions[0].stopped and opened.closed == ["back"]
        assert matrix.cursor_cell() == chosen
        assert str(matrix.query_one("#sweep-detail", Static).render()) == detail
        await wait_until(pilot, lambda: cell_text(app, "iris|tanh", "standard").endswith("▲"))
        assert capfd.readouterr() == ("", "")  # nothing printed in between
        await pilot.press("enter")  # and again: a fresh session for the cell
        await wait_until(pilot, lambda: len(opened.sessions) == 2)
        await pilot.press("q")  # q on a cell's dashboard quits the sweep
    assert app.return_code == 0
    assert opened.sessions[1].stopped and opened.closed == ["back", "quit"]
    assert app.notes == [f"normtui: session log: {chosen.label()}"] * 2  # printed by the launcher


async def test_a_cells_dashboard_offers_esc_and_a_plain_dashboard_does_not(fake_app):
    opened = Opened()
    app = make_app(open_cell=opened)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionScreen))
        dashboard = app.screen
        assert isinstance(dashboard, SessionScreen)
        await wait_until(pilot, lambda: "back" in {k.action for k in dashboard.query("FooterKey")})
        assert any("sweep" in description for _key, description in dashboard.key_table())
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: {"help", "quit_app"} <= actions(fake_app))
        assert "back" not in actions(fake_app)
        assert not any(
            "sweep" in description for _key, description in fake_app.dashboard.key_table()
        )
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert fake_app.return_code is None  # esc alone never quits a dashboard


def actions(app) -> set[str]:
    return {key.action for key in app.screen.query("FooterKey")}


@pytest.mark.parametrize("width", [72, 80, 89, 90, 100])
async def test_the_footer_keeps_back_help_and_quit_at_any_width(width: int) -> None:
    app = make_app(open_cell=Opened())
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: {"help", "quit_app", "back"} <= actions(app))
        footer = app.screen.query_one("Footer")
        assert sum(key.outer_size.width for key in footer.query("FooterKey")) <= width
        assert footer.virtual_size.width <= width  # nothing cut off at the right edge
        await pilot.press("q")


BIG = SweepPlan(
    datasets=("wine", "iris", "digits"),
    activations=("relu", "tanh", "sigmoid", "gelu"),
    scalers=("none", "standard", "minmax", "robust"),
    seeds=5,
    epochs=100,
)


async def test_cells_finished_from_another_thread_as_fast_as_it_can_while_the_screen_redraws():
    """The sweep's thread writes its Progress (and its dicts) while the UI draws the progress
    line 10 times a second: the UI only ever reads the copies that came with the messages."""
    from normtui.engine.sweep.run import Collector

    collector = Collector(BIG, None, {})
    progress = collector.progress
    app = SweepApp(
        BIG,
        {},
        progress=progress.snapshot(),
        theme=load_theme("dark"),
        handle_signals=False,
    )
    collector.on_result = lambda r: app.post_message(CellFinished(r, progress.snapshot()))
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            progress.total = 10**6  # never done: the line keeps its ETA, which reads both dicts
            for rounds in range(20):  # each round every cell again, as if retried
                for cell in BIG.work():
                    collector.finished.pop(cell.key, None)
                    collector.add(result(cell, RAW, CLEAR_WIN if rounds % 2 else CLEAR_LOSS))
                    # what a long sweep's datasets do to the dicts, a thousand times faster
                    progress.left[f"{cell.key}#{rounds}"] = 1
                    progress.add(f"{cell.key}#{rounds}", 0.01)
            progress.end()
            app.post_message(SweepEnded(progress.snapshot()))  # as SweepJob.run's end does
        except BaseException as error:
            errors.append(error)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns 500 times as often: a busy machine's odds
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            thread = threading.Thread(target=sweep, name="fake-sweep")
            thread.start()
            while thread.is_alive():
                app.sweep_screen.draw_progress()  # as the timer does, but as often as it can
                await pilot.pause(0)
            thread.join()
            await pilot.pause(0.2)
            assert not errors
            assert app.sweep_screen.progress.done == progress.done  # the last copy came through
            line = str(app.sweep_screen.query_one("#sweep-rate", Static).render())
            assert line.startswith(f"{progress.done}/") and "took" in line
    finally:
        sys.setswitchinterval(switch)


async def test_the_sweep_offers_normtuis_themes_only_and_t_cycles_them() -> None:
    """The sweep's app once offered Textual's own themes (dracula, nord, …) without normtui's
    run colours; it now shares the dashboard's base."""
    from normtui.tui.theme_loader import list_themes

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert set(app.available_themes) == set(list_themes())
        await pilot.press("t")
        assert app.theme == list_themes()[1]


GRID_PLAN = dataclasses.replace(PLAN, lrs=(1e-3, 3e-3, 1e-2, 3e-2, 1e-1), test_split=0.2)


def grid_results() -> dict[str, CellResult]:
    """fixed_results() as a grid sweep's: test rows, raw working at one rate, each scaler at
    several."""
    rates = GRID_PLAN.lrs
    raw = RateGrid(0.1, [0.1], 0.0, [0.3, 0.4, 0.5, 0.6, 0.7], [0] * 5, 0.03)
    scaled = RateGrid(3e-3, [1e-3, 3e-3, 1e-2], 1.0, [0.97, 0.98, 0.97, 0.9, 0.6], [0] * 5, 0.03)
    results = {}
    for key, kept in fixed_results().items():
        grids = {"raw": raw} if kept.normalized is None else {"raw": raw, "normalized": scaled}
        made = dataclasses.replace(kept, rows="test", n_test=36, rates=rates, lr_grid=grids)
        if made.normalized is not None:
            made.comparisons = compare_runs(made)
        results[key] = made
    return results


def make_grid_app() -> SweepApp:
    return SweepApp(
        GRID_PLAN,
        grid_results(),
        progress=FixedProgress(),
        theme=load_theme("dark"),
        handle_signals=False,
    )


async def test_a_grid_sweep_shows_each_runs_working_rates_and_its_chosen_rates():
    app = make_grid_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = app.sweep_screen.query_one("#sweep-title", Static)
        assert "test accuracy at chosen rates" in str(title.render())
        await pilot.press("right")
        detail = str(app.sweep_screen.query_one("#sweep-detail", Static).render())
        assert "rates chosen on val: raw 0.1, normalized 3e-3" in detail
        assert "36 held-out test rows" in detail
        await pilot.press("5")
        assert "rates that work" in str(title.render())
        assert cell_text(app, "wine|relu", "standard") == "1→3"  # no mark: measured, not tested
        assert cell_text(app, "wine|relu", "none") == "1"
        detail = str(app.sweep_screen.query_one("#sweep-detail", Static).render())
        assert "raw works at 0.1 only" in detail
        assert "normalized works at 1e-3–1e-2 (3 of 5 rates, 1.0 decades)" in detail
        await pilot.press("m")  # from the last metric back to the first
        assert "test accuracy" in str(title.render())


async def test_without_a_grid_key_5_changes_nothing():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("5")
        assert app.sweep_screen.metric == "accuracy"
        await pilot.press("M")  # backwards from the first metric skips "rates"
        assert app.sweep_screen.metric == "share"


def test_sweep_matrix_80x24_grid_rates(snap_compare) -> None:
    async def rates(pilot) -> None:
        await pilot.press("5", "right")
        await pilot.pause()

    assert snap_compare(make_grid_app(), terminal_size=(80, 24), run_before=rates)
