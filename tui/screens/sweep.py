"""The sweep's live matrix: per dataset, activations × scalers, one metric at a time.

A cell is coloured better or worse only where its comparison names a winner (the interval
excludes zero); ▲ / ▼ say the same without colour (NO_COLOR). The line under the table gives the
cell under the cursor in words, with its 95% interval.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from normtui.engine.statistics import CONTROL_METHOD, INTERVAL_METHOD
from normtui.engine.sweep.plan import BASELINE, Cell, SweepPlan
from normtui.engine.sweep.results import CellResult
from normtui.tui.base_app import NormtuiBase
from normtui.tui.sweep_view import (
    BASE,
    BETTER,
    FAILED,
    NOT_APPLICABLE,
    PENDING,
    SAME,
    WORSE,
    CellView,
    cell_view,
    controlled,
    dataset_title,
    metric_title,
    metrics_for,
)

TICK_S = 0.1  # the progress line's clock (its rate and ETA move between cells)
METRIC_KEYS = {"1": "accuracy", "2": "speed", "3": "loss", "4": "share", "5": "rates"}
METRIC_NAMES = {
    "accuracy": "val accuracy",
    "speed": "epochs to goal",
    "loss": "val loss",
    "share": "dead/saturated",
    "rates": "rates that work",
}


class ProgressLike(Protocol):
    """The sweep's progress as the screen reads it: a copy the sweep's thread no longer writes."""

    @property
    def total(self) -> int: ...

    @property
    def done(self) -> int: ...

    def line(self) -> str: ...


def column_title(scaler: str) -> str:
    return "raw" if scaler == BASELINE else scaler


class SweepHelp(ModalScreen[None]):
    """Keys and how to read the matrix."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "close", "Close help", id="close-help"),
    ]

    def compose(self) -> ComposeResult:
        keys = [
            ("arrows", "move between cells"),
            ("m / M", "next / previous metric"),
            ("1-4", "accuracy, epochs to goal, loss, dead/saturated"),
            ("5", "(--lrs) how many rates each run works at"),
            ("enter", "open this cell's exact configuration in the live dashboard"),
            ("", "(esc there comes back here; the sweep trains on meanwhile)"),
            ("t", "next colour theme"),
            ("?", "this help"),
            ("q", "quit (finished cells stay in the results file; --resume continues)"),
        ]
        width = max(len(key) for key, _ in keys)
        lines = [f"[b]{key.rjust(width)}[/b]  {text}" for key, text in keys]
        guide = (
            "[b]Reading the matrix[/b]\n"
            "Each cell is the pair raw vs that scaler (the column), same weights, split and"
            " batch order, over every seed. The raw column is the baseline's own value.\n"
            "▲ normalized better, ▼ worse: only where the 95% interval lies beyond ±δ"
            f" ({INTERVAL_METHOD}), after {CONTROL_METHOD} over the matrix's cells; ="
            " equivalent within ±δ. Dead/saturated: only where every seed of one run is below"
            " every seed of the other. No mark: inconclusive.\n"
            "Epochs to goal: raw's median ÷ normalized's; >N× when raw's median never reached"
            " the goal (then the exact sign test on the seeds' known orders decides).\n"
            "With --lrs each run trains every rate; its rate is chosen on the validation rows"
            " and every verdict is on held-out test rows, each run at its own chosen rate. Rates"
            " that work (5): how many rates come within the margin of each run's best."
        )
        with VerticalScroll(id="sweep-help-body") as body:
            body.border_title = "normtui sweep · keys"
            body.border_subtitle = "Esc / ? closes"
            yield Static("\n".join(lines))
            yield Static(guide, id="sweep-help-guide")

    def action_close(self) -> None:
        self.dismiss(None)


