"""Measure the divergence bar: how far above the trivial predictor's loss training goes when it
settles, and when it blows up (engine/divergence.py's RUNAWAY_MULTIPLE).

Every preset x relu/tanh/sigmoid x (Adam 1e-3, Adam 1e-2, SGD 1e-3, SGD 0.1, SGD 1), one seed,
EPOCHS epochs, with the runaway part of the rule switched off (a NaN or infinite loss still ends
a run). Per run: the highest training loss over the trivial loss (ln C, var(y)), and whether the
run ended with a loss that left the finite numbers. Prints both groups' extremes, side by side.

    python benchmarks/divergence_bar.py [epochs]
"""

from __future__ import annotations

import math
import sys

import numpy as np

from normtui.engine import divergence
from normtui.engine.config import DATASETS, SessionConfig
from normtui.engine.events import RUN_NAMES
from normtui.engine.trainer import PairTrainer

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 150
SETTLED_BELOW = 0.9  # a run that ends under the trivial loss learned something: it settled
SETTINGS = (("adam", 1e-3), ("adam", 1e-2), ("sgd", 1e-3), ("sgd", 0.1), ("sgd", 1.0))


def main() -> None:
    divergence.RUNAWAY_MULTIPLE = math.inf  # only NaN / infinity ends a run here
    settled: list[tuple[float, str]] = []
    blown: list[tuple[float, str]] = []
    for dataset in DATASETS:
        for activation in ("relu", "tanh", "sigmoid"):
            for optimizer, lr in SETTINGS:
                config = SessionConfig(
                    dataset=dataset,
                    activation=activation,
                    optimizer=optimizer,
                    lr=lr,
                    epochs=EPOCHS,
                    hist_interval_s=1e9,
                )
                trainer = PairTrainer(config)
                trivial = {
                    name: float(np.max(trainer.runs[name].watch.reference)) for name in RUN_NAMES
                }
                peak = dict.fromkeys(RUN_NAMES, 0.0)
                final = dict.fromkeys(RUN_NAMES, math.inf)
                ended = dict.fromkeys(RUN_NAMES, False)
                for _ in range(EPOCHS):
                    outcome = trainer.train_epoch()
                    for name, host in outcome.results.items():
                        if math.isfinite(host.train_loss):
                            peak[name] = max(peak[name], host.train_loss / trivial[name])
                        final[name] = host.train_loss / trivial[name]
                    for name in outcome.diverged:
                        ended[name] = True
                    if not trainer.active_runs():
                        break
                trainer.close()
                for name in RUN_NAMES:
                    label = f"{dataset} {activation} {optimizer} {lr:g} {name}"
                    came_back = math.isfinite(final[name]) and final[name] <= SETTLED_BELOW
                    group = settled if came_back and not ended[name] else blown
                    group.append((peak[name], f"{label} (last {final[name]:.3g}x)"))
    settled.sort(reverse=True)
    blown.sort()
    print(f"{len(settled)} runs settled (ended under {SETTLED_BELOW:g}x the trivial loss);")
    print("their highest loss / trivial loss:")
    for ratio, label in settled[:8]:
        print(f"  {ratio:10.3g}x  {label}")
    top = settled[0][0] if settled else 0.0
    above = [(ratio, label) for ratio, label in blown if ratio > top]
    print(
        f"{len(blown)} did not (NaN/inf, or ended at or above {SETTLED_BELOW:g}x);"
        f" {len(above)} of them peaked above {top:.3g}x, the lowest:"
    )
    for ratio, label in above[:8]:
        print(f"  {ratio:10.3g}x  {label}")
    print(f"the rule's multiple: {divergence_multiple():,.0f}x")


def divergence_multiple() -> float:
    from importlib import reload

    return reload(divergence).RUNAWAY_MULTIPLE


if __name__ == "__main__":
    main()
