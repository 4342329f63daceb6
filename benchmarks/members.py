"""What 64 members cost per epoch against one (issue 23 item 8): the learning-rate grid's layout.

A grid trains seeds x rates members as one model, seed-major (m = s*R + r): the R members of a
seed see identical rows. Timed side by side in one process, interleaved round by round, one
run's `Run.train_epoch` on full batch (Adam 1e-3, ReLU, the standardized inputs), with the torch
threads `plan_threads` gives the trainer:

  1 member          one seed, today's model (nn.Linear kernels)
  64 today          8 seeds x 8 copies, `EnsembleMLP` as it was (one baddbmm per layer)
  64 grouped        the same members with `input_groups=8` (engine/grouped.py)
  64 grouped, unfused   the same layout through autograd's composition of its layers
  64 plain loop     the issue's reference: baddbmm layers, fused Adam, the per-member loss,
                    nothing else (no validation pass, no bookkeeping)

`--sessions` adds the trainer itself (PairTrainer, both runs, its threads, an 8 x 8 grid with
`--lrs` and `--test-split 0.1`) against one member without a grid, per pair-epoch.

Undetailed epochs are what the trainer runs between samples; a detailed epoch adds the per-layer
statistics and the activations (timed on its own). Target: 64 members <= 3x one member per
undetailed epoch on wine (13->64->3, 142 training rows); digits (64->64->10, 1437 rows) is the
second workload.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved, median, parser, table, verdict, versions

SEEDS, RATES = 8, 8
TARGET = 3.0
DEVICE = "cpu"  # --device


def member_data(dataset: str, members: int) -> tuple:
    """(seeds, tensors, task, first split) for `members`: SEEDS seeds' splits, each repeated
    members // SEEDS times (the grid's seed-major layout); one member: the first seed alone."""
    import torch

    from normtui.engine.config import SessionConfig
    from normtui.engine.data.prepare import prepare_members
    from normtui.engine.seeds import member_seeds
    from normtui.engine.task import Task
    from normtui.engine.trainer import stacked

    config = SessionConfig(dataset=dataset, hidden=(64,), seeds=min(members, SEEDS))
    data = prepare_members(config)
    copies = members // len(data)
    each = [d for d in data for _ in range(copies)]
    seeds = [s for s in member_seeds(config.seed, len(data)) for _ in range(copies)]
    device = torch.device(DEVICE)
    task = Task.of(data[0])
    tensors = (
        stacked([d.X_train_scaled for d in each], torch.float32, device),
        stacked([d.y_train for d in each], task.target_dtype, device),
        stacked([d.X_val_scaled for d in each], torch.float32, device),
        stacked([d.y_val for d in each], task.target_dtype, device),
    )
    return seeds, tensors, task, data[0]


def engine(
    dataset: str, members: int, groups: int, detailed: bool, fused: bool = True
) -> Callable[[int], float]:
    """A timer of `epochs` full-batch `Run.train_epoch` calls (seconds per epoch); `fused`
    False: the grouped path as autograd's composition of its layers (grouped.FUSED)."""
    import torch

    from normtui.engine import grouped
    from normtui.engine.models import EnsembleMLP
    from normtui.engine.run import Run
    from normtui.engine.trainer import source_groups

    seeds, tensors, task, first = member_data(dataset, members)
    n_in = tensors[0].shape[2]
    model = EnsembleMLP(n_in, (64,), task.n_outputs, "relu", seeds, input_groups=groups)
    shares = source_groups(first, torch.device(DEVICE))
    run = Run("normalized", model, "adam", 1e-3, tensors, task, groups=shares)
    run.detailed = detailed
    rows = tensors[0].shape[1]

    def timer(epochs: int) -> float:
        grouped.FUSED = fused
        started = time.perf_counter()
        for _ in range(epochs):
            run.train_epoch(None, rows).values.tolist()  # the trainer's one host sync
        return (time.perf_counter() - started) / epochs

    timer.path = "grouped" if model.grouped(tensors[0]) else "plain"  # type: ignore[attr-defined]
    return timer


