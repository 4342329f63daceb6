"""`normtui sweep` (issue 13 item 5): one grid, four ways to run it, wall time and memory.

  command        `normtui sweep ... --csv` as a command: in-process plus the command's start-up
                 (imports), the figure to hold against a loop of `normtui train` commands
  in-process     the engine's RowRunner in this process (what `normtui sweep` does by default)
  jobs-2         `--jobs 2`: two spawned worker processes (each imports torch once)
  dask-local     a Dask LocalCluster of 2 single-thread worker processes (`--scheduler` path)
  train-loop     the same cells as a shell loop of `normtui train` commands, one process per
                 command; timed on a sample of cells (spread over the datasets) and scaled to the
                 grid, because the whole loop costs tens of minutes on 2 cores

The sweep trains a row (a dataset and activation: raw once, every scaler beside it) as one
batched model; the loop runs one `train --seeds N` command per cell, i.e. per pair
(`train-loop-1seed`: N one-seed commands per cell, the loop written before --seeds).
Memory: RSS of this process after each cell of the in-process sweep (the first and last
quarter's medians); peak RSS of the process trees for the others.

    python benchmarks/sweep.py                          # the issue's grid: 3 x 4 x 5, 5 seeds
    python benchmarks/sweep.py --datasets wine --seeds 2 --epochs 20 --loop-sample 2   # quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table, versions

MODES = ("command", "in-process", "jobs-2", "dask-local", "train-loop")
# also: "train-loop-1seed", one `train --seed k` command per seed (a loop written before --seeds)


def rss_mb(pid: int | None = None, tree: bool = False) -> float:
    import psutil

    process = psutil.Process(pid or os.getpid())
    processes = [process, *(process.children(recursive=True) if tree else [])]
    total = 0
    for each in processes:
        try:
            total += each.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


class PeakSampler:
    """Peak RSS of this process and its children, sampled every 0.2 s in a thread."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_mb(tree=True))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def make_plan(args: argparse.Namespace):
    from normtui.engine.sweep.plan import parse_plan

    return parse_plan(
        datasets=args.datasets,
        activations=args.activations,
        scalers=args.scalers,
        seeds=args.seeds,
        epochs=args.epochs,
    )


def run_engine(plan, mode: str, results_dir: str) -> dict:
    from normtui.engine.sweep.rows import RowRunner
    from normtui.engine.sweep.run import Collector, ResultsFile, execute

    path = os.path.join(results_dir, f"{mode}.jsonl")
    results = ResultsFile(path, plan)
    memory: list[float] = []
    collector = Collector(plan, results, {}, on_result=lambda _: memory.append(rss_mb()))
    client = cluster = None
    start = time.perf_counter()
    startup = 0.0
    if mode == "dask-local":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        startup = time.perf_counter() - start
    with PeakSampler() as sampler:
        try:
            execute(
                collector,
                jobs=2 if mode == "jobs-2" else 1,
                client=client,
                stop=threading.Event(),
                runner=RowRunner(),
            )
        finally:
            results.close()
            if cluster is not None:
                client.close()
                cluster.close()
    wall = time.perf_counter() - start
    quarter = max(1, len(memory) // 4)
    return {
        "mode": mode,
        "cells": len(collector.finished),
        "wall_s": wall,
        "startup_s": startup,
        "rss_first_mb": statistics.median(memory[:quarter]) if memory else None,
        "rss_last_mb": statistics.median(memory[-quarter:]) if memory else None,
        "peak_mb": sampler.peak,
        "errors": len(collector.errors),
    }


def run_command(plan, results_dir: str) -> dict:
    """The whole `normtui sweep` command, start-up included, as a user runs it."""
    path = os.path.join(results_dir, "command.jsonl")
    command = [
        sys.executable, "-m", "normtui", "sweep", "--datasets", ",".join(plan.datasets),
        "--activations", ",".join(plan.activations), "--scalers", ",".join(plan.scalers),
        "--seeds", str(plan.seeds), "--epochs", str(plan.epochs), "--results", path, "--csv",
    ]  # fmt: skip
    start = time.perf_counter()
    with PeakSampler() as sampler:
        done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"normtui sweep failed: exit {done.returncode}: {done.stderr[-500:]}")
    cells = max(0, len(done.stdout.strip().splitlines()) - 1)  # the CSV's header
    return {
        "mode": "command",
        "cells": cells,
        "wall_s": wall,
        "startup_s": 0.0,
        "rss_first_mb": None,
        "rss_last_mb": None,
        "peak_mb": sampler.peak,
        "errors": 0,
    }


