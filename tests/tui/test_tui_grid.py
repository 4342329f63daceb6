"""The learning-rate grid on the dashboard (issue 23 item 5): the rates view, live and replayed;
each pane says which rate it shows; the verdicts on the test rows; `+` shifts the whole grid."""

from __future__ import annotations

import csv
import statistics

from conftest import recorded_app, settle, wait_until
from fake_source import read_events
from make_grid_fixture import GRID_FIXTURE, SHIFT_AT
from textual.content import Content

from normtui.engine.config import SessionConfig
from normtui.engine.events import GridEpoch
from normtui.engine.grid import rate_text
from normtui.engine.session import Session
from normtui.tui.app import NormtuiApp, make_app
from normtui.tui.viewstate.export import write_grid_csv
from normtui.tui.viewstate.rates import rates_data
from normtui.tui.viewstate.state import DashboardState
from normtui.tui.widgets.rates_view import RatesView, rates_rows
from normtui.tui.widgets.top_bar import top_bar_markup


def folded() -> tuple[DashboardState, list[GridEpoch]]:
    header, events = read_events(GRID_FIXTURE)
    state = DashboardState(SessionConfig.from_dict(header["config"]))
    for event in events:
        state.apply(event)
    return state, [e for e in events if isinstance(e, GridEpoch)]


def rates_text(app: NormtuiApp) -> str:
    view = app.dashboard.query_one(RatesView)
    width, height = view.content_size.width, view.content_size.height
    rows = rates_rows(rates_data(app.state.grid), width, height)
    return "\n".join(Content.from_markup(row).plain for row in rows)


def test_the_state_folds_the_grid_through_the_one_grid_fold() -> None:
    state, grids = folded()
    last = {e.run: e for e in grids}
    data = rates_data(state.grid)
    assert data is not None and data.epoch == 60
    for run in data.runs:  # the chosen rate and every rate as the trainer sent them
        assert run.chosen_rate == last[run.name].rates[last[run.name].chosen]
        assert [p.rate for p in run.points] == list(last[run.name].rates)
        assert all(p.seeds == 3 for p in run.points)
    assert state.has_grid and state.grid_shift == 2.0  # `+` at epoch 30
    assert state.grid_rates() == last["raw"].rates
    # each run's own numbers are its chosen rate's seeds (the EpochEnd's learning rate)
    assert state.runs["raw"].learning_rate == data.runs[0].chosen_rate
    # the strip's verdicts are the tuned ones, on the held-out test rows
    verdicts = state.verdicts()
    assert verdicts is not None and verdicts.score.metric == "test_accuracy"
    assert [m for _, m in state.runs["raw"].markers] == ["lr ×2"]


def test_the_loss_plot_is_the_currently_chosen_rates_own_curve() -> None:
    """Not a curve stitched from each epoch's best rate: raw's choice flips ~40 times in the
    fixture's 60 epochs, and each flip would be a jump between two rates' losses."""
    state, grids = folded()
    for run in ("raw", "normalized"):
        own = [e for e in grids if e.run == run]
        chosen = own[-1].chosen
        rows = state.plot_rows(run)
        assert [row[0] for row in rows] == [float(e.epoch) for e in own]
        for row, event in zip(rows, own, strict=True):
            live = sorted(event.val_loss[chosen])
            assert row[2] == statistics.median(live)  # median val loss of the rate chosen now
        stitched = [row[2] for row in state.runs[run].plot.rows()]
        assert stitched[-1] == rows[-1][2]  # the latest epoch agrees with the run's own


def test_the_rates_view_fits_its_width_and_marks_each_run_without_colour() -> None:
    state, _ = folded()
    data = rates_data(state.grid)
    assert data is not None
    for width, height in ((114, 14), (76, 9)):
        rows = [Content.from_markup(row).plain for row in rates_rows(data, width, height)]
        assert len(rows) <= height and all(len(row) <= width for row in rows)
        text = "\n".join(rows)
        assert "●" in text and "◆" in text  # raw and normalized: two shapes, not two colours
        raw_row = next(row for row in rows if row.startswith("●raw"))
        norm_row = next(row for row in rows if row.startswith("◆norm"))
        assert "▲" in raw_row and "▲" in norm_row  # each run's chosen rate
        chosen = " · ".join(f"{r.name} {rate_text(r.chosen_rate)}" for r in data.runs)
        assert chosen in rows[0]