def plain(dataset: str, members: int) -> Callable[[int], float]:
    """The issue's plain batched loop on the same rows: baddbmm layers, fused Adam, nothing else."""
    import torch
    from torch.nn import functional

    from normtui.engine.models import EnsembleMLP

    seeds, (x, y, _, _), task, _ = member_data(dataset, members)
    model = EnsembleMLP(x.shape[2], (64,), task.n_outputs, "relu", seeds)
    w1, b1 = model.linears[0].weight, model.linears[0].bias
    w2, b2 = model.head.weight, model.head.bias
    optimizer = torch.optim.Adam([w1, b1, w2, b2], lr=1e-3, fused=True)

    def timer(epochs: int) -> float:
        started = time.perf_counter()
        for _ in range(epochs):
            optimizer.zero_grad(set_to_none=True)
            h = torch.relu(torch.baddbmm(b1.unsqueeze(1), x, w1.transpose(1, 2)))
            out = torch.baddbmm(b2.unsqueeze(1), h, w2.transpose(1, 2))
            each = functional.cross_entropy(out.transpose(1, 2), y, reduction="none")
            each.mean(dim=1).sum().backward()
            optimizer.step()
        if x.is_cuda:
            torch.cuda.synchronize()
        return (time.perf_counter() - started) / epochs

    return timer


def threads(dataset: str, members: int) -> int:
    """The torch threads per run the trainer would set for this many members (plan_threads)."""
    import torch

    from normtui.engine.trainer import plan_threads, step_macs

    _, tensors, task, _ = member_data(dataset, 1)
    _, rows, n_in = tensors[0].shape
    macs = members * step_macs(n_in, (64,), task.n_outputs, rows)
    return plan_threads(True, macs, torch.device(DEVICE).type)[1]


def timed(timer: Callable[[int], float], epochs: int, n_threads: int) -> Callable[[], float]:
    """One measurement: `epochs` epochs under the trainer's thread count."""
    import torch

    def call() -> float:
        if n_threads:  # 0: a GPU, left as is
            torch.set_num_threads(n_threads)
        return timer(epochs)

    return call


