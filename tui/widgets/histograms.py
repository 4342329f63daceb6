"""Per-layer activation histograms on bins shared by both runs, with dead/saturated shares.

Counts are drawn on a log scale so that a ReLU layer's zero bucket does not flatten everything
else; the zero bucket is dimmed and its share written as a number instead.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

from normtui.engine.config import RELU_FAMILY, SATURATING
from normtui.engine.events import Histogram, LayerStats
from normtui.tui.viewstate.layer_pair import LayerSample
from normtui.tui.widgets.format import fmt_num, fmt_pct, resample, sparkline, truncate


def zero_bin(hist: Histogram) -> int | None:
    """Index of the bin that holds exactly zero, if any."""
    edges = hist.edges
    for index in range(len(edges) - 1):
        if edges[index] <= 0.0 < edges[index + 1] or (edges[index] < 0.0 <= edges[index + 1]):
            return index
    return None


def hist_markup(hist: Histogram, width: int, colour: str, *, dim_zero: bool) -> str:
    """Sparkline markup of `hist` in `width` cells, the zero bin dimmed when `dim_zero`."""
    counts = list(hist.counts)
    zero = zero_bin(hist) if dim_zero else None
    cells = resample(counts, width)
    line = sparkline(cells)
    if zero is None:
        return f"[{colour}]{line}[/]"
    zero_cell = zero * len(cells) // len(counts)
    before, cell, after = line[:zero_cell], line[zero_cell], line[zero_cell + 1 :]
    return f"[{colour}]{before}[/][dim]{cell}[/][{colour}]{after}[/]"


class LayerHistograms(Widget):
    """Rows per hidden layer: post-activation and pre-activation histograms and their numbers."""

    DEFAULT_CSS = "LayerHistograms { height: auto; }"

    def __init__(self, run: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run = run
        self.compact = False
        self._key: object = None
        self._layers: tuple[LayerStats, ...] = ()
        self._activation = ""

    def show(self, sample: LayerSample | None) -> None:
        """`sample`: the layers to draw (the epoch both panes show, `paired_samples`), under
        the activation they were measured with, not one swapped in since ("sat —" beside a
        ReLU-shaped histogram read as if tanh had no saturated units)."""
        layers = sample.layers if sample is not None else ()
        activation = sample.activation if sample is not None else ""
        key = (id(layers), activation)
        if key == self._key:
            return
        self._key = key
        changed_rows = len(layers) != len(self._layers)
        self._layers = layers
        self._activation = activation
        self.refresh(layout=changed_rows)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        rows = 1 if self.compact else 2
        return max(1, len(self._layers) * rows)

    def render(self) -> RenderResult:
        if not self._layers:
            return "[dim]activations: waiting for stats…[/]"
        width = self.size.width
        colour = f"${self.run}-color"
        relu = self._activation in RELU_FAMILY
        hists = {layer.layer: layer for layer in self._layers}
        ranged = any(layer.dead_range or layer.saturated_range for layer in self._layers)
        text_w = 26 if width >= 60 else 19 if ranged else 18  # "dead 100% (98–100)": 18
        cells = max(8, min(48, width - 8 - text_w))
        rows = []
        for layer in self._layers:
            sampled = hists.get(layer.layer)
            wide = width >= 36  # room for the members' range (80x24 has 36)
            if relu:
                # never positive: dead for ReLU (zero gradient); merely off for its cousins
                word = "dead" if self._activation == "relu" else "off"
                share = f"{word} {share_text(layer.dead_fraction, layer.dead_range, wide)}"
            elif self._activation in SATURATING:
                share = f"sat {share_text(layer.saturated_fraction, layer.saturated_range, wide)}"
            else:
                share = ""
            post = sampled.post_hist if sampled is not None else None
            if post is not None:
                line = hist_markup(post, cells, colour, dim_zero=relu)
                exact_zero = layer.zero_fraction  # activations exactly 0, not the zero bin's share
                show_zero = relu and width >= 60 and exact_zero is not None
                zero = f" [dim]=0[/] {fmt_pct(exact_zero, 0)}" if show_zero else ""
            else:
                line, zero = " " * cells, ""
            warn = "$error" if _alarming(layer, self._activation) else "$text"
            rows.append(f"L{layer.layer} post {line} [{warn}]{share}[/]{zero}")
            if self.compact:
                continue
            pre = sampled.pre_hist if sampled is not None else None
            pre_line = hist_markup(pre, cells, colour, dim_zero=False) if pre else " " * cells
            spread = pre_range(layer, text_w - 1)
            rows.append(f"   [dim]pre[/]  {pre_line} [dim]{spread}[/]")
        return "\n".join(rows)


def share_text(mean: float | None, spread: tuple[float, float] | None, wide: bool) -> str:
    """A dead or saturated share: one seed's, or the members' mean with their range when wide
    (`52% (40–61)`); compact keeps the mean."""
    text = fmt_pct(mean, 0)
    if spread is None or not wide:
        return text
    low, high = f"{spread[0] * 100:.0f}", f"{spread[1] * 100:.0f}"
    return text if low == high else f"{text} [dim]({low}–{high})[/]"


def pre_range(layer: LayerStats, width: int) -> str:
    """`min … max` of the pre-activations in `width` cells: fewer digits before any cut."""
    for digits in (3, 2, 1):
        text = f"{fmt_num(layer.pre_min, digits)} … {fmt_num(layer.pre_max, digits)}"
        if len(text) <= width:
            return text
    return truncate(text, width)


def _alarming(layer: LayerStats, activation: str) -> bool:
    dead = (layer.dead_fraction or 0.0) if activation == "relu" else 0.0
    return dead >= 0.25 or (layer.saturated_fraction or 0.0) >= 0.25
