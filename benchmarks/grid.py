"""What a learning-rate grid costs (issue 23 item 8), whole processes, side by side.

`normtui train --lrs auto` (7 rates x 10 seeds per run, one process) against what a user would
do without it: a loop of one `normtui train --lr r` command per rate (10 seeds each). Rounds are
interleaved (the order rotates); medians and their ratio are reported, with the floors measured
in the same run (`import torch`, `import textual.app`, one `normtui train` of one seed) so the
numbers can be read on a machine of another speed. Target: grid / loop <= 0.3.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved, median, normtui_command, parser, table, verdict, versions

from normtui.engine.config import AUTO_RATES

TARGET = 0.3


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--dataset", default="wine")
    p.add_argument("--epochs", type=int, default=100)
    p.set_defaults(repeats=2)
    args = p.parse_args()
    train = [*normtui_command(), "train", "--dataset", args.dataset, "--epochs", str(args.epochs)]
    rates = AUTO_RATES["adam"]

    def grid() -> float:
        return _wall([*train, "--lrs", "auto"])

    def loop() -> float:
        return sum(_wall([*train, "--lr", f"{rate:g}"]) for rate in rates)

    def one_seed() -> float:
        return _wall([*train, "--seeds", "1"])

    def import_torch() -> float:
        return _wall([sys.executable, "-c", "import torch"])

    def import_textual() -> float:
        return _wall([sys.executable, "-c", "import textual.app"])

    print(f"{args.dataset}, {args.epochs} epochs, {len(rates)} rates x 10 seeds; {versions()}")
    results = interleaved(
        {
            "grid": grid,
            "loop": loop,
            "one_seed": one_seed,
            "import_torch": import_torch,
            "import_textual": import_textual,
        },
        args.repeats,
    )
    walls = {name: median(values) for name, values in results.items()}
    ratio = walls["grid"] / walls["loop"]
    labels = {
        "grid": f"train --lrs auto ({len(rates)} rates, one process)",
        "loop": f"loop of {len(rates)} x train --lr r",
        "one_seed": "train --seeds 1 (floor: one process)",
        "import_torch": "python -c 'import torch' (floor)",
        "import_textual": "python -c 'import textual.app' (floor)",
    }
    rows = [[label, walls[name], walls[name] / walls["loop"]] for name, label in labels.items()]
    print(table(["what", "wall s (median)", "x loop"], rows))
    print(f"grid / loop = {ratio:.3f} (target <= {TARGET}): {verdict(ratio, TARGET)}")


if __name__ == "__main__":
    main()
