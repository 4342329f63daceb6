"""Seeds: each run is N members trained as one batched model, member k under seed + k.

The batched model must be N independent models: member k of a run with `seeds=N` trains like a
one-seed run with `seed=k`, epoch by epoch. Not bit for bit: the batched matmul (baddbmm) and the
per-member loss mean add in another order than nn.Linear's addmm and cross_entropy's mean, so
float32 results differ in the last bits. Measured over the cases below (30 epochs, 4 members):
at most 8.4e-7 relative on a loss and 1.9e-6 relative to the largest prediction; the tolerance
is 1e-5, about five times that. On the default model (wine, 13→64→3, 100 epochs, 5 members) the
same comparison gives at most 2.9e-6 on a loss for every optimizer and 1.5e-7 (Adam), 4.6e-7
(AdamW), 0 (RMSprop) and 1.5e-5 (SGD with momentum, raw inputs: the slowest to settle) on the
predictions.

Where training is chaotic those last bits grow: raw breast_cancer with tanh and SGD saturates,
and a 1e-7 difference at epoch 5 is 4e-5 at epoch 10 and 6% at epoch 20; raw wine with tanh and
RMSprop ends 20 epochs 9e-5 apart (the same happens to one seed computed on another device or
BLAS). The cases here train in a stable regime, so what
they compare is the batching, not the chaos.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from normtui.engine.config import ConfigError, SessionConfig
from normtui.engine.data.prepare import prepare
from normtui.engine.events import EpochEnd, RunDiverged
from normtui.engine.models import MemberPReLU
from normtui.engine.session import Session
from normtui.engine.trainer import PairTrainer

MEMBERS = 3
EPOCHS = 20
SWAP_AT = 8
REL_TOL = 1e-5
RUNS = ("raw", "normalized")


def _train(config: SessionConfig, swap: str | None):
    """Per epoch and run: (train losses, val losses) per member; then final val predictions."""
    trainer = PairTrainer(config)
    losses = []
    for epoch in range(EPOCHS):
        if swap is not None and epoch == SWAP_AT:
            trainer.set_activation(swap)
        outcome = trainer.train_epoch()
        assert not outcome.diverged and not outcome.failed
        row = {}
        for name in RUNS:
            host = outcome.results[name]
            if host.members is None:
                row[name] = ((host.train_loss,), (host.val_loss,))
            else:
                row[name] = (host.members.train_loss, host.members.val_loss)
        losses.append(row)
    with torch.no_grad():
        predictions = {name: trainer.runs[name].model(trainer.runs[name].X_val) for name in RUNS}
    return losses, predictions


@pytest.mark.parametrize(
    ("optimizer", "activation", "swap", "dataset", "batch_size"),
    [
        ("adam", "relu", None, "wine", None),
        ("adamw", "prelu", None, "wine", 32),
        ("sgd", "relu", None, "iris", 16),
        ("rmsprop", "relu", None, "wine", None),
        ("adam", "relu", "prelu", "wine", None),  # the swap adds per-member PReLU slopes
        ("sgd", "prelu", "tanh", "iris", 16),  # ...and removes them
        ("adam", "relu", None, "diabetes", 64),  # regression: MSE per member
    ],
)
def test_member_k_of_a_batched_run_trains_like_a_one_seed_run_with_seed_k(
    optimizer: str, activation: str, swap: str | None, dataset: str, batch_size: int | None
) -> None:
    base = SessionConfig(
        dataset=dataset,
        optimizer=optimizer,
        activation=activation,
        batch_size=batch_size,
        hidden=(16, 8),
        parallel=False,
        hist_interval_s=0,
    )
    batched_losses, batched_predictions = _train(base.replace(seeds=MEMBERS), swap)
    for k in range(MEMBERS):
        single_losses, single_predictions = _train(base.replace(seed=k), swap)
        for epoch, (batched, single) in enumerate(zip(batched_losses, single_losses, strict=True)):
            for name in RUNS:
                for mine, theirs in zip(batched[name], single[name], strict=True):
                    assert math.isclose(mine[k], theirs[0], rel_tol=REL_TOL), (name, epoch + 1, k)
        for name in RUNS:
            mine, theirs = batched_predictions[name][k], single_predictions[name][0]
            assert (mine - theirs).abs().max() <= REL_TOL * theirs.abs().max(), (name, k)


def test_each_member_has_its_own_split_of_equal_size_shared_by_both_runs() -> None:
    config = SessionConfig(dataset="wine", seed=5, seeds=MEMBERS)
    trainer = PairTrainer(config)
    assert trainer.seeds == (5, 6, 7)
    raw, normalized = trainer.runs["raw"], trainer.runs["normalized"]
    assert raw.X_train.shape[0] == MEMBERS and raw.X_train.shape[1:] == (142, 13)
    assert torch.equal(raw.y_train, normalized.y_train)  # the pair shares each member's split
    for k in range(MEMBERS):
        alone = prepare(config.replace(seed=5 + k, seeds=1))
        np.testing.assert_array_equal(raw.X_train[k].numpy(), alone.X_train_raw)
        # the scaler is fitted on member k's own training split
        np.testing.assert_array_equal(normalized.X_train[k].numpy(), alone.X_train_scaled)
        np.testing.assert_allclose(alone.X_train_scaled.mean(axis=0), 0.0, atol=1e-5)
    assert not torch.equal(raw.y_train[0], raw.y_train[1])  # different splits
    # and both runs start each member from the same weights, members from different ones
    first = raw.model.linears[0].weight
    assert torch.equal(first, normalized.model.linears[0].weight)
    assert not torch.equal(first[0], first[1])


def test_a_diverged_member_is_left_out_and_the_others_train_on_untouched() -> None:
    config = SessionConfig(dataset="iris", seeds=MEMBERS, parallel=False, hist_interval_s=0)
    poisoned, clean = PairTrainer(config), PairTrainer(config)
    for _ in range(2):
        poisoned.train_epoch(), clean.train_epoch()
    for name in RUNS:
        with torch.no_grad():
            poisoned.runs[name].model.linears[0].weight[1].fill_(math.nan)
    for epoch in range(3):
        outcome, reference = poisoned.train_epoch(), clean.train_epoch()
        if epoch == 0:
            assert outcome.member_diverged == {name: [(1, "nan")] for name in RUNS}
        else:
            assert outcome.member_diverged == {}
        assert not outcome.diverged  # the run goes on
        for name in RUNS:
            host, alone = outcome.results[name], reference.results[name].members
            assert host.members is not None and alone is not None
            assert host.members.diverged == (False, True, False)
            assert math.isnan(host.members.train_loss[1])
            for k in (0, 2):  # members never mix: the others are exactly as without the NaN
                assert host.members.train_loss[k] == alone.train_loss[k]
            assert math.isclose(host.train_loss, (alone.train_loss[0] + alone.train_loss[2]) / 2)
            assert host.layers and all(math.isfinite(layer.pre_max) for layer in host.layers)
            assert sum(host.layers[0].pre_hist.counts) == 2 * 30 * 64  # two members pooled


def test_a_run_diverges_when_its_last_member_does(recorder) -> None:
    config = SessionConfig(
        dataset="scales", activation="identity", optimizer="sgd", lr=1.0, epochs=12, seeds=2
    )
    session = Session(config)
    session.start(recorder)
    assert session.join(60)
    raw = [(e.member, e.epoch) for e in recorder.of(RunDiverged) if e.run == "raw"]
    assert [member for member, _ in raw] == [0, 1, None]  # each member, then the whole run
    assert raw[-1][1] >= max(epoch for _, epoch in raw)
    assert all(e.epoch < raw[-1][1] for e in recorder.epochs("raw"))
    assert recorder.epochs("normalized")[-1].epoch == 12
    epochs = recorder.of(EpochEnd)
    assert all(e.members is not None and e.members.seeds == (0, 1) for e in epochs)


def test_commands_reach_every_member() -> None:
    trainer = PairTrainer(SessionConfig(dataset="wine", hidden=(16, 8), seeds=MEMBERS))
    trainer.train_epoch()
    trainer.set_lr(0.01)
    assert all(g["lr"] == 0.01 for r in trainer.runs.values() for g in r.optimizer.param_groups)
    trainer.set_activation("prelu")
    run = trainer.runs["normalized"]
    slopes = [act.weight for act in run.model.activations]
    assert all(isinstance(act, MemberPReLU) for act in run.model.activations)
    assert all(s.shape == (MEMBERS, width) for s, width in zip(slopes, (16, 8), strict=True))
    optimized = {id(p) for group in run.optimizer.param_groups for p in group["params"]}
    assert all(id(s) in optimized for s in slopes)
    before = [s.detach().clone() for s in slopes]
    for _ in range(3):
        trainer.train_epoch()
    for old, new in zip(before, slopes, strict=True):
        assert all(not torch.equal(old[k], new[k]) for k in range(MEMBERS))  # each member learns
    trainer.set_activation("relu")
    optimized = {id(p) for group in run.optimizer.param_groups for p in group["params"]}
    assert not any(id(s) in optimized for s in slopes)


def test_seed_counts_out_of_range_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="seeds 0 out of range"):
        SessionConfig(seeds=0)
    with pytest.raises(ConfigError, match="largest seed"):
        SessionConfig(seed=2**32 - 1, seeds=2)
    with pytest.raises(ConfigError, match="x 256 seeds"):
        SessionConfig(hidden=(4096, 4096), seeds=256)
