"""The dashboard attached (issue 6: 3, 4, 5, 8): epochs/s, swap latency, memory, terminal output.

  epochs/s     the app driven by App.run_test at unlimited pace vs the headless Session, each
               for --seconds, interleaved; ratio (targets: >= 0.6 tiny, >= 0.9 large); the
               tiny workload also in a real 120x40 pty and under tmux (when installed), rates
               read back from the dashboard's own session log
  swap         key `a` (next activation) to the first EpochEnd carrying the new activation, at
               the default pace (20 epochs/s) and unlimited (target: one epoch + 100 ms)
  memory       RSS growth over --memory-epochs epochs with the UI attached (target < 20 MB;
               the issue's full size is 100000)
  terminal     `normtui` in a 120x40 pseudo-terminal (what `script` records): bytes/s in steady
               state, default and --low-bandwidth (targets 24 KB/s and 4 KB/s), and the CPU
               use of the paused app (target <= 1%)
  --terminal REV   only the default dashboard's bytes/s at 120x40 (wine, --seeds N: 5 by
               default, on both sides), this tree and
               the code at git REV (e.g. the commit before a change) side by side, alternating,
               each measured from its first running frame + 2 s for --seconds (issue 25 item 10:
               target <= 20 KB/s); about 40 s in all
Skips (with a message) what the UI does not provide yet.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Pty,
    median,
    normtui_command,
    parser,
    table,
    ui_importable,
    verdict,
    versions,
)


class CountingSource:
    """Wraps a Session: timestamps every epoch the UI is handed (for rate and latency)."""

    def __init__(self, session) -> None:
        self.session = session
        self.live, self.playback, self.pace, self.events = True, False, None, ()
        self.epochs: list[tuple[float, str]] = []  # (perf_counter, activation)
        self.pressed: list[float] = []  # when the benchmark pressed its keys
        self.ended = 0.0

    def start(self, sink) -> None:
        from normtui.engine.events import EpochEnd

        def counting(event) -> None:
            if isinstance(event, EpochEnd) and event.run == "normalized":
                self.epochs.append((time.perf_counter(), event.activation))
            sink(event)

        self.session.start(counting)

    def send(self, command) -> None:
        self.session.send(command)

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None:
        self.session.stop(reason=reason, timeout=timeout)

    def join(self, timeout: float | None = None) -> bool:
        return self.session.join(timeout)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rate(stamps: list[float], start: float, end: float) -> float:
    """Epochs/s from the epochs stamped inside [start, end): whole intervals between them, so a
    window holding only a few slow (large-workload) epochs is not rounded to whole epochs."""
    inside = [t for t in stamps if start <= t < end]
    if len(inside) < 2:
        return 0.0
    return (len(inside) - 1) / (inside[-1] - inside[0])


async def ui_run(config, seconds: float, keys: list[tuple[float, str]] = ()) -> CountingSource:
    """Run the app headless (run_test) on a live session; press `keys` at their offsets."""
    from normtui.engine.session import Session
    from normtui.tui.app import make_app

    source = CountingSource(Session(config, linger=True))
    app = make_app(source, config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        started = time.perf_counter()
        for offset, key in keys:
            await pilot.pause(max(0.0, started + offset - time.perf_counter()))
            source.pressed.append(time.perf_counter())
            await pilot.press(key)
        await pilot.pause(max(0.0, started + seconds - time.perf_counter()))
        source.ended = time.perf_counter()
    source.stop()
    return source


def headless_run(config, seconds: float) -> list[float]:
    from normtui.engine.events import EpochEnd
    from normtui.engine.session import Session

    stamps: list[float] = []
    session = Session(config.replace(epochs=None))
    session.start(
        lambda e: (
            stamps.append(time.perf_counter())
            if isinstance(e, EpochEnd) and e.run == "normalized"
            else None
        )
    )
    time.sleep(seconds)
    session.stop()
    return stamps


def epochs_per_s(config, seconds: float, repeats: int, warm_s: float = 3.0) -> tuple[float, float]:
    """Median epochs/s (UI attached, headless), each counted after a warm-up."""
    ui, headless = [], []
    for _ in range(repeats):
        source = asyncio.run(ui_run(config, warm_s + seconds))
        stamps = [t for t, _ in source.epochs]
        ui.append(rate(stamps, source.ended - seconds, source.ended))
        stamps = headless_run(config, warm_s + seconds)
        headless.append(rate(stamps, stamps[-1] - seconds, stamps[-1]) if stamps else 0.0)
    return median(ui), median(headless)


def terminal_epochs_per_s(
    extra: list[str], seconds: float, warm_s: float = 3.0, *, tmux: bool = False
) -> float:
    """Epochs/s of `normtui --pace 0` in a real 120x40 pty (or a tmux session of that size),
    read back from its session log."""
    import tempfile

    log = Path(tempfile.mkdtemp(prefix="normtui-bench-pty-")) / "session.jsonl"
    command = [*normtui_command(), "--pace", "0", "--log", str(log), *extra]
    if tmux:
        run_in_tmux(command, warm_s + seconds + 2.0)
    else:
        pty = Pty(command)
        try:
            pty.read_for(warm_s + seconds + 2.0)  # + start-up (imports, data)
        finally:
            pty.close()
    return _log_rate(log, seconds)


def run_in_tmux(command: list[str], seconds: float) -> None:
    """Run `command` in a detached 120x40 tmux session on a private server, then quit it."""
    import shlex
    import subprocess

    server = ["tmux", "-L", f"normtui-bench-{os.getpid()}"]
    subprocess.run(
        [*server, "new-session", "-d", "-x", "120", "-y", "40", shlex.join(command)], check=True
    )
    try:
        time.sleep(seconds)
        subprocess.run([*server, "send-keys", "q"], check=False)
        time.sleep(1.0)
    finally:
        subprocess.run([*server, "kill-server"], check=False, stderr=subprocess.DEVNULL)


def _log_rate(log: Path, seconds: float) -> float:
    """Epochs/s of the normalized run over the last `seconds` of a session log."""
    import json

    if not log.exists():
        return 0.0
    stamps = []
    for line in log.read_text().splitlines()[1:]:
        event = json.loads(line)
        if event.get("event") == "epoch" and event.get("run") == "normalized":
            stamps.append(float(event["time_s"]))
    if len(stamps) < 2:
        return 0.0
    return rate(stamps, stamps[-1] - seconds, stamps[-1])


def swap_latency(config, presses: int = 4) -> list[tuple[float, float]]:
    """(latency, epoch seconds) per `a` press: key to the first epoch with the new activation."""
    keys = [(2.0 + 1.5 * i, "a") for i in range(presses)]
    source = asyncio.run(ui_run(config, 2.0 + 1.5 * presses + 1.0, keys))
    results = []
    for pressed in source.pressed:
        before = [a for t, a in source.epochs if t <= pressed]
        after = [(t, a) for t, a in source.epochs if t > pressed and before and a != before[-1]]
        times = [t for t, _ in source.epochs if t <= pressed]
        epoch_s = (times[-1] - times[-11]) / 10 if len(times) > 11 else float("nan")
        if after:
            results.append((after[0][0] - pressed, epoch_s))
    return results


def memory_growth(config, epochs: int) -> tuple[float, float, float]:
    """(RSS after warm-up, RSS at the end, seconds) with the UI attached at unlimited pace."""

    async def go() -> tuple[float, float, float]:
        from normtui.engine.session import Session
        from normtui.tui.app import make_app

        source = CountingSource(Session(config.replace(epochs=epochs), linger=True))
        app = make_app(source, config=config, handle_signals=False)
        started = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            warm = None
            while len(source.epochs) < epochs:
                await pilot.pause(0.5)
                if warm is None and len(source.epochs) >= min(2000, epochs // 10):
                    warm = rss_mb()
            await pilot.pause(1.0)
            end = rss_mb()
        source.stop()
        return warm or end, end, time.perf_counter() - started

    return asyncio.run(go())


def terminal_output(extra: list[str], warm_s: float, seconds: float) -> tuple[float, float]:
    """(bytes/s in steady state, CPU % of the process while paused) in a 120x40 pty."""
    pty = Pty([*normtui_command(), "--dataset", "wine", *extra])
    try:
        pty.read_for(warm_s + seconds)
        written = pty.bytes_between(warm_s, warm_s + seconds) / seconds
        pty.send(" ")  # pause
        pty.read_for(2.0)
        cpu_before, at = pty.cpu_seconds(), time.perf_counter()
        pty.read_for(seconds)
        idle = 100 * (pty.cpu_seconds() - cpu_before) / (time.perf_counter() - at)
    finally:
        pty.close()
    return written, idle


def code_at(rev: str) -> Path:
    """A directory to put on PYTHONPATH that imports `normtui` as it was at git `rev`."""
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parent.parent
    base = Path(tempfile.mkdtemp(prefix="normtui-rev-"))
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", rev, "engine", "tui", "themes", "src"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    package = base / "pkg" / "normtui"
    package.mkdir(parents=True)
    for file in (base / "src" / "normtui").glob("*.py"):
        shutil.copy(file, package / file.name)
    for part in ("engine", "tui", "themes"):
        (package / part).symlink_to(base / part)
    return base / "pkg"


def running_bytes_per_s(env: dict[str, str], seconds: float, seeds: int) -> float:
    """Bytes/s the default dashboard writes at 120x40, from its first running frame + 2 s."""
    command = [
        sys.executable,
        "-m",
        "normtui",
        "--dataset",
        "wine",
        "--no-log",
        "--seeds",
        str(seeds),
    ]
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        pty = Pty(command)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        pty.read_for(90, until=lambda p: b"running" in p.text)
        pty.read_for(2.0)
        start = time.perf_counter() - pty.started
        pty.read_for(seconds)
        return pty.bytes_between(start, start + seconds) / seconds
    finally:
        pty.close()


def terminal_side_by_side(rev: str, seconds: float, rounds: int, seeds: int) -> int:
    base = code_at(rev)
    results: dict[str, list[float]] = {rev: [], "this tree": []}
    for _ in range(rounds):
        results[rev].append(running_bytes_per_s({"PYTHONPATH": str(base)}, seconds, seeds))
        results["this tree"].append(running_bytes_per_s({}, seconds, seeds))
    rows = [
        [f"{name}: KB/s at 120x40, {seeds} seeds", median(values) / 1024, "<= 20",
         verdict(median(values) / 1024, 20.0)]
        for name, values in results.items()
    ]  # fmt: skip
    print(f"terminal output, default dashboard on wine ({versions()}; {rounds} rounds)")
    print(table(["measure", "value", "target", "result"], rows))
    shutil.rmtree(base.parent, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0, help="measurement window")
    p.add_argument("--memory-epochs", type=int, default=20_000, help="(full: 100000)")
    p.add_argument("--large", action="store_true", help="also the large workload's epochs/s")
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--terminal", metavar="REV", help="only terminal KB/s, this tree vs git REV")
    p.add_argument("--seeds", type=int, default=5, help="with --terminal: seeds of both sides")
    args = p.parse_args(argv)
    if args.terminal:
        return terminal_side_by_side(
            args.terminal, args.seconds, max(1, args.repeats // 2), args.seeds
        )
    p_repeats = max(1, args.repeats // 2)
    missing = ui_importable()
    if missing:
        print(f"the dashboard is not importable yet ({missing}): nothing to measure here")
        return 0
    from _common import large, tiny

    rows: list[list] = []

    def keep_ratio(label: str, rate: float, headless: float, target: float) -> None:
        """A row `rate / headless` against `target`, printed as it is measured."""
        ratio = rate / headless
        text = f"{label} epochs/s / headless ({rate:.3g} / {headless:.3g})"
        rows.append([text, ratio, f">= {target}", verdict(ratio, target, False)])
        print(table(["measure", "value", "target", "result"], rows[-1:]), flush=True)

    workloads = [("tiny", tiny("wine", 0).config(args.device, epochs=None), 0.6)]
    if args.large:
        workloads.append(("large", large(args.rows, 0).config(args.device, epochs=None), 0.9))
    for name, config, target in workloads:
        ui, headless = epochs_per_s(config.replace(epochs=None), args.seconds, p_repeats)
        keep_ratio(f"{name}: UI", ui, headless, target)
        if name == "tiny":
            terminals = [("in a real 120x40 terminal", False)]
            if shutil.which("tmux"):
                terminals.append(("under tmux at 120x40", True))
            for where, in_tmux in terminals:
                rate_in = median(
                    [
                        terminal_epochs_per_s(["--dataset", "wine"], args.seconds, tmux=in_tmux)
                        for _ in range(p_repeats)
                    ]
                )
                keep_ratio(f"{name}: UI {where}", rate_in, headless, target)

    base = tiny("wine", 0).config(args.device, epochs=None)
    for label, pace in (("default pace 20/s", 20.0), ("unlimited pace", None)):
        results = swap_latency(base.replace(pace=pace))
        if not results:
            rows.append([f"swap latency, {label}", "no swap seen", "", "FAIL"])
            continue
        latency = median([r[0] for r in results])
        epoch_s = median([r[1] for r in results])
        target = epoch_s + 0.1
        rows.append(
            [
                f"swap latency s, {label} (epoch {epoch_s * 1e3:.1f} ms)",
                latency,
                f"<= {target:.3f}",
                verdict(latency, target),
            ]
        )
        print(table(["measure", "value", "target", "result"], rows[-1:]), flush=True)

    warm, end, seconds = memory_growth(base.replace(pace=None), args.memory_epochs)
    rows.append(
        [
            f"RSS growth MB over {args.memory_epochs} epochs ({warm:.0f} -> {end:.0f} MB, "
            f"{seconds:.0f} s)",
            end - warm,
            "< 20",
            verdict(end - warm, 20),
        ]
    )
    print(table(["measure", "value", "target", "result"], rows[-1:]), flush=True)

    for label, extra, target in (
        ("default", [], 24.0),
        ("--low-bandwidth", ["--low-bandwidth"], 4.0),
    ):
        written, idle = terminal_output(extra, 3.0, args.seconds)
        rows.append(
            [
                f"terminal KB/s at 120x40, {label}",
                written / 1024,
                f"<= {target}",
                verdict(written / 1024, target),
            ]
        )
        rows.append([f"CPU % while paused, {label}", idle, "<= 1", verdict(idle, 1.0)])
    rows.append(["watch lag, replay/watch RSS", "see watch.py", "", ""])

    import torch  # noqa: F401  (versions)

    print(f"\nsummary ({versions()})")
    print(table(["measure", "value", "target", "result"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
