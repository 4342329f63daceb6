"""Record the learning-rate grid's snapshot fixture from the real engine (run once; checked in).

    .venv/bin/python tests/tui/make_grid_fixture.py   # wine_grid.jsonl

wine, 3 seeds, `--lrs auto` (7 rates, adam), 20% test rows; `+` at epoch 30 shifts the whole grid
×2; cut at epoch 60 (a running dashboard). Histograms every 20th epoch, times as if at 20 epochs/s
and floats to 5 digits (make_fixture.py's helpers), so the file stays small.
"""

from __future__ import annotations

import threading

from make_fixture import FIXTURES, PACE, thin, write_fixture

from normtui.engine.commands import SetLearningRate
from normtui.engine.config import AUTO_RATES, SessionConfig
from normtui.engine.events import EpochEnd, Event, GridEpoch, SessionEnded
from normtui.engine.session import Session

GRID_FIXTURE = FIXTURES / "wine_grid.jsonl"
SHIFT_AT, LAST = 30, 60


def grid_config(pace: float | None) -> SessionConfig:
    return SessionConfig(
        dataset="wine", epochs=None, pace=pace, seeds=3, lrs=AUTO_RATES["adam"], test_split=0.2,
        hist_interval_s=0,
    )  # fmt: skip


def record() -> list[Event]:
    config = grid_config(None)
    session = Session(config, paused=False)
    events: list[Event] = []
    done = threading.Event()

    def sink(event: Event) -> None:
        if done.is_set():
            return
        events.append(event)
        if isinstance(event, GridEpoch) and event.run == "normalized":
            if event.epoch == SHIFT_AT:
                session.send(SetLearningRate(config.lr * 2))
            if event.epoch >= LAST:
                done.set()

    session.start(sink)
    done.wait(300)
    session.stop()
    return [
        e
        for e in events
        if not isinstance(e, SessionEnded)
        and not (isinstance(e, EpochEnd | GridEpoch) and e.epoch > LAST)
    ]


def main() -> None:
    events = [thin(e) for e in record()]
    write_fixture(GRID_FIXTURE, events, grid_config(PACE))


if __name__ == "__main__":
    main()
