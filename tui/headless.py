"""`normtui train`: run the pair without the dashboard, then print a side-by-side summary."""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

from normtui.engine.config import SessionConfig
from normtui.engine.divergence import compact
from normtui.engine.events import RUN_NAMES, DataLoading, Event, SessionStarted, strict_json
from normtui.engine.log import LogWriter
from normtui.engine.session import Session
from normtui.engine.sinks import EndWatcher, fan_out
from normtui.engine.summary import Summarizer
from normtui.tui.signals import SIGNAL_EXIT_CODES, install_stop_handlers, restore_handlers


def _safe_write(stream: Any, text: str) -> None:
    """Write to a terminal that may be gone (SIGHUP): losing the text is fine, crashing is not."""
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _number(value: float | None, digits: int = 4) -> str:
    """Fixed decimals for everyday values; 1.51e21, not 22 digits, for a runaway loss."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if abs(value) >= 1e9:  # a runaway loss: 1.51e21, not 22 digits
        return compact(value)
    if abs(value) >= 10**5:  # a loss in a price's units²: digits after the point say nothing
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _share(values: list[float | None]) -> str:
    shown = [f"{v * 100:.0f}%" for v in values if v is not None]
    return "/".join(shown) if shown else "-"


def _regression(summary: Summarizer) -> bool:
    return summary.started is not None and summary.started.task == "regression"


def _metric_rows(summary: Summarizer, config: SessionConfig) -> list[tuple[str, str, str]]:
    """The headline rows: accuracy for classes; R² and MSE in the target's units for regression."""
    raw, norm = (summary.runs[name] for name in RUN_NAMES)
    if _regression(summary):
        return [
            ("val R²", _number(raw.val_r2), _number(norm.val_r2)),
            ("val loss (MSE)", _number(raw.val_loss), _number(norm.val_loss)),
            ("train loss (MSE)", _number(raw.train_loss), _number(norm.train_loss)),
            ("best val R²", _number(raw.best_val_r2), _number(norm.best_val_r2)),
        ]
    return [
        ("val accuracy", _percent(raw.val_accuracy), _percent(norm.val_accuracy)),
        ("val loss", _number(raw.val_loss), _number(norm.val_loss)),
        ("train loss", _number(raw.train_loss), _number(norm.train_loss)),
        ("best val accuracy", _percent(raw.best_val_accuracy), _percent(norm.best_val_accuracy)),
    ]


def format_table(summary: Summarizer, config: SessionConfig) -> str:
    """The side-by-side result table printed at the end of `normtui train`."""
    raw, norm = (summary.runs[name] for name in RUN_NAMES)
    regression = _regression(summary)
    goal = (
        f"epochs to R² {config.goal_r2:g}"
        if regression
        else f"epochs to {config.goal_accuracy:.0%}"
    )
    rows: list[tuple[str, str, str]] = [
        ("", RUN_NAMES[0], f"{RUN_NAMES[1]} ({config.scaler})"),
        *_metric_rows(summary, config),
        ("best epoch", str(raw.best_epoch or "-"), str(norm.best_epoch or "-")),
        (goal, str(raw.epochs_to_goal or "never"), str(norm.epochs_to_goal or "never")),
        ("epochs", str(raw.epochs), str(norm.epochs)),
        ("seconds", f"{raw.seconds:.2f}", f"{norm.seconds:.2f}"),
        ("dead units", _share(raw.dead_fraction), _share(norm.dead_fraction)),
        ("saturated", _share(raw.saturated_fraction), _share(norm.saturated_fraction)),
        (
            "diverged",
            f"yes (epoch {raw.diverged_epoch})" if raw.diverged else "no",
            f"yes (epoch {norm.diverged_epoch})" if norm.diverged else "no",
        ),
    ]
    width = max(len(r[0]) for r in rows) + 2
    left = max(len(r[1]) for r in rows) + 3
    lines = [f"{a:<{width}}{b:>{left}}   {c}" for a, b, c in rows]
    started = summary.started
    title = (
        f"{started.dataset}: {started.n_train} train / {started.n_val} val rows, "
        f"{started.n_features} features, {config.activation}, hidden {list(config.hidden)}, "
        f"{config.optimizer} lr {config.lr:g}, device {started.device}"
        if started
        else config.source_name
    )
    if started is not None:
        title += "".join(_data_notes(started, config))
    notes = [
        f"{name} run diverged at epoch {summary.runs[name].diverged_epoch}: "
        f"{summary.runs[name].diverged_reason}"
        for name in RUN_NAMES
        if summary.runs[name].diverged
    ]
    leader, margin = summary.leader()
    if regression:
        verdict = (
            f"{leader} run ahead by {margin:.3f} in validation R²"
            if leader
            else "both runs at the same validation R²"
        )
    else:
        verdict = (
            f"{leader} run ahead by {margin * 100:.1f} points of validation accuracy"
            if leader
            else "both runs at the same validation accuracy"
        )
    return "\n".join([title, *lines, *notes, verdict]) + "\n"


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
    if started.dropped_rows:
        notes.append(f"{started.dropped_rows:,} rows with missing cells dropped")
    return ["\n" + "; ".join(notes)] if notes else []


