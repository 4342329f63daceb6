"""Each input feature's scale (std) before and after the scaler: the cause beside its effect."""

from __future__ import annotations

import math

from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

from normtui.engine.config import SPREAD_FLOOR
from normtui.engine.events import SessionStarted
from normtui.engine.notices import data_notices
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
    """A grid of `feature  raw std → scaled std`, largest spread first when space is short."""

    DEFAULT_CSS = "InputsPane { height: auto; }"

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
        count = len(started.feature_names) if started.n_numeric is None else started.n_numeric
        return count > self._columns(self.size.width or 120) * self.max_rows

    def next_page(self) -> None:
        self.page += 1
        self.refresh()

    def show(self, started: SessionStarted | None) -> None:
        if started is not self._started:
            self._started = started
            self.refresh(layout=True)

    def _columns(self, width: int) -> int:
        return max(1, width // CELL_WIDTH)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._started is None:
            return 1
        count = len(self._started.feature_names)
        return 1 + min(self.max_rows, math.ceil(count / self._columns(width)))

    def render(self) -> RenderResult:
        started = self._started
        if started is None:
            return "[dim]input scales appear once the data is loaded…[/]"
        width = self.size.width
        raw, scaled = started.raw_feature_std, started.scaled_feature_std
        names = started.feature_names
        scaler = started.config.get("scaler", "scaler")
        columns = self._columns(width)
        capacity = columns * self.max_rows
        # one-hot columns (issue 14) are 0/1 for both runs: listed apart, not in the spread
        n_numeric = len(names) if started.n_numeric is None else started.n_numeric
        order = list(range(n_numeric))
        pages = 1
        if len(order) > capacity:
            # largest spread first, a page at a time: `i` turns the page
            per_page = capacity - 1  # one cell says which page this is
            pages = math.ceil(n_numeric / per_page)
            page = self.page % pages
            ranked = sorted(order, key=lambda i: -raw[i])
            order = ranked[page * per_page : (page + 1) * per_page]
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
        header = (
            f"[b]{n_numeric} features[/b]{note}  training-split std on raw inputs spans "
            f"[$raw-color]{fmt_num(lo)} … {fmt_num(hi)} ({spread})[/];  after {escape(scaler)}: "
            f"[$normalized-color]{_fixed(scaled_lo)} … {_fixed(scaled_hi)} ({scaled_spread})[/]"
        )
        cell_w = (width - 2 * (columns - 1)) // columns
        name_w = max(4, cell_w - SCALE_CELLS - 16)
        cells = []
        for index in order:
            name = escape(truncate(names[index], name_w))
            cells.append(
                f"{name:<{name_w}} [$raw-color]{_scale_bar(raw[index], hi)}"
                f"{fmt_num(raw[index]):>6}[/] → [$normalized-color]{_fixed(scaled[index]):<5}[/]"
            )
        if pages > 1:
            shown_to = min(n_numeric, (self.page % pages + 1) * (capacity - 1))
            first = shown_to - len(order) + 1
            cells.append(f"[dim]{first}–{shown_to} of {n_numeric} · [b]i[/b] next[/]")
        rows = [header]
        for start in range(0, len(cells), columns):
            rows.append("  ".join(cells[start : start + columns]))
        return "\n".join(rows)
