"""`normtui lr-find`: the learning-rate range test of both runs, every seed at once.

The pair is built as the trainer builds it (`PairTrainer`: one shared init, member k's own split
and batch order), then every step sets the rate of the next point of an exponential schedule on
both runs, takes one step and records each member's training loss on that step's batch (before
the step, as fastai records it). A member stops counting once it blows up (engine/lr_range.py);
a run stops stepping when all its members have. The analysis is engine/lr_range.py's.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from normtui.engine.config import ConfigError, SessionConfig
from normtui.engine.events import RUN_NAMES
from normtui.engine.lr_range import (
    DEFAULT_LR_MAX,
    DEFAULT_LR_MIN,
    DEFAULT_STEPS,
    MIN_STEPS,
    LossSmoother,
    RunRange,
    analyse_member,
    rate_schedule,
    smoothing_beta,
    summarise_run,
)
from normtui.engine.models import eager_step
from normtui.engine.run import Run


@dataclass(frozen=True)
class RangeTest:
    """The test's schedule and each run's verdict, as `--json` prints it."""

    rates: tuple[float, ...]
    beta: float
    runs: dict[str, RunRange]
    seeds: tuple[int, ...]
    dataset: str
    optimizer: str
    activation: str
    scaler: str
    batch_size: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "optimizer": self.optimizer,
            "activation": self.activation,
            "scaler": self.scaler,
            "batch_size": self.batch_size,
            "seeds": list(self.seeds),
            "beta": self.beta,
            "rates": list(self.rates),
            "runs": {name: run.to_dict() for name, run in self.runs.items()},
        }


def check_range(steps: int, lr_min: float, lr_max: float) -> None:
    """The schedule's options, refused with one line each (ConfigError: exit 2)."""
    if steps < MIN_STEPS:
        raise ConfigError(f"--steps {steps} is too few: at least {MIN_STEPS}")
    if not (lr_min > 0 and np.isfinite(lr_min)):
        raise ConfigError(f"--lr-min {lr_min:g} must be a positive number")
    if not (np.isfinite(lr_max) and lr_max > lr_min):
        raise ConfigError(f"--lr-max {lr_max:g} must be above --lr-min {lr_min:g}")


class Cancelled(Exception):
    """The caller's cancel event was set between two steps."""


def _step_runs(
    runs: dict[str, Run],
    steppers: dict[str, Callable[[], object]],
    smoothers: dict[str, list[LossSmoother]],
    order: torch.Tensor | None,
    start: int,
    batch_size: int,
    rate: float,
) -> dict[str, list[float]]:
    """One step of every run still going, at `rate`: each member's loss on this batch."""
    out: dict[str, list[float]] = {}
    for name, run in runs.items():
        going = [not s.stopped for s in smoothers[name]]
        if not any(going):
            out[name] = [float("nan")] * len(going)
            continue
        run.set_lr(rate)
        if order is None:
            inputs = run.X_train[:, start : start + batch_size]
            targets = run.y_train[:, start : start + batch_size]
        else:
            rows = torch.arange(run.members, device=order.device).unsqueeze(1)
            index = order[:, start : start + batch_size]
            inputs, targets = run.X_train[rows, index], run.y_train[rows, index]
        run.optimizer.zero_grad(set_to_none=True)
        _, member_losses = run.task.member_loss(run.model(inputs), targets)
        mask = torch.tensor(going, device=member_losses.device)
        # a stopped member's loss (perhaps inf or NaN) no longer drives a gradient
        torch.where(mask, member_losses, torch.zeros_like(member_losses)).sum().backward()
        steppers[name]()
        out[name] = member_losses.detach().tolist()
    return out


def range_test(
    config: SessionConfig,
    *,
    steps: int = DEFAULT_STEPS,
    lr_min: float = DEFAULT_LR_MIN,
    lr_max: float = DEFAULT_LR_MAX,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RangeTest:
    """Run the range test on `config`'s pair; deterministic under its seed."""
    from normtui.engine.trainer import PairTrainer

    check_range(steps, lr_min, lr_max)
    if config.lrs:
        raise ConfigError("--lrs trains a grid of fixed rates; lr-find sweeps the rate itself")
    trainer = PairTrainer(dataclasses.replace(config, parallel=False))
    try:
        rates = rate_schedule(lr_min, lr_max, steps)
        beta = smoothing_beta(lr_min, lr_max, steps)
        runs = trainer.runs
        for run in runs.values():
            run.model.train()  # batch norm layers (if any) as in training
        steppers = {name: eager_step(run.optimizer) for name, run in runs.items()}
        smoothers = {name: [LossSmoother(beta) for _ in trainer.seeds] for name in runs}
        recorded: dict[str, list[list[float]]] = {name: [] for name in runs}
        n_train, batch_size = len(trainer.data.y_train), trainer.batch_size
        order, start = None, n_train
        for i, rate in enumerate(rates):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            if start >= n_train:  # a new pass: the trainer's order for its next epoch
                order, start = trainer.batch_order(), 0
            losses = _step_runs(runs, steppers, smoothers, order, start, batch_size, float(rate))
            start += batch_size
            for name, member_losses in losses.items():
                recorded[name].append(member_losses)
                for smoother, loss in zip(smoothers[name], member_losses, strict=True):
                    if not smoother.stopped:
                        smoother.add(loss)
            if progress is not None:
                progress(i + 1, steps)
            if all(s.stopped for group in smoothers.values() for s in group):
                break
    finally:
        trainer.close()
    results = {}
    for name in RUN_NAMES:
        table = np.asarray(recorded[name], dtype=np.float64).T  # [members, steps taken]
        members = [
            analyse_member(seed, rates, table[k], beta) for k, seed in enumerate(trainer.seeds)
        ]
        results[name] = summarise_run(name, members, rates)
    return RangeTest(
        rates=tuple(float(r) for r in rates),
        beta=beta,
        runs=results,
        seeds=tuple(trainer.seeds),
        dataset=trainer.data.name,
        optimizer=config.optimizer,
        activation=config.activation,
        scaler=config.scaler,
        batch_size=config.batch_size,
    )
