"""Validation and training accuracy (R² for regression) as bars, with the best and the goal.

With several seeds the bar is the members' mean and its shading their spread: `█` up to the
lowest member, `▓` on to the mean, `░` on to the highest (glyphs, so it reads under NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

from normtui.tui.viewstate.state import RunView
from normtui.tui.widgets.format import bar, fmt_pct, fmt_r2

Spread = tuple[float, float] | None
BASELINE_GLYPH = "│"  # on the val bar: what always predicting the largest class scores


def spread_bar(mean: float, spread: Spread, width: int) -> str:
    """The mean as a bar; with a spread, `█` to the lowest member, `▓` to the mean, `░` to the
    highest (whole cells: the numbers beside it carry the precision)."""
    if spread is None:
        return bar(max(0.0, mean), width)

    def cell(value: float) -> int:
        return round(min(max(value, 0.0), 1.0) * width)

    low, mean_cell, high = cell(spread[0]), cell(mean), cell(spread[1])
    mean_cell = min(max(mean_cell, low), high)
    return "█" * low + "▓" * (mean_cell - low) + "░" * (high - mean_cell)


def spread_text(spread: Spread, shown: Callable[[float | None], str]) -> str:
    """`94.4–100%` (or `0.812–0.873` for R²)."""
    if spread is None:
        return ""
    low, high = shown(spread[0]), shown(spread[1])
    return "" if low == high else f"{low.removesuffix('%')}–{high}"


def _mark(filled: str, track: str, cell: int, colour: str) -> str:
    """The val bar with the majority-class baseline's cell drawn as `BASELINE_GLYPH`."""
    cells = [(char, colour) for char in filled] + [(char, "dim") for char in track]
    cells[cell] = (BASELINE_GLYPH, "$text")
    return "".join(f"[{style}]{char}[/]" for char, style in cells)


def _at_divergence(shown: Callable[[float | None], str]) -> Callable[[float | None], str]:
    """The value with a dagger: the run diverged, these are its members' values at divergence
    (the pane's header says where)."""
    return lambda value: shown(value) if value is None else f"{shown(value)}†"


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
        self._spreads: tuple[Spread, Spread] = (None, None)  # val, train over the seeds
        # (several seeds: "best mean", the best of the mean curve; every member diverged: the
        # values are theirs at divergence, said as "at div")
        self._labels: tuple[bool, bool] = (False, False)
        self._baseline: float | None = None  # val accuracy of always answering the largest class

    def show(self, view: RunView, goal: float, baseline: float | None = None) -> None:
        """The run's numbers from the one fold (engine/fold.py), the ones `train` prints."""
        fold = view.members
        values = (
            fold.val_score,
            fold.best_mean,
            fold.train_score,
            fold.best_mean_train,
            fold.best_mean_epoch or 0,
            goal,
        )
        regression = fold.regression
        spreads = (fold.score_spread(), fold.score_spread(train=True))
        labels = (fold.count > 1, fold.at_divergence)
        baseline = None if regression else baseline
        if (values, regression, spreads, labels, baseline) != (
            self._values,
            self._regression,
            self._spreads,
            self._labels,
            self._baseline,
        ):
            self._values, self._regression, self._spreads = values, regression, spreads
            self._labels, self._baseline = labels, baseline
            self.refresh()

    def render(self) -> RenderResult:
        val, best_val, train, best_train, best_epoch, goal = self._values
        width = self.size.width
        seeds = any(spread is not None for spread in self._spreads)
        label_w, tail_w = 9 if self._regression else 6, 24 if width >= 56 else 8
        if seeds and width >= 56:
            tail_w += 12  # room for the members' range
        shown = fmt_r2 if self._regression else fmt_pct
        several, at_divergence = self._labels
        best_word = "best mean" if several else "best"
        # every member diverged: the members' last values before they diverged, not a live mean
        current = _at_divergence(shown) if at_divergence else shown
        rows_in = (
            ("val", val, best_val, f" e{best_epoch}" if best_epoch else "", self._spreads[0]),
            ("train", train, best_train, "", self._spreads[1]),
        )

        baseline = self._baseline

        def tails(best_too: bool, base_too: bool = False) -> list[str]:
            out = []
            for label, value, best, extra, spread in rows_in:
                tail = f" {current(value):>6}"
                if tail_w > 8 and spread is not None:
                    tail += f" [dim]{spread_text(spread, shown):<11}[/]"
                if tail_w > 8 and best_too:
                    tail += f" [dim]{best_word} {shown(best)}{extra}[/]"
                if base_too and label == "val" and baseline is not None:
                    tail += f" [dim]{BASELINE_GLYPH} largest class {baseline:.0%}[/]"
                out.append(tail)
            return out

        # a tail longer than its room (R² -173.705) wrapped and pushed the train row out of
        # sight: the baseline's words go first, then the best values (the bars keep the other
        # pane's width), then the bar gives way
        room = width - label_w - tail_w - 1  # the bar's usual width
        for best_too, base_too in ((True, True), (True, False), (False, False)):
            texts = tails(best_too, base_too)
            longest = max(Content.from_markup(t).cell_length for t in texts)
            if width - label_w - longest - 1 >= room // 2:
                break
        bar_w = max(4, width - label_w - max(tail_w, longest) - 1)
        colour = f"${self.run}-color"
        rows = []
        for (label, value, _, _, spread), tail in zip(rows_in, texts, strict=True):
            filled = spread_bar(value or 0.0, spread, bar_w)
            goal_cell = min(bar_w - 1, int(goal * bar_w))
            track = "".join(
                "┊" if i == goal_cell and i >= len(filled) else "·"
                for i in range(len(filled), bar_w)
            )
            drawn = f"[{colour}]{filled}[/][dim]{track}[/]"
            if label == "val" and baseline is not None:
                drawn = _mark(filled, track, min(bar_w - 1, int(baseline * bar_w)), colour)
            if self._regression:
                label += " R²"
            rows.append(f"{label:<{label_w}}{drawn}{tail}")
        return "\n".join(rows)
