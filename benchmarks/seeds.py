"""What N seeds cost (issue 12 item 3): one batched model per run against one seed.

For each workload, headless Sessions with `seeds` = N train the pair, timed interleaved in one
process (the order rotates each round). Reported per N: the wall time of the session's training
(first epoch to last, set-up excluded, as in headless.py, scaled to the workload's epochs), its
ratio to N=1, and its ratio to N separate one-seed runs (N x the N=1 wall).

Targets on the 2-core CPU: tiny N=5 <= 1.5x and N=16 <= 3x the N=1 wall; large: per member no
slower than N separate runs (wall(N) / (N x wall(1)) <= 1). On CUDA: N=64 <= 2x N=1 on both.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Workload,
    engine_epoch_s,
    interleaved,
    large,
    median,
    parser,
    table,
    tiny,
    verdict,
    versions,
)

TINY_TARGETS = {5: 1.5, 16: 3.0}  # wall(N) / wall(1)
LARGE_TARGET = 1.0  # wall(N) / (N x wall(1))
CUDA_TARGET_64 = 2.0


def measure(
    workload: Workload, device: str, seeds: list[int], repeats: int, wall_epochs: int
) -> list[list]:
    """Time every seed count on one workload; rows of the result table."""
    config = workload.config(device)
    variants = {f"N={n}": (lambda n=n: engine_epoch_s(config.replace(seeds=n))) for n in seeds}
    print(f"\n{workload.name}: {workload.epochs} epochs per measurement, {repeats} rounds")
    results = interleaved(variants, repeats)
    per_epoch = {n: median(results[f"N={n}"]) for n in seeds}
    one = per_epoch[seeds[0]] if seeds[0] == 1 else None
    rows = []
    for n in seeds:
        wall = per_epoch[n] * wall_epochs
        vs_one = per_epoch[n] / one if one else float("nan")
        vs_separate = per_epoch[n] / (n * one) if one else float("nan")
        rows.append([workload.name, n, per_epoch[n] * 1e3, wall, vs_one, vs_separate])
    headers = ["workload", "N", "ms/pair-epoch", f"wall s ({wall_epochs} ep)", "/ N=1", "/ N x N=1"]
    print(table(headers, rows))
    return rows


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--full", action="store_true", help="2000 tiny epochs, 50k-row large")
    options.add_argument("--only", choices=("tiny", "large"), help="one workload")
    args = options.parse_args()
    quick = not args.full
    tiny_epochs = 300 if quick else 2000
    tiny_seeds = [1, 5, 16, 64]
    large_rows, large_epochs = (5_000, 2) if quick else (50_000, 1)
    large_seeds = [1, 5, 16] if quick else [1, 5, 16, 64]
    print(versions())
    summary = []
    if args.only != "large":
        rows = measure(tiny("wine", tiny_epochs), args.device, tiny_seeds, args.repeats, 2000)
        by_n = {row[1]: row for row in rows}
        for n, target in TINY_TARGETS.items():
            ratio = by_n[n][4]
            summary.append(
                ["tiny/wine", f"N={n} / N=1", ratio, f"<= {target}", verdict(ratio, target)]
            )
        if args.device == "cuda":
            ratio = by_n[64][4]
            summary.append(
                ["tiny/wine", "N=64 / N=1", ratio, "<= 2.0", verdict(ratio, CUDA_TARGET_64)]
            )
    if args.only == "tiny":
        print("\n" + table(["workload", "ratio", "measured", "target", "result"], summary))
        return
    workload = large(large_rows, large_epochs)
    rows = measure(workload, args.device, large_seeds, args.repeats, large_epochs)
    for row in rows[1:]:
        n, ratio = row[1], row[5]
        summary.append(
            [
                workload.name,
                f"N={n} / {n} separate",
                ratio,
                f"<= {LARGE_TARGET}",
                verdict(ratio, LARGE_TARGET),
            ]
        )
    print("\n" + table(["workload", "ratio", "measured", "target", "result"], summary))


if __name__ == "__main__":
    main()
