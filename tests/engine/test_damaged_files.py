"""Damaged logs and sweep results files are bad input: one line naming the line and field, exit 2.

Issue 25 item 12: copies of a real log with a number replaced by a string, a list or an object
ended `replay` with a TypeError from the screen's fold. Hypothesis mutates real files written by
a tiny real session and a tiny real sweep; every copy either reads and folds without a
traceback, or is refused with one LogError/ResultsError line naming the line number and field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normtui.engine.config import SessionConfig
from normtui.engine.log import LogError, LogWriter, read_log
from normtui.engine.replay import FollowSource
from normtui.engine.session import Session
from normtui.engine.sweep.run import ResultsError, read_results
from normtui.tui.viewer import config_from_header
from normtui.tui.viewstate.state import DashboardState

WRONG = st.one_of(
    st.text(max_size=3), st.lists(st.integers(), max_size=2), st.just({"x": 1}), st.just(True)
)


def _session_log(tmp_path_factory, name: str, config: SessionConfig) -> list[str]:
    """The lines of a real session's log (`config`, trained to its end)."""
    path = tmp_path_factory.mktemp("damaged") / name
    writer = LogWriter(str(path), config.to_dict())
    session = Session(config)
    session.start(writer)
    assert session.join(60)
    writer.close()
    return path.read_text().splitlines()


def _sweep_results(tmp_path_factory, name: str, **grid: str) -> list[str]:
    """The lines of a real tiny sweep's results file (iris, relu, raw and standard, 2 seeds;
    `grid`: the plan's --lrs)."""
    import threading

    from normtui.engine.sweep.plan import parse_plan
    from normtui.engine.sweep.run import Collector, ResultsFile, execute

    path = tmp_path_factory.mktemp("damaged") / name
    plan = parse_plan(
        datasets="iris", activations="relu", scalers="none,standard", hidden="8", seeds=2,
        epochs=3, **grid,
    )  # fmt: skip
    results = ResultsFile(str(path), plan)
    assert execute(Collector(plan, results, {}), stop=threading.Event()) == "completed"
    results.close()
    return path.read_text().splitlines()


@pytest.fixture(scope="module")
def real_log(tmp_path_factory) -> list[str]:
    """The lines of a real 2-seed, 3-epoch wine session's log, layer stats on every epoch."""
    config = SessionConfig(dataset="wine", epochs=3, seeds=2, hist_interval_s=0)
    return _session_log(tmp_path_factory, "wine.jsonl", config)


@pytest.fixture(scope="module")
def real_results(tmp_path_factory) -> list[str]:
    """The lines of a real tiny sweep's results file (iris, relu, raw and standard, 2 seeds)."""
    return _sweep_results(tmp_path_factory, "sweep.jsonl")


@pytest.fixture(scope="module")
def real_grid_results(tmp_path_factory) -> list[str]:
    """The same sweep with a learning-rate grid (sweep --lrs): cells carry rates and bands."""
    return _sweep_results(tmp_path_factory, "grid.jsonl", lrs="1e-3,1e-2")


def numbers(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every number (not bool) in a JSON value."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in numbers(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in numbers(item, (*path, index))]
    return []


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = replaced(value[head], tuple(rest), new)
    return copy


@st.composite
def damaged(draw, lines: list[str]) -> tuple[list[str], int]:
    """`lines` with one to four numbers of one line (after the header) given a wrong type."""
    index = draw(st.integers(1, len(lines) - 1))
    record = json.loads(lines[index])
    spots = numbers(record)
    if spots:
        for spot in draw(st.lists(st.sampled_from(spots), min_size=1, max_size=4, unique=True)):
            record = replaced(record, spot, draw(WRONG))
    copy = list(lines)
    copy[index] = json.dumps(record)
    return copy, index + 1


def fold_everything(path: str) -> None:
    """What `replay` does with a log: read it, then fold every event into the screen's state."""
    header, events = read_log(path)
    state = DashboardState(config_from_header(header))
    for event in events:
        state.apply(event)


def _read_or_refused(
    read: Callable[[str], object],
    refusal: type[Exception],
    lines: list[str],
    number: int,
    tmp_path: Path,
) -> None:
    """`lines` written to a file and `read`: either it reads, or it is refused in one line
    that names the damaged line `number` and a field."""
    path = tmp_path / "copy.jsonl"
    path.write_text("\n".join(lines) + "\n")
    try:
        read(str(path))
    except refusal as error:
        message = str(error)
        assert f"line {number}" in message and "field " in message, message
        assert "\n" not in message


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data())
def test_a_damaged_log_is_refused_with_its_line_and_field_or_read(real_log, tmp_path, data):
    _read_or_refused(fold_everything, LogError, *data.draw(damaged(real_log)), tmp_path)


