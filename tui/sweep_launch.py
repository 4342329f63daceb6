"""`normtui sweep`: run a grid headless (a line per cell, then a report) or on the live screen.

Ctrl+C, SIGTERM and SIGHUP stop the cell in progress; every finished cell is already in the
results file (one flushed line each), and the way to resume is printed.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from normtui.engine.prefetch import worth_prefetching
from normtui.engine.sweep.plan import Cell, SweepPlan
from normtui.engine.sweep.results import CellResult
from normtui.engine.sweep.rows import RowRunner, rows_of
from normtui.engine.sweep.run import Collector, ResultsFile, execute
from normtui.tui.files import state_directory, unused_stem
from normtui.tui.signals import (
    SIGNAL_EXIT_CODES,
    install_stop_handlers,
    restore_handlers,
    safe_write,
)
from normtui.tui.sweep_view import cell_view, csv_report, json_report, text_report

if TYPE_CHECKING:
    from normtui.tui.sweep_app import CellSession
    from normtui.tui.viewstate.state import DashboardState


def default_results_path() -> str:
    """A new file beside the dashboard's session logs ($NORMTUI_LOG_DIR, else the state dir)."""
    directory = state_directory("sweeps")
    stem = unused_stem(directory, time.strftime("sweep-%Y%m%d-%H%M%S"), (".jsonl",))
    return str(directory / f"{stem}.jsonl")


class SweepJob:
    """The sweep in a background thread (for the screen) or the calling one (headless)."""

    def __init__(
        self,
        plan: SweepPlan,
        results: ResultsFile,
        finished: dict[str, CellResult],
        *,
        jobs: int,
        client: Any = None,
    ) -> None:
        self.plan, self.results = plan, results
        self.jobs, self.client = jobs, client
        self.stop_event = threading.Event()
        self.runner = RowRunner()
        self.collector = Collector(plan, results, finished)
        first = plan.session_config(plan.cells()[0])
        if jobs == 1 and client is None and worth_prefetching(first):
            # the data of the first rows is ready when torch is; workers prepare their own
            self.runner.prefetch(plan, rows_of(self.collector.pending()))
        self.ended: str | None = None
        self.error: str | None = None
        self.on_end: Callable[[], None] | None = None  # in the sweep's thread, the clock stopped
        self._thread: threading.Thread | None = None

    def run(self) -> str:
        try:
            self.ended = execute(
                self.collector,
                jobs=self.jobs,
                client=self.client,
                stop=self.stop_event,
                runner=self.runner,
            )
        except Exception as error:
            from normtui.engine.errors import one_line

            self.error, self.ended = one_line(error), "error"
        finally:
            self.collector.progress.end()
            self.runner.close()
            if self.client is not None:
                with contextlib.suppress(Exception):
                    self.client.close(timeout=10)
            if self.on_end is not None:
                self.on_end()
        return self.ended

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="normtui-sweep", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.runner.stop()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()


def resumed_job(path: str, *, jobs: int, scheduler: str | None) -> SweepJob:
    """A job that continues the results file at `path`: its plan and finished cells, appended
    to (`--resume`, and the matrix again after a cell's dashboard)."""
    from normtui.engine.sweep.run import connect, read_results

    plan, finished = read_results(path)
    client = connect(scheduler) if scheduler else None
    results = ResultsFile(path, plan, append=True)
    return SweepJob(plan, results, finished, jobs=jobs, client=client)


def resume_hint(job: SweepJob) -> str:
    progress = job.collector.progress
    path = job.results.path
    return (
        f"{progress.done}/{progress.total} cells kept in {path};"
        f" resume with: normtui sweep --resume {shlex.quote(path)}"
    )


def _to_go(job: SweepJob) -> str:
    """The cells left, counted as the `[i/M cells` counter counts them (raw baselines too)."""
    progress = job.collector.progress
    left = progress.total - progress.done
    trained = len(job.collector.pending())
    baselines = f", {left - trained} of them raw baselines" if left > trained else ""
    return f"{left} of {progress.total} cells to go{baselines}"


