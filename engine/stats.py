"""Turn both runs' on-device epoch results into host numbers with one sync per epoch, and fold
a run's members into its numbers.

Histograms use bin edges shared by both runs so they can be drawn on one axis. Pre- and
post-activations are binned on an asinh axis: a raw run's range of ±1e3 and a normalized run's
±3 both stay readable (on a linear axis the normalized run was one bar), and the edges are
reported in real units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from normtui.engine.config import DEAD_CAPABLE, RELU_FAMILY, SATURATING
from normtui.engine.events import Histogram, LayerStats, Members
from normtui.engine.run import LAYER_VALUE_NAMES, RUN_VALUE_NAMES, TEST_VALUE_NAMES, RunEpoch
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
    members: Members | None = None  # several seeds: each member's numbers (see `fold_members`)
    # Held-out rows (a grid's test split): loss and score (accuracy, or R²); None without them.
    test_loss: float | None = None
    test_score: float | None = None


# Histograms bin at most this many validation rows per layer and member: 32 bins need no more,
# and on a large validation set (10k rows x 512 units) binning every value cost ~30% of an epoch.
HIST_MAX_ROWS = 512


def _shared_counts(
    values: list[torch.Tensor], alive: list[torch.Tensor | None], bins: int
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Edges spanning every finite value of every run's live members, and each member's counts
    on them ([members, bins] per run).

    Masks instead of boolean indexing, so nothing here waits for the device.
    """
    finite = []
    for v, mask in zip(values, alive, strict=True):
        ok = torch.isfinite(v)
        finite.append(ok if mask is None else ok & mask.view(-1, *([1] * (v.dim() - 1))))
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
        members = v.shape[0]
        index = torch.nan_to_num((v - low) / span * bins).floor().clamp(0, bins - 1).long()
        index = torch.where(f, index, torch.full_like(index, bins))  # non-finite: a dropped bin
        if members > 1:  # one bincount for every member: member k's bins start at k*(bins+1)
            offsets = torch.arange(members, device=v.device) * (bins + 1)
            index = index + offsets.view(-1, *([1] * (v.dim() - 1)))
        flat = torch.bincount(index.flatten(), minlength=members * (bins + 1))
        counts.append(flat.view(members, bins + 1)[:, :bins])
    return edges, counts


def _wide_dtype(device: torch.device) -> torch.dtype:
    """float64 to carry counts and edges exactly; MPS has no float64, so float32 there."""
    return torch.float32 if device.type == "mps" else torch.float64


def _histograms(
    results: list[RunEpoch], bins: int
) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
    """Per layer: (pre edges, post edges) and per run (pre counts, post counts), flattened."""
    per_layer = []
    alive = [r.alive for r in results]
    for layer in range(len(results[0].pres)):
        pres = [torch.asinh(r.pres[layer][:, :HIST_MAX_ROWS]) for r in results]
        posts = [torch.asinh(r.posts[layer][:, :HIST_MAX_ROWS]) for r in results]
        pre_edges, pre_counts = _shared_counts(pres, alive, bins)
        post_edges, post_counts = _shared_counts(posts, alive, bins)
        edges = torch.sinh(torch.cat([pre_edges, post_edges]))  # back to real units
        per_layer.append((edges, [*pre_counts, *post_counts]))
    return per_layer


def _share(count: float, total: int, applies: bool) -> float | None:
    return count / total if applies and total else None


