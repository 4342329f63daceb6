"""What the dashboard's log keeps of a learning-rate grid: every rate's seeds per run per epoch
(a GridEpoch line) cost ~3.5x the rest of a 7-rate, 10-seed log (benchmarks/log_size.py --lrs),
so they are thinned like the layer stats; the grid as it was before any change, and at the end,
is always written. `train --log` keeps every line."""

from __future__ import annotations

from normtui.engine.events import EpochEnd, Event, GridEpoch, Paused
from normtui.engine.log import LogWriter, read_log

RATES = (1e-3, 1e-2)


def grid(run: str, number: int, time_s: float) -> GridEpoch:
    cells = tuple((0.5, 0.6) for _ in RATES)
    return GridEpoch(
        time_s=time_s, run=run, epoch=number, rates=RATES, chosen=1, seeds=(0, 1),
        train_loss=cells, val_loss=cells, val_score=cells, test_loss=cells, test_score=cells,
        diverged=tuple((False, False) for _ in RATES),
    )  # fmt: skip


def epoch(run: str, number: int, time_s: float) -> EpochEnd:
    return EpochEnd(
        time_s=time_s, run=run, epoch=number, train_loss=0.5, val_loss=0.6, train_accuracy=0.7,
        val_accuracy=0.8, learning_rate=1e-2, activation="relu", elapsed_s=time_s,
    )  # fmt: skip


def grid_session(seconds: int = 5, pace: int = 20, pause_at: int = 50) -> list[Event]:
    """Both runs at `pace` epochs a second, as the trainer sends them: the EpochEnds, then the
    GridEpochs; a pause after epoch `pause_at`."""
    events: list[Event] = []
    for number in range(1, seconds * pace + 1):
        t = number / pace
        events += [epoch(run, number, t) for run in ("raw", "normalized")]
        events += [grid(run, number, t) for run in ("raw", "normalized")]
        if number == pause_at:
            events.append(Paused(time_s=t, epoch=number))
    return events


def test_the_dashboards_log_thins_grid_lines_and_keeps_the_grid_before_a_change_and_at_the_end(
    tmp_path,
) -> None:
    path = tmp_path / "run.jsonl.gz"
    writer = LogWriter(str(path), {"epochs": None, "lrs": list(RATES)}, layers_every_s=1.0)
    for event in grid_session():
        writer(event)
    writer.close()
    header, events = read_log(str(path))
    assert header["grid_every_s"] == 1.0  # the header says the grid lines are thinned
    kept = {
        run: [e.epoch for e in events if isinstance(e, GridEpoch) and e.run == run]
        for run in ("raw", "normalized")
    }
    assert kept["raw"] == kept["normalized"]  # one epoch for both runs
    # the first, once a second, the one before the pause (50) and the last (100, at close)
    assert kept["raw"] == [1, 21, 41, 50, 61, 81, 100]
    pause = next(i for i, e in enumerate(events) if isinstance(e, Paused))
    assert isinstance(events[pause - 1], GridEpoch) and events[pause - 1].epoch == 50
    assert sum(isinstance(e, EpochEnd) for e in events) == 200  # every epoch's losses


def test_train_log_keeps_every_grid_line(tmp_path) -> None:
    path = tmp_path / "run.jsonl"
    writer = LogWriter(str(path), {"lrs": list(RATES)})
    for event in grid_session(seconds=1):
        writer(event)
    writer.close()
    header, events = read_log(str(path))
    assert "grid_every_s" not in header
    assert sum(isinstance(e, GridEpoch) for e in events) == 40
