"""The dashboard app (`normtui`, `replay`, `watch`): the shared base around one `SessionScreen`.

Themes, notifications, signals and the exit deadline are `NormtuiBase`'s; the keys, the source
and what it teaches the state are the screen's. The app only builds the screen and stops its
source on every way out.
"""

from __future__ import annotations

from typing import Unpack

from normtui.engine.config import SessionConfig
from normtui.themes import DEFAULT_THEME
from normtui.tui.base_app import NormtuiBase
from normtui.tui.screens.session import ScreenOptions, SessionScreen
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
        theme: str = DEFAULT_THEME,
        handle_signals: bool = True,
        **options: Unpack[ScreenOptions],
    ) -> None:
        """`options` go to the screen as they are. A theme that cannot be loaded falls back to
        the default, and the app says why."""
        chosen, theme_error = resolve_theme(theme)
        super().__init__(theme=chosen, theme_error=theme_error, handle_signals=handle_signals)
        self._dashboard = SessionScreen(source, DashboardState(config), **options)

    def get_default_screen(self) -> SessionScreen:
        return self._dashboard

    def stop_work(self) -> None:
        self._dashboard.stop_source()

    # -- the screen (its keys, pump and ingest) and its state, for tests and benchmarks ----
    @property
    def dashboard(self) -> SessionScreen:
        return self._dashboard

    @property
    def state(self) -> DashboardState:
        return self._dashboard.state

    @property
    def source(self) -> EventSource:
        return self._dashboard.source


# The CLI, replays and tests build the dashboard by this name; one signature, the app's own.
make_app = NormtuiApp