def to_host(
    results: list[RunEpoch],
    with_histograms: bool,
    bins: int,
    tasks: list[Task] | Task,
    test_tasks: list[Task] | None = None,
) -> list[list[HostEpoch]]:
    """Sync everything to the host in one transfer: per run, one HostEpoch per member.

    Per epoch that is one small vector per member (losses, correct counts, per-layer numbers);
    histograms, when due, join the same transfer. `tasks[k]` turns member k's numbers into
    metrics (each member has its own split, so its own R² baseline and target unit), and
    `test_tasks[k]` its held-out rows' (their variance is R²'s baseline there).
    """
    sampled = bool(results[0].pres)  # per-layer numbers were computed this epoch
    histograms = _histograms(results, bins) if with_histograms and sampled else []
    cursor = _Cursor(_one_sync(results, histograms))
    members = [result.values.shape[0] for result in results]
    n_layers = len(results[0].pres)
    n_run = len(RUN_VALUE_NAMES)
    n_tests = [len(TEST_VALUE_NAMES) if result.n_test else 0 for result in results]
    per_member = [
        [
            cursor.take(n_run + n_layers * len(LAYER_VALUE_NAMES) + result.n_shares + n_test)
            for _ in range(m)
        ]
        for m, result, n_test in zip(members, results, n_tests, strict=True)
    ]
    hist = _read_histograms(cursor, len(histograms), bins, members)

    task_of = tasks if isinstance(tasks, list) else [tasks] * max(members)
    host: list[list[HostEpoch]] = []
    for run_index, result in enumerate(results):
        run_host = []
        n_test = n_tests[run_index]
        for k, values in enumerate(per_member[run_index]):
            train_loss, train_correct, val_loss, val_correct = values[:n_run]
            test_values = values[len(values) - n_test :] if n_test else []
            layers = _layer_stats(
                result,
                values[n_run : len(values) - n_test],
                [h[run_index][k] for h in hist] if hist else None,
            )
            metrics = task_of[k].metrics(
                train_loss, train_correct, val_loss, val_correct, result.n_train, result.n_val
            )
            test_loss = test_score = None
            if test_values and test_tasks is not None:
                held = test_tasks[k].metrics(
                    train_loss, train_correct, *test_values, result.n_train, result.n_test
                )
                test_loss = held["val_loss"]
                test_score = held["val_accuracy"] if held["val_r2"] is None else held["val_r2"]
            run_host.append(
                HostEpoch(
                    train_loss=metrics["train_loss"],
                    train_accuracy=metrics["train_accuracy"],
                    val_loss=metrics["val_loss"],
                    val_accuracy=metrics["val_accuracy"],
                    layers=layers,
                    train_r2=metrics["train_r2"],
                    val_r2=metrics["val_r2"],
                    test_loss=test_loss,
                    test_score=test_score,
                )
            )
        host.append(run_host)
    return host


def _one_sync(
    results: list[RunEpoch], histograms: list[tuple[torch.Tensor, list[torch.Tensor]]]
) -> list[float]:
    """Every number of the epoch, runs then histograms, in one device-to-host copy."""
    parts: list[torch.Tensor] = [result.values.flatten() for result in results]
    if histograms:
        wide = _wide_dtype(parts[0].device)
        parts = [p.to(wide) for p in parts]
        for edges, counts in histograms:
            parts.append(edges.to(wide))
            parts.extend(c.flatten().to(wide) for c in counts)
    return (torch.cat(parts) if len(parts) > 1 else parts[0]).tolist()


class _Cursor:
    """Reads the one flat transfer in the order `_one_sync` laid it out."""

    def __init__(self, flat: list[float]) -> None:
        self._flat, self._at = flat, 0

    def take(self, n: int) -> list[float]:
        chunk = self._flat[self._at : self._at + n]
        self._at += n
        return chunk


def _read_histograms(
    cursor: _Cursor, count: int, bins: int, members: list[int]
) -> list[list[list[tuple[Histogram, Histogram]]]]:
    """hist[layer][run][member] = (pre Histogram, post Histogram), on each layer's shared edges."""
    hist = []
    for _ in range(count):
        edges = cursor.take(2 * (bins + 1))
        pre_edges, post_edges = tuple(edges[: bins + 1]), tuple(edges[bins + 1 :])
        pre = [[tuple(int(c) for c in cursor.take(bins)) for _ in range(m)] for m in members]
        post = [[tuple(int(c) for c in cursor.take(bins)) for _ in range(m)] for m in members]
        hist.append(
            [
                [
                    (Histogram(pre_edges, pre[r][k]), Histogram(post_edges, post[r][k]))
                    for k in range(m)
                ]
                for r, m in enumerate(members)
            ]
        )
    return hist


def _layer_stats(
    result: RunEpoch,
    values: list[float],
    hist: list[tuple[Histogram, Histogram]] | None,
) -> tuple[LayerStats, ...]:
    """One member's per-layer numbers (`values`, LAYER_VALUE_NAMES per layer) as LayerStats."""
    relu_family = result.activation in RELU_FAMILY
    dead_capable = result.activation in DEAD_CAPABLE
    saturating = result.activation in SATURATING
    n_layer = len(LAYER_VALUE_NAMES)
    shares = values[len(result.pres) * n_layer :] if result.n_shares else []
    layers = []
    for layer in range(len(result.pres)):
        stats = dict(
            zip(LAYER_VALUE_NAMES, values[layer * n_layer : (layer + 1) * n_layer], strict=True)
        )
        width = int(result.pres[layer].shape[-1])
        cells = result.posts[layer][0].numel()
        pre_hist, post_hist = hist[layer] if hist else (None, None)
        layers.append(
            LayerStats(
                layer=layer + 1,
                width=width,
                pre_min=stats["pre_min"],
                pre_max=stats["pre_max"],
                pre_mean=stats["pre_mean"],
                pre_std=stats["pre_std"],
                # both per unit, on the training rows (engine/config.py's definitions)
                dead_fraction=_share(stats["dead_units"], width, dead_capable),
                saturated_fraction=_share(stats["saturated_units"], width, saturating),
                zero_fraction=_share(stats["zero_count"], cells, relu_family),
                grad_norm=stats["grad_norm"],
                update_ratio=stats["update_norm"] / max(stats["weight_norm_before"], 1e-12),
                pre_hist=pre_hist,
                post_hist=post_hist,
                input_share=tuple(shares) if shares and layer == 0 else None,
            )
        )
    return tuple(layers)


