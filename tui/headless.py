"""`normtui train`: run the pair without the dashboard, then print a side-by-side summary."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from normtui.engine.classes import baseline_line, clash_warning, classes_line
from normtui.engine.config import SessionConfig
from normtui.engine.events import RUN_NAMES, DataLoading, Event, SessionStarted, strict_json
from normtui.engine.fold import RunFold
from normtui.engine.grid import rate_text
from normtui.engine.grid_fold import GridFold
from normtui.engine.listens import ListensWatcher
from normtui.engine.log import LogWriter
from normtui.engine.notices import data_notices
from normtui.engine.numbers import epoch
from normtui.engine.session import Session
from normtui.engine.sinks import EndWatcher, fan_out
from normtui.engine.statistics import goal_text
from normtui.engine.summary import Summarizer
from normtui.tui.cells import number, percent, spread
from normtui.tui.grid_table import format_grid_table
from normtui.tui.signals import (
    SIGNAL_EXIT_CODES,
    install_stop_handlers,
    restore_handlers,
    safe_write,
)


def _share(values: list[float | None]) -> str:
    shown = [f"{v * 100:.0f}%" for v in values if v is not None]
    return "/".join(shown) if shown else "-"


def _regression(summary: Summarizer) -> bool:
    return summary.started is not None and summary.started.task == "regression"


def _metric_rows(summary: Summarizer) -> list[tuple[str, str, str]]:
    """The headline rows: accuracy for classes; R² and MSE in the target's units for regression.

    With several seeds each is the member mean ± the members' standard deviation; `best mean`
    is the best of the mean curve (engine/fold.py), the label the dashboard's gauges use. A run
    whose every seed diverged shows its seeds' values at divergence, marked † as on the screen.
    """
    raw, norm = (summary.runs[name] for name in RUN_NAMES)
    regression = _regression(summary)
    show = number if regression else percent
    scale, digits = (1.0, 4) if regression else (100.0, 1)

    def cell(run: RunFold, name: str, scale: float, digits: int, fmt: Any) -> str:
        text = spread(run, run.values(name), fmt(getattr(run, name)), scale, digits)
        return f"{text} †" if run.at_divergence and text != "-" else text

    def both(name: str, scale: float, digits: int, fmt: Any) -> tuple[str, str]:
        return cell(raw, name, scale, digits, fmt), cell(norm, name, scale, digits, fmt)

    def best(run: RunFold) -> str:
        values = [m.at_best_mean for m in run.members if m.at_best_mean is not None]
        return spread(run, values, show(run.best_mean), scale, digits)

    score = "R²" if regression else "accuracy"
    loss = " (MSE)" if regression else ""
    best_label = "best mean val" if summary.seeds > 1 else "best val"
    return [
        (f"val {score}", *both("val_score", scale, digits, show)),
        (f"val loss{loss}", *both("val_loss", 1.0, 4, number)),
        (f"train loss{loss}", *both("train_loss", 1.0, 4, number)),
        (f"{best_label} {score}", best(raw), best(norm)),
    ]


def _epoch_text(value: float | None) -> str:
    if value is None:
        return "-"
    return epoch(value)  # a median of epochs is written as a whole epoch


def _goal(run: RunFold) -> str:
    """Epochs to the goal: the median over the members that reached it, with their count."""
    text = _epoch_text(run.epochs_to_goal) if run.epochs_to_goal is not None else "never"
    if run.count < 2:
        return text
    return f"{text} ({run.reached}/{run.count})"


def _diverged(run: RunFold) -> str:
    if run.count < 2:
        return f"yes (epoch {run.diverged_epoch})" if run.diverged_whole else "no"
    gone = [m.diverged_epoch for m in run.members if m.diverged_epoch is not None]
    if not gone:
        return "no"
    if run.diverged_whole:
        return f"yes (epoch {run.diverged_epoch}, all {run.count} seeds)"
    return f"{len(gone)} of {run.count} seeds (from epoch {min(gone)})"


def verdict_lines(summary: Summarizer) -> list[str]:
    """The paired per-seed verdicts (engine/statistics.py): score, loss, epochs to the goal."""
    comparisons = summary.comparisons()
    if comparisons is None:
        return ["no epoch of both runs to compare"]
    return [comparison.verdict for comparison in comparisons]


def format_table(summary: Summarizer, config: SessionConfig, grid: GridFold | None = None) -> str:
    """The side-by-side result table printed at the end of `normtui train`; with a trained
    learning-rate grid, the grid's table (tui/grid_table.py) under the same title."""
    raw, norm = (summary.runs[name] for name in RUN_NAMES)
    regression = _regression(summary)
    n_val = summary.started.n_val if summary.started is not None else 0
    target = config.goal_r2 if regression else config.goal_accuracy
    goal = f"epochs to {goal_text(target, regression, n_val)}"
    seeds = summary.seeds
    score = "R²" if regression else "accuracy"
    rows: list[tuple[str, str, str]] = [
        ("", RUN_NAMES[0], f"{RUN_NAMES[1]} ({config.scaler})"),
        *_metric_rows(summary),
        (
            "best mean epoch" if seeds > 1 else "best epoch",
            _epoch_text(raw.best_mean_epoch),
            _epoch_text(norm.best_mean_epoch),
        ),
        (goal, _goal(raw), _goal(norm)),
        ("epochs", str(raw.epochs), str(norm.epochs)),
        ("seconds", f"{raw.seconds:.2f}", f"{norm.seconds:.2f}"),
        ("dead units", _share(raw.dead_fraction), _share(norm.dead_fraction)),
        ("saturated", _share(raw.saturated_fraction), _share(norm.saturated_fraction)),
        ("diverged", _diverged(raw), _diverged(norm)),
    ]
    width = max(len(r[0]) for r in rows) + 2
    left = max(len(r[1]) for r in rows) + 3
    lines = [f"{a:<{width}}{b:>{left}}   {c}" for a, b, c in rows]
    started = summary.started
    rates = (
        f"{len(config.lrs)} rates {rate_text(config.lrs[0])}..{rate_text(config.lrs[-1])}"
        if config.lrs
        else f"lr {config.lr:g}"
    )
    held_out = f" / {started.n_test} test" if started and started.n_test else ""
    title = (
        f"{started.dataset}: {started.n_train} train / {started.n_val} val{held_out} rows, "
        f"{started.n_features} features, {config.activation}, hidden {list(config.hidden)}, "
        f"{config.optimizer}{',' if config.lrs else ''} {rates}, device {started.device}"
        if started
        else config.source_name
    )
    if config.lrs:
        title += (
            f"\n{config.seeds} seeds drawn from --seed {config.seed} (listed in --json and the"
            " log), each with its own train / val / test split and initial weights, shared by"
            f" every rate; {goal}: the median over the seeds that reached it"
        )
    elif seeds > 1:
        title += (
            f"\n{seeds} seeds drawn from --seed {config.seed} (listed in --json and the log),"
            " each with its own split and initial weights: mean ± standard deviation over the"
            f" seeds; best mean: the peak of their mean val {score}; {goal}: the median over the"
            " seeds that reached it"
        )
    if started is not None:
        title += "".join(_data_notes(started, config))
    if grid is not None and grid.active:
        return f"{title}\n{format_grid_table(grid, config)}"
    notes = [
        f"{name} run diverged at epoch {run.diverged_epoch}: {run.diverged_reason}"
        + (f"; † its {run.count} seeds' values at divergence" if run.count > 1 else "")
        for name, run in summary.runs.items()
        if run.diverged_whole and run.diverged_reason
    ]
    return "\n".join([title, *lines, *notes, *verdict_lines(summary)]) + "\n"


