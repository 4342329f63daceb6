"""The dashboard app (`normtui`, `replay`, `watch`): the shared base around one `SessionScreen`.

Themes, notifications, signals and the exit deadline are `NormtuiBase`'s; the keys, the source
and what it teaches the state are the screen's. The app only builds the screen and stops its
source on every way out.
"""

from __future__ import annotations

from pathlib import Path

from textual.theme import Theme

from normtui.engine.config import SessionConfig
from normtui.engine.events import Event
from normtui.themes import DEFAULT_THEME
from normtui.tui.base_app import NormtuiBase
from normtui.tui.screens.session import SessionScreen
from normtui.tui.theme_loader import resolve_theme
from normtui.tui.viewstate.source import EventSource
from normtui.tui.viewstate.state import DashboardState


class NormtuiApp(NormtuiBase):
    """The live (or replayed) comparison of the raw and normalized runs."""

    CSS_PATH = "app.tcss"
    TITLE = "normtui"

    def __init__(
        self,
        source: EventSource,
        *,
        config: SessionConfig,
        theme: Theme,
        theme_error: str | None = None,
        log_path: str | None = None,
        low_bandwidth: bool = False,
        export_dir: Path | None = None,
        handle_signals: bool = True,
        missing_log: str | None = None,
    ) -> None:
        super().__init__(theme=theme, theme_error=theme_error, handle_signals=handle_signals)
        self._dashboard = SessionScreen(
            source,
            DashboardState(config),
            low_bandwidth=low_bandwidth,
            log_path=log_path,
            export_dir=export_dir,
            missing_log=missing_log,
        )

    def get_default_screen(self) -> SessionScreen:
        return self._dashboard

    def stop_work(self) -> None:
        self._dashboard.stop_source()

    # -- the screen's, for tests and benchmarks --------------------------------------------
    @property
    def dashboard(self) -> SessionScreen:
        return self._dashboard

    @property
    def state(self) -> DashboardState:
        return self._dashboard.state

    @property
    def source(self) -> EventSource:
        return self._dashboard.source

    @property
    def ticking(self) -> bool:
        return self._dashboard.ticking

    def tick(self) -> None:
        self._dashboard.tick()

    def sync(self) -> None:
        self._dashboard.sync()

    def ingest(self, events: list[Event]) -> bool:
        return self._dashboard.ingest(events)

    def key_table(self) -> list[tuple[str, str]]:
        return self._dashboard.key_table()


def make_app(
    source: EventSource,
    *,
    config: SessionConfig,
    theme: str = DEFAULT_THEME,
    log_path: str | None = None,
    low_bandwidth: bool = False,
    export_dir: Path | None = None,
    handle_signals: bool = True,
    missing_log: str | None = None,
) -> NormtuiApp:
    """Build the dashboard the same way for the CLI, replays and tests.

    A theme that cannot be loaded falls back to the default, and the app says why on screen.
    """
    chosen, error = resolve_theme(theme)
    return NormtuiApp(
        source,
        config=config,
        theme=chosen,
        theme_error=error,
        log_path=log_path,
        low_bandwidth=low_bandwidth,
        export_dir=export_dir,
        handle_signals=handle_signals,
        missing_log=missing_log,
    )
