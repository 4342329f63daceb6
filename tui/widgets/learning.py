"""The layers pane's second view (`h`): how each hidden layer learns, over the epochs.

Per layer two lines: the update-to-weight ratio ‖ΔW‖/‖W‖ of an epoch as log10 (about −3 is the
usual healthy value; −5 barely moves, −1 lurches) and the gradient norm (drawn on a log axis).
Both runs' panes use one axis per line, so equal heights are equal values across the panes, and
one x-axis (epoch 1 to the later run's last sampled epoch). Each row ends with the latest value
and the axis's span.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

from normtui.tui.viewstate.learning import LearningHistory, log10_or_nan
from normtui.tui.widgets.format import fmt_num

LEVELS = "▁▂▃▄▅▆▇█"
HEALTHY_LOG_RATIO = -3.0  # the rule of thumb the help and README quote


def axis(values: Sequence[float]) -> tuple[float, float] | None:
    """(low, high) of the finite values, widened a little when flat; None when there are none."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    return low, high


def line_cells(
    epochs: Sequence[int], values: Sequence[float], last_epoch: int, cells: int, span: tuple
) -> str:
    """`values` at `epochs` as `cells` block characters on the epoch axis 1..last_epoch and the
    value axis `span`: each cell the latest value that falls in it, gaps carried forward."""
    low, high = span
    out = [" "] * cells
    if cells <= 0 or last_epoch <= 0:
        return ""
    level: str | None = None
    by_cell: dict[int, float] = {}
    for epoch, value in zip(epochs, values, strict=True):
        by_cell[min(cells - 1, (epoch - 1) * cells // last_epoch)] = value
    first = min(by_cell) if by_cell else cells
    for cell in range(first, cells):
        if cell in by_cell:
            value = by_cell[cell]
            if math.isfinite(value):
                share = (value - low) / (high - low)
                level = LEVELS[max(0, min(len(LEVELS) - 1, round(share * (len(LEVELS) - 1))))]
            else:
                level = " "
        if level is not None and cell <= max(by_cell):
            out[cell] = level
    return "".join(out)


def _signed(value: float) -> str:
    return f"{value:.1f}".replace("-", "−")


def _latest(values: Sequence[float]) -> float:
    return values[-1] if values else math.nan


def learning_rows(
    own: LearningHistory, other: LearningHistory | None, width: int, colour: str, compact: bool
) -> list[str]:
    """The view's rows (markup): per layer log10 update ratio, then (unless compact) gradient."""
    if not own.points:
        return ["[dim]learning: waiting for stats…[/]"]
    histories = [own] if other is None else [own, other]
    last_epoch = max(h.epochs[-1] for h in histories if h.epochs)
    text_w = 21 if width >= 50 else 7
    cells = max(8, min(60, width - 9 - text_w))
    rows = []
    for layer in range(own.layers):
        ratios = [h.series(layer, 0) for h in histories]
        grads = [[log10_or_nan(g) for g in h.series(layer, 1)] for h in histories]
        for which, (label, series) in enumerate((("Δw/w", ratios), ("‖∇‖ ", grads))):
            if compact and which == 1:
                continue
            span = axis([v for s in series for v in s])
            head = f"L{layer + 1} {label}" if which == 0 else f"   {label}"
            if span is None:
                rows.append(f"{head}  [dim]—[/]")
                continue
            line = line_cells(own.epochs, series[0], last_epoch, cells, span)
            latest = _latest(series[0])
            if which == 0:
                now = _signed(latest) if math.isfinite(latest) else "—"
                ends = f"{_signed(span[0])}…{_signed(span[1])}"
            else:
                now = fmt_num(10**latest, 2) if math.isfinite(latest) else "—"
                ends = f"{fmt_num(10 ** span[0], 2)}…{fmt_num(10 ** span[1], 2)}"
            warn = ""
            if which == 0 and math.isfinite(latest) and latest < HEALTHY_LOG_RATIO - 1.5:
                warn = "$warning"
            value = f"[{warn}]{now}[/]" if warn else now
            tail = f" {value} [dim]({ends})[/]" if width >= 50 else f" {value}"
            rows.append(f"{head} [{colour}]{line}[/]{tail}")
    return rows


class LearningLines(Widget):
    """The layers pane's learning view: the same rows as the histograms it replaces."""

    # unscoped: it also hides the histograms while this view is on (RunPane's -learning class)
    SCOPED_CSS = False
    DEFAULT_CSS = """
    LearningLines {
        height: auto;
        display: none;
        border-top: solid $rule-color;
        border-title-color: $text-muted;
    }
    .run-pane.-learning LearningLines { display: block; }
    .run-pane.-learning LayerHistograms { display: none; }
    #dashboard.-hide-hists LearningLines { display: none; }
    #dashboard.-compact LearningLines { border-top: none; }
    """

    def __init__(self, run: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run = run
        self.compact = False
        self._own = LearningHistory()
        self._other: LearningHistory | None = None
        self._key: object = None
        self._shown_rows = 1

    def show(self, own: LearningHistory, other: LearningHistory | None) -> None:
        key = (
            len(own.epochs),
            own.epochs[-1] if own.epochs else 0,
            len(other.epochs) if other else 0,
            other.epochs[-1] if other and other.epochs else 0,
            self.compact,
        )
        self._own, self._other = own, other
        if key == self._key:
            return
        self._key = key
        rows = self._rows()
        self.refresh(layout=rows != self._shown_rows)
        self._shown_rows = rows

    def _rows(self) -> int:
        return max(1, self._own.layers * (1 if self.compact else 2))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._rows()

    def render(self) -> RenderResult:
        colour = f"${self.run}-color"
        return "\n".join(
            learning_rows(self._own, self._other, self.size.width, colour, self.compact)
        )
