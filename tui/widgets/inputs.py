"""Each input feature's scale (std) before and after the scaler: the cause beside its effect."""

from __future__ import annotations

import math

from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

from normtui.engine.classes import MAX_LISTED, baseline_line, clash_warning, classes_line
from normtui.engine.config import SPREAD_FLOOR
from normtui.engine.events import SessionStarted
from normtui.engine.notices import data_notices
from normtui.tui.widgets.fitting import cells, shorten
from normtui.tui.widgets.format import escape, fmt_num, truncate

CELL_WIDTH = 32  # minimum width of one feature's cell
SCALE_CELLS = 6


# What the bars mean, for the pane's title: the largest std fills all SCALE_CELLS cells.
BAR_LEGEND = f"▪ raw std, log scale: {SCALE_CELLS} = the largest, one less per ×10 smaller"


def _scale_bar(std: float, top: float) -> str:
    """Log-scale bar: one cell per decade below the largest feature std."""
    if std <= 0 or top <= 0:
        return " " * SCALE_CELLS
    decades = math.log10(top / std)
    filled = max(1, SCALE_CELLS - round(decades))
    return "▪" * filled + " " * (SCALE_CELLS - filled)


def _fixed(value: float) -> str:
    """Scaled stds sit near 1: show them with two decimals so equal widths line up."""
    return f"{value:.2f}" if 0.01 <= abs(value) < 100 else fmt_num(value)


def varying_features(raw_std: tuple[float, ...] | list[float]) -> list[int]:
    """Features that vary, by engine.data.presets.feature_spread's rule (one definition everywhere):
    a constant column (digits' blank border pixels) has no scale."""
    top = max(raw_std, default=0.0)
    return [i for i, std in enumerate(raw_std) if std > SPREAD_FLOOR * top]


def _range(values: list[float]) -> tuple[float, float]:
    return (min(values), max(values)) if values else (0.0, 0.0)


