"""Where normtui writes by default, and fresh file names: a second log or export in the same
second must not overwrite the first."""

from __future__ import annotations

import os
from pathlib import Path


def state_directory(kind: str) -> Path:
    """`$NORMTUI_LOG_DIR` if set, else `kind` ("sessions", "sweeps") in the XDG state folder
    (`$XDG_STATE_HOME`, else ~/.local/state) under normtui/."""
    configured = os.environ.get("NORMTUI_LOG_DIR")
    if configured:
        return Path(configured)
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(state, "normtui", kind)


def unused_stem(directory: Path, stem: str, extensions: tuple[str, ...]) -> str:
    """`stem`, or `stem-2`, `stem-3`...: the first with no file of any of `extensions`."""
    candidate, suffix = stem, 1
    while any((directory / f"{candidate}{ext}").exists() for ext in extensions):
        suffix += 1
        candidate = f"{stem}-{suffix}"
    return candidate
