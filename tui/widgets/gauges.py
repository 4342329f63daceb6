"""Validation and training accuracy (R² for regression) as bars, with the best and the goal."""

from __future__ import annotations

from textual.app import RenderResult
from textual.widget import Widget

from normtui.tui.viewstate.state import RunView
from normtui.tui.widgets.format import bar, fmt_pct, fmt_r2


class AccuracyGauges(Widget):
    """Two rows: `val` and `train` accuracy bars in the run's colour."""

    DEFAULT_CSS = "AccuracyGauges { height: 2; }"

    def __init__(self, run: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run = run
        self._values: tuple[float | None, float | None, float | None, float | None, int, float] = (
            None,
            None,
            None,
            None,
            0,
            0.95,
        )
        self._regression = False  # R² (a bar from 0 to 1, printed as 0.873), not accuracy

    def show(self, view: RunView, goal: float) -> None:
        last = view.last
        values = (
            None if last is None else last.val_score,
            view.best_val_accuracy,
            None if last is None else last.train_score,
            view.best_train_accuracy,
            view.best_val_epoch,
            goal,
        )
        regression = last is not None and last.val_r2 is not None
        if values != self._values or regression != self._regression:
            self._values, self._regression = values, regression
            self.refresh()

    def render(self) -> RenderResult:
        val, best_val, train, best_train, best_epoch, goal = self._values
        width = self.size.width
        label_w, tail_w = 9 if self._regression else 6, 24 if width >= 56 else 8
        bar_w = max(4, width - label_w - tail_w - 1)
        colour = f"${self.run}-color"
        rows = []
        shown = fmt_r2 if self._regression else fmt_pct
        for label, value, best, extra in (
            ("val", val, best_val, f" e{best_epoch}" if best_epoch else ""),
            ("train", train, best_train, ""),
        ):
            filled = bar(max(0.0, value or 0.0), bar_w)
            goal_cell = min(bar_w - 1, int(goal * bar_w))
            track = "".join(
                "┊" if i == goal_cell and i >= len(filled) else "·"
                for i in range(len(filled), bar_w)
            )
            tail = f" {shown(value):>6}"
            if tail_w > 8:
                tail += f" [dim]best {shown(best)}{extra}[/]"
            if self._regression:
                label += " R²"
            rows.append(f"{label:<{label_w}}[{colour}]{filled}[/][dim]{track}[/]{tail}")
        return "\n".join(rows)
