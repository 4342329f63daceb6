"""Where files go by default, and fresh names there: a second log or export in the same second
must not overwrite the first."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def state_directory(kind: str) -> Path:
    """The folder for a kind of file ("sessions", "sweeps"): $NORMTUI_LOG_DIR for every kind,
    else that kind under the platform's state folder ($XDG_STATE_HOME/normtui, by default
    ~/.local/state/normtui on Linux). Computed here only, so the two cannot drift apart."""
    configured = os.environ.get("NORMTUI_LOG_DIR")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_state_dir("normtui", appauthor=False)) / kind


def unused_stem(directory: Path, stem: str, extensions: tuple[str, ...]) -> str:
    """`stem`, or `stem-2`, `stem-3`...: the first with no file of any of `extensions`."""
    candidate, suffix = stem, 1
    while any((directory / f"{candidate}{ext}").exists() for ext in extensions):
        suffix += 1
        candidate = f"{stem}-{suffix}"
    return candidate


def shown_path(path: str | Path) -> str:
    """A path as short as it can be said on screen: relative to the working directory when
    inside it, else under `~`; a notification at 80 columns cut the long absolute form."""
    full = Path(path).expanduser().absolute()
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return f"{prefix}{full.relative_to(base)}"
        except ValueError:
            continue
    return str(full)
