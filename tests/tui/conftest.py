"""Fixtures for the dashboard tests: a fake live source, a recorded session, app factories."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from normtui.engine.config import SessionConfig
from normtui.tui.app import NormtuiApp, make_app

sys.path.insert(0, str(Path(__file__).parent))

from fake_source import FakeSession, ReplaySource, read_events

FIXTURE = Path(__file__).parent / "fixtures" / "wine_relu_tanh.jsonl"
SEEDS_FIXTURE = FIXTURE.with_name("wine_relu_tanh_5seeds.jsonl")  # make_fixture.py --seeds 5


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Let the app run until `condition()` holds (the UI drains events at 20 Hz)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.05)


def recorded_app(
    *, theme: str = "dark", live: bool = True, fixture: Path = FIXTURE, **options: object
) -> NormtuiApp:
    """The dashboard fed the recorded wine session (deterministic: no trainer thread);
    `fixture`: another recording, e.g. SEEDS_FIXTURE (5 seeds per run)."""
    header, events = read_events(fixture)
    config = SessionConfig.from_dict(header["config"])
    source = ReplaySource(events, live=live)
    return make_app(source, config=config, theme=theme, handle_signals=False, **options)


async def settle(pilot: Pilot) -> None:
    """Wait for the source to start, then draw everything at once (skipping the throttle)."""
    await pilot.pause()
    app = pilot.app
    assert isinstance(app, NormtuiApp)
    app.dashboard.sync()
    await pilot.pause()


@pytest.fixture
def fake_config() -> SessionConfig:
    return SessionConfig(dataset="wine", epochs=None, pace=50.0)


@pytest.fixture
def fake_app(fake_config: SessionConfig, tmp_path: Path) -> NormtuiApp:
    source = FakeSession(fake_config)
    return make_app(source, config=fake_config, export_dir=tmp_path, handle_signals=False)


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Every test must leave no trainer thread behind."""
    yield
    import threading

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        alive = [t for t in threading.enumerate() if t.name in ("fake-trainer", "normtui-trainer")]
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError(f"threads left running: {alive}")


__all__ = [
    "FIXTURE",
    "SEEDS_FIXTURE",
    "FakeSession",
    "asyncio",
    "recorded_app",
    "settle",
    "wait_until",
]
