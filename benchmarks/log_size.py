"""What a default dashboard session's log costs on disk per hour (issue 25 item 9).

One real session as the dashboard trains it (wine, the default 10 seeds, pace 20 epochs/s,
layer stats on every paced epoch) feeds two log writers side by side, so both see the same events:
  before   the log as it was written until issue 25: plain JSONL, every epoch's layer stats
  after    the dashboard's log now: gzip line by line, layer stats at most every
           DASHBOARD_LOG_LAYERS_S (engine/log.py)
Bytes per hour are measured over the session after its first 3 s (the steady state: the header
and the data's loading are one-off), and the epoch rate is printed beside them.
Target: after < 50 MB/hour.

    python benchmarks/log_size.py [--seconds 20] [--lrs]

--lrs: the same session with `--lrs auto` (a 7-rate learning-rate grid: every rate's seeds in a
GridEpoch line per run per epoch), and a third log, `grid all`: the dashboard's log but with every
GridEpoch line kept (as before they were thinned like the layer stats). A loaded machine may train
below the pace: the grid lines thinned by time cost the same per hour at any pace, the rest grows
with the epochs per second (printed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import table, versions

from normtui.engine.config import AUTO_RATES, DEFAULT_SEEDS, DEFAULT_TEST_SPLIT, SessionConfig
from normtui.engine.events import EpochEnd, Event, GridEpoch
from normtui.engine.log import DASHBOARD_LOG_LAYERS_S, LogWriter, read_log
from normtui.engine.session import Session

WARM_UP_S = 3.0
PACE = 20.0


class EveryGridLine(LogWriter):
    """The dashboard's log as it was before GridEpoch lines were thinned: every one kept."""

    def _keeps_grid(self, event: GridEpoch) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="session length measured")
    parser.add_argument("--lrs", action="store_true", help="a learning-rate grid (--lrs auto)")
    args = parser.parse_args()
    grid = {"lrs": AUTO_RATES["adam"], "test_split": DEFAULT_TEST_SPLIT} if args.lrs else {}
    config = SessionConfig(dataset="wine", seeds=DEFAULT_SEEDS, epochs=None, pace=PACE, **grid)
    folder = Path(tempfile.mkdtemp(prefix="normtui-logsize-"))
    before = LogWriter(str(folder / "before.jsonl"), config.to_dict())
    after = LogWriter(
        str(folder / "after.jsonl.gz"), config.to_dict(), layers_every_s=DASHBOARD_LOG_LAYERS_S
    )
    writers = {"before": before, "after": after}
    if args.lrs:
        writers["grid all"] = EveryGridLine(
            str(folder / "grid_all.jsonl.gz"),
            config.to_dict(),
            layers_every_s=DASHBOARD_LOG_LAYERS_S,
        )
    epochs: list[float] = []

    def sink(event: Event) -> None:
        for writer in writers.values():
            writer(event)
        if isinstance(event, EpochEnd) and event.run == "raw":
            epochs.append(time.monotonic())

    session = Session(config)
    session.start(sink)
    while not epochs:
        time.sleep(0.05)
    time.sleep(WARM_UP_S)
    marks = {name: writer.bytes for name, writer in writers.items()}
    started, first_epochs = time.monotonic(), len(epochs)
    time.sleep(args.seconds)
    elapsed = time.monotonic() - started
    done = {name: writer.bytes - marks[name] for name, writer in writers.items()}
    rate = (len(epochs) - first_epochs) / elapsed
    session.stop()
    session.join(30)
    for writer in writers.values():
        writer.close()
    rows = []
    for name, writer in writers.items():
        _, events = read_log(writer.path)  # both read back: the compressed one is a real log
        with_layers = sum(1 for e in events if isinstance(e, EpochEnd) and e.layers)
        every = sum(1 for e in events if isinstance(e, EpochEnd))
        per_hour = done[name] / elapsed * 3600
        rows.append(
            [
                name,
                f"{done[name] / elapsed / 1000:.1f}",
                f"{per_hour / 1e6:.1f}",
                f"{with_layers / every:.0%}",
                f"{done[name] / (rate * elapsed * 2):.0f}",
            ]
        )
    session = f"wine, {config.seeds} seeds, pace {PACE:g}"
    if args.lrs:
        session += f", --lrs auto ({len(config.lrs)} rates)"
    print(f"# log size, default dashboard session ({session}) · {versions()}")
    print(f"# {elapsed:.1f} s measured after {WARM_UP_S:.0f} s, {rate:.1f} epochs/s per run")
    headers = ["log", "KB/s", "MB/hour", "epoch lines with layers", "bytes/epoch line"]
    print(table(headers, rows))
    ratio = done["before"] / max(1, done["after"])
    day = done["after"] / elapsed * 86400 / 1e9
    print(f"# after is {ratio:.1f}x smaller; a 24-hour session writes ~{day:.1f} GB")


if __name__ == "__main__":
    main()
