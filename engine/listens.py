"""What the first layer listens to: each input feature's share of its pre-activation variance.

For input column j the first Linear adds W[:, j] · x_j to every unit's pre-activation; summed
over the units, that term's variance over the training rows is ‖W[:, j]‖² · var(x_j). A
feature's share is that over the sum for every column (covariances between features left out,
so the shares add up to 1). A text feature's one-hot columns are summed back into it. `x` is
what the Linear actually sees: the raw or scaled inputs, or the output of an input
normalization layer (`--scaler batchnorm`/`layernorm`) on the training rows, a batch norm with
those rows' own statistics (as a full-batch step sees them).

On wine the raw model draws ~99.8% of it from proline (std ~320), at initialisation and after
100 epochs; the standardized model spreads it over every feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from normtui.engine.events import RUN_NAMES, EpochEnd, Event, LayerStats, Restarted


def source_columns(
    feature_names: Sequence[str], n_numeric: int | None
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(source feature names, the source index of every encoded column): one-hot columns
    ("colour=red") map back to their text feature ("colour")."""
    numeric = len(feature_names) if n_numeric is None else n_numeric
    names: list[str] = list(feature_names[:numeric])
    index = list(range(numeric))
    for name in feature_names[numeric:]:
        source = name.split("=", 1)[0]
        if source not in names[numeric:]:
            names.append(source)
        index.append(names.index(source, numeric))
    return tuple(names), tuple(index)


def first_layer_shares(layers: Sequence[LayerStats]) -> LayerStats | None:
    """The layer that carries the input shares (the first), when this sample has them."""
    if layers and layers[0].input_share:
        return layers[0]
    return None


@dataclass(frozen=True)
class Share:
    name: str
    share: float
    low: float | None = None  # several members: the members' min..max
    high: float | None = None


def top_shares(names: Sequence[str], layer: LayerStats, count: int) -> list[Share]:
    """The `count` largest shares, largest first."""
    shares = layer.input_share or ()
    ranges = layer.input_share_range or ()
    order = sorted(range(len(shares)), key=lambda i: -shares[i])[:count]
    result = []
    for i in order:
        low, high = ranges[i] if i < len(ranges) else (None, None)
        name = names[i] if i < len(names) else f"x{i}"
        result.append(Share(name, shares[i], low, high))
    return result


def listens_sentence(run: str, names: Sequence[str], layer: LayerStats) -> str:
    """'raw listens to proline for 99.8%' (with the members' range when there are several)."""
    (top,) = top_shares(names, layer, 1)
    span = ""
    if top.low is not None and top.high is not None and top.high > top.low:
        span = f" ({top.low:.1%}–{top.high:.1%})"
    return f"{run} listens to {top.name} for {top.share:.1%}{span}"


class ListensWatcher:
    """A sink keeping each run's latest input shares (since the last restart), for `--json`."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self.latest: dict[str, tuple[int, LayerStats]] = {}

    def __call__(self, event: Event) -> None:
        from normtui.engine.events import SessionStarted

        if isinstance(event, SessionStarted):
            self.names = source_columns(event.feature_names, event.n_numeric)[0]
        elif isinstance(event, Restarted):
            self.latest.clear()
        elif isinstance(event, EpochEnd):
            layer = first_layer_shares(event.layers)
            if layer is not None:
                self.latest[event.run] = (event.epoch, layer)

    def to_dict(self) -> dict[str, Any] | None:
        """{"definition", "runs": {run: {"epoch", "shares": {feature: share}, "range",
        "top", "sentence"}}}, or None when no sample carried shares."""
        if not self.latest:
            return None
        runs: dict[str, Any] = {}
        for run in RUN_NAMES:
            if run not in self.latest:
                continue
            epoch, layer = self.latest[run]
            names = self.names or tuple(f"x{i}" for i in range(len(layer.input_share or ())))
            shares = dict(zip(names, layer.input_share or (), strict=False))
            entry: dict[str, Any] = {"epoch": epoch, "shares": shares}
            if layer.input_share_range:
                entry["range"] = dict(
                    zip(names, (list(r) for r in layer.input_share_range), strict=False)
                )
            entry["top"] = top_shares(names, layer, 1)[0].name
            entry["sentence"] = listens_sentence(run, names, layer)
            runs[run] = entry
        return {
            "definition": "share of the first layer's pre-activation variance: ||W[:, j]||^2"
            " * var(x_j) / sum over j, x the first layer's inputs on the training rows",
            "runs": runs,
        }