def train_has_seeds() -> bool:
    """Whether `normtui train` takes --seeds (the batched ensemble) in this checkout."""
    help_text = subprocess.run(
        [sys.executable, "-m", "normtui", "train", "--help"], capture_output=True, text=True
    ).stdout
    return "--seeds" in help_text


def train_commands(plan, cell, batched: bool) -> list[list[str]]:
    base = [
        sys.executable, "-m", "normtui", "train", "--dataset", cell.dataset,
        "--activation", cell.activation, "--scaler", cell.scaler,
        "--epochs", str(plan.epochs), "--json",
    ]  # fmt: skip
    if batched:
        return [[*base, "--seed", str(plan.seed), "--seeds", str(plan.seeds)]]
    return [[*base, "--seed", str(plan.seed + k)] for k in range(plan.seeds)]


def run_loop(plan, sample: int, one_seed: bool = False) -> dict:
    cells = plan.work()
    step = max(1, len(cells) // sample)
    chosen = cells[::step][:sample]
    batched = train_has_seeds() and not one_seed
    start = time.perf_counter()
    peak = 0.0
    commands = 0
    for cell in chosen:
        for command in train_commands(plan, cell, batched):
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            while process.poll() is None:
                peak = max(peak, rss_mb(process.pid))
                time.sleep(0.05)
            if process.returncode:
                raise SystemExit(f"{' '.join(command)} failed: exit {process.returncode}")
            commands += 1
    sampled = time.perf_counter() - start
    return {
        "mode": "train-loop-1seed" if one_seed else "train-loop",
        "cells": len(cells),
        "wall_s": sampled * len(cells) / len(chosen),
        "startup_s": 0.0,
        "rss_first_mb": None,
        "rss_last_mb": None,
        "peak_mb": peak,
        "errors": 0,
        "note": f"{len(chosen)} of {len(cells)} cells timed ({commands} commands"
        f"{' with --seeds' if batched else ', one per seed'},"
        f" {sampled:.1f} s), scaled",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--datasets", default="wine,breast_cancer,digits")
    p.add_argument("--activations", default="relu,tanh,sigmoid,gelu")
    p.add_argument("--scalers", default="standard,minmax,robust,maxabs,quantile")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--loop-sample", type=int, default=6, help="cells of the train loop to time")
    args = p.parse_args(argv)
    plan = make_plan(args)
    load = os.getloadavg()
    print(
        f"grid: {len(plan.datasets)} datasets x {len(plan.activations)} activations x"
        f" {len(plan.scalers)} scalers = {len(plan.work())} cells, {plan.seeds} seeds,"
        f" {plan.epochs} epochs, each run's seeds one batched ensemble"
    )
    print(f"machine: {versions()}; load average at start {load[0]:.1f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as results_dir:
        for mode in args.modes.split(","):
            if mode.startswith("train-loop"):
                row = run_loop(plan, args.loop_sample, one_seed=mode == "train-loop-1seed")
            elif mode == "command":
                row = run_command(plan, results_dir)
            else:
                row = run_engine(plan, mode, results_dir)
            rows.append(row)
            print(f"  {mode}: {row['wall_s']:.1f} s", flush=True)
    loop = next((r for r in rows if r["mode"].startswith("train-loop")), None)

    def mb(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    print(
        table(
            ["mode", "cells", "wall s", "cells/s", "vs train loop", "RSS first→last MB", "peak MB"],
            [
                [
                    r["mode"],
                    r["cells"],
                    f"{r['wall_s']:.1f}",
                    f"{r['cells'] / r['wall_s']:.2f}",
                    f"{loop['wall_s'] / r['wall_s']:.1f}x" if loop else "-",
                    f"{mb(r['rss_first_mb'])}→{mb(r['rss_last_mb'])}",
                    mb(r["peak_mb"]),
                ]
                for r in rows
            ],
        )
    )
    for r in rows:
        if r.get("note"):
            print(f"{r['mode']}: {r['note']}")
        if r["errors"]:
            print(f"{r['mode']}: {r['errors']} cells failed")
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
