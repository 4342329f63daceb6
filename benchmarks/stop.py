"""Signal to exit: how fast a headless `train` and the dashboard stop on SIGHUP / SIGTERM / SIGINT.

The tests check that a signal stops the process cleanly with the right exit code and a whole log;
how fast it stops is measured here (target: under 2 s), next to the floor of starting and ending
a bare `python -c pass` in the same run, because machines are noisy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Pty, median, normtui_command, parser, table, verdict, versions

TARGET_S = 2.0
SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


def _epochs_in(log: Path) -> int:
    try:
        return log.read_text().count('"event":"epoch"')
    except FileNotFoundError:
        return 0


def _wait_for_epochs(log: Path, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while _epochs_in(log) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {count} epochs in {log} within {timeout:.0f} s")
        time.sleep(0.05)


def train_stop_s(signum: int, workdir: Path) -> float:
    """Seconds from the signal to the exit of a headless `normtui train` mid-training."""
    log = Path(tempfile.mkstemp(".jsonl", f"train-{signum}-", workdir)[1])
    command = [*normtui_command(), "train", "--dataset", "wine", "--epochs", "1000000"]
    process = subprocess.Popen(
        [*command, "--log", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_epochs(log, 20)
        sent = time.perf_counter()
        process.send_signal(signum)
        process.wait(timeout=60)
        return time.perf_counter() - sent
    finally:
        if process.poll() is None:
            process.kill()


def dashboard_stop_s(signum: int, workdir: Path) -> float:
    """Seconds from the signal to the exit of the dashboard in a pty, mid-training."""
    log = Path(tempfile.mkstemp(".jsonl", f"ui-{signum}-", workdir)[1])
    pty = Pty([*normtui_command(), "--dataset", "iris", "--pace", "0", "--log", str(log)])
    try:
        deadline = time.monotonic() + 120
        while _epochs_in(log) < 20:
            if time.monotonic() > deadline:
                raise RuntimeError("the dashboard trained no 20 epochs within 120 s")
            pty.read_for(0.05)
        sent = time.perf_counter()
        os.kill(pty.pid, signum)
        while True:
            pty.read_for(0.02)
            pid, _ = os.waitpid(pty.pid, os.WNOHANG)
            if pid:
                return time.perf_counter() - sent
            if time.perf_counter() - sent > 60:
                raise RuntimeError("the dashboard did not exit within 60 s of the signal")
    finally:
        pty.close()


def floor_s() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    print(versions())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        floors = [floor_s() for _ in range(args.repeats)]
        for signum in SIGNALS:
            name = signal.Signals(signum).name
            for label, measure in (("train", train_stop_s), ("dashboard", dashboard_stop_s)):
                times = [measure(signum, workdir) for _ in range(args.repeats)]
                stop = median(times)
                rows.append(
                    [
                        f"{label} {name}",
                        f"{stop * 1e3:.0f} ms",
                        f"{stop / median(floors):.2f}x",
                        f"< {TARGET_S:.0f} s",
                        verdict(stop, TARGET_S),
                    ]
                )
                print(f"  {label} {name}: " + ", ".join(f"{t * 1e3:.0f}" for t in times) + " ms")
    print(f"\nfloor: python -c pass starts and ends in {median(floors) * 1e3:.0f} ms (median)")
    print(table(["signal → exit", "median", "÷ floor", "target", ""], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