def test_the_grid_export_has_a_row_per_epoch_run_rate_and_seed(tmp_path) -> None:
    state, grids = folded()
    path = tmp_path / "grid.csv"
    rows = write_grid_csv(state, path)
    assert rows == len(grids) * 7 * 3
    with path.open() as handle:
        read = list(csv.DictReader(handle))
    first = grids[0]
    assert {row["rate"] for row in read if row["epoch"] == "1"} == {f"{r:.6g}" for r in first.rates}
    chosen = [row for row in read if row["epoch"] == "60" and row["chosen"] == "1"]
    assert len(chosen) == 2 * 3  # per run, the chosen rate's seeds
    assert write_grid_csv(DashboardState(SessionConfig()), tmp_path / "none.csv") == 0


async def test_a_replayed_grid_log_draws_the_rates_view_and_names_each_panes_rate() -> None:
    app = recorded_app(fixture=GRID_FIXTURE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.dashboard.query_one(RatesView)
        assert view.display and view.region.height >= 12  # on by default with a grid
        data = rates_data(app.state.grid)
        assert data is not None
        text = rates_text(app)
        assert "e60 chosen on val rows: raw " in text and "tuned, on 36 test rows" in text
        for pane, run in zip(app.dashboard.query(".run-pane"), data.runs, strict=True):
            assert f"@{rate_text(run.chosen_rate)} (best of 7 on val)" in str(pane.border_title)
        assert "(shifted ×2)" in str(view.border_title)
        bar = Content.from_markup(top_bar_markup(app.state, app.dashboard.controls, 0)).plain
        assert "rates 2e-4–0.2 (7) (shifted ×2)" in bar
        strip = str(app.dashboard.query_one("#comparison").border_title)
        assert "held-out test rows" in strip
        await pilot.press("g")  # the loss plots back: each run at its chosen rate
        await pilot.pause()
        assert not view.display and app.dashboard.query(".loss-plot").first().display
        await pilot.press("o")
        await pilot.press("g")  # the rates view again, the overlay off
        await pilot.pause()
        assert view.display and not app.dashboard.overlay


async def test_g_without_a_grid_says_why() -> None:
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert not app.dashboard.query_one(RatesView).display
        assert any("no learning-rate grid" in text for text in app.notices)


async def test_a_live_grid_session_updates_the_view_and_plus_shifts_the_whole_grid() -> None:
    config = SessionConfig(
        dataset="wine", epochs=None, pace=None, seeds=2, lrs=(1e-3, 1e-2), test_split=0.2,
        hidden=(8,), device="cpu",
    )  # fmt: skip
    session = Session(config, linger=True)
    app = make_app(session, config=config, handle_signals=False)
    grid = app.state.grid
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: rates_data(grid) is not None, timeout=120)
        app.dashboard.sync()
        await pilot.pause()
        first = rates_data(grid)
        assert first is not None
        for run in first.runs:
            assert f"{run.name} {rate_text(run.chosen_rate)}" in rates_text(app)
        await wait_until(pilot, lambda: grid.runs["raw"].epoch >= first.epoch + 3)
        app.dashboard.sync()
        await pilot.pause()
        later = rates_data(grid)
        assert later is not None and f"e{later.epoch} " in rates_text(app)  # it moved on
        await pilot.press("plus")
        await wait_until(pilot, lambda: grid.runs["raw"].rates == (2e-3, 2e-2))
        assert grid.runs["normalized"].rates == (2e-3, 2e-2)  # both runs, every rate
        assert any("whole grid ×2: rates 2e-3–2e-2" in text for text in app.notices)
        app.dashboard.sync()
        await pilot.pause()
        assert "(shifted ×2)" in str(app.dashboard.query_one(RatesView).border_title)
        assert "2e-3" in rates_text(app) and "2e-2" in rates_text(app)
        await pilot.press("q")
    assert not session.running


def test_the_fixture_shifts_the_grid_where_it_says() -> None:
    _, grids = folded()
    before = next(e for e in grids if e.epoch == SHIFT_AT)
    after = next(e for e in grids if e.epoch == SHIFT_AT + 1)
    assert [b / a for a, b in zip(before.rates, after.rates, strict=True)] == [2.0] * 7
