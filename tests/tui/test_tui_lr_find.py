"""The lr-find screen (`L`): opened from the dashboard, the range test runs in a worker and the
screen shows both runs' charts and their summary lines; snapshots use a constructed result."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from conftest import recorded_app, settle, wait_until
from textual.pilot import Pilot
from textual.widgets import Static

from normtui.engine.config import SessionConfig
from normtui.engine.lr_find import RangeTest
from normtui.engine.lr_range import analyse_member, rate_schedule, smoothing_beta, summarise_run
from normtui.tui.screens.lr_find import LrFindScreen
from normtui.tui.widgets.lr_plot import RatePlot

RATES = rate_schedule(1e-6, 10.0, 200)
BETA = smoothing_beta(1e-6, 10.0, 200)


def _curve(start: float, centre: float, blowup_at: float | None) -> np.ndarray:
    x = np.log10(RATES)
    loss = start / (1.0 + np.exp(2.5 * (x - math.log10(centre)))) + 0.02
    if blowup_at is not None:
        past = blowup_at <= RATES
        loss[past] *= 3.0 ** np.arange(1, past.sum() + 1)
    return loss


def constructed_test(config: SessionConfig, **_: Any) -> RangeTest:
    """A fixed result: raw starts high and blows up at ~0.05, normalized falls further."""
    seeds = (0, 1, 2)
    raw = [
        analyse_member(s, RATES, _curve(90.0, c, 5e-2), BETA)
        for s, c in zip(seeds, (6e-4, 8e-4, 1.2e-3), strict=True)
    ]
    normalized = [
        analyse_member(s, RATES, _curve(1.1, c, None), BETA)
        for s, c in zip(seeds, (4e-3, 5e-3, 6e-3), strict=True)
    ]
    return RangeTest(
        rates=tuple(float(r) for r in RATES),
        beta=BETA,
        runs={
            "raw": summarise_run("raw", raw, RATES),
            "normalized": summarise_run("normalized", normalized, RATES),
        },
        seeds=seeds,
        dataset="wine",
        optimizer=config.optimizer,
        activation=config.activation,
        scaler=config.scaler,
        batch_size=None,
    )


def _summary(app: Any) -> str:
    return str(app.screen.query_one("#lr-find-summary", Static).render())


async def test_L_opens_the_range_test_of_the_dashboards_config_and_shows_both_runs() -> None:
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        screen = app.screen
        assert isinstance(screen, LrFindScreen)
        await wait_until(pilot, lambda: screen.result is not None)
        await pilot.pause()
        summary = _summary(app)
        assert summary.startswith("raw: ")
        assert "\nnormalized: " in summary
        assert screen.result.activation == app.state.activation
        assert all(plot._run is not None for plot in screen.query(RatePlot))
        await pilot.press("escape")
        assert not isinstance(app.screen, LrFindScreen)


async def test_closing_while_running_cancels_the_test() -> None:
    app = recorded_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = LrFindScreen(app.state.config, steps=100_000)
        await app.push_screen(screen)
        await pilot.pause(0.2)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.workers)  # the worker stopped at a step
        assert screen.result is None


async def _constructed(pilot: Pilot) -> None:
    await settle(pilot)
    app = pilot.app
    config = dataclasses.replace(app.state.config, seeds=3)  # as many as the constructed result
    screen = LrFindScreen(config, runner=constructed_test)
    await app.push_screen(screen)
    await wait_until(pilot, lambda: screen.result is not None)
    await pilot.pause()


def test_constructed_result_shows_summaries(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(120, 40), run_before=_constructed)


def test_constructed_result_80x24(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=(80, 24), run_before=_constructed)
