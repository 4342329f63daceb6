"""Fresh file names: a second log or export in the same second must not overwrite the first."""

from __future__ import annotations

from pathlib import Path


def unused_stem(directory: Path, stem: str, extensions: tuple[str, ...]) -> str:
    """`stem`, or `stem-2`, `stem-3`...: the first with no file of any of `extensions`."""
    candidate, suffix = stem, 1
    while any((directory / f"{candidate}{ext}").exists() for ext in extensions):
        suffix += 1
        candidate = f"{stem}-{suffix}"
    return candidate
