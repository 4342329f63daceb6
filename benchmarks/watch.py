"""`watch` and `replay` (issue 6: 8): lag behind a log being written, resident memory, no torch.

A writer *process* (this script with --writer) copies the epoch lines of a real session log into
a new log at a fixed rate (epochs renumbered 1, 2, ...), flushing each line as the engine's
LogWriter does, and stamps every epoch's last line with the system-wide monotonic clock.
  lag, on screen   `normtui watch` in a 120x40 pseudo-terminal: epoch N counts as drawn when the
                   terminal output first shows "epoch M" with M >= N (the run panes' counter)
  lag, in process  the app driven by App.run_test on FollowSource, hooked at each stage:
                   read     FollowSource hands the epoch to the app's buffer (file poll)
                   ingested the UI tick folded it into app.state
                   drawn    the first composed frame after the numbers showed epoch >= N
                   Variants of the refresh constants are compared interleaved in one process.
  memory           VmRSS of real `replay` (2 x 3000 epochs) and `watch` (following a growing log)
                   processes, sampled over time; /proc/PID/maps is checked for libtorch
Targets: lag median <= 0.2 s and worst <= 0.5 s; RSS <= 100 MB and flat; torch never loaded.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Pty, median, normtui_command, parser, table, verdict, versions

EPOCH_ON_SCREEN = re.compile(rb"epoch (\d+)")
LAG_TARGETS = (0.2, 0.5)  # median, worst (seconds)
RSS_TARGET_MB = 100.0

# ---------------------------------------------------------------------------------------------
# The writer process


def source_log(work: Path, epochs: int) -> Path:
    """A real session log of `epochs` epochs per run (`normtui train --log`), made once."""
    path = work / f"source-{epochs}.jsonl"
    if not path.exists():
        subprocess.run(
            [
                *normtui_command(),
                "train",
                "--dataset",
                "wine",
                "--epochs",
                str(epochs),
                "--log",
                path,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return path


def write_log(source: Path, target: Path, stamps: Path, go: Path, rate: float, seconds: float):
    """Header and start events at once; after `go` exists, `rate` epochs/s for `seconds`."""
    lines = source.read_text().splitlines()
    preamble = [lines[0]]
    epochs: dict[int, list[dict]] = {}
    for line in lines[1:]:
        record = json.loads(line)
        if record.get("event") == "epoch":
            epochs.setdefault(record["epoch"], []).append(record)
        elif not epochs and record.get("event") != "session_ended":
            preamble.append(line)
    cycle = [epochs[k] for k in sorted(epochs)]
    written: list[tuple[int, float]] = []
    with open(target, "w", encoding="utf-8") as out:
        out.write("\n".join(preamble) + "\n")
        out.flush()
        while not go.exists():
            time.sleep(0.01)
        started = time.monotonic()
        epoch = 0
        while (due := started + epoch / rate) < started + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            epoch += 1
            for record in cycle[(epoch - 1) % len(cycle)]:
                record = dict(record, epoch=epoch, time_s=time.monotonic() - started)
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
                out.flush()
            written.append((epoch, time.monotonic()))
    stamps.write_text(json.dumps(written))


@dataclass
class Writer:
    """A running writer process and its files."""

    process: subprocess.Popen
    log: Path
    stamps: Path
    go: Path

    def start_epochs(self) -> None:
        self.go.touch()

    def written(self) -> list[tuple[int, float]]:
        self.process.wait(timeout=600)
        return [(int(e), float(t)) for e, t in json.loads(self.stamps.read_text())]


def start_writer(source: Path, work: Path, name: str, rate: float, seconds: float) -> Writer:
    log, stamps, go = work / f"{name}.jsonl", work / f"{name}.stamps", work / f"{name}.go"
    for path in (log, stamps, go):
        path.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--writer", str(source), str(log), str(stamps), str(go)]
    process = subprocess.Popen([*command, str(rate), str(seconds)])
    deadline = time.monotonic() + 10
    while not (log.exists() and log.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.01)
    return Writer(process, log, stamps, go)


# ---------------------------------------------------------------------------------------------
# Lag


def lags(written: list[tuple[int, float]], shown: list[tuple[float, int]]) -> list[float]:
    """Per written epoch N: first time something >= N was shown, minus when N was written.

    `shown` is (time, newest epoch shown then) in time order; epochs never shown are skipped.
    """
    result, index = [], 0
    for epoch, at in written:
        while index < len(shown) and shown[index][1] < epoch:
            index += 1
        if index == len(shown):
            break
        result.append(shown[index][0] - at)
    return result


def on_screen_shown(pty: Pty) -> list[tuple[float, int]]:
    """(monotonic time, newest epoch on screen) at each pty chunk that showed a newer epoch."""
    ends, total = [], 0
    for t, n in pty.chunks:
        total += n
        ends.append((total, t))
    shown, newest, chunk = [], 0, 0
    for match in EPOCH_ON_SCREEN.finditer(bytes(pty.text)):
        while ends[chunk][0] < match.end():
            chunk += 1
        epoch = int(match.group(1))
        if epoch > newest:
            newest = epoch
            shown.append((pty_monotonic(pty, ends[chunk][1]), epoch))
    return shown


def pty_monotonic(pty: Pty, offset_s: float) -> float:
    """Pty chunk times are perf_counter offsets from its start; perf_counter is CLOCK_MONOTONIC."""
    return pty.started + offset_s


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loads_torch(pid: int) -> bool:
    with open(f"/proc/{pid}/maps") as maps:
        return any("libtorch" in line or "/torch/" in line for line in maps)


@dataclass
class WatchRun:
    lags: list[float]
    rss: list[tuple[float, float]]  # (seconds since epochs started, MB)
    torch: bool
    epochs: int


# `normtui` with the refresh constants set first (to compare them interleaved in real processes)
WITH_CONSTANTS = (
    "import sys; from normtui.tui import pump; from normtui.tui.screens import dashboard; "
    "from normtui.engine.replay import FollowSource; "
    "text, tick, poll = map(float, sys.argv.pop(1).split(',')); "
    "dashboard.TEXT_INTERVAL_S[False] = text; pump.TICK_S = tick; "
    "FollowSource.poll_interval_s = poll; sys.argv[0] = 'normtui'; "
    "from normtui.tui.cli import main; main()"
)

Constants = tuple[float, float, float]  # TEXT_INTERVAL_S[False], TICK_S, poll_interval_s


def watch_in_pty(
    source: Path, work: Path, rate: float, seconds: float, variant: Constants | None = None
) -> WatchRun:
    """A real `normtui watch` process following a log the writer grows at `rate` epochs/s."""
    writer = start_writer(source, work, f"pty-{rate:g}", rate, seconds)
    command = normtui_command()
    if variant is not None:
        command = [sys.executable, "-c", WITH_CONSTANTS, ",".join(map(str, variant))]
    pty = Pty([*command, "watch", str(writer.log)])
    rss: list[tuple[float, float]] = []
    torch = False
    try:
        pty.read_for(10.0, lambda p: b"\x1b[?1049h" in p.text and len(p.text) > 4000)
        pty.read_for(0.5)
        writer.start_epochs()
        started = time.monotonic()
        while writer.process.poll() is None:
            pty.read_for(1.0)
            rss.append((time.monotonic() - started, rss_mb(pty.pid)))
            torch = torch or loads_torch(pty.pid)
        pty.read_for(1.0)
    finally:
        pty.close()
    written = writer.written()
    return WatchRun(lags(written, on_screen_shown(pty)), rss, torch, len(written))


@contextmanager
def constants(text_s: float, tick_s: float, poll_s: float) -> Iterator[None]:
    """Temporarily set the app's refresh constants (in this process only)."""
    from normtui.engine.replay import FollowSource
    from normtui.tui import pump
    from normtui.tui.screens import dashboard

    saved = (dict(dashboard.TEXT_INTERVAL_S), pump.TICK_S, FollowSource.poll_interval_s)
    dashboard.TEXT_INTERVAL_S[False] = text_s
    pump.TICK_S, FollowSource.poll_interval_s = tick_s, poll_s
    try:
        yield
    finally:
        dashboard.TEXT_INTERVAL_S.update(saved[0])
        pump.TICK_S, FollowSource.poll_interval_s = saved[1], saved[2]


