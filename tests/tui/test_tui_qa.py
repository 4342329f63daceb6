"""What a new user met trying every dataset (QA pass): each a Pilot story."""

from __future__ import annotations

from conftest import settle
from fake_source import ReplaySource, read_events
from textual.content import Content

from normtui.engine.config import SessionConfig
from normtui.tui.app import make_app
from normtui.tui.widgets.gauges import AccuracyGauges


async def test_a_far_negative_r2_keeps_both_gauge_rows_on_screen(run_main, tmp_path) -> None:
    """scales_regression, one seed: raw val R² -173.705 with 'best -173.705 e150' was longer
    than the tail's room, wrapped, and the train R² row fell out of the pane."""
    log = tmp_path / "run.jsonl"
    args = ["train", "--dataset", "scales_regression", "--seeds", "1", "--epochs", "150"]
    code, _, err = run_main([*args, "--log", str(log)])
    assert code == 0, err
    header, events = read_events(log)
    config = SessionConfig.from_dict(header["config"])
    app = make_app(ReplaySource(events, live=False), config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        raw = app.query_one("#raw-gauges", AccuracyGauges)
        lines = Content.from_markup(str(raw.render())).plain.splitlines()
        assert app.state.runs["raw"].last.val_r2 < -10, "the run this story is about"
        assert [line.split()[:2] for line in lines] == [["val", "R²"], ["train", "R²"]]
        assert all(len(line) <= raw.size.width for line in lines), lines