class InputsPane(Widget):
    """A grid of `feature  raw std → scaled std`, largest spread first when space is short.

    Every line is fitted to the width (a wrapped header pushed the last row of features, and
    the page hint with it, out of sight), and the height is exactly the lines drawn, so every
    feature is on some page and `i` reaches it.
    """

    DEFAULT_CSS = "InputsPane { height: auto; text-wrap: nowrap; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._started: SessionStarted | None = None
        self.max_rows = 5
        self.page = 0  # which page of features, when they do not all fit (`i` turns it)

    @property
    def paged(self) -> bool:
        """More features than fit: `i` turns the page."""
        started = self._started
        if started is None:
            return False
        return self._n_numeric(started) > self._capacity(self.size.width or 120)

    @staticmethod
    def _n_numeric(started: SessionStarted) -> int:
        # one-hot columns (issue 14) are 0/1 for both runs: listed apart, not in the spread
        names = started.feature_names
        return len(names) if started.n_numeric is None else started.n_numeric

    def _capacity(self, width: int) -> int:
        return self._columns(width) * self.max_rows

    def next_page(self) -> None:
        self.page += 1
        self.refresh()

    def set_max_rows(self, rows: int) -> None:
        """Rows of features per page (the screen lowers it where the pane would overflow)."""
        if rows != self.max_rows:
            self.max_rows = rows
            self.refresh(layout=True)

    def show(self, started: SessionStarted | None) -> bool:
        """Returns whether it changed (and so may change height)."""
        if started is self._started:
            return False
        self._started = started
        self.refresh(layout=True)
        return True

    def _columns(self, width: int) -> int:
        return max(1, width // CELL_WIDTH)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> RenderResult:
        return "\n".join(self._lines(self.size.width))

    def _header(self, started: SessionStarted, width: int) -> str:
        """The first line: how many features and how far apart their scales are, in the
        longest wording that fits."""
        raw, scaled, names = (
            started.raw_feature_std,
            started.scaled_feature_std,
            started.feature_names,
        )
        n_numeric = self._n_numeric(started)
        varying = varying_features(raw[:n_numeric])
        lo, hi = _range([raw[i] for i in varying])
        spread = f"×{hi / lo:,.0f}" if lo > 0 else "—"
        scaled_lo, scaled_hi = _range([scaled[i] for i in varying])
        scaled_spread = f"×{scaled_hi / scaled_lo:,.1f}" if scaled_lo > 0 else "—"
        constant = n_numeric - len(varying)
        notes = [f"{constant} constant"] if constant else []
        if n_numeric < len(names):
            notes.append(f"+{len(names) - n_numeric} one-hot, not scaled")
        if started.imputed_cells:
            notes.append(f"{started.imputed_cells:,} missing cells imputed")
        notes.extend(escape(notice) for notice in data_notices(started))  # dropped, one seed
        note = f" [dim]({'; '.join(notes)})[/]" if notes else ""
        scaler = escape(started.config.get("scaler", "scaler"))
        count = f"[b]{n_numeric} features[/b]{note}"
        raw_range = f"[$raw-color]{fmt_num(lo)} … {fmt_num(hi)} ({spread})[/]"
        scaled_range = (
            f"[$normalized-color]{_fixed(scaled_lo)} … {_fixed(scaled_hi)} ({scaled_spread})[/]"
        )
        forms = (
            f"{count}  training-split std on raw inputs spans {raw_range};  after {scaler}:"
            f" {scaled_range}",
            f"{count}  raw std {raw_range} → {scaler} {scaled_range}",
            f"{count}  raw std [$raw-color]{spread}[/] → {scaler} "
            f"[$normalized-color]{scaled_spread}[/]",
        )
        for form in forms:
            if cells(form) <= width:
                return form
        return shorten(forms[-1], width)

    def _class_lines(self, started: SessionStarted, width: int) -> list[str]:
        """The labels with their rows, what always answering the largest class scores, and a
        warning where labels differ only in case or spaces."""
        if not started.class_names:
            return []
        names, counts = started.class_names, started.class_counts
        baseline = started.majority_baseline
        tail = f"  [dim]{baseline_line(baseline)}[/]" if baseline is not None else ""
        short_tail = f"  [dim]largest class {baseline:.0%}[/]" if baseline is not None else ""
        line = ""
        for limit in range(min(len(names), MAX_LISTED), 0, -1):
            for end in (tail, short_tail, ""):
                candidate = escape(classes_line(names, counts, limit=limit)) + end
                if cells(candidate) <= width:
                    line = candidate
                    break
            if line:
                break
        lines = [line or shorten(escape(classes_line(names, counts, limit=1)), width)]
        warning = clash_warning(names)
        if warning:
            lines.append(f"[$warning]{escape(shorten(warning, width))}[/]")
        return lines

    def _lines(self, width: int) -> list[str]:
        started = self._started
        if started is None:
            return ["[dim]input scales appear once the data is loaded…[/]"]
        raw, scaled = started.raw_feature_std, started.scaled_feature_std
        names = started.feature_names
        columns = self._columns(width)
        capacity = self._capacity(width)
        n_numeric = self._n_numeric(started)
        order = list(range(n_numeric))
        hint = ""
        if n_numeric > capacity:
            # largest spread first, a page at a time: `i` turns the page, and the last cell of
            # every page says which page this is
            per_page = max(1, capacity - 1)
            pages = math.ceil(n_numeric / per_page)
            page = self.page % pages
            ranked = sorted(order, key=lambda i: -raw[i])
            order = ranked[page * per_page : (page + 1) * per_page]
            first = page * per_page + 1
            hint = f"[dim]{first}–{first + len(order) - 1} of {n_numeric} · [b]i[/b] next[/]"
        hi = max((raw[i] for i in varying_features(raw[:n_numeric])), default=0.0)
        cell_w = (width - 2 * (columns - 1)) // columns
        name_w = max(4, cell_w - SCALE_CELLS - 16)
        grid = []
        for index in order:
            name = escape(truncate(names[index], name_w))
            grid.append(
                f"{name:<{name_w}} [$raw-color]{_scale_bar(raw[index], hi)}"
                f"{fmt_num(raw[index]):>6}[/] → [$normalized-color]{_fixed(scaled[index]):<5}[/]"
            )
        if hint:
            grid.append(hint)
        lines = [self._header(started, width), *self._class_lines(started, width)]
        for start in range(0, len(grid), columns):
            lines.append("  ".join(grid[start : start + columns]))
        return lines
