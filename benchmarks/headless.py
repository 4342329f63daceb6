"""Headless engine vs the post's bare loop vs a TensorBoard-instrumented loop (issue 6: 1, 2, 7).

For each workload, four variants train the same two models (raw and normalized inputs) and are
timed interleaved in one process:
  engine             headless Session with the default config (it picks threads or one thread,
                     see engine.trainer.plan_threads)
  engine-<other>     the same Session forced the other way (two threads / one after the other)
  bare               the post's loop: no events, no stats, loss.item() every 20 epochs
  bare-fused-adam    the same with Adam(fused=True), as the engine uses: what the kernel buys
  tensorboard        the same loop with SummaryWriter scalars + activation histograms per epoch
Reported: milliseconds per pair-epoch (both runs), the ratios, the targets and pass/fail.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Pair,
    Workload,
    bare_epoch_s,
    engine_epoch_s,
    interleaved,
    large,
    median,
    parser,
    table,
    tensorboard_available,
    tensorboard_epoch_s,
    tiny,
    verdict,
    versions,
)

TARGETS = {"tiny": 1.3, "large": 1.1}  # engine / bare


def measure(workload: Workload, device: str, repeats: int, with_tensorboard: bool) -> list[list]:
    """Time every variant on one workload and return the result rows."""
    config = workload.config(device)
    pair = Pair(config)
    logdir = tempfile.mkdtemp(prefix="normtui-bench-tb-")
    threads_by_default = engine_uses_threads(config)
    other = "engine-sequential" if threads_by_default else "engine-threads"
    variants = {
        "engine": lambda: engine_epoch_s(config),
        other: lambda: (
            engine_epoch_s(config.replace(parallel=False))
            if threads_by_default
            else forced_threads_epoch_s(config)
        ),
        "bare": lambda: bare_epoch_s(pair, workload.epochs),
        "bare-fused-adam": lambda: bare_epoch_s(pair, workload.epochs, fused=True),
    }
    if with_tensorboard:
        variants["tensorboard"] = lambda: tensorboard_epoch_s(pair, workload.epochs, logdir)
    print(f"\n{workload.name}: {workload.epochs} epochs per measurement, {repeats} rounds")
    results = interleaved(variants, repeats)
    med = {name: median(values) for name, values in results.items()}
    engine = med["engine"]
    target = TARGETS[workload.name.split("/")[0]]
    mode = "two threads" if threads_by_default else "one thread"
    rows = [[workload.name, name, med[name] * 1e3, 1.0 / med[name]] for name in med]
    print(table(["workload", "variant", "ms/pair-epoch", "pair-epochs/s"], rows))
    summary = [
        [
            workload.name,
            f"engine ({mode}) / bare",
            engine / med["bare"],
            f"<= {target}",
            verdict(engine / med["bare"], target),
        ],
        [
            workload.name,
            f"engine / {other}",
            engine / med[other],
            "<= 1 (default is faster)",
            verdict(engine / med[other], 1.0),
        ],
    ]
    ratio = engine / med["bare-fused-adam"]
    summary.append([workload.name, "engine / bare-fused-adam", ratio, "info", ""])
    if with_tensorboard:
        ratio = engine / med["tensorboard"]
        summary.append([workload.name, "engine / tensorboard", ratio, "< 1", verdict(ratio, 0.999)])
    return summary


def engine_uses_threads(config) -> bool:
    """Whether the engine's default plan trains this workload's runs in two threads."""
    from normtui.engine.trainer import PairTrainer

    trainer = PairTrainer(config)
    try:
        return trainer.uses_threads
    finally:
        trainer.close()


def forced_threads_epoch_s(config) -> float:
    """The engine with two threads forced, whatever the work per step."""
    from normtui.engine import trainer

    saved = trainer.THREADS_MIN_STEP_MACS
    trainer.THREADS_MIN_STEP_MACS = 0
    try:
        return engine_epoch_s(config)
    finally:
        trainer.THREADS_MIN_STEP_MACS = saved


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workload", choices=["tiny", "large", "all"], default="all")
    p.add_argument("--datasets", default="seed,wine", help="tiny workload presets")
    p.add_argument("--tiny-epochs", type=int, default=300)
    p.add_argument("--rows", type=int, default=10_000, help="large workload rows (full: 50000)")
    p.add_argument("--large-epochs", type=int, default=3, help="(full: 5)")
    p.add_argument("--no-tensorboard", action="store_true")
    args = p.parse_args(argv)

    with_tensorboard = not args.no_tensorboard and tensorboard_available()
    if not args.no_tensorboard and not with_tensorboard:
        print(
            "tensorboard is not installed: skipping the TensorBoard loop "
            "(pip install 'normtui[bench]')"
        )
    workloads: list[Workload] = []
    if args.workload in ("tiny", "all"):
        workloads += [tiny(name, args.tiny_epochs) for name in args.datasets.split(",")]
    if args.workload in ("large", "all"):
        workloads.append(large(args.rows, args.large_epochs))
    summary: list[list] = []
    for workload in workloads:
        summary += measure(workload, args.device, args.repeats, with_tensorboard)
    import torch  # noqa: F401  (for versions())

    print(f"\nsummary ({versions()}, device {args.device})")
    print(table(["workload", "ratio", "value", "target", "result"], summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
