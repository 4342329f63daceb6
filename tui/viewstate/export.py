"""Write the metrics kept so far as CSV (one row per kept epoch and run; with a learning-rate
grid, a second file with one row per kept epoch, run, rate and seed).

Every epoch of the session is there, restarts included: `segment` counts the restarts before
the row (0 until the first `r` or restart-mode swap), and each row says the activation and
learning rate it trained with, so swaps and lr changes can be lined up with the losses.
`member` is `mean` for the run's row (the mean over its live members, as on screen) and k for
member k's own (seed `--seed` + k; written with several seeds), so an outlier seed can be found.
"""

from __future__ import annotations

import csv
from pathlib import Path

from normtui.engine.listens import source_columns
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


LISTENS_COLUMNS = ("run", "epoch", "feature", "share", "share_low", "share_high")


def write_listens_csv(state: DashboardState, path: Path) -> int:
    """What the first layer listens to at each sampled epoch since the last restart: one row
    per run, epoch and feature (the members' mean share, and their min..max with several
    seeds). Returns the data rows written; no file when no sample carried shares."""
    started = state.started
    names = source_columns(started.feature_names, started.n_numeric)[0] if started else ()
    rows: list[tuple[object, ...]] = []
    for name, run in state.runs.items():
        for epoch, sample in zip(run.learning.epochs, run.learning.shares, strict=True):
            if sample is None:
                continue
            shares, spans = sample
            for i, share in enumerate(shares):
                low, high = spans[i] if spans else ("", "")
                feature = names[i] if i < len(names) else f"x{i}"
                rows.append((name, epoch, feature, share, low, high))
    if not rows:
        return 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(LISTENS_COLUMNS)
        for name, epoch, feature, share, low, high in rows:
            numbers = (f"{v:.6g}" if isinstance(v, float) else v for v in (share, low, high))
            writer.writerow((name, epoch, feature, *numbers))
    return len(rows)


GRID_COLUMNS = (
    "run",
    "segment",
    "epoch",
    "rate",
    "chosen",
    "seed",
    "train_loss",
    "val_loss",
    "val_score",
    "test_loss",
    "test_score",
    "diverged",
)


def write_grid_csv(state: DashboardState, path: Path) -> int:
    """A learning-rate grid's every rate and seed, per kept epoch (`chosen` 1 on the rate the
    run's own rows are at; `val_score`/`test_score` accuracy or R²; empty where diverged);
    returns the rows written, 0 (and no file) without a grid."""
    if not any(series.count for series in state.grid_history.values()):
        return 0
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GRID_COLUMNS)
        for name, series in state.grid_history.items():
            for _step, segment, event in series.rows():
                for r, rate in enumerate(event.rates):
                    for s, seed in enumerate(event.seeds):
                        gone = event.diverged[r][s]
                        values = (
                            event.train_loss[r][s],
                            event.val_loss[r][s],
                            event.val_score[r][s],
                            event.test_loss[r][s],
                            event.test_score[r][s],
                        )
                        numbers = ["" if gone else f"{value:.6g}" for value in values]
                        head = (name, segment, event.epoch, f"{rate:.6g}", int(r == event.chosen))
                        writer.writerow((*head, seed, *numbers, int(gone)))
                        rows += 1
    return rows
