"""PairTrainer: builds the controlled pair and trains both runs one epoch at a time.

Where it pays, the raw run trains in the calling thread while the normalized run trains in one
worker thread (torch releases the GIL inside its kernels); otherwise, or with `parallel=False`,
they train one after the other. Which one pays is measured (benchmarks/headless.py): see
`plan_threads`.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from normtui.engine.allocator import keep_freed_memory
from normtui.engine.classes import class_counts, majority_baseline
from normtui.engine.config import IN_NETWORK_SCALERS, SessionConfig
from normtui.engine.data.dataset import PreparedData
from normtui.engine.data.prepare import prepare_members
from normtui.engine.divergence import LossWatch, trivial_loss
from normtui.engine.errors import one_line
from normtui.engine.events import (
    RUN_NAMES,
)
from normtui.engine.listens import source_columns
from normtui.engine.models import EnsembleMLP, fit_first_layer, resolve_device
from normtui.engine.outcome import (
    EpochOutcome,
    broke_rule,
    judge_grid,
    judge_members,
    losses_only,
    members_at,
)
from normtui.engine.run import (
    DIVERGED,
    FAILED,
    FINISHED,
    RUNNING,
    Run,
    RunEpoch,
)
from normtui.engine.seeds import member_seeds
from normtui.engine.stats import fold_members, to_host
from normtui.engine.task import Task

# Below this much work per optimizer step (multiply-adds of one run's forward pass on one batch),
# two threads lose to one: such steps are bound by Python and kernel dispatch, the two threads
# fight for the GIL, and intra-op threads started from a non-main thread cost more than they
# give. Measured on 2 cores with benchmarks/headless.py (see benchmarks/README.md): the post's
# SimpleNN on wine/seed (0.15M/1.1M MACs) is ~1.4x faster in one thread, digits with 64 hidden
# (6.8M) and 512x3 on batch 256 (143M) are faster in two.
THREADS_MIN_STEP_MACS = 4_000_000


def step_macs(n_features: int, hidden: tuple[int, ...], n_classes: int, batch: int) -> int:
    """Multiply-adds of one forward pass of one batch: a proxy for a step's kernel time."""
    widths = (n_features, *hidden, n_classes)
    return batch * sum(a * b for a, b in itertools.pairwise(widths))


def usable_cores() -> int:
    """The cores this process may use: the machine's, or fewer where OMP_NUM_THREADS says so (a
    Dask worker's nanny sets 1; `sweep --jobs N` gives each worker its share)."""
    cores = os.cpu_count() or 1
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return cores
    return max(1, min(cores, limit))


