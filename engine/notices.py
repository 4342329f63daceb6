"""What was changed without being asked, said in words every surface prints (issue 25 item 4).

A table file over 16 MB trains one seed unless `--seeds` says otherwise, and `--missing drop`
leaves rows out: `train` printed only the second, the dashboard neither. Pure (no torch, no
textual): `train`'s table and the dashboard's notification and inputs pane share these words.
"""

from __future__ import annotations

import os
from typing import Any

from normtui.engine.config import DEFAULT_SEEDS, LARGE_TABLE_BYTES
from normtui.engine.events import SessionStarted


def one_seed_notice(config: dict[str, Any]) -> str | None:
    """ "1 seed: x.csv is 40 MB, over 16 MB (--seeds 10 for a verdict)", when a large table
    file trains one seed (the default there: engine/config.py `default_seeds`), else None."""
    path = config.get("csv_path")
    if config.get("seeds") != 1 or not isinstance(path, str) or not path:
        return None
    try:
        size = os.path.getsize(path)
    except OSError:  # a replay on another machine: the file is not here to measure
        return None
    if size <= LARGE_TABLE_BYTES:
        return None
    return (
        f"1 seed: {os.path.basename(path)} is {size / 2**20:.0f} MB, over"
        f" {LARGE_TABLE_BYTES // 2**20} MB (--seeds {DEFAULT_SEEDS} for a verdict)"
    )


def data_notices(started: SessionStarted) -> list[str]:
    """The changes to say at the start of a session: rows dropped, one seed for a big file."""
    notices = []
    if started.dropped_rows:
        notices.append(f"{started.dropped_rows:,} rows with missing cells dropped (--missing drop)")
    seeds = one_seed_notice(started.config)
    if seeds:
        notices.append(seeds)
    return notices
