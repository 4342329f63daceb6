"""Default folders: one rule for session logs and sweep results."""

from __future__ import annotations

from pathlib import Path

import pytest

from normtui.tui.files import state_directory, unused_stem


def test_the_state_folder_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("NORMTUI_LOG_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert state_directory("sessions") == tmp_path / "normtui" / "sessions"
    assert state_directory("sweeps") == tmp_path / "normtui" / "sweeps"


def test_normtui_log_dir_is_the_folder_for_every_kind(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NORMTUI_LOG_DIR", str(tmp_path))
    assert state_directory("sessions") == state_directory("sweeps") == Path(tmp_path)


def test_a_taken_stem_gets_the_next_free_suffix(tmp_path: Path) -> None:
    (tmp_path / "run.jsonl").touch()
    (tmp_path / "run-2.csv").touch()
    assert unused_stem(tmp_path, "run", (".jsonl", ".csv")) == "run-3"
    assert unused_stem(tmp_path, "other", (".jsonl",)) == "other"
