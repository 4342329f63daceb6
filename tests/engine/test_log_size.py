"""What the dashboard's log keeps (issue 25 item 9): gzip line by line, layer stats once a second.

A default session wrote ~350 MB an hour: 20 paced epochs a second, each with every layer's stats
and histograms. benchmarks/log_size.py measures the bytes; these tests pin what is kept.
"""

from __future__ import annotations

import dataclasses
import gzip
import json

import numpy as np

from normtui.engine.events import EpochEnd, Histogram, LayerStats
from normtui.engine.log import LogFollower, LogWriter, read_log
from normtui.tui.viewstate.layer_pair import LayerSample, sampling_note
from normtui.tui.viewstate.state import RunView

LAYER = LayerStats(
    layer=1, width=4, pre_min=-1.0, pre_max=1.0, pre_mean=0.0, pre_std=0.5, dead_fraction=0.25,
    saturated_fraction=None, grad_norm=0.1, update_ratio=0.01,
    pre_hist=Histogram(edges=(-1.0, 0.0, 1.0), counts=(3, 5)),
)  # fmt: skip


def epoch(run: str, number: int, time_s: float, activation: str = "relu") -> EpochEnd:
    return EpochEnd(
        time_s=time_s, run=run, epoch=number, train_loss=0.5, val_loss=0.6, train_accuracy=0.7,
        val_accuracy=0.8, learning_rate=1e-3, activation=activation, elapsed_s=time_s,
        layers=(LAYER,),
    )  # fmt: skip


def paced_session(seconds: int = 5, pace: int = 20, swap_at: int = 43) -> list[EpochEnd]:
    """Both runs, `pace` epochs a second, layer stats on every epoch (as a paced dashboard)."""
    events = []
    for number in range(1, seconds * pace + 1):
        activation = "tanh" if number >= swap_at else "relu"
        for run in ("raw", "normalized"):
            events.append(epoch(run, number, number / pace, activation))
    return events


def test_the_dashboards_log_keeps_layers_once_a_second_both_runs_alike(tmp_path) -> None:
    path = tmp_path / "run.jsonl"
    writer = LogWriter(str(path), {"epochs": 100}, layers_every_s=1.0)
    for event in paced_session():
        writer(event)
    writer.close()
    header, events = read_log(str(path))
    assert header["layers_every_s"] == 1.0  # the header says what the lines hold
    kept = {run: [e.epoch for e in events if e.run == run and e.layers] for run in ("raw",)}
    normalized = [e.epoch for e in events if e.run == "normalized" and e.layers]
    assert kept["raw"] == normalized  # a replay's two panes show one epoch
    # the first epoch, once a second after it, the swap (43) and the last of --epochs (100)
    assert kept["raw"] == [1, 21, 41, 43, 63, 83, 100]
    assert len(events) == 200  # every epoch is still there, with its losses


def test_the_dashboards_log_writes_float32_values_in_nine_digits_and_gets_them_back(
    tmp_path,
) -> None:
    values = np.random.default_rng(0).normal(scale=50.0, size=8).astype(np.float32)
    path = tmp_path / "run.jsonl"
    writer = LogWriter(str(path), {"epochs": 10}, layers_every_s=1.0)
    for number, value in enumerate(values, start=1):
        writer(dataclasses.replace(epoch("raw", number, number / 20), train_loss=float(value)))
    writer.close()
    header, events = read_log(str(path))
    assert header["float_digits"] == 9  # the header says how the numbers were written
    lines = path.read_text().splitlines()[1:]
    written = [json.loads(line)["train_loss"] for line in lines]
    assert all(len(repr(abs(v)).replace(".", "").lstrip("0")) <= 9 for v in written)
    assert any(len(repr(float(v))) > 12 for v in values)  # the float64 reprs were longer
    # each value comes back as the same float32 the model computed
    assert np.array_equal(np.array([e.train_loss for e in events], dtype=np.float32), values)


def test_a_log_without_an_interval_keeps_every_layer_as_train_always_did(tmp_path) -> None:
    path = tmp_path / "run.jsonl"
    writer = LogWriter(str(path), {})
    for event in paced_session(seconds=1):
        writer(event)
    writer.close()
    header, events = read_log(str(path))
    assert "layers_every_s" not in header and all(e.layers for e in events)
    assert "float_digits" not in header  # train --log: every digit, as before


def test_a_gz_log_is_gzip_read_whole_and_followed_line_by_line(tmp_path) -> None:
    path = tmp_path / "run.jsonl.gz"
    writer = LogWriter(str(path), {"seeds": 1})
    follower = None
    seen: list = []
    for index, event in enumerate(paced_session(seconds=1)):
        writer(event)
        if follower is None:
            follower = LogFollower(str(path))
            follower.poll_header()
        if index % 7 == 0:
            seen.extend(follower.poll())  # a still-open gzip stream: every flushed line reads
    seen.extend(follower.poll())
    assert len(seen) == 40  # every line while the writer is still writing
    writer.close()
    follower.close()
    with gzip.open(path, "rt") as file:  # zcat and jq read it too
        assert json.loads(file.readline())["normtui_log"] == 2
    _, events = read_log(str(path))
    assert events == seen == paced_session(seconds=1)


def test_the_histogram_title_says_how_often_layers_were_really_sampled() -> None:
    view = RunView("raw")
    assert sampling_note(view) == ""
    for number in (1, 2):
        view.samples.append(LayerSample(number, "relu", (LAYER,)))
    assert sampling_note(view) == "every epoch"  # a paced dashboard, not "every 0.1 s"
    view.samples.append(LayerSample(22, "relu", (LAYER,)))
    assert sampling_note(view) == "every 20 epochs"
    view.samples.append(LayerSample(53, "relu", (LAYER,)))
    assert sampling_note(view) == "every ~30 epochs"
    view.samples.append(dataclasses.replace(view.samples[-1], epoch=1))  # a restart
    assert sampling_note(view) == ""
