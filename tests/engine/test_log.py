"""Session logs: written line by line, read back whole, followed live, replayed with controls."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import time

import pytest

from normtui.engine.commands import JumpToEnd, Resume, SetPace, Step
from normtui.engine.config import SessionConfig
from normtui.engine.events import (
    SCHEMA_VERSION,
    EpochEnd,
    Histogram,
    LayerStats,
    Members,
    PaceChanged,
    Paused,
    Resumed,
    RunDiverged,
    SessionEnded,
    SessionStarted,
    strict_json,
)
from normtui.engine.log import LogError, LogFollower, LogWriter, read_log
from normtui.engine.replay import FollowSource, ReplaySource
from normtui.engine.session import Session


@pytest.fixture(scope="module")
def recorded_log(tmp_path_factory) -> str:
    """A real 2 x 12-epoch wine session, written by the engine."""
    path = str(tmp_path_factory.mktemp("logs") / "wine.jsonl")
    config = SessionConfig(dataset="wine", epochs=12, hist_interval_s=0)
    writer = LogWriter(path, config.to_dict())
    session = Session(config)
    session.start(writer)
    assert session.join(60)
    writer.close()
    return path


def test_a_log_round_trips_every_event(recorded_log) -> None:
    header, events = read_log(recorded_log)
    assert header["normtui_log"] == 2 and header["config"]["dataset"] == "wine"
    assert isinstance(events[0], SessionStarted) and isinstance(events[-1], SessionEnded)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 24
    assert epochs[0].layers[0].pre_hist is not None  # histograms survive JSON
    with open(recorded_log) as file:
        lines = file.read().splitlines()
    assert len(lines) == len(events) + 1
    assert json.loads(lines[1])["event"] == "session_started"


def test_a_truncated_last_line_is_tolerated(recorded_log, tmp_path) -> None:
    with open(recorded_log) as file:
        text = file.read()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - 40])  # a crash mid-write
    _, events = read_log(str(cut))
    _, full = read_log(recorded_log)
    assert len(events) == len(full) - 1
    assert events == full[:-1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty, not a normtui log"),
        ("a,b,c\n1,2,3\n", "is not a normtui log"),
        ('{"something": "else"}\n', "is not a normtui log"),
        ('{"normtui_log": 99}\n', "uses log schema 99"),
        ('{"normtui_log": 99, "version": "9.0"}\n', r"normtui 9\.0\).*upgrade normtui"),
        ('{"normtui_log": "1"}\n', "uses log schema '1'"),  # a string, not the number 1
        ('{"normtui_log": true}\n', "uses log schema True"),  # True == 1 in Python
    ],
)
def test_a_file_that_is_not_a_log_is_a_clear_error(tmp_path, content, message) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(content)
    with pytest.raises(LogError, match=message):
        read_log(str(path))


def test_missing_log_and_directory_are_clear_errors(tmp_path) -> None:
    with pytest.raises(LogError, match="cannot read log"):
        read_log(str(tmp_path / "absent.jsonl"))
    with pytest.raises(LogError, match="is a directory"):
        read_log(str(tmp_path))
    with pytest.raises(LogError, match="cannot write log"):
        LogWriter(str(tmp_path / "no" / "such" / "dir.jsonl"), {})


def test_the_follower_only_returns_whole_lines(recorded_log, tmp_path) -> None:
    with open(recorded_log) as file:
        lines = file.read().splitlines(keepends=True)
    growing = tmp_path / "growing.jsonl"
    with open(growing, "w") as out:
        out.write(lines[0] + lines[1])
        out.write(lines[2][:25])  # half a line
        out.flush()
        follower = LogFollower(str(growing))
        follower.poll_header()
        first = follower.poll()
        assert [e.kind for e in first] == ["session_started"]
        out.write(lines[2][25:] + lines[3])
        out.flush()
        second = follower.poll()
        assert len(second) == 2 and all(e.kind == "epoch" for e in second)
        assert follower.poll() == []
    follower.close()


def collect(source) -> list:
    events: list = []
    source.start(events.append)
    return events


def test_replay_shows_the_whole_log_at_once_by_default(recorded_log) -> None:
    source = ReplaySource(recorded_log)
    events = collect(source)
    assert source.join(5)
    assert events == read_log(recorded_log)[1]
    assert source.live is False


def test_replay_with_a_speed_can_pause_step_and_jump_to_the_end(recorded_log, recorder) -> None:
    arrived: list[float] = []  # when each raw epoch reached the sink

    def sink(event) -> None:
        if isinstance(event, EpochEnd) and event.run == "raw":
            arrived.append(time.perf_counter())
        recorder(event)

    source = ReplaySource(recorded_log, epochs_per_s=5.0)
    started = time.perf_counter()
    source.start(sink)
    recorder.wait_for(lambda: len(arrived) >= 2)
    source.send(Step())  # pauses, then one epoch
    recorder.wait_for(lambda: len(recorder.of(Paused)) == 1)
    at_pause = recorder.of(Paused)[0].epoch  # epochs 1..n, one per raw event
    recorder.wait_for(lambda: len(arrived) == at_pause + 1)
    source.send(SetPace(4.0))  # answered by PaceChanged: the player has been round its loop
    recorder.wait_for(lambda: len(recorder.of(PaceChanged)) == 1)
    assert len(arrived) == at_pause + 1  # still paused after the one step
    # ~5 epochs per second: each epoch arrived no sooner than its turn (a load only delays)
    for k, when in enumerate(arrived[:at_pause]):
        assert when - started >= k / 5.0 - 1e-3
    source.send(SetPace(1000.0))
    source.send(JumpToEnd())
    assert source.join(5)
    replay_controls = (Paused, Resumed, PaceChanged)
    played = [e for e in recorder.events if not isinstance(e, replay_controls)]
    assert played == read_log(recorded_log)[1]
    source.send(Resume())  # harmless after the end


def test_watch_follows_a_headless_run_as_it_writes(tmp_path) -> None:
    path = tmp_path / "live.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "normtui",
            "train",
            "--dataset",
            "iris",
            "--epochs",
            "100000",
            "--log",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (path.exists() and path.stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        source = FollowSource(str(path))
        events = collect(source)
        deadline = time.monotonic() + 120
        while len([e for e in events if isinstance(e, EpochEnd)]) < 20:
            assert time.monotonic() < deadline, "watch saw no epochs"
            time.sleep(0.05)
        seen = len(events)
        deadline = time.monotonic() + 120
        while len(events) == seen:  # still following
            assert time.monotonic() < deadline, "watch stopped following"
            time.sleep(0.05)
        source.stop()
        assert source.join(2)
    finally:
        process.terminate()
        process.wait(10)
    epochs = [e.epoch for e in events if isinstance(e, EpochEnd) and e.run == "raw"]
    assert epochs == list(range(1, len(epochs) + 1))  # nothing skipped, nothing twice


def test_a_write_that_fails_mid_session_is_one_log_error_then_silence(tmp_path) -> None:
    """Disk full halfway: one LogError naming the log, the lines so far kept, nothing after."""
    writer = LogWriter(str(tmp_path / "full.jsonl"), {})
    real_file = writer._file

    class DiskFull:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            real_file.close()

    writer._file = DiskFull()  # type: ignore[assignment]
    event = SessionEnded(time_s=1.0, reason="completed", epoch=0)
    with pytest.raises(LogError, match=r"cannot write log .*full\.jsonl: No space left on device"):
        writer(event)
    writer(event)  # logging has stopped: no second error, no exception
    writer.close()
    assert writer.lines == 1 and "No space left" in (writer.error or "")
    assert read_log(str(tmp_path / "full.jsonl"))[1] == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_header_that_cannot_be_written_is_a_log_error() -> None:
    with pytest.raises(LogError, match="cannot write log /dev/full: No space left"):
        LogWriter("/dev/full", {})


def test_an_empty_log_path_is_a_log_error() -> None:
    with pytest.raises(LogError, match="needs a file path"):
        LogWriter("", {})


def _refuse_non_standard(constant: str) -> None:
    raise ValueError(f"not strict JSON: {constant}")


def test_a_diverging_session_logs_strict_json_that_reads_back_as_nan(tmp_path, monkeypatch) -> None:
    path = str(tmp_path / "diverged.jsonl")
    # lr 1: the raw run's validation loss is NaN one epoch before its training loss diverges;
    # the runaway rule would stop it before any NaN, so it is switched off here
    monkeypatch.setattr("normtui.engine.divergence.RUNAWAY_MULTIPLE", math.inf)
    config = SessionConfig(
        dataset="scales", activation="identity", optimizer="sgd", lr=1.0, epochs=12
    )
    writer = LogWriter(path, config.to_dict())
    session = Session(config)
    session.start(writer)
    assert session.join(60)
    writer.close()
    with open(path) as file:
        lines = file.read().splitlines()
    for line in lines:  # what jq and other strict readers accept: no NaN or Infinity
        json.loads(line, parse_constant=_refuse_non_standard)
    assert any('"val_loss":null' in line for line in lines)
    _, events = read_log(path)
    raw = [e for e in events if isinstance(e, EpochEnd) and e.run == "raw"]
    assert math.isnan(raw[-1].val_loss) and math.isfinite(raw[-1].train_loss)


def _members_epoch() -> EpochEnd:
    """A two-member epoch: member 1 diverged, so its values are NaN and the scalars its mate's."""
    nan = math.nan
    layer = LayerStats(
        layer=1, width=4, pre_min=-1.0, pre_max=2.0, pre_mean=0.1, pre_std=0.5,
        dead_fraction=0.25, saturated_fraction=None, grad_norm=0.3, update_ratio=0.01,
        pre_hist=Histogram(edges=(0.0, 1.0), counts=(3,)), post_hist=None, zero_fraction=0.5,
        dead_range=(0.0, 0.5), saturated_range=None,
    )  # fmt: skip
    return EpochEnd(
        time_s=1.5, run="raw", epoch=3, train_loss=0.5, val_loss=0.6, train_accuracy=0.8,
        val_accuracy=0.75, learning_rate=1e-3, activation="relu", elapsed_s=1.0, layers=(layer,),
        members=Members(
            seeds=(4, 5), train_loss=(0.5, nan), val_loss=(0.6, nan),
            train_score=(0.8, nan), val_score=(0.75, nan), diverged=(False, True),
        ),
    )  # fmt: skip


