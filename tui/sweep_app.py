"""The sweep app: the live matrix (SweepScreen), fed finished cells from the sweep's thread.

The sweep thread only appends to a deque; a 10 Hz timer in the UI thread folds what arrived
into the table and redraws the progress line, so a burst of cells never floods the event loop.
Enter on a cell ends the app with that cell; the launcher then opens it in the dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches

from normtui.engine.sweep.plan import Cell, SweepPlan
from normtui.engine.sweep.results import CellResult
from normtui.tui.screens.sweep import ProgressLike, SweepScreen
from normtui.tui.signals import SIGNAL_EXIT_CODES
from normtui.tui.theme_loader import RUN_VARIABLES, resolve_theme, themes_with

TICK_S = 0.1


class SweepApp(App[Cell | None]):
    """`normtui sweep` on a terminal."""

    CSS_PATH = Path(__file__).with_name("sweep.tcss")
    TITLE = "normtui sweep"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        plan: SweepPlan,
        results: Mapping[str, CellResult],
        *,
        progress: ProgressLike,
        metric: str = "accuracy",
        theme_name: str = "dark",
        handle_signals: bool = True,
        cursor: Cell | None = None,
    ) -> None:
        super().__init__()
        self._arrived: deque[CellResult] = deque()
        self._screen = SweepScreen(plan, results, metric=metric, progress=progress, cursor=cursor)
        self._handle_signals = handle_signals
        self.exit_reason = "quit"
        chosen, warning = resolve_theme(theme_name)
        self._theme_warning = warning
        for each in themes_with(chosen):
            self.register_theme(each)
        self.theme = chosen.name

    def get_default_screen(self) -> SweepScreen:
        return self._screen

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**RUN_VARIABLES, "rule-color": "#808080"}

    @property
    def sweep_screen(self) -> SweepScreen:
        return self._screen

    def post_result(self, result: CellResult) -> None:
        """Any thread: a finished cell, shown on the next tick."""
        self._arrived.append(result)

    def on_mount(self) -> None:
        self.set_interval(TICK_S, self._tick)
        if self._theme_warning:
            self.notify(self._theme_warning, severity="warning")
        if self._handle_signals and threading.current_thread() is threading.main_thread():
            loop = asyncio.get_running_loop()
            for name in SIGNAL_EXIT_CODES:
                number = getattr(signal, name, None)
                if number is not None and signal.getsignal(number) != signal.SIG_IGN:
                    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                        loop.add_signal_handler(number, self._on_signal, name)

    def _on_signal(self, name: str) -> None:
        self.exit_reason = name
        self.exit(None, return_code=SIGNAL_EXIT_CODES[name])

    def action_interrupt(self) -> None:
        self._on_signal("SIGINT")

    def _tick(self) -> None:
        screen = self._screen
        if not screen.ready or self._exit or not screen.is_attached:
            return  # not built yet, or quitting
        # run_test's (and a signal's) shutdown removes the widgets before the timer stops: a
        # last tick then finds nothing to draw on (the results are in the JSONL file already)
        with contextlib.suppress(NoMatches):
            while self._arrived:
                screen.add_result(self._arrived.popleft())
            screen.draw_progress()
