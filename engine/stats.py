"""Turn both runs' on-device epoch results into host numbers with one sync per epoch.

Histograms use bin edges shared by both runs so they can be drawn on one axis. Pre-activations
are binned on an asinh axis: a raw run's range of ±1e3 and a normalized run's ±3 both stay
readable, and the edges are reported in real units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .events import Histogram, LayerStats
from .run import LAYER_STAT_NAMES, RunEpoch


@dataclass(frozen=True)
class HostEpoch:
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    layers: tuple[LayerStats, ...]


def _shared_counts(
    values: list[torch.Tensor], bins: int
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Edges spanning every finite value of every run, and each run's counts on them."""
    finite = [v[torch.isfinite(v)] for v in values]
    lows = [f.min() if f.numel() else torch.zeros((), device=f.device) for f in finite]
    highs = [f.max() if f.numel() else torch.zeros((), device=f.device) for f in finite]
    low = torch.stack(lows).min()
    high = torch.stack(highs).max()
    span = (high - low).clamp_min(1e-6)
    edges = low + span * torch.arange(bins + 1, device=low.device, dtype=low.dtype) / bins
    counts = []
    for f in finite:
        index = ((f - low) / span * bins).floor().clamp(0, bins - 1).long()
        counts.append(torch.bincount(index.flatten(), minlength=bins)[:bins])
    return edges, counts


def _histograms(
    results: list[RunEpoch], bins: int
) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
    """Per layer: (pre edges, post edges) and per run (pre counts, post counts), flattened."""
    per_layer = []
    for layer in range(len(results[0].pres)):
        pre_edges, pre_counts = _shared_counts([torch.asinh(r.pres[layer]) for r in results], bins)
        post_edges, post_counts = _shared_counts([r.posts[layer] for r in results], bins)
        per_layer.append(
            (torch.cat([torch.sinh(pre_edges), post_edges]), [*pre_counts, *post_counts])
        )
    return per_layer


def _clean(value: float) -> float | None:
    return value if math.isfinite(value) else None


def to_host(results: list[RunEpoch], with_histograms: bool, bins: int) -> list[HostEpoch]:
    """Sync everything to the host in one transfer and build per-run results."""
    parts: list[torch.Tensor] = []
    for result in results:
        parts.append(result.scalars.double().flatten())
        parts.append(result.layer_stats.double().flatten())
    histograms = _histograms(results, bins) if with_histograms else []
    for edges, counts in histograms:
        parts.append(edges.double())
        parts.extend(c.double() for c in counts)
    flat = torch.cat(parts).tolist()  # the one host sync of the epoch

    cursor = 0

    def take(n: int) -> list[float]:
        nonlocal cursor
        chunk = flat[cursor : cursor + n]
        cursor += n
        return chunk

    n_layers = len(results[0].pres)
    n_stats = len(LAYER_STAT_NAMES)
    scalars_and_rows = [(take(4), take(n_layers * n_stats)) for _ in results]
    # hist[layer][run] = (pre Histogram, post Histogram)
    hist: list[list[tuple[Histogram, Histogram]]] = []
    for _ in histograms:
        edges = take(2 * (bins + 1))
        pre_edges, post_edges = tuple(edges[: bins + 1]), tuple(edges[bins + 1 :])
        pre_counts = [tuple(int(c) for c in take(bins)) for _ in results]
        post_counts = [tuple(int(c) for c in take(bins)) for _ in results]
        hist.append(
            [
                (Histogram(pre_edges, pre_counts[i]), Histogram(post_edges, post_counts[i]))
                for i in range(len(results))
            ]
        )

    host: list[HostEpoch] = []
    for run_index, (scalars, rows) in enumerate(scalars_and_rows):
        layers = []
        for layer in range(n_layers):
            row = rows[layer * n_stats : (layer + 1) * n_stats]
            stats = dict(zip(LAYER_STAT_NAMES, row, strict=True))
            pre_hist, post_hist = hist[layer][run_index] if hist else (None, None)
            layers.append(
                LayerStats(
                    layer=layer + 1,
                    width=int(results[run_index].pres[layer].shape[1]),
                    pre_min=stats["pre_min"],
                    pre_max=stats["pre_max"],
                    pre_mean=stats["pre_mean"],
                    pre_std=stats["pre_std"],
                    dead_fraction=_clean(stats["dead_fraction"]),
                    saturated_fraction=_clean(stats["saturated_fraction"]),
                    grad_norm=stats["grad_norm"],
                    update_ratio=stats["update_ratio"],
                    pre_hist=pre_hist,
                    post_hist=post_hist,
                )
            )
        train_loss, train_accuracy, val_loss, val_accuracy = scalars
        host.append(HostEpoch(train_loss, train_accuracy, val_loss, val_accuracy, tuple(layers)))
    return host
