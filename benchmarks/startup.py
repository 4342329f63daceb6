"""Start-up times (issue 6: 6): `--help`, `datasets`, the dashboard's first frame, `replay`.

CLI commands are timed as whole subprocesses. The dashboard runs in a pseudo-terminal of 120x40
(what `script` records): its first frame is the first screen-sized write after the switch to the
alternate screen; "first plotted epoch" is when the screen first says "epoch N" (a run pane's
status line: a run's first epoch is drawn at once, plots and numbers together), and "first
epoch in the log" when the session log has it. `replay` of a 2 x 3000-epoch log is "fully
drawn" when the emulated screen (pyte) last changed; the last byte written is also shown.

Start-up is measured with the package's bytecode compiled, as `pip install` leaves it: an
editable checkout whose environment sets PYTHONDONTWRITEBYTECODE (some containers do) would
otherwise recompile every module on every start (~30 ms here).
"""

from __future__ import annotations

import compileall
import re
import sys
import tempfile
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
    wall_times,
)

ALT_SCREEN = b"\x1b[?1049h"
FRAME_BYTES = 2000  # a 120x40 first frame writes far more than this
QUIET_S = 0.5
ESCAPE = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78])")
FIRST_EPOCH_ON_SCREEN = re.compile(rb"epoch \d+ ")  # a run pane's status, drawn with its plot


def screen_text(pty: Pty) -> bytes:
    """What the pty received, without escape sequences (text split by colours joins up)."""
    return ESCAPE.sub(b"", bytes(pty.text))


def first_frame_s(pty: Pty, timeout: float = 20.0) -> float | None:
    """Seconds from process start until a full frame has been written after the alt screen."""

    def drawn(p: Pty) -> bool:
        at = p.text.find(ALT_SCREEN)
        return at >= 0 and len(p.text) - at > FRAME_BYTES

    if not pty.read_for(timeout, drawn):
        return None
    return pty.chunks[-1][0]


def settled_s(pty: Pty, timeout: float = 20.0) -> float:
    """Seconds from process start to the last write before the output went quiet."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        before = len(pty.chunks)
        pty.read_for(QUIET_S)
        if len(pty.chunks) == before:
            break
    return pty.chunks[-1][0] if pty.chunks else float("nan")


def dashboard_times(log: Path) -> tuple[float | None, float | None, float | None]:
    """(first frame, first epoch in the session log, first epoch on screen) of a dashboard."""
    log.unlink(missing_ok=True)
    pty = Pty([*normtui_command(), "--dataset", "wine", "--log", str(log)])
    logged = drawn = None
    try:
        frame = first_frame_s(pty)

        def epoch_seen(p: Pty) -> bool:
            nonlocal logged, drawn
            now = time.perf_counter() - p.started
            if logged is None and log.exists() and '"event":"epoch"' in log.read_text():
                logged = now
            if drawn is None and FIRST_EPOCH_ON_SCREEN.search(screen_text(p)):
                drawn = p.chunks[-1][0]
            return logged is not None and drawn is not None

        if frame:
            pty.read_for(20.0, epoch_seen)
    finally:
        pty.close()
    return frame, logged, drawn


def screen_complete_s(pty: Pty, until_s: float, cols: int = 120, rows: int = 40) -> float | None:
    """Seconds to the last write that changed what the screen shows (None without pyte).

    Textual repaints the whole screen again after its first frame as its start-up resize
    events arrive; those repaints change nothing a user sees, so "fully drawn" is when the
    emulated screen last changed, not when the last byte arrived.
    """
    try:
        import pyte
    except ImportError:
        return None
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    text, offset, shown, changed_at = bytes(pty.text), 0, None, None
    for at, size in pty.chunks:
        if at > until_s:  # what quitting wrote
            break
        stream.feed(text[offset : offset + size])
        offset += size
        now = "\n".join(screen.display)
        if now != shown:
            shown, changed_at = now, at
    return changed_at


def replay_times(log: Path) -> tuple[float | None, float, float | None]:
    """(first frame, last write, screen complete) of `normtui replay` of a log."""
    pty = Pty([*normtui_command(), "replay", str(log)])
    try:
        frame = first_frame_s(pty)
        done = settled_s(pty)
    finally:
        pty.close()
    return frame, done, screen_complete_s(pty, until_s=done)


def compile_package() -> None:
    """Write normtui's .pyc files (a no-op for a regular install: pip already did)."""
    import normtui.engine
    import normtui.tui

    for package in (normtui, normtui.engine, normtui.tui):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--replay-epochs", type=int, default=3000)
    args = p.parse_args(argv)
    compile_package()
    normtui = normtui_command()
    rows: list[list] = []
    for name, command, target in (
        ("normtui --help", [*normtui, "--help"], 0.3),
        ("normtui datasets", [*normtui, "datasets"], None),
    ):
        value = median(wall_times(command, args.repeats))
        rows.append(
            [
                name,
                value,
                f"<= {target}" if target else "info",
                verdict(value, target) if target else "",
            ]
        )
        print(table(["measure", "seconds", "target", "result"], rows[-1:]), flush=True)

    missing = ui_importable()
    if missing:
        print(
            f"\nthe dashboard is not importable yet ({missing}): skipping the UI start-up "
            "measurements"
        )
    else:
        work = Path(tempfile.mkdtemp(prefix="normtui-bench-startup-"))
        frames, logged, drawn = [], [], []
        for _ in range(args.repeats):
            frame, in_log, on_screen = dashboard_times(work / "live.jsonl")
            for values, value in ((frames, frame), (logged, in_log), (drawn, on_screen)):
                if value is not None:
                    values.append(value)
        for name, values, target in (
            ("dashboard: first frame", frames, 0.5),
            ("dashboard: first epoch in the log", logged, None),
            ("dashboard: first plotted epoch", drawn, 2.0),
        ):
            value = median(values) if values else float("nan")
            rows.append(
                [
                    name,
                    value,
                    f"<= {target}" if target else "info",
                    verdict(value, target) if target else "",
                ]
            )
        log = work / "replay.jsonl"
        import subprocess

        subprocess.run(
            [
                *normtui,
                "train",
                "--dataset",
                "wine",
                "--epochs",
                str(args.replay_epochs),
                "--log",
                str(log),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        replay = [replay_times(log) for _ in range(args.repeats)]
        replay_frames = [f for f, _, _ in replay if f is not None]
        rows.append(
            [
                f"replay 2x{args.replay_epochs}: first frame",
                median(replay_frames) if replay_frames else float("nan"),
                "info",
                "",
            ]
        )
        last_write = median([d for _, d, _ in replay])
        complete = [c for _, _, c in replay if c is not None]
        target = "<= 0.5" if complete else "<= 0.5 (no pyte: last write)"
        drawn = median(complete) if complete else last_write
        rows.append(
            [f"replay 2x{args.replay_epochs}: fully drawn", drawn, target, verdict(drawn, 0.5)]
        )
        if complete:
            rows.append(
                [f"replay 2x{args.replay_epochs}: last byte written", last_write, "info", ""]
            )
    print(f"\nsummary ({versions()}; median of {args.repeats})")
    print(table(["measure", "seconds", "target", "result"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
