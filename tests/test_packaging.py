"""The wheel holds every room of the house: each module and data file under engine/, tui/ and
themes/, found by setuptools itself (src/normtui/{engine,tui,themes} link to those folders), so
a new subpackage or stylesheet cannot silently stay behind.

Built offline (`--no-build-isolation --no-index`) from a copy of the sources, so no stale
build/ folder in the checkout can supply a file the sources no longer produce.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("engine", "tui", "themes")
DATA_SUFFIXES = {".py", ".tcss", ".toml"}


def expected_files() -> set[str]:
    """Every module and data file the package must ship, as wheel paths."""
    wanted = {"normtui/__init__.py", "normtui/__main__.py"}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in DATA_SUFFIXES and "__pycache__" not in path.parts:
                wanted.add(f"normtui/{path.relative_to(ROOT).as_posix()}")
    return wanted


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pytest.importorskip("setuptools", minversion="68")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in (*FOLDERS, "src"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True, ignore=skip)
    out = work / "out"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "-q", "-w", str(out), str(source)]
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = out.glob("normtui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_module_and_data_file(wheel_files: set[str]) -> None:
    wanted = expected_files()
    assert {"normtui/tui/app.tcss", "normtui/themes/dark.toml"} <= wanted  # the walk found data
    assert sorted(wanted - wheel_files) == []


def test_the_source_links_are_relative_and_point_at_the_top_level_folders() -> None:
    for folder in FOLDERS:
        link = ROOT / "src" / "normtui" / folder
        assert link.is_symlink(), f"src/normtui/{folder} should link to ../../{folder}"
        assert link.readlink() == Path("..", "..", folder)