def run_headless_sweep(job: SweepJob, *, output: str, metric: str) -> int:
    """Train every pending cell, one progress line per cell on stderr, the report on stdout."""
    signalled: list[str] = []

    def on_signal(name: str) -> None:
        signalled.append(name)
        job.stop()

    def on_result(result: CellResult) -> None:
        view = cell_view(result, "accuracy")
        said = view.detail or view.text
        safe_write(
            sys.stderr,
            f"[{job.collector.progress.line()}] {result.cell.label()}: {said}\n",
        )

    job.collector.on_result = on_result
    previous = install_stop_handlers(on_signal)
    try:
        safe_write(
            sys.stderr,
            f"normtui sweep: {_to_go(job)} ({job.collector.progress.done} already in"
            f" {job.results.path})\n",
        )
        job.run()
    finally:
        restore_handlers(previous)
        job.results.close()
    return _finish(job, output=output, metric=metric, signalled=signalled)


def _finish(job: SweepJob, *, output: str, metric: str, signalled: list[str]) -> int:
    plan, finished = job.plan, job.collector.finished
    ended = signalled[0] if signalled else (job.ended or "stopped")
    if output == "json":
        safe_write(sys.stdout, json_report(plan, finished, path=job.results.path, ended=ended))
    elif output == "csv":
        safe_write(sys.stdout, csv_report(plan, finished))
    else:
        safe_write(sys.stdout, text_report(plan, finished, metric, markdown=output == "markdown"))
    if job.error:
        safe_write(sys.stderr, f"normtui: error: {job.error}\n")
        return 1
    if signalled or job.ended == "stopped":
        name = signalled[0] if signalled else "stopped"
        safe_write(sys.stderr, f"normtui: sweep interrupted ({name}): {resume_hint(job)}\n")
        return SIGNAL_EXIT_CODES.get(name, 130)
    safe_write(sys.stderr, f"normtui: results: {job.results.path}\n")
    if job.collector.errors:
        failed = job.collector.errors[0]
        safe_write(
            sys.stderr,
            f"normtui: error: {len(job.collector.errors)} cell(s) failed, e.g."
            f" {failed.cell.label()}: {failed.error}; {resume_hint(job)}\n",
        )
        return 1
    return 0


def run_screen_sweep(job: SweepJob, *, metric: str, theme: str) -> int:
    """The live matrix, and the dashboard of any cell opened from it, in one app; returns the
    exit code. What is for the terminal is printed once, after the screen is gone."""
    from normtui.tui.sweep_app import CellFinished, SweepApp, SweepEnded
    from normtui.tui.theme_loader import resolve_theme

    chosen, theme_error = resolve_theme(theme)
    progress = job.collector.progress
    app = SweepApp(
        job.plan,
        job.collector.finished,
        progress=progress.snapshot(),
        theme=chosen,
        theme_error=theme_error,
        metric=metric,
        open_cell=lambda cell: open_cell(job.plan, cell),
        on_stop=job.stop,
        on_start=job.start,
    )

    # the sweep's thread posts, and only copies: it goes on writing `progress`
    def post_result(result: CellResult) -> None:
        app.post_message(CellFinished(result, progress.snapshot()))

    def post_end() -> None:
        app.post_message(SweepEnded(progress.snapshot()))

    job.collector.on_result = post_result
    job.on_end = post_end
    try:
        app.run()
    finally:
        job.stop()
        job.join(30)
        job.results.close()
    for line in app.notes:
        safe_write(sys.stderr, line + "\n")
    if job.error:
        safe_write(sys.stderr, f"normtui: error: {job.error}\n")
        return 1
    if not job.collector.complete:
        safe_write(sys.stderr, f"normtui: sweep stopped: {resume_hint(job)}\n")
    else:
        safe_write(sys.stderr, f"normtui: results: {job.results.path}\n")
    return app.return_code or 0


def open_cell(plan: SweepPlan, cell: Cell) -> tuple[CellSession, DashboardState]:
    """Enter on a cell: its exact configuration as a live session (not started yet), logged
    like any dashboard session; the lines it leaves for the terminal come back from `close`."""
    from normtui.tui.cli_options import UI_DEFAULT_PACE, default_log_path
    from normtui.tui.dashboard import LiveRun
    from normtui.tui.sweep_app import CellSession
    from normtui.tui.viewstate.state import DashboardState

    config = plan.dashboard_config(cell, pace=UI_DEFAULT_PACE)
    state = DashboardState(config)
    warnings: list[str] = []  # said at exit: nothing may print over the screen
    run = LiveRun(config, log_path=default_log_path(config, warn=warnings.append))

    def close(reason: str) -> list[str]:
        run.close(reason)
        return warnings + run.notes()

    return CellSession(run.source, close, run.log_path), state