def _same(a: object, b: object) -> bool:
    """Equal, with NaN equal to NaN (dataclass == says NaN != NaN)."""
    return json.dumps(strict_json(dataclasses.asdict(a))) == json.dumps(
        strict_json(dataclasses.asdict(b))
    )


def test_per_member_values_round_trip_through_a_schema_2_log(tmp_path) -> None:
    path = str(tmp_path / "members.jsonl")
    writer = LogWriter(path, {"seeds": 2, "seed": 4})
    epoch = _members_epoch()
    diverged = RunDiverged(time_s=1.6, run="raw", epoch=3, loss="nan", member=1)
    writer(epoch)
    writer(diverged)
    writer.close()
    with open(path) as file:
        lines = file.read().splitlines()
    for line in lines:  # NaN members are written as null: strict JSON
        json.loads(line, parse_constant=_refuse_non_standard)
    header, (back, back_diverged) = read_log(path)
    assert header["normtui_log"] == SCHEMA_VERSION == 2
    assert isinstance(back, EpochEnd) and back.members is not None
    assert back.members.seeds == (4, 5) and back.members.diverged == (False, True)
    assert math.isnan(back.members.val_loss[1]) and back.members.val_loss[0] == 0.6
    assert back.layers[0].dead_range == (0.0, 0.5) and back.layers[0].saturated_range is None
    assert _same(back, epoch)
    assert back_diverged == diverged and back_diverged.member == 1


