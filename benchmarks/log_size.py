"""What a default dashboard session's log costs on disk per hour (issue 25 item 9).

One real session as the dashboard trains it (wine, the default 10 seeds, pace 20 epochs/s,
layer stats on every paced epoch) feeds two log writers side by side, so both see the same events:
  before   the log as it was written until issue 25: plain JSONL, every epoch's layer stats
  after    the dashboard's log now: gzip line by line, layer stats at most every
           DASHBOARD_LOG_LAYERS_S (engine/log.py)
Bytes per hour are measured over the session after its first 3 s (the steady state: the header
and the data's loading are one-off), and the epoch rate is printed beside them.
Target: after < 50 MB/hour.

    python benchmarks/log_size.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import table, versions

from normtui.engine.config import DEFAULT_SEEDS, SessionConfig
from normtui.engine.events import EpochEnd, Event
from normtui.engine.log import DASHBOARD_LOG_LAYERS_S, LogWriter, read_log
from normtui.engine.session import Session

WARM_UP_S = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="session length measured")
    args = parser.parse_args()
    config = SessionConfig(dataset="wine", seeds=DEFAULT_SEEDS, epochs=None, pace=20.0)
    folder = Path(tempfile.mkdtemp(prefix="normtui-logsize-"))
    before = LogWriter(str(folder / "before.jsonl"), config.to_dict())
    after = LogWriter(
        str(folder / "after.jsonl.gz"), config.to_dict(), layers_every_s=DASHBOARD_LOG_LAYERS_S
    )
    epochs: list[float] = []

    def sink(event: Event) -> None:
        before(event)
        after(event)
        if isinstance(event, EpochEnd) and event.run == "raw":
            epochs.append(time.monotonic())

    session = Session(config)
    session.start(sink)
    while not epochs:
        time.sleep(0.05)
    time.sleep(WARM_UP_S)
    marks = {"before": before.bytes, "after": after.bytes}
    started, first_epochs = time.monotonic(), len(epochs)
    time.sleep(args.seconds)
    elapsed = time.monotonic() - started
    done = {"before": before.bytes - marks["before"], "after": after.bytes - marks["after"]}
    rate = (len(epochs) - first_epochs) / elapsed
    session.stop()
    session.join(30)
    before.close()
    after.close()
    rows = []
    for name, writer in (("before", before), ("after", after)):
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
    session = f"wine, {config.seeds} seeds, pace 20"
    print(f"# log size, default dashboard session ({session}) · {versions()}")
    print(f"# {elapsed:.1f} s measured after {WARM_UP_S:.0f} s, {rate:.1f} epochs/s per run")
    headers = ["log", "KB/s", "MB/hour", "epoch lines with layers", "bytes/epoch line"]
    print(table(headers, rows))
    ratio = done["before"] / max(1, done["after"])
    day = done["after"] / elapsed * 86400 / 1e9
    print(f"# after is {ratio:.1f}x smaller; a 24-hour session writes ~{day:.1f} GB")


if __name__ == "__main__":
    main()