class SweepScreen(Screen[None]):
    """Matrix, the cursor's cell in words, progress."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "metric(1)", "Metric", id="next-metric"),
        Binding("M", "metric(-1)", "Prev metric", id="prev-metric", show=False),
        *(
            Binding(key, f"set_metric('{name}')", METRIC_NAMES[name], show=False)
            for key, name in METRIC_KEYS.items()
        ),
        Binding("enter", "open_cell", "Open in dashboard", id="open-cell", priority=True),
        Binding("t", "next_theme", "Theme", id="theme", show=False),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit_sweep", "Quit", id="quit"),
    ]

    class CellChosen(Message):
        """Enter on a cell: the app opens its dashboard over the matrix."""

        def __init__(self, cell: Cell) -> None:
            super().__init__()
            self.cell = cell

    def __init__(
        self,
        plan: SweepPlan,
        results: Mapping[str, CellResult],
        *,
        metric: str,
        progress: ProgressLike,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.results = dict(results)
        self.shown = controlled(self.results)  # what the matrix marks: controlled together
        self.metric = metric
        self.progress = progress
        self._rows: list[tuple[str, str]] = [
            (dataset, activation) for dataset in plan.datasets for activation in plan.activations
        ]
        self.message = ""
        self.ready = False  # the table is built: results and progress may be drawn

    def compose(self) -> ComposeResult:
        yield Static(id="sweep-title")
        with Vertical(id="sweep-body"):
            yield DataTable(id="sweep-table", cursor_type="cell", zebra_stripes=False)
            yield Static(id="sweep-detail")
        with Vertical(id="sweep-progress"):
            yield ProgressBar(total=self.progress.total, show_eta=False, id="sweep-bar")
            yield Static(id="sweep-rate")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        dataset_width = max(len(dataset_title(d)) for d in self.plan.datasets)
        self._label_width = dataset_width + 1 + max(len(a) for a in self.plan.activations)
        for scaler in self.plan.scalers:
            title = column_title(scaler)
            table.add_column(Text(title, justify="right"), key=scaler, width=max(len(title), 6))
        previous = None
        for dataset, activation in self._rows:
            shown = dataset_title(dataset) if dataset != previous else ""
            previous = dataset
            label = Text(f"{shown:<{dataset_width}} ", style="bold")
            label.append(activation, style="")
            table.add_row(
                *self._row_cells(dataset, activation), key=f"{dataset}|{activation}", label=label
            )
        self.refresh_all()
        table.focus()
        self.ready = True
        self.set_interval(TICK_S, self.draw_progress)

    # -- drawing -----------------------------------------------------------------------------
    def _styled(self, view: CellView) -> Text:
        theme = self.app.current_theme
        styles = {
            BETTER: f"bold {theme.success}",
            WORSE: f"bold {theme.error}",
            BASE: "italic",
            PENDING: "dim",
            NOT_APPLICABLE: "dim",
            FAILED: "reverse",
            SAME: "bold",
        }
        return Text(view.marked, style=styles.get(view.tone, ""), justify="right")

    def _row_cells(self, dataset: str, activation: str) -> list[Text]:
        return [
            self._styled(cell_view(self.shown.get(Cell(dataset, activation, s).key), self.metric))
            for s in self.plan.scalers
        ]

    def refresh_all(self) -> None:
        table = self.query_one(DataTable)
        for dataset, activation in self._rows:
            for scaler in self.plan.scalers:
                self._update_cell(table, Cell(dataset, activation, scaler))
        self._draw_title()
        self._draw_detail()
        self.draw_progress()

    def _update_cell(self, table: DataTable, cell: Cell) -> None:
        view = cell_view(self.shown.get(cell.key), self.metric)
        table.update_cell(f"{cell.dataset}|{cell.activation}", cell.scaler, self._styled(view))

    def _draw_title(self) -> None:
        title = (
            f"[b]normtui sweep[/b] ·"
            f" {metric_title(self.metric, self._tasks(), rows='test' if self.plan.lrs else 'val')}"
            " ·"
            f" {self.plan.seeds} seed(s),"
            f" {self.plan.epochs} epochs"
        )
        self.query_one("#sweep-title", Static).update(title)

    def cursor_cell(self) -> Cell | None:
        table = self.query_one(DataTable)
        if not self._rows:
            return None
        row, column = table.cursor_coordinate
        dataset, activation = self._rows[min(row, len(self._rows) - 1)]
        return Cell(dataset, activation, self.plan.scalers[min(column, len(self.plan.scalers) - 1)])

    def _draw_detail(self) -> None:
        cell = self.cursor_cell()
        if cell is None:
            return
        view = cell_view(self.shown.get(cell.key), self.metric)
        head = Text(cell.label(), style="bold")
        body = view.detail or ("not finished yet" if view.tone == PENDING else "")
        text = Text.assemble(head, "\n", body)
        if self.message:
            text.append(f"\n{self.message}", style="italic")
        self.query_one("#sweep-detail", Static).update(text)

    def draw_progress(self) -> None:
        if not self.ready or not self.is_attached:
            return  # not built yet, or torn down
        # at exit the widgets go before the timer stops: a last tick finds nothing to draw on
        with contextlib.suppress(NoMatches):
            bar = self.query_one(ProgressBar)
            bar.update(total=self.progress.total, progress=self.progress.done)
            self.query_one("#sweep-rate", Static).update(self.progress.line())

    # -- updates -----------------------------------------------------------------------------
    def _tasks(self) -> set[str]:
        return {result.task for result in self.results.values() if not result.error}

    def set_progress(self, progress: ProgressLike) -> None:
        self.progress = progress
        self.draw_progress()

    def add_result(self, result: CellResult, progress: ProgressLike | None = None) -> None:
        """A finished cell (and the progress just after it), drawn at once; the matrix's marks
        are re-decided together (one more cell can change another's mark)."""
        if progress is not None:
            self.progress = progress
        self.results[result.cell.key] = result
        self.shown = controlled(self.results)
        if not self.ready:  # before the first frame: drawn with the rest in on_mount
            return
        self.refresh_all()

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._draw_detail()

    # -- actions -----------------------------------------------------------------------------
    def action_metric(self, step: int) -> None:
        metrics = metrics_for(self.plan)
        index = (metrics.index(self.metric) + step) % len(metrics) if self.metric in metrics else 0
        self.action_set_metric(metrics[index])

    def action_set_metric(self, name: str) -> None:
        if name not in metrics_for(self.plan):
            self.app.bell()  # 5 without a grid: nothing to show
            return
        self.metric = name
        self.refresh_all()

    def action_open_cell(self) -> None:
        cell = self.cursor_cell()
        if cell is not None:
            self.post_message(self.CellChosen(cell))

    def action_next_theme(self) -> None:
        if isinstance(self.app, NormtuiBase):
            self.app.next_theme()
        self.refresh_all()  # the marks' colours are the theme's

    def action_help(self) -> None:
        self.app.push_screen(SweepHelp())

    def action_quit_sweep(self) -> None:
        self.app.exit()

    def move_to(self, cell: Cell) -> None:
        """Put the cursor on `cell` (tests)."""
        row = self._rows.index(cell.row)
        column = self.plan.scalers.index(cell.scaler)
        self.query_one(DataTable).cursor_coordinate = Coordinate(row, column)
