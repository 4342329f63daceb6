"""A sweep row: the raw run and one run per scaler of one (dataset, activation), packed as
groups of one batched model.

`normtui train --scaler s` trains a pair: raw and s, each `seeds` members, from the same
initial weights, splits and batch orders. A sweep row asks that of several scalers at once, so
the row trains the raw run once and every scaler's run beside it: group g, member k is seeded
with member k's seed (engine/seeds.py) in every group (the pair's initial weights, split, fitted
scaler and batch order), and
members never mix (engine/models.py), so each group trains as its own run of the pair would.
One model instead of a session per cell: the raw run is trained once per row, not once per
cell, and a tiny model's per-step overhead is paid once for every group.

What comes out is what a pair session emits, per scaler: `train_row` hands each scaler's sink
the events of its pair (SessionStarted, EpochEnd and RunDiverged for "raw" and "normalized",
SessionEnded), built by the trainer's own `judge_members` and `outcome_events`, so a cell is
folded by the same Summarizer as `normtui train`.

A learning-rate grid (`sweep --lrs`) multiplies each group by its rates, laid out seed-major
inside the group as PairTrainer lays out a run (engine/grid.py): each group is then judged by the
trainer's `judge_grid`, so a cell also gets the GridEpoch events `train --lrs` sends.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch

from normtui.engine.allocator import keep_freed_memory
from normtui.engine.config import IN_NETWORK_SCALERS, SessionConfig
from normtui.engine.data.dataset import PreparedData
from normtui.engine.divergence import LossWatch, trivial_loss
from normtui.engine.errors import one_line
from normtui.engine.events import RUN_NAMES, Event, RunFinished, SessionEnded, SessionStarted
from normtui.engine.models import (
    EnsembleMLP,
    SlicedInputNorm,
    fit_first_layer,
    make_member_norm,
    resolve_device,
)
from normtui.engine.outcome import (
    EpochOutcome,
    broke_rule,
    judge_grid,
    judge_members,
    outcome_events,
)
from normtui.engine.run import Cancelled, Run
from normtui.engine.seeds import member_seeds
from normtui.engine.sinks import Sink
from normtui.engine.stats import to_host
from normtui.engine.task import Task
from normtui.engine.trainer import (
    describe_session,
    member_orders,
    plan_threads,
    stacked,
    step_macs,
)

RAW, NORMALIZED = RUN_NAMES


class RowTrainer:
    """The raw group and one group per scaler, `seeds` members each, as one batched run."""

    def __init__(
        self,
        config: SessionConfig,
        prepared: Mapping[str, Sequence[PreparedData]],
        cancel: threading.Event | None = None,
    ) -> None:
        """`prepared[scaler]`: `prepare_members(config.replace(scaler=scaler))`, every scaler
        of the row (their raw arrays are the same: the same seeds split the same rows)."""
        self.config = config
        self.cancel = cancel or threading.Event()
        self.device = resolve_device(config.device)
        self.scalers = tuple(prepared)
        self.groups = (RAW, *self.scalers)
        first = prepared[self.scalers[0]]
        self.data = first[0]
        self.seeds = member_seeds(config.seed, len(first))
        # A grid (engine/grid.py): each group seeds x rates, seed-major, as PairTrainer lays
        # out a run: member g·n·R + s·R + r is group g, seed s, rate r.
        self.rates = tuple(config.lrs)
        per_seed = max(1, len(self.rates))
        self.group_size = len(self.seeds) * per_seed
        repeat = len(self.groups)

        def each(values: Iterable) -> list:
            """Per seed -> per member of one group (a seed's rates share its arrays)."""
            return [value for value in values for _ in range(per_seed)]

        self.task = Task.of(self.data)
        self.tasks = each([Task.of(member) for member in first]) * repeat
        self.test_tasks = None
        held = [Task.held_out(m) for m in first]
        if self.rates and all(task is not None for task in held):
            self.test_tasks = each(held) * repeat
        self.batch_size = config.batch_size or len(self.data.y_train)
        n_features = len(self.data.feature_names)
        macs = (
            repeat
            * self.group_size
            * step_macs(n_features, config.hidden, self.task.n_outputs, self.batch_size)
        )
        _, threads = plan_threads(False, macs, self.device.type)
        keep_freed_memory()
        if threads:
            torch.set_num_threads(threads)
        groups = [each(m.X_train_raw for m in first), each(m.X_val_raw for m in first)]
        tests = each(m.X_test_raw for m in first) if self.test_tasks else []
        for scaler in self.scalers:
            groups[0] += each(m.X_train_scaled for m in prepared[scaler])
            groups[1] += each(m.X_val_scaled for m in prepared[scaler])
            if self.test_tasks:
                tests += each(m.X_test_scaled for m in prepared[scaler])
        device, target = self.device, self.task.target_dtype
        tensors = (
            stacked(groups[0], torch.float32, device),
            stacked(each(m.y_train for m in first) * repeat, target, device),
            stacked(groups[1], torch.float32, device),
            stacked(each(m.y_val for m in first) * repeat, target, device),
        )
        test = None
        if self.test_tasks:
            y_test = each(m.y_test for m in first) * repeat
            test = (stacked(tests, torch.float32, device), stacked(y_test, target, device))
        model = EnsembleMLP(
            n_features,
            config.hidden,
            self.task.n_outputs,
            config.activation,
            tuple(each(self.seeds)) * repeat,
            hidden_norm=config.hidden_norm,
            input_groups=per_seed,  # a seed's rates share its rows (engine/grouped.py)
        ).to(self.device)
        # batchnorm / layernorm columns: their groups got the raw inputs (engine/data/split.py)
        # and start with that layer, as `train --scaler batchnorm` does
        n = self.group_size
        parts = [
            (g * n, (g + 1) * n, make_member_norm(IN_NETWORK_SCALERS[name], n, n_features))
            for g, name in enumerate(self.groups)
            if name in IN_NETWORK_SCALERS
        ]
        if parts:
            model.input_norm = SlicedInputNorm(parts).to(self.device)
        if config.raw_init == "data":  # the raw group's first layer fitted to its inputs
            fit_first_layer(model.member_linears()[0], tensors[0][:n], slice(0, n))
        member_rates = None
        if self.rates:
            member_rates = torch.tensor(self.rates, dtype=torch.float32, device=self.device)
            member_rates = member_rates.repeat(len(self.seeds) * repeat)
        self.run = Run(
            "row",
            model,
            config.optimizer,
            config.lr,
            tensors,
            self.task,
            rates=member_rates,
            test=test,
        )
        self.run.watch = LossWatch(np.array([trivial_loss(task) for task in self.tasks]))
        self.active = list(self.groups)  # groups with a live member
        self._order_generators = [torch.Generator().manual_seed(seed) for seed in self.seeds]

    def describe(self, scaler: str, members: tuple[PreparedData, ...]) -> dict:
        """The SessionStarted fields of the pair raw vs `scaler` (member 0's split; the
        majority-class baseline over every member's)."""
        parameters = self.run.model.member_parameters()
        config = self.config.replace(scaler=scaler)
        return describe_session(config, members[0], self.device, parameters, members)

    def batch_order(self) -> torch.Tensor | None:
        """The pair's order (member k's from its seed; a seed's rates share it), the same for
        every group."""
        orders = member_orders(
            self._order_generators, len(self.data.y_train), self.batch_size, self.device
        )
        if orders is None:
            return None
        per_seed = self.group_size // len(self.seeds)
        if per_seed > 1:
            orders = orders.repeat_interleave(per_seed, dim=0)
        return orders.repeat(len(self.groups), 1)

    def train_epoch(self, detailed: bool) -> EpochOutcome:
        """One epoch of every group; the outcome is keyed by group (RAW or a scaler)."""
        outcome = EpochOutcome()
        run = self.run
        run.detailed = detailed
        try:
            epoch = run.train_epoch(self.batch_order(), self.batch_size, self.cancel)
            hosts = to_host([epoch], False, self.config.hist_bins, self.tasks, self.test_tasks)[0]
        except Cancelled:
            outcome.cancelled = True
            return outcome
        except Exception as error:  # every group of the row fails together
            message = one_line(error)
            outcome.failed = dict.fromkeys(self.active, message)
            self.active = []
            return outcome
        broke = broke_rule(run.watch, hosts)
        n = self.group_size
        for g, name in enumerate(self.groups):
            if name not in self.active:
                continue
            part = slice(g * n, (g + 1) * n)
            alive = run.alive[part]
            reference = run.watch.reference[part]
            members, broken = hosts[part], broke[part]
            if self.rates:
                dead = judge_grid(
                    outcome, name, members, broken, alive, reference, self.seeds, self.rates
                )
            else:
                dead = judge_members(outcome, name, members, broken, alive, reference, self.seeds)
            for k in dead:
                run.member_diverged(g * n + k)
            if name in outcome.diverged:
                self.active.remove(name)
        return outcome


def pair_events(events: Sequence[Event], scaler: str) -> list[Event]:
    """The row's events of the raw group and of `scaler`'s, named as a pair session names its
    runs ("raw", "normalized")."""
    pair = []
    for event in events:
        run = getattr(event, "run", None)
        if run == RAW:
            pair.append(event)
        elif run == scaler:
            pair.append(dataclasses.replace(event, run=NORMALIZED))
    return pair


def train_row(
    config: SessionConfig,
    prepared: Mapping[str, Sequence[PreparedData]],
    sinks: Mapping[str, Sink],
    cancel: threading.Event,
) -> str:
    """Train the row for `config.epochs`; `sinks[scaler]` gets its pair's events, as a pair
    session would emit them. Returns the reason the row ended: "completed", "stopped" (cancel
    set) or "error" (every sink was told, in its SessionEnded)."""
    started = time.perf_counter()

    def now() -> float:
        return round(time.perf_counter() - started, 6)

    def ended(reason: str, epoch: int, error: str | None = None) -> str:
        for sink in sinks.values():
            sink(SessionEnded(time_s=now(), reason=reason, epoch=epoch, error=error))
        return reason

    try:
        trainer = RowTrainer(config, prepared, cancel)
    except Exception as error:
        return ended("error", 0, one_line(error))
    for scaler, sink in sinks.items():
        sink(SessionStarted(time_s=now(), **trainer.describe(scaler, tuple(prepared[scaler]))))
    epochs = config.epochs or 0
    epoch = 0
    for epoch in range(1, epochs + 1):
        if cancel.is_set():
            return ended("stopped", epoch - 1)
        # Per-layer numbers only where a cell reads them: the last epoch (dead/saturated share).
        outcome = trainer.train_epoch(detailed=epoch == epochs)
        if outcome.cancelled:
            return ended("stopped", epoch - 1)
        events = outcome_events(
            outcome,
            time_s=now(),
            epoch=epoch,
            learning_rate=config.lr,
            activation=config.activation,
            elapsed_s=dict.fromkeys(trainer.groups, trainer.run.elapsed_s),
        )
        for scaler, sink in sinks.items():
            for event in pair_events(events, scaler):
                sink(event)
        if not trainer.active:
            break  # every group diverged or failed: nothing left to train
    for name in trainer.active:
        finished = RunFinished(time_s=now(), run=name, epoch=epoch)
        for scaler, sink in sinks.items():
            for event in pair_events([finished], scaler):
                sink(event)
    return ended("completed", epoch)
