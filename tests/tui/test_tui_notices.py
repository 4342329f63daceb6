"""Changes made without being asked are said, in `train` and on the dashboard (issue 25 item 4).

A CSV over 16 MB trained one seed with no line saying so; `--missing drop` dropped rows and only
`train` said so. Both now appear in `train`'s table, in a notification when the session starts
(at 80x24 too, where the inputs pane is hidden) and in the inputs pane's notes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import FIXTURE
from fake_source import ReplaySource, read_events

from normtui.engine import config as config_module
from normtui.engine import notices
from normtui.engine.config import SessionConfig
from normtui.engine.events import SessionStarted
from normtui.tui.app import make_app

HOMES = Path(__file__).parents[2] / "docs" / "examples" / "homes.csv"


@pytest.fixture
def small_is_large(monkeypatch) -> None:
    """Any table file counts as over the one-seed threshold (a 16 MB file trains slowly)."""
    monkeypatch.setattr(config_module, "LARGE_TABLE_BYTES", 1000)
    monkeypatch.setattr(notices, "LARGE_TABLE_BYTES", 1000)


def test_train_says_a_large_file_trains_one_seed_and_how_to_ask_for_more(
    run_main, small_is_large
) -> None:
    code, out, err = run_main(
        ["train", "--dataset", str(HOMES), "--target", "price", "--epochs", "2", "--hidden", "8"]
    )
    assert code == 0, err
    assert "1 seed: homes.csv is 0 MB, over 0 MB (--seeds 10 for a verdict)" in out


def test_train_says_nothing_of_one_seed_for_a_small_file(run_main) -> None:
    code, out, err = run_main(
        ["train", "--dataset", str(HOMES), "--target", "price", "--epochs", "2", "--hidden", "8",
         "--seeds", "1"]
    )  # fmt: skip
    assert code == 0, err
    assert "1 seed:" not in out


def started_with(**changes: object) -> tuple[SessionConfig, list]:
    header, events = read_events(FIXTURE)
    config = SessionConfig.from_dict(header["config"])
    events = [
        dataclasses.replace(e, **changes) if isinstance(e, SessionStarted) else e for e in events
    ]
    return config, events


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_dashboard_says_rows_were_dropped_and_one_seed_trains(
    small_is_large, size
) -> None:
    config, events = started_with(
        dropped_rows=25, config={"csv_path": str(HOMES), "seeds": 1, "target": "price"}
    )
    app = make_app(ReplaySource(events), config=config, handle_signals=False)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        app.dashboard.sync()
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any(
            "25 rows with missing cells dropped (--missing drop)" in message
            and "1 seed: homes.csv" in message
            and "--seeds 10" in message
            for message in shown
        ), shown
        if size == (120, 40):
            inputs = str(app.screen.query_one("#inputs").render())
            assert "25 rows with missing cells dropped" in inputs


async def test_an_export_taken_while_a_notification_is_up_does_not_capture_it(tmp_path) -> None:
    """Issue 25 item 11: the SVG showed the notification over the dashboard."""
    config, events = started_with()
    app = make_app(
        ReplaySource(events, live=True), config=config, handle_signals=False, export_dir=tmp_path
    )
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        app.dashboard.sync()
        app.notify("a notice nobody wants in a screenshot", timeout=30)
        await pilot.pause(0.3)
        assert "nobody wants" in "".join(str(n.message) for n in app._notifications)
        await pilot.press("e")
        (svg,) = tmp_path.glob("*.svg")
        text = svg.read_text()
        assert "nobody" not in text and "wants" not in text
        assert "comparison" in text  # the dashboard itself is there
        await pilot.pause(0.3)
        assert any("exported" in str(n.title) for n in app._notifications)
