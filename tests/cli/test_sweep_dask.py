"""`normtui sweep --scheduler`: a real Dask cluster on 127.0.0.1 (a `dask scheduler` and two
`dask worker` processes), one worker killed mid-sweep: its cells run elsewhere, each once."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import GUARD_S, ONE_CELL, wait_until

distributed = pytest.importorskip("distributed")


def cell_keys(path: Path) -> list[str]:
    found = []
    if not path.exists():
        return found
    for line in path.read_text().splitlines()[1:]:
        with contextlib.suppress(json.JSONDecodeError):
            cell = json.loads(line)["cell"]
            found.append(f"{cell['dataset']}|{cell['activation']}|{cell['scaler']}")
    return found


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def cluster(tmp_path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A scheduler and two single-thread workers (no nanny: a killed worker stays dead)."""
    scheduler_file = tmp_path / "scheduler.json"
    processes: list[subprocess.Popen] = []

    def spawn(module: str, *args: str, name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.{module}", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        processes.append(process)
        return process

    try:
        spawn(
            "dask_scheduler",
            "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(scheduler_file),
            name="scheduler",
        )  # fmt: skip
        wait_until(lambda: scheduler_file.exists() and scheduler_file.stat().st_size, "scheduler")
        wait_until(lambda: "address" in scheduler_file.read_text(), "scheduler file")
        address = json.loads(scheduler_file.read_text())["address"]
        workers = [
            spawn(
                "dask_worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{i}",
                name=f"w{i}",
            )
            for i in (1, 2)
        ]
        with distributed.Client(address, timeout=GUARD_S) as client:
            wait_until(lambda: len(client.scheduler_info()["workers"]) == 2, "two workers")
        yield address, workers
    finally:
        for process in reversed(processes):
            _stop(process)


def test_a_sweep_on_a_dask_cluster_survives_a_killed_worker(run_main, cluster, tmp_path):
    address, workers = cluster
    results = tmp_path / "sweep.jsonl"
    grid = [
        "--datasets", "iris,wine", "--activations", "relu,tanh",
        "--scalers", "none,standard,minmax", "--seeds", "2", "--epochs", "60", "--hidden", "16",
    ]  # fmt: skip
    expected = {
        f"{d}|{a}|{s}"
        for d in ("iris", "wine")
        for a in ("relu", "tanh")
        for s in ("none", "standard", "minmax")
    }

    killed = threading.Event()

    def kill_a_worker_after_the_first_cell() -> None:
        deadline = time.monotonic() + GUARD_S
        while len(cell_keys(results)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=GUARD_S)
        killed.set()

    killer = threading.Thread(target=kill_a_worker_after_the_first_cell, daemon=True)
    killer.start()
    code, out, err = run_main(
        ["sweep", *grid, "--scheduler", address, "--results", str(results), "--json"]
    )
    killer.join(GUARD_S)
    assert killed.is_set()
    assert code == 0, err
    found = cell_keys(results)
    assert sorted(found) == sorted(expected)  # every cell, each exactly once
    report = json.loads(out)
    assert report["ended"] == "completed" and len(report["cells"]) == len(expected)
    assert all(cell["error"] is None for cell in report["cells"])
    hosts = {cell["host"].split(":")[1] for cell in report["cells"] if cell["scaler"] != "none"}
    assert str(workers[1].pid) in hosts  # the surviving worker took over


def test_an_unreachable_scheduler_is_one_line(run_main, tmp_path):
    code, _, err = run_main(
        [
            *ONE_CELL,
            "--epochs",
            "2",
            "--seeds",
            "1",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--results",
            str(tmp_path / "r.jsonl"),
            "--json",
        ]
    )
    assert code == 2, err
    assert err.startswith("normtui: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert err.count("\n") == 1


def test_a_grid_sweep_on_a_dask_cluster_carries_each_cells_chosen_rates(
    run_main, cluster, tmp_path
):
    """`--lrs` travels to the workers in the plan and comes back in each cell."""
    address, _ = cluster
    results = tmp_path / "grid.jsonl"
    grid = [
        "--datasets", "wine", "--activations", "relu", "--scalers", "none,standard,minmax",
        "--seeds", "2", "--epochs", "5", "--hidden", "8", "--lrs", "1e-3,1e-2",
    ]  # fmt: skip
    code, out, err = run_main(
        ["sweep", *grid, "--scheduler", address, "--results", str(results), "--json"]
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["plan"]["lrs"] == [1e-3, 1e-2] and len(report["cells"]) == 3
    for cell in report["cells"]:
        assert cell["error"] is None and cell["rows"] == "test" and cell["n_test"] > 0
        runs = {"raw"} if cell["scaler"] == "none" else {"raw", "normalized"}
        assert set(cell["lr_grid"]) == runs
        assert all(grid["chosen"] in (1e-3, 1e-2) for grid in cell["lr_grid"].values())
    trained = [cell for cell in report["cells"] if cell["scaler"] != "none"]
    assert all("test_accuracy" in cell["comparison"] for cell in trained)
