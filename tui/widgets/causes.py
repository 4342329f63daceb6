"""Under each run's histograms, the cause beside the effect, in plain words.

Everything here was already measured: the inputs' std (SessionStarted), the first hidden
layer's pre-activation range, dead and saturated shares, gradient norm and update ratio (the
layer sample both panes show). E.g. raw: "inputs: std ×2,690 (proline 324 vs
nonflavanoid_phenols 0.12)", "L1 pre-activations reach ±413 → 52% of ReLU units never fire";
normalized: "inputs: every feature std 1.00", "L1 within ±2.5 → 0% of ReLU units never fire".
The gradient and update ratio are shown only while a layer is dead or saturated (in either run),
where they say whether the layer still learns.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from normtui.engine.config import IN_NETWORK_SCALERS, RELU_FAMILY, SATURATING
from normtui.engine.events import RUN_NAMES, LayerStats, SessionStarted
from normtui.engine.listens import first_layer_shares, source_columns, top_shares
from normtui.tui.viewstate.layer_pair import LayerSample
from normtui.tui.widgets.format import escape, fmt_num, truncate
from normtui.tui.widgets.inputs import varying_features
from normtui.tui.widgets.text_line import TextLine

ALARM = 0.25  # a dead or saturated share from which the histogram row turns red
UNIT_STD = 0.005  # scaled stds within this of 1.00 read as "std 1.00"
WIDE_PRE = 10.0  # pre-activations beyond ±this are far outside any activation's useful range


def _cells(markup: str) -> int:
    return Content.from_markup(markup).cell_length


def input_variants(started: SessionStarted, run: str) -> list[str]:
    """The inputs' scales as the run sees them, longest first (names dropped before numbers);
    behind `--scaler batchnorm|layernorm` the raw scales, then the layer they go into."""
    variants = _scale_variants(started, run)
    scaler = started.config.get("scaler") if run == RUN_NAMES[1] else None
    if scaler in IN_NETWORK_SCALERS and variants:
        short = {"batchnorm": "BN", "layernorm": "LN"}[scaler]
        return [f"{v} → {scaler}" for v in variants[:-1]] + [f"{variants[-1]}→{short}"]
    return variants


def _scale_variants(started: SessionStarted, run: str) -> list[str]:
    n_numeric = len(started.feature_names) if started.n_numeric is None else started.n_numeric
    raw = started.raw_feature_std[:n_numeric]
    varying = varying_features(raw)
    if not varying:
        return []
    stds = (started.raw_feature_std if run == RUN_NAMES[0] else started.scaled_feature_std)[
        :n_numeric
    ]
    widest = max(varying, key=lambda i: stds[i])
    narrowest = min(varying, key=lambda i: stds[i])
    hi, lo = stds[widest], stds[narrowest]
    if lo <= 0:
        return []
    if all(abs(stds[i] - 1.0) <= UNIT_STD for i in varying):
        constant = n_numeric - len(varying)  # a constant column stays constant when scaled
        if constant:
            return [f"inputs: std 1.00 ({constant} constant left out)", "std 1.00"]
        return ["inputs: every feature std 1.00", "std 1.00"]
    spread = f"×{hi / lo:,.0f}" if hi / lo >= 10 else f"×{hi / lo:.1f}"
    variants = []
    for width in (40, 20, 14, 10):
        names = (
            f"{escape(truncate(started.feature_names[widest], width))} {fmt_num(hi)} vs "
            f"{escape(truncate(started.feature_names[narrowest], width))} {fmt_num(lo)}"
        )
        variants.append(f"inputs: std {spread} ({names})")
    variants += [f"inputs: std {spread} ({fmt_num(hi)} vs {fmt_num(lo)})", f"std {spread}"]
    return variants


def _reach(layer: LayerStats) -> float:
    return max(abs(layer.pre_min), abs(layer.pre_max))


def effect_variants(sample: LayerSample) -> list[str]:
    """What the first hidden layer's pre-activations do to its units, longest first."""
    layer = sample.layers[0]
    reach = fmt_num(_reach(layer), 2)
    wide = _reach(layer) > WIDE_PRE
    name = f"L{layer.layer}"
    wheres = (
        f"{name} pre-activations {'reach' if wide else 'within'} ±{reach}",
        f"{name} {'reaches' if wide else 'within'} ±{reach}",
    )
    short = f"{name} ±{reach}"
    activation = sample.activation
    if activation in RELU_FAMILY and layer.dead_fraction is not None:
        share = f"{layer.dead_fraction:.0%}"
        if activation == "relu":
            words = (f"{share} of ReLU units never fire", f"{share} dead")
        else:  # leaky/PReLU/ELU/SELU still pass a gradient: off, not dead
            words = (f"{share} of units never positive", f"{share} off")
    elif activation in SATURATING and layer.saturated_fraction is not None:
        share = f"{layer.saturated_fraction:.0%}"
        words = (f"{share} of {activation} outputs saturated", f"{share} sat")
    else:
        return [*wheres, short]
    return [
        *(f"{where} → {words[0]}" for where in wheres),
        f"{short} → {words[0]}",
        f"{short} → {words[1]}",
    ]


def alarming(sample: LayerSample | None) -> bool:
    if sample is None or not sample.layers:
        return False
    layer = sample.layers[0]
    dead = (layer.dead_fraction or 0.0) if sample.activation == "relu" else 0.0
    return dead >= ALARM or (layer.saturated_fraction or 0.0) >= ALARM


