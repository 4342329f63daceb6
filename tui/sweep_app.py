"""The sweep app: the live matrix (SweepScreen), and a cell's dashboard pushed over it.

`Enter` on a cell opens that cell's exact configuration as a live session in a `SessionScreen`
on top of the matrix; `esc` stops that session and pops back to the matrix, the cursor where it
was. The sweep trains on meanwhile: the cell's dashboard is paced (20 epochs/s, a few percent of
a core on the small presets), so pausing the sweep would cost more than it saves (and a sweep on
`--jobs` or a Dask cluster trains elsewhere anyway).

The sweep's thread never touches the UI: it posts `CellFinished` / `SweepEnded` messages, each
carrying the result and a copy of the progress taken in that thread, which nothing else writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

from textual.app import CSSPathType
from textual.message import Message
from textual.theme import Theme

from normtui.engine.sweep.plan import Cell, SweepPlan
from normtui.engine.sweep.results import CellResult
from normtui.tui.base_app import NormtuiBase
from normtui.tui.screens.session import SessionScreen
from normtui.tui.screens.sweep import ProgressLike, SweepScreen
from normtui.tui.viewstate.source import EventSource
from normtui.tui.viewstate.state import DashboardState

HERE = Path(__file__).parent


class CellSession:
    """What opening a cell needs from its launcher: a source to watch, and its end."""

    def __init__(
        self, source: EventSource, close: Callable[[str], list[str]], log_path: str | None = None
    ) -> None:
        self.source = source
        self.close = close  # stop it (reason); returns the lines to print at exit
        self.log_path = log_path


# Opens a cell: its session (not started yet) and its config's state.
CellOpener = Callable[[Cell], tuple[CellSession, DashboardState]]


class CellFinished(Message):
    """From the sweep's thread: a cell's result and the progress just after it."""

    def __init__(self, result: CellResult, progress: ProgressLike) -> None:
        super().__init__()
        self.result = result
        self.progress = progress


class SweepEnded(Message):
    """From the sweep's thread: every cell is done, or the sweep stopped (the clock stopped)."""

    def __init__(self, progress: ProgressLike) -> None:
        super().__init__()
        self.progress = progress


class SweepApp(NormtuiBase):
    """`normtui sweep` on a terminal."""

    CSS_PATH: ClassVar[CSSPathType | None] = [HERE / "app.tcss", HERE / "sweep.tcss"]
    TITLE = "normtui sweep"

    def __init__(
        self,
        plan: SweepPlan,
        results: Mapping[str, CellResult],
        *,
        progress: ProgressLike,
        theme: Theme,
        theme_error: str | None = None,
        metric: str = "accuracy",
        handle_signals: bool = True,
        open_cell: CellOpener | None = None,
        on_start: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(theme=theme, theme_error=theme_error, handle_signals=handle_signals)
        self._matrix = SweepScreen(plan, results, metric=metric, progress=progress)
        self._open_cell = open_cell
        self._on_start = on_start  # starts the sweep's thread, once the app can take messages
        self._on_stop = on_stop  # stops it (the exit deadline's thread may call it)
        self._cells: list[tuple[SessionScreen, CellSession]] = []
        self.notes: list[str] = []  # lines for the terminal, printed once the screen is gone

    def get_default_screen(self) -> SweepScreen:
        return self._matrix

    @property
    def sweep_screen(self) -> SweepScreen:
        return self._matrix

    def on_mount(self) -> None:
        if self._on_start is not None:
            self._on_start()

    def on_cell_finished(self, message: CellFinished) -> None:
        self._matrix.add_result(message.result, message.progress)

    def on_sweep_ended(self, message: SweepEnded) -> None:
        self._matrix.set_progress(message.progress)

    def on_sweep_screen_cell_chosen(self, message: SweepScreen.CellChosen) -> None:
        if self._open_cell is None:
            self.notify("this sweep cannot open a cell", severity="warning", kind="cell")
            return
        try:
            cell_session, state = self._open_cell(message.cell)
        except Exception as error:  # e.g. an unwritable log folder: the matrix stays
            self.notify(
                f"could not open {message.cell.label()}: {error}",
                severity="error",
                timeout=10,
                kind="cell",
            )
            return
        screen = SessionScreen(
            cell_session.source, state, log_path=cell_session.log_path, back=True
        )
        entry = (screen, cell_session)
        self._cells.append(entry)

        def closed(_result: object) -> None:
            self._close_cell(entry, "back")

        self.push_screen(screen, closed)

    def _close_cell(self, entry: tuple[SessionScreen, CellSession], reason: str) -> None:
        if entry not in self._cells:
            return
        self._cells.remove(entry)
        screen, cell_session = entry
        screen.stop_source(reason)
        self.notes += cell_session.close(reason)

    def stop_work(self) -> None:
        for entry in list(self._cells):
            self._close_cell(entry, self.exit_reason)
        if self._on_stop is not None:
            self._on_stop()
