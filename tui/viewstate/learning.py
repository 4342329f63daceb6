"""How each layer learns, over time: per hidden layer, the update-to-weight ratio and the
gradient norm at every sampled epoch (the cause lines show only the latest)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from normtui.engine.events import LayerStats

MAX_POINTS = 512  # per run; beyond, every other point is dropped (the line keeps its shape)


def log10_or_nan(value: float) -> float:
    return math.log10(value) if value > 0 and math.isfinite(value) else math.nan


class LearningHistory:
    """(epoch, per layer (log10 update ratio, gradient norm)) per sampled epoch, oldest first."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.max_points = max_points
        self.epochs: list[int] = []
        self.points: list[tuple[tuple[float, float], ...]] = []
        # the first layer's input shares (engine/listens.py) at the same epochs, when sent
        self.shares: list[tuple[tuple[float, ...], tuple[tuple[float, float], ...] | None] | None]
        self.shares = []

    def add(self, epoch: int, layers: Sequence[LayerStats]) -> None:
        if self.epochs and epoch <= self.epochs[-1]:  # a step back (a restart not yet seen)
            self.clear()
        self.epochs.append(epoch)
        self.points.append(
            tuple((log10_or_nan(layer.update_ratio), layer.grad_norm) for layer in layers)
        )
        first = layers[0] if layers else None
        self.shares.append(
            (first.input_share, first.input_share_range)
            if first is not None and first.input_share
            else None
        )
        if len(self.epochs) > self.max_points:
            self.epochs = self.epochs[::2]
            self.points = self.points[::2]
            self.shares = self.shares[::2]

    def clear(self) -> None:
        self.epochs.clear()
        self.points.clear()
        self.shares.clear()

    def series(self, layer: int, which: int) -> list[float]:
        """One layer's values over the kept epochs: which 0 = log10 update ratio, 1 = gradient."""
        return [p[layer][which] if layer < len(p) else math.nan for p in self.points]

    @property
    def layers(self) -> int:
        return len(self.points[-1]) if self.points else 0