def plan_threads(parallel: bool, macs: int, device_type: str) -> tuple[bool, int]:
    """(train the runs in two threads?, torch intra-op threads per run; 0 = leave as is)."""
    if device_type != "cpu":
        return parallel, 0  # the GPU does the work; a second thread overlaps the launches
    cores = usable_cores()
    if macs < THREADS_MIN_STEP_MACS:
        return False, 1
    if parallel and cores >= 2:
        return True, max(1, cores // 2)
    return False, cores


def _one_line(error: BaseException) -> str:
    out_of_memory = isinstance(error, torch.cuda.OutOfMemoryError)
    return one_line(error, "device out of memory" if out_of_memory else None)


def stacked(arrays: list[np.ndarray], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The members' arrays as one tensor on the device: [members, rows(, features)]."""
    return torch.as_tensor(np.stack(arrays), dtype=dtype).to(device)


def member_orders(
    generators: list[torch.Generator], n_train: int, batch_size: int, device: torch.device
) -> torch.Tensor | None:
    """This epoch's shuffled order, one row per member (member k's generator is seeded with
    its seed); None for full batch (the post's loop)."""
    if batch_size >= n_train:
        return None
    return torch.stack([torch.randperm(n_train, generator=g) for g in generators]).to(device)


def source_groups(data: PreparedData, device: torch.device) -> torch.Tensor:
    """[encoded columns, source features], 1 where a column comes from a feature: sums one-hot
    columns back into their text feature for the input shares (engine/listens.py)."""
    names, index = source_columns(data.feature_names, data.n_numeric)
    groups = torch.zeros(len(index), len(names))
    groups[torch.arange(len(index)), torch.tensor(index, dtype=torch.long)] = 1.0
    return groups.to(device)


def describe_session(
    config: SessionConfig,
    data: PreparedData,
    device: torch.device,
    parameters: int,
    members: tuple[PreparedData, ...] = (),
) -> dict[str, Any]:
    """SessionStarted's fields: the config, member 0's split (seed) and one member's size;
    the majority-class baseline over every member's split (`members`, else member 0's)."""
    classes: dict[str, Any] = {}
    if data.task == "classification" and data.class_names:
        n = len(data.class_names)
        splits = [(member.y_train, member.y_val) for member in members or (data,)]
        classes = {
            "class_names": tuple(data.class_names),
            "class_counts": tuple(
                a + b
                for a, b in zip(
                    class_counts(np.asarray(data.y_train), n),
                    class_counts(np.asarray(data.y_val), n),
                    strict=True,
                )
            ),
            "majority_baseline": majority_baseline(
                [(np.asarray(train), np.asarray(val)) for train, val in splits], n
            ),
        }
    return {
        **classes,
        "config": config.to_dict(),
        "dataset": data.name,
        "n_train": len(data.y_train),
        "n_val": len(data.y_val),
        "n_test": data.n_test,
        "n_features": len(data.feature_names),
        "n_classes": data.n_classes,
        "feature_names": tuple(data.feature_names),
        "raw_feature_std": tuple(float(s) for s in data.raw_feature_std),
        "scaled_feature_std": tuple(float(s) for s in data.scaled_feature_std),
        "device": str(device),
        "task": data.task,
        "n_numeric": data.n_numeric,
        "imputed_cells": data.imputed_cells,
        "dropped_rows": data.dropped_rows,
        "parameters": parameters,
        "member_seeds": member_seeds(config.seed, config.seeds),
    }


class PairTrainer:
    """Owns the two runs, their shared initialisation and their shared batch order.

    Each run is `config.seeds` members trained as one batched model; member k of both runs
    shares one seed (engine/seeds.py): its initial weights, its split (and the scaler fitted
    on it) and its batch order.
    """

    def __init__(
        self,
        config: SessionConfig,
        cancel: threading.Event | None = None,
        data: PreparedData | tuple[PreparedData, ...] | None = None,
    ) -> None:
        """`data`: `prepare_members(config)` done elsewhere (see `prefetch`); None: done here."""
        self.config = config
        self.cancel = cancel or threading.Event()
        self.device = resolve_device(config.device)
        if data is None:
            data = prepare_members(config)
        self.member_data: tuple[PreparedData, ...] = (
            (data,) if isinstance(data, PreparedData) else tuple(data)
        )
        self.seeds = member_seeds(config.seed, len(self.member_data))
        self.data: PreparedData = self.member_data[0]  # member 0 (seed): what describe() shows
        self.task = Task.of(self.data)
        # A grid (engine/grid.py): seeds x rates members, seed-major; else one per seed.
        self.grid_rates: tuple[float, ...] = tuple(config.lrs)
        self._rate_scale = 1.0  # `+`/`-` shift the whole grid
        self.per_seed = max(1, len(self.grid_rates))
        self.model_seeds = tuple(seed for seed in self.seeds for _ in range(self.per_seed))
        self.tasks = [Task.of(m) for m in self.member_data for _ in range(self.per_seed)]
        held = [Task.held_out(m) for m in self.member_data for _ in range(self.per_seed)]
        self.test_tasks = [t for t in held if t is not None] if all(held) else None
        self.batch_size = config.batch_size or len(self.data.y_train)
        self.step_macs = len(self.model_seeds) * step_macs(
            len(self.data.feature_names), config.hidden, self.task.n_outputs, self.batch_size
        )
        self.uses_threads, self.threads = plan_threads(
            config.parallel, self.step_macs, self.device.type
        )
        if self.threads:
            torch.set_num_threads(self.threads)
        keep_freed_memory()
        self._pool: ThreadPoolExecutor | None = None
        if self.uses_threads:
            self._pool = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="normtui-run", initializer=self._init_worker
            )
        members = self.member_data
        raw, normalized = RUN_NAMES
        self._tensors = {
            raw: self._to_device([m.X_train_raw for m in members], [m.X_val_raw for m in members]),
            normalized: self._to_device(
                [m.X_train_scaled for m in members], [m.X_val_scaled for m in members]
            ),
        }
        self._test = self._held_out(members)
        self._groups = source_groups(self.data, self.device)
        self._last_sample_s = -math.inf
        self.budget_s: float | None = None  # 1 / pace: the session sets it; None = unlimited
        self._sampled_epoch_s = 0.0  # how long the last sampled epoch took
        self.last_sampled = False  # whether the last epoch trained carried layer stats
        self._sample_next = True  # the first epoch after a (re)start or a swap is sampled
        self._epoch = 0  # epochs since the last restart, as the session counts them
        self.runs: dict[str, Run] = {}
        self.restart(config.activation, config.lr)

    def _init_worker(self) -> None:
        if self.threads:
            torch.set_num_threads(self.threads)

    def _held_out(
        self, members: tuple[PreparedData, ...]
    ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Each run's held-out rows (X, y) on the device, per member; {} without them."""
        parts = [(m.X_test_raw, m.X_test_scaled, m.y_test) for m in members]
        known = [
            (a, b, c) for a, b, c in parts if a is not None and b is not None and c is not None
        ]
        if not known or len(known) != len(parts):
            return {}
        y_test = self._per_member(
            stacked([c for _, _, c in known], self.task.target_dtype, self.device)
        )
        raw, normalized = RUN_NAMES
        return {
            name: (self._per_member(stacked(arrays, torch.float32, self.device)), y_test)
            for name, arrays in (
                (raw, [a for a, _, _ in known]),
                (normalized, [b for _, b, _ in known]),
            )
        }

    def _per_member(self, per_seed: torch.Tensor) -> torch.Tensor:
        """[seeds, ...] as [members, ...]: a grid's rates of one seed share its arrays."""
        if self.per_seed == 1:
            return per_seed
        return per_seed.repeat_interleave(self.per_seed, dim=0)

    def _to_device(
        self, x_train: list[np.ndarray], x_val: list[np.ndarray]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The members' arrays stacked: [members, rows, features] and [members, rows]."""
        members, device, target = self.member_data, self.device, self.task.target_dtype
        return (
            self._per_member(stacked(x_train, torch.float32, device)),
            self._per_member(stacked([m.y_train for m in members], target, device)),
            self._per_member(stacked(x_val, torch.float32, device)),
            self._per_member(stacked([m.y_val for m in members], target, device)),
        )

    def rates_now(self) -> tuple[float, ...]:
        """The grid's rates as trained now (the configured ones times the `+`/`-` shift)."""
        return tuple(rate * self._rate_scale for rate in self.grid_rates)

    def _member_rates(self) -> torch.Tensor | None:
        """[members]: each member's rate (seed-major), or None without a grid."""
        if not self.grid_rates:
            return None
        rates = torch.tensor(self.rates_now(), dtype=torch.float32, device=self.device)
        return rates.repeat(len(self.seeds))

    # -- set-up ------------------------------------------------------------------------------
    def restart(self, activation: str, lr: float) -> None:
        """Fresh shared initialisation: one model (member k under its seed), the other its deep
        copy."""
        base = EnsembleMLP(
            len(self.data.feature_names),
            self.config.hidden,
            self.task.n_outputs,
            activation,
            self.model_seeds,
            hidden_norm=self.config.hidden_norm,
            # a grid's rates of one seed see the same rows: one first-layer matmul per seed
            input_groups=self.per_seed,
        ).to(self.device)
        models = dict(zip(RUN_NAMES, (base, copy.deepcopy(base)), strict=True))  # one init, twice
        in_network = IN_NETWORK_SCALERS.get(self.config.scaler)
        if in_network is not None:  # the normalized run's model starts with that layer
            models[RUN_NAMES[1]].set_input_norm(in_network)
        if self.config.raw_init == "data":  # the raw run's copy re-expressed for its inputs
            raw = RUN_NAMES[0]
            fit_first_layer(models[raw].member_linears()[0], self._tensors[raw][0])
        self.runs = {
            name: Run(
                name,
                model,
                self.config.optimizer,
                lr,
                self._tensors[name],
                self.task,
                groups=self._groups,
                rates=self._member_rates(),
                test=self._test.get(name),
            )
            for name, model in models.items()
        }
        trivial = np.array([trivial_loss(task) for task in self.tasks])
        for run in self.runs.values():
            run.watch = LossWatch(trivial)  # each member against its own split's trivial loss
        self._order_generators = [torch.Generator().manual_seed(seed) for seed in self.seeds]
        self._sample_next, self._epoch = True, 0

    def describe(self) -> dict[str, Any]:
        model = self.runs[RUN_NAMES[0]].model
        return describe_session(
            self.config, self.data, self.device, model.member_parameters(), self.member_data
        )

    # -- commands ----------------------------------------------------------------------------
    def active_runs(self) -> list[str]:
        return [name for name in RUN_NAMES if self.runs[name].status == RUNNING]

    def finish(self, name: str) -> None:
        self.runs[name].status = FINISHED

    def set_lr(self, lr: float) -> None:
        """Every member at `lr`; a grid is shifted as a whole instead, by `lr` over the session's
        first rate (`config.lr`), so `+`/`-` move every rate by the same factor."""
        if self.grid_rates:
            factor = (lr / self.config.lr) / self._rate_scale
            self._rate_scale = lr / self.config.lr
            for run in self.runs.values():
                run.scale_rates(factor)
            return
        for run in self.runs.values():
            run.set_lr(lr)

    def set_activation(self, name: str) -> None:
        for run in self.runs.values():
            run.set_activation(name)
        self._sample_next = True

    # -- training ----------------------------------------------------------------------------
    def batch_order(self) -> torch.Tensor | None:
        """The shuffled order both runs use this epoch, one row per member (member k's from
        its seed); None for full batch (the post's loop)."""
        order = member_orders(
            self._order_generators, len(self.data.y_train), self.batch_size, self.device
        )
        return None if order is None else self._per_member(order)

    def _sample_due(self) -> bool:
        """Whether this epoch computes per-layer stats and histograms.

        At most every `hist_interval_s` (0 = every epoch), plus the first epoch after a start,
        restart or activation swap, a step (`sample_next`) and the session's last epoch. On a
        tiny model these cost more than the training step itself; every epoch still carries
        losses and accuracies. Under a pace (`budget_s`, the seconds one epoch may take) every
        epoch is sampled while a sampled epoch takes at most half that: the time is spent
        waiting anyway, and the histograms then show the epoch the status shows.
        """
        interval = self.config.hist_interval_s
        now = time.perf_counter()
        last = self.config.epochs is not None and self._epoch + 1 >= self.config.epochs
        paced = self.budget_s is not None and self._sampled_epoch_s <= self.budget_s / 2
        if self.budget_s is not None and not paced:
            # one slow sample (the warm-up epoch, a busy moment) is retried, not final: unsampled
            # epochs never re-measure the cost, so without this paced sampling stopped for good
            self._sampled_epoch_s /= 2
        due = not interval or now - self._last_sample_s >= interval
        if not (self._sample_next or last or paced or due):
            return False
        self._last_sample_s, self._sample_next = now, False
        return True

    def sample_next(self) -> None:
        """Sample the next epoch whatever the interval: a step, or the epoch before a pause."""
        self._sample_next = True

    def _train_guarded(self, run: Run, order: torch.Tensor | None) -> RunEpoch | BaseException:
        try:
            return run.train_epoch(order, self.batch_size, self.cancel)
        except Exception as error:  # surfaced as RunFailed; the other run goes on
            return error

    def train_epoch(self) -> EpochOutcome:
        names = self.active_runs()
        order = self.batch_order()
        started = time.perf_counter()
        detailed = self._sample_due()
        for name in names:
            self.runs[name].detailed = detailed
        try:
            return self._train_epoch(names, order, detailed)
        finally:
            self.last_sampled = detailed
            if detailed:
                self._sampled_epoch_s = time.perf_counter() - started

    def _train_epoch(
        self, names: list[str], order: torch.Tensor | None, detailed: bool
    ) -> EpochOutcome:
        outcomes: dict[str, RunEpoch | BaseException] = {}
        if self._pool is not None and len(names) == 2:
            future: Future = self._pool.submit(self._train_guarded, self.runs[names[1]], order)
            outcomes[names[0]] = self._train_guarded(self.runs[names[0]], order)
            outcomes[names[1]] = future.result()
        else:
            for name in names:
                outcomes[name] = self._train_guarded(self.runs[name], order)

        outcome = EpochOutcome()
        if self.cancel.is_set():
            outcome.cancelled = True
            return outcome
        self._epoch += 1
        trained: dict[str, RunEpoch] = {}
        for name, result in outcomes.items():
            if isinstance(result, BaseException):
                self.runs[name].status = FAILED
                outcome.failed[name] = _one_line(result)
            else:
                trained[name] = result
        if not trained:
            return outcome
        try:
            if self.grid_rates:
                self._judge_grid_epoch(outcome, trained, detailed)
                return outcome
            hosts = to_host(
                list(trained.values()), detailed, self.config.hist_bins, self.tasks, self.test_tasks
            )
        except Exception as error:  # e.g. the device was lost during the sync
            for name in trained:
                self.runs[name].status = FAILED
                outcome.failed[name] = _one_line(error)
            return outcome
        for name, members in zip(trained, hosts, strict=True):
            run = self.runs[name]
            broke = broke_rule(run.watch, members)
            for k in judge_members(
                outcome, name, members, broke, run.alive, run.watch.reference, self.seeds
            ):
                run.member_diverged(k)
            if name in outcome.diverged:
                run.status = DIVERGED
        return outcome

    def _judge_grid_epoch(
        self, outcome: EpochOutcome, trained: dict[str, RunEpoch], detailed: bool
    ) -> None:
        """A grid's epoch: every member's losses and scores (one small sync) decide the
        divergences and each run's chosen rate; on a sampled epoch the per-layer numbers and
        histograms are then taken for the chosen rate's seeds only (what the run's EpochEnd
        shows): binning every rate's activations cost half of such an epoch, for nothing."""
        light = [
            dataclasses.replace(result, values=losses_only(result), pres=[], posts=[], n_shares=0)
            for result in trained.values()
        ]
        hosts = to_host(light, False, self.config.hist_bins, self.tasks, self.test_tasks)
        rates = self.rates_now()
        for name, members in zip(trained, hosts, strict=True):
            run = self.runs[name]
            broke = broke_rule(run.watch, members)
            for k in judge_grid(
                outcome, name, members, broke, run.alive, run.watch.reference, self.seeds, rates
            ):
                run.member_diverged(k)
            if name in outcome.diverged:
                run.status = DIVERGED
        chosen = {name: outcome.grids[name]["chosen"] for name in trained}
        shown = [name for name in trained if name in outcome.results]
        if not (detailed and shown):
            return
        step = self.per_seed
        slices = [members_at(trained[name], chosen[name], step) for name in shown]
        tasks = self.tasks[::step]  # per seed: a seed's rates share its split's task
        detail = to_host(slices, True, self.config.hist_bins, tasks)
        for name, members in zip(shown, detail, strict=True):
            live = self.runs[name].alive[chosen[name] :: step]
            outcome.results[name] = fold_members(members, live, self.seeds)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
