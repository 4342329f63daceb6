"""The inputs pane: every feature on some page `i` reaches, with the page hint on screen, at
120x40 and 80x24 (overlay too), and the classes with the majority-class baseline (issue 25)."""

from __future__ import annotations

import dataclasses
import html
import re

from conftest import settle
from fake_source import WINE_FEATURES
from test_tui_honest import live_app, running_session

from normtui.engine.config import SessionConfig
from normtui.engine.events import SessionStarted

DIGITS = tuple(f"pixel_{row}_{col}" for row in range(8) for col in range(8))


def screen_text(app) -> str:
    svg = app.export_screenshot()
    text = html.unescape(" ".join(re.findall(r"<text[^>]*>(.*?)</text>", svg)))
    return " ".join(text.replace("\xa0", " ").split())


def digits_like(started: SessionStarted) -> SessionStarted:
    """64 pixels, a few constant (digits' blank border), the others 0.1 to 6.5."""
    stds = tuple(0.0 if n in (0, 32, 39) else 0.1 + (n * 37 % 64) / 10 for n in range(64))
    return dataclasses.replace(
        started,
        dataset="digits",
        n_features=64,
        n_classes=10,
        feature_names=DIGITS,
        raw_feature_std=stds,
        scaled_feature_std=tuple(0.0 if std == 0 else 1.0 for std in stds),
    )


async def _pages(app, pilot, names: tuple[str, ...], *, pages: int) -> tuple[set[str], list[str]]:
    """Names seen (their first 12 characters: narrow cells shorten them) over `pages` presses of
    `i`, and the screen text of each page."""
    seen: set[str] = set()
    texts = []
    for _ in range(pages):
        text = screen_text(app)
        texts.append(text)
        seen |= {name for name in names if name[:12] in text}
        await pilot.press("i")
        await pilot.pause()
    return seen, texts


async def _check_every_feature(size, names, started_of, keys=(), pages=12) -> None:
    config = SessionConfig(dataset="wine")
    events = running_session(config, 2)
    events[0] = started_of(events[0])
    app = live_app(events, config)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.dashboard.sync()
        await pilot.pause()
        inputs = app.screen.query_one("#inputs")
        body = app.screen.query_one("#dashboard")
        assert inputs.region.height > 0, "the inputs pane is on screen"
        assert inputs.region.bottom <= body.region.bottom, "its bottom border is on screen"
        seen, texts = await _pages(app, pilot, names, pages=pages)
    assert seen == set(names), f"{size} {keys}: never shown: {sorted(set(names) - seen)}"
    for text in texts:
        assert f"of {len(names)} · i next" in text, f"{size} {keys}: no page hint on a page"


async def test_every_digits_pixel_is_reachable_at_120x40() -> None:
    await _check_every_feature((120, 40), DIGITS, digits_like, pages=6)


async def test_every_wine_feature_is_reachable_at_80x24() -> None:
    await _check_every_feature((80, 24), WINE_FEATURES, lambda started: started, keys=("5",))


async def test_every_wine_feature_is_reachable_at_80x24_in_the_overlay() -> None:
    await _check_every_feature(
        (80, 24), WINE_FEATURES, lambda started: started, keys=("5", "o"), pages=14
    )


async def test_every_digits_pixel_is_reachable_at_80x24() -> None:
    await _check_every_feature((80, 24), DIGITS, digits_like, keys=("5",), pages=24)


def mixed_case(started: SessionStarted) -> SessionStarted:
    return dataclasses.replace(
        started,
        n_classes=4,
        class_names=("No", "Yes", "no", "yes"),
        class_counts=(97, 79, 73, 51),
        majority_baseline=0.32,
    )


async def test_the_dashboard_shows_the_classes_the_baseline_and_warns_of_case() -> None:
    config = SessionConfig(dataset="wine")
    events = running_session(config, 2)
    events[0] = mixed_case(events[0])
    for size in ((120, 40), (80, 24)):
        app = live_app(events, config)
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            warning = "warning: 4 classes, not 2: labels differ only in case or spaces"
            assert any(warning in str(n.message) for n in app._notifications), size
            gauges = app.screen.query_one("#normalized-gauges")
            val_row = str(gauges.render()).splitlines()[0]
            assert "│" in val_row, f"{size}: the baseline is marked on the val gauge"
            if size == (80, 24):  # compact: the inputs pane is hidden until `5`
                await pilot.press("5")
                await pilot.pause()
            text = str(app.screen.query_one("#inputs").render())
            assert "4 classes: No (97) · Yes (79) · no (73) · yes (51)" in text, size
            assert "largest class" in text and "32%" in text
            assert warning in text
