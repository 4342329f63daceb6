"""Divergence covers a runaway loss, not only NaN: one rule, stated in engine/divergence.py."""

from __future__ import annotations

import math

import pytest
import torch

from normtui.engine.config import DATASETS, SessionConfig
from normtui.engine.divergence import (
    RUNAWAY_MULTIPLE,
    LossWatch,
    compact,
    describe,
    diverged,
)
from normtui.engine.events import EpochEnd, RunDiverged
from normtui.engine.log import LogWriter, read_log
from normtui.engine.session import Session
from normtui.engine.sinks import fan_out


def test_the_rule_on_plain_numbers() -> None:
    assert not diverged(0.7, 0.7)
    assert not diverged(0.7 * RUNAWAY_MULTIPLE, 0.7)  # at the multiple: not yet
    assert diverged(0.7 * RUNAWAY_MULTIPLE * 1.01, 0.7)
    assert diverged(math.nan, 0.7) and diverged(math.inf, 0.7)
    assert diverged(0.5, 0.7, val_loss=math.nan)  # a NaN validation loss counts too
    assert not diverged(0.5, 0.7, val_loss=40.0)  # overfitting is not divergence


def test_the_rule_works_elementwise_on_ensemble_members() -> None:
    """The seeds work applies it per member: torch and numpy vectors of shape [N]."""
    reference = torch.tensor([0.7, 0.7, 2.0, 1.0])
    loss = torch.tensor([0.1, 1e5, math.nan, 9e3])
    val = torch.tensor([0.2, 0.2, 0.2, math.inf])
    flags = diverged(loss, reference, val)
    assert flags.dtype == torch.bool and flags.tolist() == [False, True, True, True]
    as_numpy = diverged(loss.numpy(), reference.numpy(), val.numpy())
    assert as_numpy.tolist() == [False, True, True, True]
    watch = LossWatch()
    assert watch.check(torch.tensor([1.0, 2.0])).tolist() == [False, False]
    assert watch.check(torch.tensor([1e5, 1.5e4])).tolist() == [True, False]


def test_the_first_loss_is_the_reference_and_the_reason_reads_in_words() -> None:
    watch = LossWatch()
    assert not watch.check(0.739) and watch.reference == 0.739
    assert not watch.check(0.01)  # the best is not the reference: only the first is
    assert watch.check(18118.37)
    assert describe(18118.37, 0.739) == "loss 18,118 > 10,000 × epoch 1's 0.739"
    assert describe(math.nan, None) == "loss nan"
    assert compact(1.5103329e21) == "1.51e21" and compact(-4.99e12) == "−4.99e12"


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
    assert all(e.reference is not None for e in members)  # runaways, each against its own start
    assert normalized[-1].member is None and normalized[-1].epoch == max(e.epoch for e in members)
