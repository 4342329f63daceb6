"""At 80x24 text leaves out words, never the end of a number or a path (issue 25, item 3): the
strip's interval, the export notification's log path, the top bar while a big file loads and
after a restart."""

from __future__ import annotations

from pathlib import Path

from conftest import recorded_app, settle
from test_tui_honest import live_app, running_session
from test_tui_inputs import screen_text

from normtui.engine.config import SessionConfig
from normtui.engine.events import DataLoading, PaceChanged, Restarted
from normtui.tui.widgets.comparison import fit
from normtui.tui.widgets.fitting import cells, shorten

INTERVAL = "no clear difference in val accuracy over 5 seeds (normalized − raw −2.3 to +5.3 pts)"


def test_a_verdict_too_long_for_the_strip_leaves_out_words_not_its_interval() -> None:
    assert fit([(INTERVAL, True)], 78) == (
        "no clear difference in val accuracy over 5 seeds (−2.3 to +5.3 pts)"
    )
    assert fit([(INTERVAL, True)], 60) == "no clear difference in val accuracy over 5 seeds"
    assert shorten(INTERVAL, 30) == "no clear difference in val…"
    coloured = "[b][$normalized-color]normalized[/][/b] ahead in 5/5 seeds (95% CI +10 to +46)"
    assert cells(fit([(coloured, True)], 40)) <= 40
    assert "$normalized-color" in fit([(coloured, True)], 40)  # the colour survives


async def test_the_export_notification_shows_the_log_path_whole_at_80x24(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    log = Path.home() / ".local/state/normtui/sessions/20261207-021518-wine.jsonl"
    app = recorded_app(export_dir=tmp_path, log_path=str(log))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause(0.3)
        text = screen_text(app)
    assert "~/.local/state/normtui/sessions/20261207-021518-wine.jsonl" in text
    svg = next(tmp_path.glob("*.svg")).name
    assert f"screenshot {svg}" in text and f"metrics {svg[:-4]}.csv" in text


async def test_the_top_bar_while_a_big_file_loads_at_80x24_is_never_cut() -> None:
    config = SessionConfig(dataset="wine", csv_path="docs/examples/homes.csv", target="price")
    loading = DataLoading(1.0, "homes.csv", 340_000, 410_000.0, 0.34, 0.83)
    app = live_app([loading], config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#top-bar")
        text = bar.render().plain
        assert cells(text) <= bar.content_size.width
        assert "340,000 rows read (34%) · 410,000 rows/s · homes.csv" in text
        assert "…" not in text  # the configuration is left out whole, not cut


async def test_after_a_restart_at_120_columns_the_top_bar_keeps_the_seed_count() -> None:
    config = SessionConfig(dataset="wine", seeds=5)
    events = running_session(config, 2)
    events = [*events, PaceChanged(1.0, None), Restarted(1.0, "relu", config.lr), *events[1:3]]
    app = live_app(events, config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = app.screen.query_one("#top-bar").render().plain
    assert "restarts 1" in text and "5 seeds" in text, text


async def test_the_running_top_bar_fits_at_80x24() -> None:
    config = SessionConfig(dataset="wine", seeds=5)
    app = live_app(running_session(config, 2), config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#top-bar")
        assert cells(bar.render().plain) <= bar.content_size.width