def _data_notes(started: SessionStarted, config: SessionConfig) -> list[str]:
    """What was done to the table before training: a second title line, when anything was."""
    notes = []
    if started.task == "regression":
        notes.append(f"regression, target scaler {config.target_scaler}, losses in target units²")
    if started.n_numeric is not None:
        encoded = started.n_features - started.n_numeric
        notes.append(f"{started.n_numeric} numeric + {encoded} one-hot columns")
    if started.imputed_cells:
        notes.append(f"{started.imputed_cells:,} missing cells imputed")
    notes.extend(data_notices(started))  # rows dropped, one seed for a big file
    lines = ["\n" + "; ".join(notes)] if notes else []
    if started.class_names:  # what the accuracies are of, and what learning nothing scores
        classes = classes_line(started.class_names, started.class_counts)
        if started.majority_baseline is not None:
            classes += f"; {baseline_line(started.majority_baseline)} of val rows"
        lines.append("\n" + classes)
        warning = clash_warning(started.class_names)
        if warning:
            lines.append("\n" + warning)
    return lines


def json_report(
    summary: Summarizer,
    config: SessionConfig,
    reason: str | None,
    listens: ListensWatcher | None = None,
    grid: GridFold | None = None,
) -> dict[str, Any]:
    """The `--json` object: {"config", "dataset", "runs": {"raw", "normalized"}, "comparison",
    "ended"}. Each run is engine/fold.py's `RunFold.to_dict`: its members' mean (all diverged:
    their values at divergence, `at_divergence` true), the best of the mean curve, the median
    epochs to the goal, with `members` holding each seed's own; `comparison` judges val score,
    val loss and epochs to the goal seed by seed.

    Strict JSON: a loss that overflowed to inf or NaN (a diverged run) is null.
    """
    started = summary.started
    report: dict[str, Any] = {"config": config.to_dict()}
    if started is not None:
        report["dataset"] = {
            "name": started.dataset,
            "n_train": started.n_train,
            "n_val": started.n_val,
            "n_features": started.n_features,
            "n_classes": started.n_classes,
            "device": started.device,
            "task": started.task,
            "n_numeric": started.n_features if started.n_numeric is None else started.n_numeric,
            "imputed_cells": started.imputed_cells,
            "dropped_rows": started.dropped_rows,
            "member_seeds": list(started.member_seeds),
            "classes": [
                {"label": name, "rows": count}
                for name, count in zip(started.class_names, started.class_counts, strict=False)
            ],
            "majority_baseline": started.majority_baseline,
        }
    if started is not None:
        report["dataset"]["n_test"] = started.n_test
    report["runs"] = {name: summary.runs[name].to_dict() for name in RUN_NAMES}
    comparisons = summary.comparisons()
    report["comparison"] = (
        {c.metric: c.to_dict() for c in comparisons} if comparisons is not None else None
    )
    report["lr_grid"] = None
    if grid is not None and grid.active:
        # `runs` are then each run's chosen rate's seeds (on the validation rows); a verdict
        # on the validation rows at rates chosen on them would be optimistic: there is none
        report["runs"] = {name: run.folds[run.chosen].to_dict() for name, run in grid.runs.items()}
        report["comparison"] = None
        report["lr_grid"] = grid.to_dict()
    # what the first layer listens to at the last sampled epoch (the last epoch is sampled)
    report["listens"] = listens.to_dict() if listens is not None else None
    report["ended"] = reason
    return strict_json(report)


