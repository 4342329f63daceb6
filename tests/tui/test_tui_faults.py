"""A run that fails or diverges says so on its own pane; the other run's pane carries on."""

from __future__ import annotations

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