async def watch_in_process(writer: Writer) -> dict[str, list[tuple[float, int]]]:
    """Drive the watch app with run_test; (time, newest epoch) as read, ingested and drawn."""
    from normtui.engine.events import EpochEnd
    from normtui.engine.replay import FollowSource
    from normtui.tui.app import make_app
    from normtui.tui.viewer import config_from_header

    source = FollowSource(str(writer.log))
    app = make_app(source, config=config_from_header(source.header), handle_signals=False)
    stages: dict[str, list[tuple[float, int]]] = {"read": [], "ingested": [], "drawn": []}
    shown = [0]  # newest epoch pushed to the number widgets, not yet composed

    start_source = source.start

    def start(sink) -> None:
        def stamped(event) -> None:
            if isinstance(event, EpochEnd) and event.run == "normalized":
                stages["read"].append((time.monotonic(), event.epoch))
            sink(event)

        start_source(stamped)

    source.start = start
    ingest, show_text, display = app.dashboard.ingest, app.dashboard._show_text, app._display

    def stamped_ingest(events):
        urgent = ingest(events)
        epochs = [e.epoch for e in events if isinstance(e, EpochEnd) and e.run == "normalized"]
        if epochs:
            stages["ingested"].append((time.monotonic(), max(epochs)))
        return urgent

    def stamped_show_text(dirty) -> None:
        show_text(dirty)
        shown[0] = app.state.runs["normalized"].epoch

    def stamped_display(screen, renderable) -> None:
        display(screen, renderable)
        if (
            renderable is not None
            and shown[0]
            and (not stages["drawn"] or stages["drawn"][-1][1] < shown[0])
        ):
            stages["drawn"].append((time.monotonic(), shown[0]))

    app.dashboard.ingest, app._display = stamped_ingest, stamped_display
    app.dashboard._show_text = stamped_show_text
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        writer.start_epochs()
        while writer.process.poll() is None:
            await pilot.pause(0.2)
        await pilot.pause(1.0)
    source.stop()
    return stages