class Progress:
    """One self-overwriting status line on stderr, at most a few times a second, TTY only.

    Also a sink: a big file's `DataLoading` reports are shown while it loads (small files send
    none). Without a terminal, a load that is slow still gets a plain line every
    `LOADING_LINE_EVERY_S`, and one when every row is read, so a CI log says where time went.
    """

    LOADING_LINE_EVERY_S = 5.0

    def __init__(self, summary: Summarizer, total: int | None) -> None:
        self.summary, self.total = summary, total
        self.enabled = sys.stderr.isatty()
        self._last = 0.0
        self._loading: DataLoading | None = None  # the latest report (set by the trainer thread)
        self._loading_line_s = 0.0  # elapsed_s of the last plain loading line (no terminal)

    def __call__(self, event: Event) -> None:
        if isinstance(event, DataLoading):
            self._loading = event

    def _show_loading(self) -> None:
        loading = self._loading
        if loading is None:
            return
        if self.enabled:
            safe_write(sys.stderr, f"\r\x1b[2K{loading.describe()}")
            return
        every = self.LOADING_LINE_EVERY_S
        if loading.elapsed_s < every or self._loading_line_s < 0:  # quick, or done was said
            return
        if loading.done or loading.elapsed_s >= self._loading_line_s + every:
            self._loading_line_s = -1.0 if loading.done else loading.elapsed_s
            safe_write(sys.stderr, f"normtui: {loading.describe()}\n")

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.summary.started is None:
            if force or now - self._last >= 0.2:
                self._last = now
                self._show_loading()
            return
        if not self.enabled or (not force and now - self._last < 0.2):
            return
        self._last = now
        raw, norm = (self.summary.runs[name] for name in RUN_NAMES)
        epoch = max(raw.epochs, norm.epochs)
        total = f"/{self.total}" if self.total else ""
        if raw.regression or norm.regression:
            line = (
                f"epoch {epoch}{total}  val R² raw {number(raw.val_score, 3)}"
                f"  normalized {number(norm.val_score, 3)}"
            )
        else:
            line = (
                f"epoch {epoch}{total}  val acc raw {percent(raw.val_score)}"
                f"  normalized {percent(norm.val_score)}"
            )
        safe_write(sys.stderr, f"\r\x1b[2K{line}")

    def clear(self) -> None:
        if self.enabled:
            safe_write(sys.stderr, "\r\x1b[2K")


