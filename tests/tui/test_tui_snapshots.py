"""Snapshots of the dashboard fed the recorded wine session (no trainer, so deterministic).

Regenerate after an intended visual change with `pytest tests/tui --snapshot-update`, then read
the SVGs in tests/tui/__snapshots__ before committing them.
"""

from __future__ import annotations

from conftest import SEEDS_FIXTURE, recorded_app, settle
from fake_source import ReplaySource, scripted_session
from make_grid_fixture import GRID_FIXTURE
from textual.pilot import Pilot

from normtui.engine.config import SessionConfig
from normtui.tui.app import NormtuiApp, make_app


def seeded_app() -> NormtuiApp:
    """Five seeds per run on the closed-form curves (deterministic): medians, bands, verdicts."""
    config = SessionConfig(dataset="wine", epochs=None, pace=20.0, hidden=(64, 64), seeds=5)
    events = scripted_session(config, 120, {60: "tanh"})
    return make_app(ReplaySource(events, live=True), config=config, handle_signals=False)


async def _overlay(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)


async def _help(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


def test_main_view_120x40(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(120, 40), run_before=settle)


def test_overlay_view_120x40(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(120, 40), run_before=_overlay)


def test_help_screen(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(120, 40), run_before=_help)


def test_compact_80x24(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(80, 24), run_before=settle)


def test_colour_blind_safe_theme(snap_compare) -> None:
    app = recorded_app(theme="colour-blind-safe")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def test_too_small(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(60, 15), run_before=settle)


def test_seeds_band_120x40(snap_compare) -> None:
    assert snap_compare(seeded_app(), terminal_size=(120, 40), run_before=settle)


def test_seeds_band_80x24(snap_compare) -> None:
    assert snap_compare(seeded_app(), terminal_size=(80, 24), run_before=settle)


def test_recorded_five_seeds_120x40(snap_compare) -> None:
    """The real engine's 5-seed wine session (the README screenshot): bands, verdicts, ranges."""
    app = recorded_app(fixture=SEEDS_FIXTURE)
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def test_grid_rates_view_120x40(snap_compare) -> None:
    """A recorded `--lrs auto` session (wine, 3 seeds, `+` at epoch 30): the rates view."""
    app = recorded_app(fixture=GRID_FIXTURE)
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def test_grid_rates_view_80x24(snap_compare) -> None:
    app = recorded_app(fixture=GRID_FIXTURE)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
