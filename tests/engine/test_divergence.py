"""Divergence covers a runaway loss, not only NaN: one rule, stated in engine/divergence.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from normtui.engine.config import DATASETS, SessionConfig
from normtui.engine.divergence import (
    RUNAWAY_MULTIPLE,
    LossWatch,
    compact,
    describe,
    diverged,
    trivial_loss,
)
from normtui.engine.events import RUN_NAMES, EpochEnd, RunDiverged
from normtui.engine.log import LogWriter, read_log
from normtui.engine.session import Session
from normtui.engine.sinks import fan_out
from normtui.engine.task import Task
from normtui.engine.trainer import PairTrainer


def test_the_rule_on_plain_numbers() -> None:
    trivial = math.log(3)  # ln C: three classes
    assert not diverged(0.7, trivial)
    assert not diverged(trivial * RUNAWAY_MULTIPLE, trivial)  # at the multiple: not yet
    assert diverged(trivial * RUNAWAY_MULTIPLE * 1.01, trivial)
    assert diverged(math.nan, trivial) and diverged(math.inf, trivial)
    assert diverged(0.5, trivial, val_loss=math.nan)  # a NaN validation loss counts too
    assert not diverged(0.5, trivial, val_loss=40.0)  # overfitting is not divergence


def test_the_rule_works_elementwise_on_ensemble_members() -> None:
    """The seeds work applies it per member: torch and numpy vectors of shape [N]."""
    reference = torch.tensor([0.7, 0.7, 2.0, 1.0])
    loss = torch.tensor([0.1, 1e7, math.nan, 9e3])
    val = torch.tensor([0.2, 0.2, 0.2, math.inf])
    flags = diverged(loss, reference, val)
    assert flags.dtype == torch.bool and flags.tolist() == [False, True, True, True]
    as_numpy = diverged(loss.numpy(), reference.numpy(), val.numpy())
    assert as_numpy.tolist() == [False, True, True, True]
    watch = LossWatch(torch.tensor([1.0, 2.0]))
    assert watch.check(torch.tensor([1e5, 1e5])).tolist() == [False, False]
    assert watch.check(torch.tensor([1.5e6, 1.5e6])).tolist() == [True, False]


def test_the_bar_is_the_trivial_loss_and_the_reason_reads_in_words() -> None:
    watch = LossWatch(math.log(2))
    assert not watch.check(50.0)  # a raw run's first epochs may start far above ln C
    assert watch.check(1e6)
    assert describe(7.41e5, 0.693) == "loss 741,000 > 1,000,000 × the trivial loss 0.693"
    assert describe(math.nan, None) == "loss nan"
    assert compact(1.5103329e21) == "1.51e21" and compact(-4.99e12) == "−4.99e12"


def test_trivial_loss_is_ln_c_for_classes_and_var_y_for_squared_error() -> None:
    assert trivial_loss(Task("classification", 3)) == pytest.approx(math.log(3))
    task = Task("regression", 1, target_unit=2.0, train_variance=1.5)
    assert trivial_loss(task) == pytest.approx(1.5 * 4.0)  # var(y) in the target's units


def test_on_a_regression_preset_both_runs_share_one_absolute_bar() -> None:
    """scales_regression: the old bar (x its own first epoch) was 71,000x looser for raw; now
    both runs of each member are held to var(y) of that member's training targets."""
    config = SessionConfig(dataset="scales_regression", epochs=1, seeds=2)
    trainer = PairTrainer(config)
    try:
        raw, normalized = (trainer.runs[name].watch.reference for name in RUN_NAMES)
        assert list(raw) == list(normalized)
        for k, data in enumerate(trainer.member_data):
            y = data.y_train.astype(np.float64) * data.target_unit
            assert raw[k] == pytest.approx(np.var(y), rel=1e-6)
    finally:
        trainer.close()


def _run(config: SessionConfig, log: str | None = None) -> list:
    events: list = []
    writer = LogWriter(log, config.to_dict()) if log else None
    session = Session(config)
    session.start(events.append if writer is None else fan_out(events.append, writer))
    assert session.join(120)
    if writer is not None:
        writer.close()
    return events


def test_an_exploding_run_is_called_diverged_with_the_loss_that_ran_away(tmp_path) -> None:
    """The issue's command: SGD at lr 10 on scales; the normalized run's loss climbs to 1e21."""
    config = SessionConfig(dataset="scales", optimizer="sgd", lr=10.0, epochs=50)
    log = str(tmp_path / "runaway.jsonl")
    events = _run(config, log)
    logged = [e for e in read_log(log)[1] if isinstance(e, RunDiverged)]
    assert logged == [e for e in events if isinstance(e, RunDiverged)]  # the log says it too
    diverged_events = {e.run: e for e in events if isinstance(e, RunDiverged)}
    normalized = diverged_events["normalized"]
    assert normalized.reference is not None and math.isfinite(float(normalized.loss))
    assert float(normalized.loss) > RUNAWAY_MULTIPLE * normalized.reference
    epochs = [e for e in events if isinstance(e, EpochEnd) and e.run == "normalized"]
    # the epoch that ran away is shown, and it is the last one: the run stops there
    assert epochs[-1].epoch == normalized.epoch and epochs[-1].train_loss == float(normalized.loss)
    assert normalized.epoch < 50


@pytest.mark.parametrize("dataset", DATASETS)
def test_normal_training_on_every_preset_never_trips_the_rule(dataset: str) -> None:
    epochs = 15 if dataset == "digits" else 40
    for activation in ("relu", "tanh"):
        config = SessionConfig(dataset=dataset, activation=activation, epochs=epochs)
        events = _run(config)
        assert not [e for e in events if isinstance(e, RunDiverged)], (dataset, activation)
        assert max(e.epoch for e in events if isinstance(e, EpochEnd)) == epochs


def test_with_seeds_each_member_runs_away_on_its_own_and_the_run_when_the_last_does() -> None:
    config = SessionConfig(dataset="scales", optimizer="sgd", lr=10.0, epochs=30, seeds=3)
    events = _run(config)
    normalized = [e for e in events if isinstance(e, RunDiverged) and e.run == "normalized"]
    members = [e for e in normalized if e.member is not None]
    assert sorted(e.member for e in members) == [0, 1, 2]
    assert all(e.reference is not None for e in members)  # runaways, each against its own bar
    assert normalized[-1].member is None and normalized[-1].epoch == max(e.epoch for e in members)
