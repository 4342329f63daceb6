"""A run that fails or diverges says so on its own pane; the other run's pane carries on."""

from __future__ import annotations

import dataclasses
import html
import re

from conftest import FIXTURE, settle
from fake_source import ReplaySource, read_events

from normtui.engine.config import SessionConfig
from normtui.engine.events import EpochEnd, RunDiverged, RunFailed
from normtui.tui.app import make_app


def screen_text(app) -> str:
    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


async def test_a_failed_run_and_a_diverged_run_are_shown_on_their_panes() -> None:
    header, events = read_events(FIXTURE)
    cut = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd) and e.epoch == 40)
    faults = [
        RunFailed(time_s=9.0, run="normalized", epoch=40, error="RuntimeError: CUDA error: lost"),
        RunDiverged(time_s=9.0, run="raw", epoch=40, loss="nan"),
    ]
    source = ReplaySource([*events[:cut], *faults], live=True)
    app = make_app(source, config=SessionConfig.from_dict(header["config"]), handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.state.runs["normalized"].status == "failed"
        assert app.state.runs["raw"].status == "diverged"
        text = screen_text(app)
    assert "CUDA error: lost" in text
    assert "diverged" in text and "40" in text


def _runaway_app(size_note: str = ""):
    """The recorded wine session, its normalized run's loss running away at epoch 40 and its
    raw run's pre-activations reaching ±5e12 (what an exploding run's histograms carry)."""
    header, events = read_events(FIXTURE)
    cut = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd) and e.epoch == 40)
    events = events[:cut]
    last_raw = next(i for i in range(cut - 1, -1, -1) if _raw_with_layers(events[i]))
    epoch = events[last_raw]
    huge = tuple(
        dataclasses.replace(layer, pre_min=-4.99e12, pre_max=4.98e12) for layer in epoch.layers
    )
    events[last_raw] = dataclasses.replace(epoch, layers=huge)
    runaway = RunDiverged(time_s=9.0, run="normalized", epoch=39, loss="18118.4", reference=0.739)
    source = ReplaySource([*events, runaway], live=True)
    return make_app(source, config=SessionConfig.from_dict(header["config"]), handle_signals=False)


def _raw_with_layers(event) -> bool:
    return isinstance(event, EpochEnd) and event.run == "raw" and bool(event.layers)


async def test_a_runaway_loss_is_called_diverged_with_its_loss_in_compact_form() -> None:
    for size, expected in (((120, 40), "loss 18,118 > 10,000× e1"), ((80, 24), "ran away")):
        app = _runaway_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            assert app.state.runs["normalized"].status == "diverged"
            text = screen_text(app)
        assert expected in text, (size, text)
        assert "no divergence" not in text
        if size == (120, 40):  # the strip too; the histogram's range whole, not "−4.99e12 …"
            assert "normalized diverged at e39" in text
            assert "−5.0e12 … 5.0e12" in text


async def test_both_runs_diverged_fits_the_strip_at_120_columns() -> None:
    """Both runs of the issue's command diverge; 'normalized diver…' was cut off."""
    header, events = read_events(FIXTURE)
    cut = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd) and e.epoch == 8)
    faults = [
        RunDiverged(time_s=9.0, run="raw", epoch=2, loss="1.86e12", reference=456.0),
        RunDiverged(time_s=9.0, run="normalized", epoch=7, loss="18118.4", reference=0.739),
    ]
    source = ReplaySource([*events[:cut], *faults], live=True)
    app = make_app(source, config=SessionConfig.from_dict(header["config"]), handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
    assert "both diverged (raw e2, normalized e7)" in text