def lag_row(label: str, values: list[float]) -> list:
    if not values:
        return [label, "nothing drawn", "", "", "FAIL"]
    med, worst = median(values), max(values)
    ok = med <= LAG_TARGETS[0] and worst <= LAG_TARGETS[1]
    p95 = sorted(values)[int(0.95 * (len(values) - 1))]
    return [f"{label} (n={len(values)})", med, p95, worst, "pass" if ok else "FAIL"]


# ---------------------------------------------------------------------------------------------
# Memory of replay


def replay_memory(log: Path, seconds: float) -> tuple[list[float], bool]:
    """(RSS samples every 0.5 s, whether torch was ever mapped) of `normtui replay` in a pty."""
    pty = Pty([*normtui_command(), "replay", str(log)])
    samples, torch = [], False
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pty.read_for(0.5)
            samples.append(rss_mb(pty.pid))
            torch = torch or loads_torch(pty.pid)
    finally:
        pty.close()
    return samples, torch


def current_constants() -> Constants:
    from normtui.engine.replay import FollowSource
    from normtui.tui import pump
    from normtui.tui.screens import dashboard

    return dashboard.TEXT_INTERVAL_S[False], pump.TICK_S, FollowSource.poll_interval_s


def interleaved(variants: list[Constants], repeats: int) -> Iterator[tuple[int, Constants]]:
    """(round, variant) pairs, each round starting one variant later: drift hits all alike."""
    for round_index in range(repeats):
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            yield round_index + 1, variant


def lag_rows_in_process(source: Path, work: Path, args, variants: list[Constants]) -> list[list]:
    """Per stage (read, ingested, drawn) and variant: the app driven by run_test."""
    per_stage: dict[Constants, dict[str, list[float]]] = {
        v: {"read": [], "ingested": [], "drawn": []} for v in variants
    }
    for round_number, variant in interleaved(variants, args.repeats):
        writer = start_writer(source, work, "inproc", args.rate, args.seconds)
        with constants(*variant):
            stages = asyncio.run(watch_in_process(writer))
        written = writer.written()
        for stage, shown in stages.items():
            per_stage[variant][stage] += lags(written, shown)
        drawn = per_stage[variant]["drawn"]
        print(
            f"  round {round_number}: text/tick/poll {variant}: drawn median "
            f"{median(drawn):.3f} s, worst {max(drawn):.3f} s",
            flush=True,
        )
    rows = []
    for variant, stage_lags in per_stage.items():
        label = "current" if variant == variants[0] else "variant"
        for stage, values in stage_lags.items():
            rows.append(lag_row(f"in process {stage}, {label} text/tick/poll {variant}", values))
    return rows