# -- several members folded into one run's numbers ------------------------------------------------


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def _optional_mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return _mean(known) if known else None


def _span(values: list[float | None]) -> tuple[float, float] | None:
    known = [v for v in values if v is not None]
    return (min(known), max(known)) if known else None


def _pooled(histograms: list[Histogram | None]) -> Histogram | None:
    """Every member's counts summed on the shared edges."""
    known = [h for h in histograms if h is not None]
    if not known:
        return None
    counts = [sum(column) for column in zip(*(h.counts for h in known), strict=True)]
    return Histogram(known[0].edges, tuple(counts))


def _fold_layer(layers: list[LayerStats]) -> LayerStats:
    """One layer over the live members: shares are the member mean with their min..max range,
    histograms and pre_min/pre_max pooled, the pooled std from the members' means and stds (equal
    sizes), norms and ratios the member mean."""
    means = [layer.pre_mean for layer in layers]
    pooled_mean = _mean(means)
    within = _mean([layer.pre_std**2 for layer in layers])
    between = _mean([(m - pooled_mean) ** 2 for m in means])
    return LayerStats(
        layer=layers[0].layer,
        width=layers[0].width,
        pre_min=min(layer.pre_min for layer in layers),
        pre_max=max(layer.pre_max for layer in layers),
        pre_mean=pooled_mean,
        pre_std=math.sqrt(within + between) if math.isfinite(within + between) else math.nan,
        dead_fraction=_optional_mean([layer.dead_fraction for layer in layers]),
        saturated_fraction=_optional_mean([layer.saturated_fraction for layer in layers]),
        zero_fraction=_optional_mean([layer.zero_fraction for layer in layers]),
        grad_norm=_mean([layer.grad_norm for layer in layers]),
        update_ratio=_mean([layer.update_ratio for layer in layers]),
        pre_hist=_pooled([layer.pre_hist for layer in layers]),
        post_hist=_pooled([layer.post_hist for layer in layers]),
        dead_range=_span([layer.dead_fraction for layer in layers]),
        saturated_range=_span([layer.saturated_fraction for layer in layers]),
        **_fold_shares(layers),
    )


def _fold_shares(layers: list[LayerStats]) -> dict[str, Any]:
    """The input shares' member mean and, per feature, the members' min..max."""
    shares = [layer.input_share for layer in layers if layer.input_share]
    if not shares:
        return {}
    columns = list(zip(*shares, strict=True))
    return {
        "input_share": tuple(_mean(list(c)) for c in columns),
        "input_share_range": tuple((min(c), max(c)) for c in columns),
    }


def fold_members(members: list[HostEpoch], alive: list[bool], seeds: tuple[int, ...]) -> HostEpoch:
    """One run's epoch from its members' epochs: the mean over the live members (NaN when none
    lives), with every member's numbers in `members`; a diverged member's numbers are NaN.

    One member is the one-seed run itself: its own numbers, `members` None.
    """
    if len(members) == 1:
        return members[0]
    live = [m for m, ok in zip(members, alive, strict=True) if ok]
    nan = math.nan

    def each(values: list[float]) -> tuple[float, ...]:
        return tuple(v if ok else nan for v, ok in zip(values, alive, strict=True))

    def r2(value: float | None) -> float:  # set on every member of a regression run
        return nan if value is None else value

    regression = members[0].val_r2 is not None
    train_scores = [r2(m.train_r2) if regression else m.train_accuracy for m in members]
    val_scores = [r2(m.val_r2) if regression else m.val_accuracy for m in members]
    n_layers = len(members[0].layers)
    layers = tuple(_fold_layer([m.layers[i] for m in live]) for i in range(n_layers) if live)
    return HostEpoch(
        train_loss=_mean([m.train_loss for m in live]),
        train_accuracy=_mean([m.train_accuracy for m in live]),
        val_loss=_mean([m.val_loss for m in live]),
        val_accuracy=_mean([m.val_accuracy for m in live]),
        layers=layers,
        train_r2=_mean([r2(m.train_r2) for m in live]) if regression else None,
        val_r2=_mean([r2(m.val_r2) for m in live]) if regression else None,
        members=Members(
            seeds=seeds,
            train_loss=each([m.train_loss for m in members]),
            val_loss=each([m.val_loss for m in members]),
            train_score=each(train_scores),
            val_score=each(val_scores),
            diverged=tuple(not ok for ok in alive),
        ),
    )
