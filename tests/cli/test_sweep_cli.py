"""`normtui sweep` headless: bad grids refused before training, the JSONL results file, resume,
worker processes, and interrupts that keep every finished cell."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import GUARD_S, ONE_CELL

from normtui.engine.seeds import member_seeds
from normtui.engine.sweep.plan import parse_plan
from normtui.engine.sweep.run import read_results

TINY = ["--seeds", "2", "--epochs", "5", "--hidden", "8"]


def cell_lines(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    return [json.loads(line)["cell"] for line in lines[1:] if line.strip()]


def keys(cells: list[dict]) -> list[str]:
    return [f"{c['dataset']}|{c['activation']}|{c['scaler']}" for c in cells]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--datasets", "wine,nosuch"], "unknown dataset 'nosuch'"),
        (["--activations", "relu,swish2"], "unknown activation 'swish2'"),
        (["--scalers", "standard,zscore"], "unknown scaler 'zscore'"),
        (["--scalers", " , "], "--scalers needs at least one name"),
        (["--activations", ""], "--activations needs at least one name"),
        (["--datasets", "data.csv"], "needs --target COLUMN"),
        (["--datasets", "wine", "--target", "y"], "--target applies to CSV files only"),
        (["--seeds", "0"], "seeds 0 out of range"),
        (["--epochs", "0"], "epochs 0 out of range"),
        (["--hidden", "8,x"], "hidden '8,x'"),
        (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
        (["--jobs", "0"], "jobs 0 out of range"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "exclude each other"),
        (["--json", "--csv"], "choose one of --json, --csv and --markdown"),
        (["--resume", "missing.jsonl"], "results file missing.jsonl not found"),
        (["--lrs", "x"], "--lrs 'x' is not 'auto' or a comma-separated list"),
        (["--lrs", "1e-3"], "a learning-rate grid needs 2..16 rates, got 1"),
        (["--test-split", "0.2"], "--test-split holds out rows"),
        (["--lrs", "auto", "--test-split", "0.6"], "test split 0.6 out of range"),
        (["--metric", "rates"], "--metric rates shows a learning-rate grid: it needs --lrs"),
    ],
)
def test_a_bad_grid_gets_one_line_and_exit_2_before_anything_trains(
    run_main, tmp_path, monkeypatch, args, fragment
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NORMTUI_LOG_DIR", str(tmp_path / "sweeps"))
    code, out, err = run_main(["sweep", *args, "--json"])
    assert code == 2, err
    assert err.startswith("normtui: error: ") and err.count("\n") == 1, err
    assert fragment in err
    assert out == ""
    assert not (tmp_path / "sweeps").exists()  # no results file: nothing started


def test_a_csv_whose_target_column_is_missing_fails_before_training(run_main, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(40)))
    results = tmp_path / "out.jsonl"
    code, _, err = run_main(
        ["sweep", "--datasets", str(data), "--target", "species", "--results", str(results)]
    )
    assert code == 2 and "no column 'species'" in err
    assert not results.exists()


def test_a_tiny_sweep_writes_every_cell_once_and_resume_skips_finished_cells(run_main, tmp_path):
    results = tmp_path / "sweep.jsonl"
    grid = ["--datasets", "iris,wine", "--activations", "relu,tanh", "--scalers", "none,standard"]
    code, out, err = run_main(["sweep", *grid, *TINY, "--results", str(results), "--json"])
    assert code == 0, err
    header = json.loads(results.read_text().splitlines()[0])
    assert header["normtui_sweep"] == 1 and header["version"]
    assert header["plan"]["datasets"] == ["iris", "wine"] and header["plan"]["seeds"] == 2
    cells = cell_lines(results)
    assert sorted(keys(cells)) == sorted(
        f"{d}|{a}|{s}"
        for d in ("iris", "wine")
        for a in ("relu", "tanh")
        for s in ("none", "standard")
    )
    report = json.loads(out)
    assert report["ended"] == "completed" and len(report["cells"]) == 8
    trained = [c for c in cells if c["scaler"] == "standard"]
    for cell in trained:
        assert cell["seeds"] == list(member_seeds(0, 2))
        assert len(cell["raw"]["members"]["val_score"]) == 2
        accuracy = cell["comparison"]["val_accuracy"]
        assert set(accuracy) >= {"mean_difference", "ci95", "winner", "verdict"}
        assert cell["share_kind"] in ("dead", "saturated")
    for cell in cells:
        if cell["scaler"] == "none":  # the raw run of its row, trained once
            row = next(c for c in trained if c["dataset"] == cell["dataset"]
                       and c["activation"] == cell["activation"])  # fmt: skip
            assert cell["raw"] == row["raw"] and cell["normalized"] is None

    # A kill after the third cell line, the fourth cut short: resume trains only what is missing.
    lines = results.read_text().splitlines(keepends=True)
    results.write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2])
    kept = keys(cell_lines_safe(results))
    code, out, err = run_main(["sweep", "--resume", str(results), "--json"])
    assert code == 0, err
    final = keys(cell_lines_safe(results))
    assert sorted(set(final)) == sorted(keys(cells))
    for key in kept:
        assert final.count(key) == 1  # finished cells were not trained again
    assert f"({len(kept)} already in {results})" in err
    _, resumed = read_results(str(results))
    assert len(resumed) == 8


def cell_lines_safe(path: Path) -> list[dict]:
    cells = []
    for line in path.read_text().splitlines()[1:]:
        try:
            cells.append(json.loads(line)["cell"])
        except json.JSONDecodeError:
            continue
    return cells


def test_resume_refuses_grid_options_and_a_second_results_file(run_main, tmp_path):
    results = tmp_path / "sweep.jsonl"
    code, _, err = run_main(
        [
            *ONE_CELL,
            *TINY,
            "--results",
            str(results),
            "--csv",
        ]
    )
    assert code == 0, err
    code, _, err = run_main(["sweep", "--resume", str(results), "--epochs", "9"])
    assert code == 2 and "leave out --epochs" in err
    code, _, err = run_main(
        ["sweep", "--resume", str(results), "--results", str(tmp_path / "b.jsonl")]
    )
    assert code == 2 and "leave out --results" in err


def test_jobs_2_gives_the_same_numbers_as_in_process(run_main, tmp_path):
    grid = ["--datasets", "iris", "--activations", "relu", "--scalers", "standard,minmax", *TINY]
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    code, _, err = run_main(["sweep", *grid, "--results", str(one), "--csv"])
    assert code == 0, err
    code, out, err = run_main(["sweep", *grid, "--results", str(two), "--csv", "--jobs", "2"])
    assert code == 0, err
    assert out.splitlines()[0].startswith("dataset,activation,scaler,seeds")
    by_key = {k: c for k, c in zip(keys(cell_lines(one)), cell_lines(one), strict=True)}
    for key, cell in zip(keys(cell_lines(two)), cell_lines(two), strict=True):
        # two workers: the row is halved, each half with its own raw run, packed differently
        # (tests/engine/test_row.py: the same numbers to 1e-5)
        for run in ("raw", "normalized"):
            for name, values in cell[run]["members"].items():
                expected = by_key[key][run]["members"][name]
                close = [v if v is None else pytest.approx(v, rel=1e-5) for v in expected]
                assert values == close, (run, name)
    hosts = {c["host"] for c in cell_lines(two)}
    assert all(h.split(":")[1] != str(os.getpid()) for h in hosts)  # trained in the workers


def test_jobs_2_with_lrs_gives_the_same_grid_as_in_process(run_main, tmp_path):
    grid = ["--datasets", "wine", "--activations", "relu", "--scalers", "standard,minmax"]
    grid += [*TINY, "--lrs", "1e-3,1e-2"]
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    code, _, err = run_main(["sweep", *grid, "--results", str(one), "--csv"])
    assert code == 0, err
    code, out, err = run_main(["sweep", *grid, "--results", str(two), "--csv", "--jobs", "2"])
    assert code == 0, err
    assert "chosen_rate_raw" in out.splitlines()[0]
    by_key = {k: c for k, c in zip(keys(cell_lines(one)), cell_lines(one), strict=True)}
    for key, cell in zip(keys(cell_lines(two)), cell_lines(two), strict=True):
        assert cell["rows"] == "test" and cell["rates"] == [1e-3, 1e-2]
        expected = by_key[key]["lr_grid"]
        assert set(cell["lr_grid"]) == {"raw", "normalized"}
        for run, values in cell["lr_grid"].items():
            assert values["chosen"] == expected[run]["chosen"]
            assert values["works"] == expected[run]["works"]
            assert values["val_score"] == pytest.approx(expected[run]["val_score"], rel=1e-5)


def test_the_plan_derives_a_cell_per_dataset_activation_and_scaler():
    plan = parse_plan(
        datasets="wine, iris,wine", activations="relu", scalers="none,standard,quantile"
    )
    assert plan.datasets == ("wine", "iris")
    assert [c.key for c in plan.work()] == [
        "wine|relu|standard",
        "wine|relu|quantile",
        "iris|relu|standard",
        "iris|relu|quantile",
    ]
    alone = parse_plan(datasets="wine", activations="relu", scalers="none")
    assert [c.key for c in alone.work()] == ["wine|relu|none"]  # trains its own raw run


@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_keeps_every_finished_cell_and_says_how_to_resume(
    tmp_path, name, code, terminal_signal_defaults
):
    results = tmp_path / "sweep.jsonl"
    command = [
        sys.executable, "-m", "normtui", "sweep", "--datasets", "wine",
        "--activations", "relu,tanh,sigmoid", "--scalers", "standard,minmax,robust",
        "--seeds", "2", "--epochs", "300", "--results", str(results),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=terminal_signal_defaults,
    )
    try:
        deadline = time.monotonic() + GUARD_S
        while len(cell_lines_safe(results) if results.exists() else []) < 1:
            assert time.monotonic() < deadline, "no cell finished in time"
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.send_signal(getattr(signal, name))
        out, err = process.communicate(timeout=GUARD_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, err
    kept = cell_lines_safe(results)
    assert 1 <= len(kept) < 9
    assert f"sweep interrupted ({name})" in err
    assert f"resume with: normtui sweep --resume {results}" in err
    assert "Traceback" not in err
    assert "wine: val accuracy" in out  # the partial matrix


def test_each_dataset_is_titled_in_its_own_score_r2_for_regression(run_main, tmp_path):
    grid = ["--datasets", "diabetes,wine", "--activations", "tanh", "--scalers", "none,standard"]
    code, out, err = run_main(
        ["sweep", *grid, *TINY, "--results", str(tmp_path / "r.jsonl"), "--markdown"]
    )
    assert code == 0, err
    assert "### diabetes: val R²: normalized − raw, 2 seed(s)" in out
    assert "### wine: val accuracy: normalized − raw (pts), 2 seed(s)" in out
