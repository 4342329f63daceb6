"""engine/allocator.py: glibc's thresholds are raised once per process, unless told not to."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
PROBE = "from normtui.engine.allocator import keep_freed_memory as k; print(k(), k())"


def raised(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "NORMTUI_"))}
    command = [sys.executable, "-c", PROBE]
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True).stdout


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_glibc_thresholds_are_raised_once_and_report_it() -> None:
    assert raised().split() == ["True", "True"]


@pytest.mark.parametrize(
    "env",
    [{"NORMTUI_MALLOC": "system"}, {"MALLOC_TRIM_THRESHOLD_": "131072"}],
    ids=["opted out", "the user's own glibc setting"],
)
def test_an_opt_out_or_the_users_own_setting_leaves_glibc_alone(env: dict[str, str]) -> None:
    assert raised(**env).split() == ["False", "False"]


def test_trainers_raise_them_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    from normtui.engine import trainer
    from normtui.engine.sweep import row

    calls: list[str] = []
    monkeypatch.setattr(trainer, "keep_freed_memory", lambda: calls.append("pair"))
    monkeypatch.setattr(row, "keep_freed_memory", lambda: calls.append("row"))
    from normtui.engine.config import SessionConfig
    from normtui.engine.data.prepare import prepare_members

    config = SessionConfig(dataset="iris", epochs=1, hidden=(4,))
    trainer.PairTrainer(config).close()
    row.RowTrainer(config, {"standard": prepare_members(config.replace(scaler="standard"))})
    assert calls == ["pair", "row"]