def run_headless(config: SessionConfig, *, as_json: bool, log_path: str | None) -> int:
    """Train to completion (or until a signal), print the summary, return the exit code."""
    summary = Summarizer(config.goal_accuracy, config.goal_r2)
    grid = GridFold(config.goal_accuracy, config.goal_r2) if config.lrs else None
    outcome = EndWatcher()
    listens = ListensWatcher()
    writer = LogWriter(log_path, config.to_dict()) if log_path else None
    session = Session(config, prefetch=True)
    signalled: list[str] = []

    def on_signal(name: str) -> None:
        signalled.append(name)
        session.request_stop(name)

    previous = install_stop_handlers(on_signal)
    progress = Progress(summary, config.epochs)
    sinks = (summary, outcome, progress, listens)
    if grid is not None:
        sinks = (*sinks, grid)
    if writer is not None:
        sinks = (writer, *sinks)
    try:
        session.start(fan_out(*sinks))
        while not session.join(timeout=0.1):
            progress.update()
    finally:
        session.stop(signalled[0] if signalled else "stopped")
        restore_handlers(previous)
        if writer is not None:
            writer.close()
    progress.clear()

    if outcome.usage_error:
        safe_write(sys.stderr, f"normtui: error: {outcome.error}\n")
        return 2
    if summary.started is not None:
        if as_json:
            warning = clash_warning(summary.started.class_names)
            if warning:  # stdout is the one JSON object: the table's warning goes to stderr
                safe_write(sys.stderr, f"normtui: {warning}\n")
            report = json_report(summary, config, outcome.reason, listens, grid)
            safe_write(sys.stdout, json.dumps(report, allow_nan=False, default=str) + "\n")
        else:
            safe_write(sys.stdout, format_table(summary, config, grid))
    if log_path:
        safe_write(sys.stderr, f"log: {log_path} ({writer.lines if writer else 0} lines)\n")
    if signalled:
        return SIGNAL_EXIT_CODES[signalled[0]]
    return _failure_code(outcome, summary, writer)


def _failure_code(outcome: EndWatcher, summary: Summarizer, writer: LogWriter | None) -> int:
    """1 (said in one line) when the session, a run or the log failed; else 0."""
    failures = [(n, r.error) for n, r in summary.runs.items() if r.error]
    if outcome.error:
        message = outcome.error
    elif failures:
        name, error = failures[0]
        message = f"the {name} run failed: {error}"
    elif writer is not None and writer.error:  # the very last line could not be written
        message = writer.error
    else:
        return 0
    safe_write(sys.stderr, f"normtui: error: {message}\n")
    return 1
