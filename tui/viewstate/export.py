"""Write the metrics kept so far as CSV (one row per kept epoch and run)."""

from __future__ import annotations

import csv
from pathlib import Path

from normtui.tui.viewstate.state import DashboardState

COLUMNS = ("run", "epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr")


def write_metrics_csv(state: DashboardState, path: Path) -> int:
    """Write the history of both runs; returns the number of data rows written."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for name, run in state.runs.items():
            for row in run.history.rows():
                writer.writerow((name, int(row[0]), *(f"{value:.6g}" for value in row[1:])))
                rows += 1
    return rows
