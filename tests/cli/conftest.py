"""Fixtures the CLI tests share: `main` run in-process, and waiting for a log to fill."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from normtui.tui.cli import main


@pytest.fixture
def run_main(capsys) -> Callable[[list[str]], tuple[int, str, str]]:
    """`normtui ARGS` in this process: (exit code, stdout, stderr)."""

    def run(args: list[str]) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        captured = capsys.readouterr()
        return exit_info.value.code, captured.out, captured.err

    return run


def _wait_for_epochs(log: Path, count: int, timeout: float = 120.0) -> None:
    """Until `log` holds `count` epoch events; the guard only stops a hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count('"event":"epoch"') >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{log.name} got no {count} epochs within {timeout:.0f} s")


@pytest.fixture
def wait_for_epochs() -> Callable[..., None]:
    return _wait_for_epochs
