"""Record the snapshot fixture from the real engine (run once; the output is checked in).

    .venv/bin/python tests/tui/make_fixture.py            # one seed: wine_relu_tanh.jsonl
    .venv/bin/python tests/tui/make_fixture.py --seeds 5  # wine_relu_tanh_5seeds.jsonl

wine, ReLU for 120 epochs, then tanh (weights kept) until epoch 240; histograms are kept every
20th epoch and on the last one so the file stays small. The session is cut before it ends, so
the snapshots show a running dashboard. Times are rewritten as if trained at 20 epochs/s (the UI's
default pace) and floats rounded to 5 digits, so the file is small and the numbers look live.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from pathlib import Path

from normtui.engine.commands import SetActivation
from normtui.engine.config import SessionConfig
from normtui.engine.events import EpochEnd, Event, SessionEnded
from normtui.engine.log import make_header
from normtui.engine.session import Session

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(seeds: int) -> Path:
    return FIXTURES / (
        "wine_relu_tanh.jsonl" if seeds == 1 else f"wine_relu_tanh_{seeds}seeds.jsonl"
    )


SWITCH_AT, LAST = 120, 240
PACE = 20.0


def record(seeds: int) -> list[Event]:
    config = SessionConfig(
        dataset="wine", epochs=None, pace=None, hidden=(64, 64), hist_interval_s=0, seeds=seeds
    )
    session = Session(config, paused=False)
    events: list[Event] = []
    done = threading.Event()
    switched = False

    def sink(event: Event) -> None:
        nonlocal switched
        if done.is_set():
            return
        events.append(event)
        if isinstance(event, EpochEnd) and event.run == "normalized":
            if event.epoch == SWITCH_AT and not switched:
                switched = True
                session.send(SetActivation("tanh", keep_weights=True))
            if event.epoch >= LAST:
                done.set()

    session.start(sink)
    done.wait(120)
    session.stop()
    return [e for e in events if not isinstance(e, SessionEnded)]


def thin(event: Event) -> Event:
    if not isinstance(event, EpochEnd) or event.epoch % 20 == 0 or event.epoch >= LAST:
        return event
    layers = tuple(
        dataclasses.replace(layer, pre_hist=None, post_hist=None) for layer in event.layers
    )
    return dataclasses.replace(event, layers=layers)


def _round(value: object) -> object:
    """5 significant digits keep the file small; the curves look the same."""
    if isinstance(value, float):
        return float(f"{value:.5g}")
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def as_dashboard_session(data: dict, config: SessionConfig, start_s: float) -> dict:
    """Re-time the record as if trained at the UI's default pace (20 epochs/s)."""
    if data["event"] == "session_started":
        data["config"] = config.to_dict()
    epoch = data.get("epoch")
    if isinstance(epoch, int):
        data["time_s"] = round(start_s + epoch / PACE, 3)
    return data


def write_fixture(fixture: Path, events: list[Event], config: SessionConfig) -> None:
    """`events` as the dashboard's log of `config` would hold them, rounded, to `fixture`."""
    start_s = events[0].time_s
    lines = [json.dumps(make_header(config.to_dict()), separators=(",", ":"))]
    lines += [
        json.dumps(
            _round(as_dashboard_session(e.to_dict(), config, start_s)), separators=(",", ":")
        )
        for e in events
    ]
    fixture.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {fixture} ({len(events)} events, {fixture.stat().st_size // 1024} KB)")


def main() -> None:
    seeds = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 1
    fixture = fixture_path(seeds)
    events = [thin(e) for e in record(seeds)]
    events = [e for e in events if not (isinstance(e, EpochEnd) and e.epoch > LAST)]
    config = SessionConfig(dataset="wine", epochs=None, pace=PACE, hidden=(64, 64), seeds=seeds)
    write_fixture(fixture, events, config)


if __name__ == "__main__":
    main()
