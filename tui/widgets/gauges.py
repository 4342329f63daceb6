"""Validation and training accuracy as bars, with the best so far and the goal."""

from __future__ import annotations

from textual.app import RenderResult
from textual.widget import Widget

from normtui.tui.viewstate.state import RunView
from normtui.tui.widgets.format import bar, fmt_pct


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

    def show(self, view: RunView, goal: float) -> None:
        last = view.last
        values = (
            None if last is None else last.val_accuracy,
            view.best_val_accuracy,
            None if last is None else last.train_accuracy,
            view.best_train_accuracy,
            view.best_val_epoch,
            goal,
        )
        if values != self._values:
            self._values = values
            self.refresh()

    def render(self) -> RenderResult:
        val, best_val, train, best_train, best_epoch, goal = self._values
        width = self.size.width
        label_w, tail_w = 6, 24 if width >= 56 else 8
        bar_w = max(4, width - label_w - tail_w - 1)
        colour = f"${self.run}-color"
        rows = []
        for label, value, best, extra in (
            ("val", val, best_val, f" e{best_epoch}" if best_epoch else ""),
            ("train", train, best_train, ""),
        ):
            filled = bar(value or 0.0, bar_w)
            goal_cell = min(bar_w - 1, int(goal * bar_w))
            track = "".join(
                "┊" if i == goal_cell and i >= len(filled) else "·"
                for i in range(len(filled), bar_w)
            )
            tail = f" {fmt_pct(value):>6}"
            if tail_w > 8:
                tail += f" [dim]best {fmt_pct(best)}{extra}[/]"
            rows.append(f"{label:<{label_w}}[{colour}]{filled}[/][dim]{track}[/]{tail}")
        return "\n".join(rows)