def measure(dataset: str, epochs: int, repeats: int) -> list[list]:
    """Rows of the result table for one workload: undetailed and detailed epochs."""
    members = SEEDS * RATES
    one, many = threads(dataset, 1), threads(dataset, members)

    def n_threads(name: str) -> int:
        return one if name == "1 member" else many

    builders = {
        "1 member": lambda detailed: engine(dataset, 1, 1, detailed),
        "64 today": lambda detailed: engine(dataset, members, 1, detailed),
        "64 grouped": lambda detailed: engine(dataset, members, RATES, detailed),
        "64 grouped, unfused": lambda detailed: engine(dataset, members, RATES, detailed, False),
    }
    rows = []
    for detailed in (False, True):
        timers = {name: build(detailed) for name, build in builders.items()}
        if not detailed:
            timers["64 plain loop"] = plain(dataset, members)
        n = epochs if not detailed else max(1, epochs // 4)

        variants = {name: timed(timer, n, n_threads(name)) for name, timer in timers.items()}
        for call in variants.values():  # warm-up
            call()
        kind = "detailed" if detailed else "undetailed"
        print(f"\n{dataset}, {kind} epochs: {n} per measurement, {repeats} rounds")
        results = interleaved(variants, repeats)
        base = median(results["1 member"])
        for name, values in results.items():
            ms = median(values) * 1e3
            ratio = median(values) / base
            path = getattr(timers[name], "path", "-")
            rows.append([dataset, kind, name, path, n_threads(name), ms, ratio])
    return rows


def sessions(dataset: str, epochs: int, repeats: int) -> list[list]:
    """Pair-epochs of the trainer itself (both runs, its threads): one member without a grid
    against an 8 x 8 grid as the trainer builds it and the same grid forced onto the plain
    path. Whether the trainer groups a grid at all is the trainer's call (`input_groups`)."""
    import torch

    from normtui.engine import models
    from normtui.engine.config import SessionConfig
    from normtui.engine.trainer import PairTrainer

    rates = tuple(10.0 ** (-4 + 0.5 * i) for i in range(RATES))
    common = {"dataset": dataset, "hidden": (64,), "test_split": 0.1, "hist_interval_s": 1e9}
    original = models.EnsembleMLP.grouped

    def plain_path(self: object, x: object = None) -> bool:
        return False

    def pair(config: SessionConfig, grouped: bool) -> tuple[PairTrainer, Callable[[], float]]:
        trainer = PairTrainer(config)

        def call() -> float:
            models.EnsembleMLP.grouped = original if grouped else plain_path  # type: ignore
            if trainer.threads:
                torch.set_num_threads(trainer.threads)
            started = time.perf_counter()
            for _ in range(epochs):
                trainer.train_epoch()
            models.EnsembleMLP.grouped = original  # type: ignore[method-assign]
            return (time.perf_counter() - started) / epochs

        return trainer, call

    grid = SessionConfig(seeds=SEEDS, lrs=rates, **common)
    one, one_call = pair(SessionConfig(seeds=1, **common), True)
    built, built_call = pair(grid, True)
    _, plain_call = pair(grid, False)
    model = built.runs["normalized"].model
    path = "grouped" if model.grouped(built.runs["normalized"].X_train) else "plain"
    variants = {"1 member": one_call, "grid, plain path": plain_call, "grid, as built": built_call}
    for call in variants.values():
        call()
    print(f"\n{dataset} sessions: {epochs} pair-epochs per measurement, {repeats} rounds")
    results = interleaved(variants, repeats)
    base = median(results["1 member"])
    threads = {"1 member": one.threads, "grid, plain path": built.threads}
    rows = []
    for name, values in results.items():
        shown = {"1 member": "plain", "grid, plain path": "plain"}.get(name, path)
        parallel = one.uses_threads if name == "1 member" else built.uses_threads
        n = threads.get(name, built.threads)
        where = f"{n} x 2 runs" if parallel else f"{n}, runs in turn"
        rows.append([dataset, name, shown, where, median(values) * 1e3, median(values) / base])
    return rows


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--only", choices=("wine", "digits"), help="one workload")
    options.add_argument(
        "--sessions", action="store_true", help="also the trainer's pair-epochs with an 8x8 grid"
    )
    args = options.parse_args()
    from normtui.engine.config import ConfigError
    from normtui.engine.models import resolve_device

    global DEVICE
    try:
        DEVICE = str(resolve_device(args.device))
    except ConfigError as error:
        options.error(str(error))
    from normtui.engine.allocator import keep_freed_memory

    keep_freed_memory()  # as the trainer does
    print(versions())
    rows = []
    if args.only != "digits":
        rows += measure("wine", 40, args.repeats)
    if args.only != "wine":
        rows += measure("digits", 4, args.repeats)
    headers = ["workload", "epochs", "variant", "path", "threads", "ms/epoch", "/ 1 member"]
    print()
    print(table(headers, rows))
    if args.sessions:
        pairs = []
        for dataset, epochs in (("wine", 20), ("digits", 3)):
            if args.only in (None, dataset):
                pairs += sessions(dataset, epochs, args.repeats)
        print()
        headers = ["workload", "trainer", "path", "threads", "ms/pair-epoch", "/ 1 member"]
        print(table(headers, pairs))
    for row in rows:
        if row[0] == "wine" and row[1] == "undetailed" and row[2] == "64 grouped":
            print(
                f"\nwine, 64 grouped / 1 member: {row[6]:.2f} (target <= {TARGET}: "
                f"{verdict(row[6], TARGET)})"
            )


if __name__ == "__main__":
    main()