def json_report(summary: Summarizer, config: SessionConfig, reason: str | None) -> dict[str, Any]:
    """The `--json` object: {"config", "runs": {"raw", "normalized"}}, dataset, end reason.

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
        }
    report["runs"] = {name: summary.runs[name].to_dict() for name in RUN_NAMES}
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
            _safe_write(sys.stderr, f"\r\x1b[2K{loading.describe()}")
            return
        every = self.LOADING_LINE_EVERY_S
        if loading.elapsed_s < every or self._loading_line_s < 0:  # quick, or done was said
            return
        if loading.done or loading.elapsed_s >= self._loading_line_s + every:
            self._loading_line_s = -1.0 if loading.done else loading.elapsed_s
            _safe_write(sys.stderr, f"normtui: {loading.describe()}\n")

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
        if raw.val_r2 is not None or norm.val_r2 is not None:
            line = (
                f"epoch {epoch}{total}  val R² raw {_number(raw.val_r2, 3)}"
                f"  normalized {_number(norm.val_r2, 3)}"
            )
        else:
            line = (
                f"epoch {epoch}{total}  val acc raw {_percent(raw.val_accuracy)}"
                f"  normalized {_percent(norm.val_accuracy)}"
            )
        _safe_write(sys.stderr, f"\r\x1b[2K{line}")

    def clear(self) -> None:
        if self.enabled:
            _safe_write(sys.stderr, "\r\x1b[2K")


def run_headless(config: SessionConfig, *, as_json: bool, log_path: str | None) -> int:
    """Train to completion (or until a signal), print the summary, return the exit code."""
    summary = Summarizer(config.goal_accuracy, config.goal_r2)
    outcome = EndWatcher()
    writer = LogWriter(log_path, config.to_dict()) if log_path else None
    session = Session(config, prefetch=True)
    signalled: list[str] = []

    def on_signal(name: str) -> None:
        signalled.append(name)
        session.request_stop(name)

    previous = install_stop_handlers(on_signal)
    progress = Progress(summary, config.epochs)
    sinks = (summary, outcome, progress)
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
        _safe_write(sys.stderr, f"normtui: error: {outcome.error}\n")
        return 2
    if summary.started is not None:
        if as_json:
            report = json_report(summary, config, outcome.reason)
            _safe_write(sys.stdout, json.dumps(report, allow_nan=False, default=str) + "\n")
        else:
            _safe_write(sys.stdout, format_table(summary, config))
    if log_path:
        _safe_write(sys.stderr, f"log: {log_path} ({writer.lines if writer else 0} lines)\n")
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
    _safe_write(sys.stderr, f"normtui: error: {message}\n")
    return 1