@SETTINGS
@given(data=st.data())
def test_a_damaged_results_file_is_refused_with_its_line_and_field_or_read(
    real_results, tmp_path, data
):
    _read_or_refused(read_results, ResultsError, *data.draw(damaged(real_results)), tmp_path)


@SETTINGS
@given(data=st.data())
def test_a_damaged_grid_results_file_is_refused_with_its_line_and_field_or_read(
    real_grid_results, tmp_path, data
):
    lines = data.draw(damaged(real_grid_results))
    _read_or_refused(read_results, ResultsError, *lines, tmp_path)


def test_the_issues_val_r2_string_ends_replay_with_one_line_and_exit_2(
    real_log, tmp_path, run_main
):
    lines = list(real_log)
    index = next(i for i, line in enumerate(lines) if '"event":"epoch"' in line)
    record = json.loads(lines[index])
    record["val_accuracy"] = "x"
    lines[index] = json.dumps(record)
    path = tmp_path / "damaged.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_main(["replay", str(path)])
    assert code == 2 and out == ""
    assert err == (
        f"normtui: error: {path} line {index + 1} (epoch event):"
        " field val_accuracy is 'x', not a number\n"
    )


def test_watch_ends_on_a_damaged_line_with_the_same_one_line(real_log, tmp_path) -> None:
    lines = list(real_log)
    index = len(lines) - 2
    record = json.loads(lines[index])
    record["epoch"] = [1]
    lines[index] = json.dumps(record)
    path = tmp_path / "damaged.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogError, match=rf"line {index + 1} .*field epoch is \[1\]"):
        FollowSource(str(path))  # the lines already written are read before the screen opens


def test_a_damaged_results_file_ends_resume_with_one_line_and_exit_2(
    real_results, tmp_path, run_main
):
    lines = list(real_results)
    record = json.loads(lines[1])
    record["cell"]["epochs"] = "3"
    lines[1] = json.dumps(record)
    path = tmp_path / "sweep.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run_main(["sweep", "--resume", str(path), "--json"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{path} line 2: field epochs is '3', not a whole number" in err


def test_a_log_cut_off_mid_line_still_reads(real_log, tmp_path) -> None:
    path = Path(tmp_path / "cut.jsonl")
    path.write_text("\n".join(real_log) + "\n" + real_log[-1][:20])
    _, events = read_log(str(path))
    assert len(events) == len(real_log) - 1


@pytest.fixture(scope="module")
def grid_log(tmp_path_factory) -> list[str]:
    """The lines of a real learning-rate grid session's log (2 seeds x 2 rates, 3 epochs)."""
    config = SessionConfig(
        dataset="wine", epochs=3, seeds=2, lrs=(1e-3, 1e-2), test_split=0.2, hist_interval_s=0
    )
    return _session_log(tmp_path_factory, "grid.jsonl", config)


def fold_grid(path: str) -> None:
    """`fold_everything`, and the grid's own fold (what `train` and the dashboard report)."""
    from normtui.engine.grid_fold import GridFold

    fold_everything(path)
    grid = GridFold()
    for event in read_log(path)[1]:
        grid(event)
    grid.to_dict()


@SETTINGS
@given(data=st.data())
def test_a_damaged_grid_line_is_refused_with_its_line_and_field_or_read(grid_log, tmp_path, data):
    grid_lines = [i for i, line in enumerate(grid_log) if '"grid_epoch"' in line]
    assert grid_lines
    index = data.draw(st.sampled_from(grid_lines))
    record = json.loads(grid_log[index])
    if data.draw(st.booleans()):  # a wrong type somewhere in the line
        for spot in data.draw(
            st.lists(st.sampled_from(numbers(record)), min_size=1, max_size=3, unique=True)
        ):
            record = replaced(record, spot, data.draw(WRONG))
    else:  # a wrong shape: a rate or a seed missing from one grid, or a chosen rate out of it
        key = data.draw(st.sampled_from(["val_score", "test_loss", "diverged", "chosen"]))
        if key == "chosen":
            record["chosen"] = data.draw(st.sampled_from([-1, 2, 99]))
        elif data.draw(st.booleans()):
            record[key] = record[key][:-1]
        else:
            record[key] = [row[:-1] for row in record[key]]
    lines = list(grid_log)
    lines[index] = json.dumps(record)
    _read_or_refused(fold_grid, LogError, lines, index + 1, tmp_path)
