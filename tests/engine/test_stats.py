"""Histogram binning: shared edges, non-finite values left out, a bounded number of rows."""

from __future__ import annotations

import math

import pytest
import torch

from normtui.engine.config import SATURATION_DERIVATIVE, SessionConfig
from normtui.engine.events import LayerStats
from normtui.engine.run import LAYER_VALUE_NAMES, RUN_VALUE_NAMES, RunEpoch
from normtui.engine.stats import HIST_MAX_ROWS, HostEpoch, fold_members, to_host
from normtui.engine.task import Task
from normtui.engine.trainer import PairTrainer

BINS = 8


CLASSES = Task("classification", 2)


def _result(pre: torch.Tensor, alive: torch.Tensor | None = None) -> RunEpoch:
    """One run's epoch; `pre` is [rows, width] (one member) or [members, rows, width]."""
    pre = pre if pre.dim() == 3 else pre.unsqueeze(0)
    n_values = len(RUN_VALUE_NAMES) + len(LAYER_VALUE_NAMES)
    values = torch.ones(pre.shape[0], n_values)
    return RunEpoch(
        values=values,
        n_train=10,
        n_val=pre.shape[1],
        activation="tanh",
        pres=[pre],
        posts=[torch.tanh(pre)],
        seconds=0.0,
        alive=alive,
    )


def test_histograms_skip_non_finite_values_and_share_edges() -> None:
    raw = torch.tensor([[1.0, float("nan")], [float("inf"), -1000.0], [3.0, 2.0]])
    normalized = torch.tensor([[0.5, -0.5], [0.1, 0.2], [0.0, 0.3]])
    hosts = to_host(
        [_result(raw), _result(normalized)], with_histograms=True, bins=BINS, tasks=CLASSES
    )
    raw_layer, norm_layer = hosts[0][0].layers[0], hosts[1][0].layers[0]
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
        [_result(pre), _result(pre * 100)], with_histograms=True, bins=BINS, tasks=CLASSES
    )
    for (host,) in hosts:
        layer = host.layers[0]
        assert sum(layer.pre_hist.counts) == HIST_MAX_ROWS * 16
        assert sum(layer.post_hist.counts) == HIST_MAX_ROWS * 16


def test_all_non_finite_layer_gives_empty_histogram_not_an_error() -> None:
    broken = torch.full((4, 3), float("nan"))
    hosts = to_host(
        [_result(broken), _result(broken)], with_histograms=True, bins=BINS, tasks=CLASSES
    )
    layer = hosts[0][0].layers[0]
    assert sum(layer.pre_hist.counts) == 0
    assert all(math.isfinite(edge) for edge in layer.pre_hist.edges)


def test_members_share_edges_a_diverged_member_is_left_out_and_the_rest_pooled() -> None:
    """Member 1 has diverged (huge values): it neither stretches the edges nor joins the pool."""
    members = torch.stack(
        [
            torch.tensor([[0.5, -0.5], [0.1, 0.2], [0.0, 0.3]]),
            torch.full((3, 2), 1e6),
            torch.tensor([[3.0, -2.0], [0.1, 0.2], [0.0, 0.3]]),
        ]
    )
    alive = torch.tensor([True, False, True])
    (hosts,) = to_host([_result(members, alive)], with_histograms=True, bins=BINS, tasks=CLASSES)
    assert len(hosts) == 3
    edges = hosts[0].layers[0].pre_hist.edges
    assert edges == hosts[2].layers[0].pre_hist.edges
    assert math.isclose(edges[0], -2.0, rel_tol=1e-4) and math.isclose(edges[-1], 3.0, rel_tol=1e-4)
    assert sum(hosts[1].layers[0].pre_hist.counts) == 0  # masked out on the device
    folded = fold_members(hosts, [True, False, True], (0, 1, 2))
    layer = folded.layers[0]
    first, third = (hosts[k].layers[0].pre_hist.counts for k in (0, 2))
    assert layer.pre_hist.counts == tuple(a + b for a, b in zip(first, third, strict=True))
    assert sum(layer.pre_hist.counts) == 12
    assert folded.members is not None and folded.members.diverged == (False, True, False)
    assert math.isnan(folded.members.train_loss[1])
    assert layer.saturated_range is not None and layer.dead_range is None  # tanh saturates


def test_folding_takes_the_mean_of_live_members_and_their_range() -> None:
    def member(loss: float, accuracy: float, dead: float) -> HostEpoch:
        layer = LayerStats(
            layer=1, width=4, pre_min=-loss, pre_max=loss, pre_mean=0.0, pre_std=1.0,
            dead_fraction=dead, saturated_fraction=None, grad_norm=1.0, update_ratio=0.1,
        )  # fmt: skip
        return HostEpoch(
            train_loss=loss, train_accuracy=accuracy, val_loss=loss, val_accuracy=accuracy,
            layers=(layer,),
        )  # fmt: skip

    hosts = [member(1.0, 0.5, 0.25), member(3.0, 1.0, 0.75), member(math.inf, 0.0, 1.0)]
    folded = fold_members(hosts, [True, True, False], (7, 8, 9))
    assert folded.train_loss == 2.0 and folded.val_accuracy == 0.75
    assert folded.members.seeds == (7, 8, 9) and folded.members.val_score[:2] == (0.5, 1.0)
    (layer,) = folded.layers
    assert layer.dead_fraction == 0.5 and layer.dead_range == (0.25, 0.75)
    assert layer.pre_min == -3.0 and layer.pre_max == 3.0
    assert fold_members(hosts[:1], [True], (7,)) is hosts[0]  # one member: the one-seed epoch
    nobody = fold_members(hosts, [False, False, False], (7, 8, 9))
    assert math.isnan(nobody.train_loss) and nobody.layers == ()


def _stuck(activation: str, bias: float) -> float:
    """Every first-layer unit's input set to `bias` on every row: the share the run counts
    as stuck (dead for ReLU, saturated for tanh/sigmoid), per unit on the training rows."""
    config = SessionConfig(dataset="iris", activation=activation, hidden=(4,), epochs=1)
    trainer = PairTrainer(config)
    try:
        run = trainer.runs["raw"]
        with torch.no_grad():
            run.model.linears[0].weight.zero_()
            run.model.linears[0].bias.fill_(bias)
            return float(run._stuck_units(activation)[0][0]) / 4
    finally:
        trainer.close()


def test_dead_is_relu_only_and_counted_per_unit_on_the_training_rows() -> None:
    assert _stuck("relu", -1.0) == 1.0 and _stuck("relu", 1.0) == 0.0
    for activation in ("leaky_relu", "elu"):  # the negative side still passes a gradient
        assert _stuck(activation, -1.0) == 0.0


@pytest.mark.parametrize(
    ("activation", "output", "saturated"),
    [
        ("tanh", 0.97, False),  # tanh' = 0.059 of its largest: the old |y| > 0.97 rule said yes
        ("tanh", 0.98, True),  # 0.040
        ("sigmoid", 0.98, False),  # sigmoid' = 0.078 of its largest: the old > 0.97 said yes
        ("sigmoid", 0.99, True),  # 0.040
    ],
)
def test_one_saturation_threshold_by_derivative(
    activation: str, output: float, saturated: bool
) -> None:
    bias = math.atanh(output) if activation == "tanh" else math.log(output / (1 - output))
    assert SATURATION_DERIVATIVE == 0.05
    assert _stuck(activation, bias) == (1.0 if saturated else 0.0)