def lag_rows_in_pty(source: Path, work: Path, args, variants: list[Constants]) -> list[list]:
    """Per variant: real `normtui watch` processes in a terminal."""
    pty_lags: dict[Constants, list[float]] = {v: [] for v in variants}
    for round_number, variant in interleaved(variants, args.repeats):
        current = variant == variants[0]
        run = watch_in_pty(source, work, args.rate, args.seconds, None if current else variant)
        pty_lags[variant] += run.lags
        print(f"  round {round_number}: pty {variant}: median {median(run.lags):.3f} s")
    rows = []
    for variant, values in pty_lags.items():
        label = "current" if variant == variants[0] else "variant"
        rows.append(
            lag_row(f"on screen (pty), {label} text/tick/poll {variant}, {args.rate:g}/s", values)
        )
    return rows


def rss_row(what: str, values: list[float]) -> list:
    return [what, max(values), f"<= {RSS_TARGET_MB:g}, flat", verdict(max(values), RSS_TARGET_MB)]


def memory_rows(source: Path, work: Path, args) -> list[list]:
    """watch following a growing log, and a replay of 2 x 3000 epochs: RSS, torch, lag."""
    follow = watch_in_pty(source, work, args.memory_rate, args.memory_seconds)
    values = [mb for _, mb in follow.rss]
    early = [mb for t, mb in follow.rss if t <= 10.0] or values[:1]
    fast = lag_row(f"watch lag s at {args.memory_rate:g} epochs/s: median, worst", follow.lags)
    samples, torch = replay_memory(source_log(work, 3000), 10.0)
    return [
        rss_row(
            f"watch RSS MB following {follow.epochs} epochs over {args.memory_seconds:g} s "
            f"(at 10 s {early[-1]:.1f}, end {values[-1]:.1f}, "
            f"growth {values[-1] - early[-1]:+.1f})",
            values,
        ),
        ["watch loads torch", follow.torch, "False", "FAIL" if follow.torch else "pass"],
        [fast[0], f"{fast[1]:.3f}, {fast[3]:.3f}", "<= 0.2, 0.5", fast[4]],
        rss_row(
            f"replay 2x3000 RSS MB, max over 10 s (first {samples[0]:.1f}, last {samples[-1]:.1f})",
            samples,
        ),
        ["replay loads torch", torch, "False", "FAIL" if torch else "pass"],
    ]


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--writer":
        src, dst, stamps, go, rate, seconds = sys.argv[2:8]
        write_log(Path(src), Path(dst), Path(stamps), Path(go), float(rate), float(seconds))
        return 0
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=20.0, help="epochs/s written (UI default pace)")
    p.add_argument("--seconds", type=float, default=15.0, help="lag measurement window")
    p.add_argument("--memory-seconds", type=float, default=60.0, help="watch RSS window")
    p.add_argument("--memory-rate", type=float, default=200.0, help="epochs/s while following")
    p.add_argument(
        "--variants",
        default="",
        help="extra in-process refresh constants to compare, 'text,tick,poll;...' (seconds)",
    )
    args = p.parse_args(argv)
    extra = [tuple(float(x) for x in v.split(",")) for v in args.variants.split(";") if v]
    variants: list[Constants] = [current_constants(), *extra]  # type: ignore[list-item]
    work = Path(tempfile.mkdtemp(prefix="normtui-bench-watch-"))
    source = source_log(work, 400)
    lag_rows = lag_rows_in_process(source, work, args, variants)
    lag_rows += lag_rows_in_pty(source, work, args, variants)
    print(table(["lag s", "median", "p95", "worst", "result"], lag_rows), flush=True)
    mem_rows = memory_rows(source, work, args)
    print(f"\nsummary ({versions()}; {args.repeats} rounds)")
    print(table(["lag s", "median", "p95", "worst", "result"], lag_rows))
    print(table(["measure", "value", "target", "result"], mem_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
