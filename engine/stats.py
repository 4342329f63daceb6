"""Turn both runs' on-device epoch results into host numbers with one sync per epoch.

Histograms use bin edges shared by both runs so they can be drawn on one axis. Pre- and
post-activations are binned on an asinh axis: a raw run's range of ±1e3 and a normalized run's
±3 both stay readable (on a linear axis the normalized run was one bar), and the edges are
reported in real units.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from normtui.engine.config import RELU_FAMILY, SATURATING
from normtui.engine.events import Histogram, LayerStats
from normtui.engine.run import LAYER_VALUE_NAMES, RUN_VALUE_NAMES, RunEpoch
from normtui.engine.task import Task


@dataclass(frozen=True)
class HostEpoch:
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    layers: tuple[LayerStats, ...]
    train_r2: float | None = None  # regression (then the accuracies are NaN)
    val_r2: float | None = None


# Histograms bin at most this many validation rows per layer: 32 bins need no more, and on a
# large validation set (10k rows x 512 units) binning every value cost ~30% of an epoch.
HIST_MAX_ROWS = 512


def _shared_counts(
    values: list[torch.Tensor], bins: int
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Edges spanning every finite value of every run, and each run's counts on them.

    Masks instead of boolean indexing, so nothing here waits for the device.
    """
    finite = [torch.isfinite(v) for v in values]
    inf = torch.tensor(float("inf"), device=values[0].device, dtype=values[0].dtype)
    low = torch.stack(
        [torch.where(f, v, inf).amin() for v, f in zip(values, finite, strict=True)]
    ).amin()
    high = torch.stack(
        [torch.where(f, v, -inf).amax() for v, f in zip(values, finite, strict=True)]
    ).amax()
    low = torch.where(torch.isfinite(low), low, torch.zeros_like(low))  # no finite value at all
    high = torch.where(torch.isfinite(high), high, low)
    span = (high - low).clamp_min(1e-6)
    edges = low + span * torch.arange(bins + 1, device=low.device, dtype=low.dtype) / bins
    counts = []
    for v, f in zip(values, finite, strict=True):
        index = torch.nan_to_num((v - low) / span * bins).floor().clamp(0, bins - 1).long()
        index = torch.where(f, index, torch.full_like(index, bins))  # non-finite: a dropped bin
        counts.append(torch.bincount(index.flatten(), minlength=bins + 1)[:bins])
    return edges, counts


def _wide_dtype(device: torch.device) -> torch.dtype:
    """float64 to carry counts and edges exactly; MPS has no float64, so float32 there."""
    return torch.float32 if device.type == "mps" else torch.float64


def _histograms(
    results: list[RunEpoch], bins: int
) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
    """Per layer: (pre edges, post edges) and per run (pre counts, post counts), flattened."""
    per_layer = []
    for layer in range(len(results[0].pres)):
        pres = [torch.asinh(r.pres[layer][:HIST_MAX_ROWS]) for r in results]
        posts = [torch.asinh(r.posts[layer][:HIST_MAX_ROWS]) for r in results]
        pre_edges, pre_counts = _shared_counts(pres, bins)
        post_edges, post_counts = _shared_counts(posts, bins)
        edges = torch.sinh(torch.cat([pre_edges, post_edges]))  # back to real units
        per_layer.append((edges, [*pre_counts, *post_counts]))
    return per_layer


def _share(count: float, total: int, applies: bool) -> float | None:
    return count / total if applies and total else None


def to_host(
    results: list[RunEpoch], with_histograms: bool, bins: int, task: Task
) -> list[HostEpoch]:
    """Sync everything to the host in one transfer and build per-run results.

    Per epoch that is one small vector per run (losses, correct counts, per-layer numbers);
    histograms, when due, join the same transfer.
    """
    parts: list[torch.Tensor] = [result.values for result in results]
    sampled = bool(results[0].pres)  # per-layer numbers were computed this epoch
    histograms = _histograms(results, bins) if with_histograms and sampled else []
    if histograms:
        wide = _wide_dtype(parts[0].device)
        parts = [p.to(wide) for p in parts]
        for edges, counts in histograms:
            parts.append(edges.to(wide))
            parts.extend(c.to(wide) for c in counts)
    flat = (torch.cat(parts) if len(parts) > 1 else parts[0]).tolist()  # the epoch's one sync

    cursor = 0

    def take(n: int) -> list[float]:
        nonlocal cursor
        chunk = flat[cursor : cursor + n]
        cursor += n
        return chunk

    n_layers = len(results[0].pres)
    n_run, n_layer = len(RUN_VALUE_NAMES), len(LAYER_VALUE_NAMES)
    per_run = [take(n_run + n_layers * n_layer) for _ in results]
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
    for run_index, (result, values) in enumerate(zip(results, per_run, strict=True)):
        train_loss, train_correct, val_loss, val_correct = values[:n_run]
        relu_family = result.activation in RELU_FAMILY
        saturating = result.activation in SATURATING
        layers = []
        for layer in range(n_layers):
            row = values[n_run + layer * n_layer : n_run + (layer + 1) * n_layer]
            stats = dict(zip(LAYER_VALUE_NAMES, row, strict=True))
            width = int(result.pres[layer].shape[1])
            pre_hist, post_hist = hist[layer][run_index] if hist else (None, None)
            layers.append(
                LayerStats(
                    layer=layer + 1,
                    width=width,
                    pre_min=stats["pre_min"],
                    pre_max=stats["pre_max"],
                    pre_mean=stats["pre_mean"],
                    pre_std=stats["pre_std"],
                    dead_fraction=_share(stats["dead_units"], width, relu_family),
                    saturated_fraction=_share(
                        stats["saturated_count"], result.posts[layer].numel(), saturating
                    ),
                    zero_fraction=_share(
                        stats["zero_count"], result.posts[layer].numel(), relu_family
                    ),
                    grad_norm=stats["grad_norm"],
                    update_ratio=stats["update_norm"] / max(stats["weight_norm_before"], 1e-12),
                    pre_hist=pre_hist,
                    post_hist=post_hist,
                )
            )
        metrics = task.metrics(
            train_loss, train_correct, val_loss, val_correct, result.n_train, result.n_val
        )
        host.append(HostEpoch(layers=tuple(layers), **metrics))  # type: ignore[arg-type]
    return host
