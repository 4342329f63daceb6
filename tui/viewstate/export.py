"""Write the metrics kept so far as CSV (one row per kept epoch and run).

Every epoch of the session is there, restarts included: `segment` counts the restarts before
the row (0 until the first `r` or restart-mode swap), and each row says the activation and
learning rate it trained with, so swaps and lr changes can be lined up with the losses.
`member` is `mean` for the run's row (the mean over its live members, as on screen) and k for
member k's own (seed `--seed` + k; written with several seeds), so an outlier seed can be found.
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
    "member",
)


def write_metrics_csv(state: DashboardState, path: Path) -> int:
    """Write the history of both runs; returns the number of data rows written."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for name, run in state.runs.items():
            for row in run.history.rows():
                _step, segment, epoch, *values, lr, activation, members = row
                numbers = [f"{value:.6g}" for value in values]
                writer.writerow(
                    (name, segment, int(epoch), *numbers, f"{lr:.6g}", activation, "mean")
                )
                rows += 1
                if members is None:
                    continue
                for k in range(len(members.seeds)):
                    own = (
                        members.train_loss[k],
                        members.val_loss[k],
                        members.train_score[k],
                        members.val_score[k],
                    )
                    numbers = [f"{value:.6g}" for value in own]
                    writer.writerow(
                        (name, segment, int(epoch), *numbers, f"{lr:.6g}", activation, k)
                    )
                    rows += 1
    return rows
