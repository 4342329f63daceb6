"""Write the metrics kept so far as CSV (one row per kept epoch and run).

Every epoch of the session is there, restarts included: `segment` counts the restarts before
the row (0 until the first `r` or restart-mode swap), and each row says the activation and
learning rate it trained with, so swaps and lr changes can be lined up with the losses.
"""

from __future__ import annotations

import csv
from pathlib import Path

from normtui.tui.viewstate.state import DashboardState

COLUMNS = (
    "run",
    "segment",
    "epoch",
    "train_loss",
    "val_loss",
    "train_accuracy",
    "val_accuracy",
    "lr",
    "activation",
)


def write_metrics_csv(state: DashboardState, path: Path) -> int:
    """Write the history of both runs; returns the number of data rows written."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for name, run in state.runs.items():
            for row in run.history.rows():
                _step, segment, epoch, *values, activation = row
                numbers = (f"{value:.6g}" for value in values)
                writer.writerow((name, segment, int(epoch), *numbers, activation))
                rows += 1
    return rows
