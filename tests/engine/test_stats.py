"""Histogram binning: shared edges, non-finite values left out, a bounded number of rows."""

from __future__ import annotations

import math

import torch

from normtui.engine.run import LAYER_VALUE_NAMES, RUN_VALUE_NAMES, RunEpoch
from normtui.engine.stats import HIST_MAX_ROWS, to_host
from normtui.engine.task import Task

BINS = 8


CLASSES = Task("classification", 2)


def _result(pre: torch.Tensor) -> RunEpoch:
    n_values = len(RUN_VALUE_NAMES) + len(LAYER_VALUE_NAMES)
    values = torch.ones(n_values)
    return RunEpoch(
        values=values,
        n_train=10,
        n_val=pre.shape[0],
        activation="tanh",
        pres=[pre],
        posts=[torch.tanh(pre)],
        seconds=0.0,
    )


def test_histograms_skip_non_finite_values_and_share_edges() -> None:
    raw = torch.tensor([[1.0, float("nan")], [float("inf"), -1000.0], [3.0, 2.0]])
    normalized = torch.tensor([[0.5, -0.5], [0.1, 0.2], [0.0, 0.3]])
    hosts = to_host(
        [_result(raw), _result(normalized)], with_histograms=True, bins=BINS, task=CLASSES
    )
    raw_layer, norm_layer = hosts[0].layers[0], hosts[1].layers[0]
    assert raw_layer.pre_hist.edges == norm_layer.pre_hist.edges
    assert sum(raw_layer.pre_hist.counts) == 4  # nan and inf are not binned
    assert sum(norm_layer.pre_hist.counts) == 6
    edges = raw_layer.pre_hist.edges
    assert math.isclose(edges[0], -1000.0, rel_tol=1e-4)
    assert math.isclose(edges[-1], 3.0, rel_tol=1e-4)


def test_histograms_bin_at_most_hist_max_rows_of_a_large_validation_set() -> None:
    generator = torch.Generator().manual_seed(0)
    rows = HIST_MAX_ROWS * 3
    pre = torch.randn(rows, 16, generator=generator)
    hosts = to_host(
        [_result(pre), _result(pre * 100)], with_histograms=True, bins=BINS, task=CLASSES
    )
    for host in hosts:
        layer = host.layers[0]
        assert sum(layer.pre_hist.counts) == HIST_MAX_ROWS * 16
        assert sum(layer.post_hist.counts) == HIST_MAX_ROWS * 16


def test_all_non_finite_layer_gives_empty_histogram_not_an_error() -> None:
    broken = torch.full((4, 3), float("nan"))
    hosts = to_host(
        [_result(broken), _result(broken)], with_histograms=True, bins=BINS, task=CLASSES
    )
    layer = hosts[0].layers[0]
    assert sum(layer.pre_hist.counts) == 0
    assert all(math.isfinite(edge) for edge in layer.pre_hist.edges)