def test_a_version_1_log_still_reads_as_one_seed_runs(tmp_path) -> None:
    """A log written before seeds: no members, no ranges, no member on a divergence."""
    header = {"normtui_log": 1, "version": "0.1.0", "config": {"dataset": "wine", "seed": 0}}
    epoch = {
        "event": "epoch", "time_s": 0.1, "run": "raw", "epoch": 1, "train_loss": 1.0,
        "val_loss": None, "train_accuracy": 0.5, "val_accuracy": 0.4, "learning_rate": 0.001,
        "activation": "relu", "elapsed_s": 0.1, "train_r2": None, "val_r2": None,
        "layers": [{
            "layer": 1, "width": 2, "pre_min": 0.0, "pre_max": 1.0, "pre_mean": 0.5,
            "pre_std": 0.1, "dead_fraction": 0.5, "saturated_fraction": None,
            "grad_norm": 0.1, "update_ratio": 0.2, "pre_hist": None, "post_hist": None,
            "zero_fraction": 0.5,
        }],
    }  # fmt: skip
    diverged = {"event": "diverged", "time_s": 0.2, "run": "raw", "epoch": 1, "loss": "nan"}
    path = tmp_path / "v1.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (header, epoch, diverged)) + "\n")
    header_back, (epoch_back, diverged_back) = read_log(str(path))
    assert header_back["normtui_log"] == 1
    assert isinstance(epoch_back, EpochEnd) and epoch_back.members is None
    assert math.isnan(epoch_back.val_loss)
    assert epoch_back.layers[0].dead_range is None and epoch_back.layers[0].dead_fraction == 0.5
    assert isinstance(diverged_back, RunDiverged) and diverged_back.member is None
    source = ReplaySource(str(path))  # replay reads it through the same path
    events = collect(source)
    assert source.join(5)
    assert [e.kind for e in events] == ["epoch", "diverged"]
