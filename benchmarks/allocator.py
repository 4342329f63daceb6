"""glibc's thresholds kept high (engine/allocator.py) vs glibc's own: epoch time and peak RSS.

Each side is a fresh process (glibc reads its settings once) training the same sweep row
(a dataset and activation: the raw run and five scalers, `--seeds` members each) for a few
epochs after a warm-up; the sides alternate round by round, and the table gives medians and
the ratio. `NORMTUI_MALLOC=system` is the side that leaves glibc alone.

    python benchmarks/allocator.py                        # digits, relu, 5 seeds, 3 rounds
    python benchmarks/allocator.py --dataset breast_cancer --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table

SCALERS = "standard,minmax,robust,maxabs,quantile"
CHILD = """
import json, resource, sys, time
from normtui.engine.allocator import keep_freed_memory
from normtui.engine.data.load import load_dataset
from normtui.engine.data.prepare import prepare_members
from normtui.engine.sweep.row import RowTrainer
from normtui.engine.sweep.plan import parse_plan

dataset, activation, scalers = sys.argv[1], sys.argv[2], sys.argv[3]
seeds, epochs = int(sys.argv[4]), int(sys.argv[5])
plan = parse_plan(datasets=dataset, activations=activation, scalers=scalers, seeds=seeds)
config = plan.session_config(plan.work()[0])
data = load_dataset(config)
prepared = {s: prepare_members(config.replace(scaler=s), data) for s in scalers.split(",")}
trainer = RowTrainer(config, prepared)
for _ in range(5):
    trainer.train_epoch(False)
started = time.perf_counter()
for _ in range(epochs):
    trainer.train_epoch(False)
seconds = (time.perf_counter() - started) / epochs
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"epoch_ms": seconds * 1e3, "peak_mb": peak, "raised": keep_freed_memory()}))
"""

SIDES = {"glibc defaults": "system", "thresholds raised": ""}


def measure(side: str, args: argparse.Namespace) -> dict:
    env = {**os.environ, "NORMTUI_MALLOC": SIDES[side]}
    command = [sys.executable, "-c", CHILD, args.dataset, args.activation, SCALERS]
    command += [str(args.seeds), str(args.epochs)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {side: [] for side in SIDES}
    for round_ in range(args.rounds):
        order = list(SIDES) if round_ % 2 == 0 else list(reversed(SIDES))
        for side in order:
            results[side].append(measure(side, args))
    rows = []
    medians = {}
    for side, runs in results.items():
        medians[side] = statistics.median(run["epoch_ms"] for run in runs)
        peak = statistics.median(run["peak_mb"] for run in runs)
        raised = {run["raised"] for run in runs}
        rows.append([side, medians[side], peak, ", ".join(str(r) for r in sorted(raised))])
    print(
        f"{args.dataset} row ({args.activation}, raw + 5 scalers, {args.seeds} seeds), "
        f"{args.epochs} epochs after 5 warm-up, {args.rounds} rounds alternating, "
        f"{os.cpu_count()} cores"
    )
    print(table(["side", "epoch ms (median)", "peak RSS MB", "raised"], rows))
    ratio = medians["glibc defaults"] / medians["thresholds raised"]
    print(f"epoch time, glibc defaults / thresholds raised: {ratio:.2f}x")


if __name__ == "__main__":
    main()
