"""A million-row table (issue 14 item 4): time to the first epoch and peak memory, with floors.

The table is `_common.table_csv(1_000_000)`: 45 numeric columns on scales 1e-2..1e5 with 1% empty
cells, four text columns (23 one-hot columns), a `price` to predict; about 410 MB of CSV,
written once to the temp dir (never the repository). Each row below is a fresh process, run in
turn (`--repeats` rounds, order rotated); memory is the process tree's resident set (normtui plus
its data-prefetch child) sampled every 50 ms, and the biggest single process.

- floor `import torch`: `python -c "import torch"`, what any torch tool pays;
- floor `train wine`: `normtui train --dataset wine --epochs 1`, the tool's own start-up;
- `train` on the file: first epoch written to its `--log`, and exit;
- the dashboard on the file in a 120x40 pty: first progress on screen, first plotted epoch.

Both with `--seeds 1` and full batches, what the CLI's defaults give a table file over 16 MB
(`--seeds 5` of full batches on 800k rows exceed the activation budget and are refused).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Pty, median, normtui_command, parser, table, table_csv, versions
from startup import FIRST_EPOCH_ON_SCREEN, screen_text

PROGRESS_ON_SCREEN = b"rows read"
SAMPLE_S = 0.05


class TreeMemory:
    """Samples the resident set of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_tree_mb = 0.0
        self.peak_process_mb: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        pids = [pid]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    for child in children.read().split():
                        pids += self._tree(int(child))
        except OSError:
            pass
        return pids

    @staticmethod
    def _rss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        except (OSError, IndexError, ValueError):
            return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0.0
            for pid in self._tree(self.pid):
                rss = self._rss_mb(pid)
                total += rss
                self.peak_process_mb[pid] = max(self.peak_process_mb.get(pid, 0.0), rss)
            self.peak_tree_mb = max(self.peak_tree_mb, total)
            self._stop.wait(SAMPLE_S)

    def stop(self) -> tuple[float, float]:
        """(peak of the tree, peak of its biggest process) in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_tree_mb, max(self.peak_process_mb.values(), default=0.0)


def floor(command: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    memory = TreeMemory(process.pid)
    process.wait()
    wall = time.perf_counter() - started
    tree, biggest = memory.stop()
    return {"exit_s": wall, "tree_mb": tree, "process_mb": biggest}


def _log_events(log: Path) -> list[dict]:
    try:
        lines = log.read_text().splitlines()[1:]
    except OSError:
        return []
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            break  # a line still being written
    return events


def train(path: Path, log: Path) -> dict[str, float]:
    log.unlink(missing_ok=True)
    command = [*normtui_command(), "train", "--dataset", str(path), "--target", "price"]
    command += ["--epochs", "1", "--seeds", "1", "--log", str(log)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    memory = TreeMemory(process.pid)
    first_epoch = None
    while process.poll() is None:
        if first_epoch is None and '"event":"epoch"' in (log.read_text() if log.exists() else ""):
            first_epoch = time.perf_counter() - started
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - started
    tree, biggest = memory.stop()
    events = _log_events(log)
    read = [e for e in events if e["event"] == "data_loading" and e["done"]]
    started_at = [e["time_s"] for e in events if e["event"] == "session_started"]
    return {
        "read_s": read[0]["elapsed_s"] if read else float("nan"),
        "session_started_s": started_at[0] if started_at else float("nan"),
        "first_epoch_s": first_epoch if first_epoch is not None else wall,
        "exit_s": wall,
        "tree_mb": tree,
        "process_mb": biggest,
    }


def dashboard(path: Path) -> dict[str, float]:
    command = [*normtui_command(), "--dataset", str(path), "--target", "price", "--epochs", "3"]
    command += ["--seeds", "1"]
    pty = Pty(command)
    memory = TreeMemory(pty.pid)
    progress = drawn = None
    try:

        def seen(p: Pty) -> bool:
            nonlocal progress, drawn
            text = screen_text(p)
            if progress is None and PROGRESS_ON_SCREEN in text:
                progress = p.chunks[-1][0]
            if drawn is None and FIRST_EPOCH_ON_SCREEN.search(text):
                drawn = p.chunks[-1][0]
            return drawn is not None

        pty.read_for(600.0, seen)
    finally:
        tree, biggest = memory.stop()
        pty.close()
    nan = float("nan")
    return {
        "progress_s": progress if progress is not None else nan,
        "first_epoch_s": drawn if drawn is not None else nan,
        "tree_mb": tree,
        "process_mb": biggest,
    }


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(repeats=1)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--features", type=int, default=50)
    p.add_argument("--no-dashboard", action="store_true", help="train only")
    args = p.parse_args(argv)
    path = table_csv(args.rows, args.features)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "normtui-bench-bigfile.jsonl"
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB), {args.repeats} round(s); {versions()}")
    python = sys.executable
    variants = {
        "floor: import torch": lambda: floor([python, "-c", "import torch"]),
        "floor: train wine": lambda: floor(
            [*normtui_command(), "train", "--dataset", "wine", "--epochs", "1"]
        ),
        "train": lambda: train(path, log),
    }
    if not args.no_dashboard:
        variants["dashboard"] = lambda: dashboard(path)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    names = list(variants)
    for round_index in range(args.repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(variants[name]())
            print(f"  round {round_index + 1}: {name}: {results[name][-1]}", flush=True)
    log.unlink(missing_ok=True)

    def med(name: str, key: str) -> float:
        return median([r[key] for r in results[name] if key in r] or [float("nan")])

    rows = []
    for name in names:
        rows.append(
            [
                name,
                med(name, "read_s"),
                med(name, "progress_s"),
                med(name, "first_epoch_s"),
                med(name, "exit_s"),
                med(name, "tree_mb"),
                med(name, "process_mb"),
            ]
        )
    headers = ["what", "read s", "progress on screen s", "first epoch s", "exit s"]
    print(table([*headers, "peak RSS tree MB", "biggest process MB"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