def gradient_variants(sample: LayerSample, other: LayerSample | None) -> list[str]:
    """L1's gradient norm and how far its weights moved in the epoch (update ratio); a dead
    or saturated layer's gradient under a tenth of the other run's is called vanishing."""
    layer = sample.layers[0]
    moved = f"{fmt_num(layer.update_ratio * 100, 2)}%"
    gradient = fmt_num(layer.grad_norm, 2)
    other_grad = other.layers[0].grad_norm if other is not None and other.layers else None
    if alarming(sample) and other_grad is not None and layer.grad_norm < other_grad / 10:
        gradient += " (vanishing)"
    return [
        f"L{layer.layer} gradient {gradient}, weights move {moved} an epoch",
        f"L{layer.layer} gradient {gradient}, Δw {moved}/epoch",
        f"∇ {gradient}, Δw {moved}",
    ]


BAR_CELLS = 8  # a share's bar: 100% fills it, in eighths of a cell
EIGHTHS = " ▏▎▍▌▋▊▉"


def share_bar(share: float, cells: int = BAR_CELLS) -> str:
    """`share` (0..1) as a bar of up to `cells` cells, in eighths (not padded: it sits in a line
    of words); a non-zero share shows at least ▏."""
    eighths = round(max(0.0, min(1.0, share)) * cells * 8)
    if share > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def _span_text(low: float | None, high: float | None) -> str:
    if low is None or high is None or f"{low:.1%}" == f"{high:.1%}":
        return ""
    return f" [dim]({low * 100:.1f}–{high * 100:.1f})[/]"


def listens_variants(started: SessionStarted, sample: LayerSample) -> list[str]:
    """Which inputs the first layer listens to (its pre-activation variance by feature), the
    top features with bars, longest first: "L1 listens to proline ████ 99.8% · magnesium ▏ 0.1%"
    (the members' range after the first share where it fits)."""
    layer = first_layer_shares(sample.layers)
    if layer is None:
        return []
    names = source_columns(started.feature_names, started.n_numeric)[0]
    top = top_shares(names, layer, 3)
    if not top:
        return []
    variants = []
    for count, ranged, name_width, cells in (
        (3, True, 16, 4),
        (3, False, 12, 4),
        (2, True, 16, 4),
        (2, False, 12, 4),
        (1, True, 24, BAR_CELLS),
        (1, False, 12, 4),
    ):
        parts = []
        for index, share in enumerate(top[:count]):
            text = f"{escape(truncate(share.name, name_width))} {share_bar(share.share, cells)}"
            text += f" {share.share:.1%}"
            if index == 0 and ranged:
                text += _span_text(share.low, share.high)
            parts.append(text)
        variants.append(f"L{layer.layer} listens to " + " · ".join(parts))
    first = top[0]
    variants.append(f"{escape(truncate(first.name, 10))} {first.share:.0%}")
    return variants


def fit(variants: Sequence[str], width: int) -> str:
    """The longest variant that fits `width` cells (the last one cut, if none does)."""
    for variant in variants:
        if width <= 0 or _cells(variant) <= width:
            return variant
    return truncate(variants[-1], width) if variants else ""


def cause_lines(
    started: SessionStarted | None,
    run: str,
    sample: LayerSample | None,
    *,
    width: int,
    compact: bool,
    show_gradient: bool,
    other: LayerSample | None = None,
) -> list[str]:
    """The lines under a run's histograms: one in the compact layout, else cause, effect and
    (while a layer is dead or saturated in either run) gradient, each as long as fits."""
    if started is None:
        return []
    inputs = input_variants(started, run)
    effects = effect_variants(sample) if sample is not None and sample.layers else []
    if compact:
        parts = [inputs[-1]] if inputs else []
        if effects:
            parts.append(effects[-1])
        return [fit([" → ".join(parts)], width)] if parts else []
    lines = [fit(inputs, width)] if inputs else []
    if effects:
        lines.append(fit([f"→ {effect}" for effect in effects], width))
    if show_gradient and sample is not None and sample.layers:
        lines.append(fit([f"→ {text}" for text in gradient_variants(sample, other)], width))
    listens = listens_variants(started, sample) if sample is not None else []
    if listens:
        lines.append(fit(listens, width))
    return lines


class CauseLines(TextLine):
    """The why under a run's histograms; repainted only when its text changes."""

    DEFAULT_CSS = "CauseLines { height: auto; color: $text-muted; }"

    _shown: (
        tuple[SessionStarted | None, str, LayerSample | None, bool, bool, LayerSample | None] | None
    ) = None

    def show(
        self,
        started: SessionStarted | None,
        run: str,
        sample: LayerSample | None,
        *,
        compact: bool,
        show_gradient: bool,
        other: LayerSample | None = None,
    ) -> None:
        """`other`: the other run's sample, which the gradient is compared with."""
        self._shown = (started, run, sample, compact, show_gradient, other)
        width = self.content_size.width or self.size.width
        lines = cause_lines(
            started,
            run,
            sample,
            width=width,
            compact=compact,
            show_gradient=show_gradient,
            other=other,
        )
        if self.show_markup("\n".join(lines)):
            self.refresh(layout=True)

    def on_resize(self) -> None:
        """A new width: the longest wording that fits it now."""
        if self._shown is not None:
            started, run, sample, compact, show_gradient, other = self._shown
            self.show(
                started, run, sample, compact=compact, show_gradient=show_gradient, other=other
            )
