"""Where a sweep's cells run, and the results file that keeps each one as it finishes.

Three executors behind one call, `execute(...)`: in this process (default), `--jobs N` worker
processes on this machine (concurrent.futures), or an existing Dask distributed cluster
(`--scheduler tcp://HOST:PORT`: `client.submit` per row, `as_completed`; a worker lost
mid-row is Dask's to retry on another worker). The unit of work is a row (rows.py): the
pending cells of one dataset and activation. Whatever runs them, each finished cell reaches
`on_result` once, in the calling thread, and the results file gets one flushed line for it.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import IO, Any

from normtui import __version__
from normtui.engine.checked import FieldTypeError, check_fields
from normtui.engine.config import ConfigError
from normtui.engine.errors import UsageError
from normtui.engine.sweep.plan import BASELINE, Cell, SweepPlan
from normtui.engine.sweep.results import CellResult
from normtui.engine.sweep.rows import Row, RowRunner, rows_of, run_row_task, spread

RESULTS_FORMAT = 1
POLL_S = 0.1  # how often a pool or cluster loop looks at the stop flag


class ResultsError(UsageError):
    """A results file that cannot be read, written or resumed."""


# -- the results file --------------------------------------------------------------------------


class ResultsFile:
    """JSONL: a header (format, normtui version, the plan), then one flushed line per cell."""

    def __init__(self, path: str, plan: SweepPlan, *, append: bool = False) -> None:
        self.path = path
        self.lines = 0
        try:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            self._file: IO[str] = open(path, "a" if append else "x", encoding="utf-8")  # noqa: SIM115
        except FileExistsError:
            raise ResultsError(
                f"results file {path} exists; resume it with --resume {path} or choose another"
            ) from None
        except OSError as error:
            raise ResultsError(f"cannot write results file {path}: {error.strerror}") from None
        if append:
            if self._file.tell() and not _ends_with_newline(path):
                self._write_raw("\n")  # a line cut short by a kill: start on a fresh line
        else:
            header = {
                "normtui_sweep": RESULTS_FORMAT,
                "version": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "plan": plan.to_dict(),
            }
            self._write_raw(json.dumps(header) + "\n")

    def _write_raw(self, text: str) -> None:
        self._file.write(text)
        self._file.flush()

    def write(self, result: CellResult) -> None:
        self._write_raw(json.dumps({"cell": result.to_dict()}, allow_nan=False) + "\n")
        self.lines += 1

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        if file.tell() == 0:
            return True
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldTypeError(name or "line", value, "an object")
    return value


def read_results(path: str) -> tuple[SweepPlan, dict[str, CellResult]]:
    """The plan and the finished cells of a results file (a last line cut short is skipped;
    a cell written twice counts once, the last line wins)."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        raise ResultsError(f"results file {path} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsError(f"cannot read results file {path}: {error}") from None
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if not isinstance(header, dict) or header.get("normtui_sweep") != RESULTS_FORMAT:
        raise ResultsError(f"{path} is not a normtui sweep results file")
    try:
        plan = SweepPlan.from_dict(header["plan"])
    except (ConfigError, KeyError, TypeError) as error:
        raise ResultsError(f"{path}: its plan cannot be used: {error}") from None
    results: dict[str, CellResult] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        try:
            result = CellResult.from_dict(_object(record, "")["cell"])
            check_fields(result)
        except KeyError as error:
            raise ResultsError(f"{path} line {number}: field {error.args[0]} is missing") from None
        except (TypeError, ValueError, AttributeError) as error:  # FieldTypeError: ValueError
            raise ResultsError(f"{path} line {number}: {error}") from None
        results[result.cell.key] = result
    return plan, results


# -- progress ----------------------------------------------------------------------------------


@dataclass
class Progress:
    """Cells done of all, the rate of this invocation, and an estimate of what is left.

    The estimate is per dataset: a digits cell costs ten times a wine cell, so the rate of the
    wine rows says nothing about digits. Each dataset is timed by its own finished cells (their
    share of their row's compute time); what is left of it costs as much per cell. A dataset
    with no finished cell yet is named as not timed instead of guessed at.
    """

    total: int
    done: int = 0
    started_s: float = field(default_factory=time.monotonic)
    finished_here: int = 0
    left: dict[str, int] = field(default_factory=dict)  # cells still to finish, per dataset
    timed: dict[str, tuple[int, float]] = field(default_factory=dict)  # cells, compute s
    ended_s: float | None = None  # the clock stops here: every cell done, or the sweep ended

    def snapshot(self) -> Progress:
        """A copy for another thread to read (the UI's): this one goes on changing in the
        sweep's thread, and iterating its dicts there raised "changed size during iteration"."""
        return replace(self, left=dict(self.left), timed=dict(self.timed))

    def end(self) -> None:
        """Stop the clock (idempotent): the rate then stays what it was, not decays."""
        if self.ended_s is None:
            self.ended_s = time.monotonic()

    @property
    def elapsed_s(self) -> float:
        return (self.ended_s or time.monotonic()) - self.started_s

    def add(self, dataset: str = "", seconds: float = 0.0, *, counted: bool = True) -> None:
        """A cell finished here (`seconds`: its share of its row's compute time); `counted`
        False: it already left `left` here (it failed first, then a retry finished it)."""
        self.done += 1
        self.finished_here += 1
        if counted:
            self.give_up(dataset)
        if seconds > 0 or dataset in self.timed:  # not a resumed row's baseline filled in
            cells, spent = self.timed.get(dataset, (0, 0.0))
            self.timed[dataset] = (cells + 1, spent + seconds)
        if self.done >= self.total:
            self.end()

    def give_up(self, dataset: str) -> None:
        """A cell that will not be trained again in this invocation (finished, or failed)."""
        if dataset in self.left:
            self.left[dataset] = max(0, self.left[dataset] - 1)

    @property
    def cells_per_s(self) -> float | None:
        elapsed = self.elapsed_s
        return self.finished_here / elapsed if self.finished_here and elapsed > 0 else None

    def untimed(self) -> list[str]:
        """Datasets with cells left and none finished here yet."""
        return [name for name, count in self.left.items() if count and name not in self.timed]

    @property
    def eta_s(self) -> float | None:
        """Seconds left for the timed datasets' cells (None before any cell has finished)."""
        elapsed = self.elapsed_s
        spent = sum(seconds for _, seconds in self.timed.values())
        if not self.finished_here or elapsed <= 0 or spent <= 0:
            return None
        compute_per_s = spent / elapsed  # above 1 with several workers
        left = sum(
            self.left.get(name, 0) * seconds / cells
            for name, (cells, seconds) in self.timed.items()
        )
        return left / compute_per_s

    def line(self) -> str:
        rate = self.cells_per_s
        parts = [f"{self.done}/{self.total} cells"]
        if rate is not None:
            parts.append(f"{rate:.2f} cells/s")
        if self.ended_s is not None and self.finished_here:
            parts.append(f"took {_duration(self.elapsed_s)}")
        eta = self.eta_s
        if eta is not None and self.done < self.total and self.ended_s is None:
            untimed = self.untimed()
            if not untimed:
                parts.append(f"ETA {_duration(eta)}")
            else:
                names = untimed[0] if len(untimed) == 1 else f"{len(untimed)} datasets"
                known = f">{_duration(eta)}" if round(eta) else "?"
                parts.append(f"ETA {known} ({names} not timed yet)")
        return ", ".join(parts)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# -- the collector: results, baselines, the file ------------------------------------------------


class Collector:
    """Receives finished cells (each once), fills in the row's baseline cell, writes the file."""

    def __init__(
        self,
        plan: SweepPlan,
        results: ResultsFile | None,
        finished: dict[str, CellResult],
        on_result: Callable[[CellResult], None] | None = None,
    ) -> None:
        self.plan = plan
        self.file = results
        self.finished = dict(finished)
        self.on_result = on_result
        done = sum(1 for result in finished.values() if result.error is None)
        self.progress = Progress(total=len(plan.cells()), done=done)
        self._settled: set[str] = set()  # cells that reached `add` in this invocation
        for cell in plan.cells():
            if cell.key not in finished or finished[cell.key].error is not None:
                left = self.progress.left
                left[cell.dataset] = left.get(cell.dataset, 0) + 1
        self.errors: list[CellResult] = []

    def fill_baselines(self) -> None:
        """Baseline cells a resumed file lacks, from the finished cells of their rows."""
        if BASELINE not in self.plan.scalers:
            return
        for result in list(self.finished.values()):
            baseline = Cell(result.cell.dataset, result.cell.activation, BASELINE)
            trained = result.error is None and result.normalized is not None
            if trained and baseline.key not in self.finished:
                self._keep(result.baseline())

    def pending(self) -> list[Cell]:
        """The cells still to train, in grid order (failed cells are tried again)."""
        return [cell for cell in self.plan.work() if cell.key not in self.finished]

    def add(self, result: CellResult) -> None:
        if result.cell.key in self.finished and self.finished[result.cell.key].error is None:
            return  # Dask may finish a cell twice after a lost worker: it counts once
        self._keep(result)
        if result.error is not None:
            self.errors.append(result)
            return
        baseline = Cell(result.cell.dataset, result.cell.activation, BASELINE)
        wanted = BASELINE in self.plan.scalers and baseline.key not in self.finished
        if wanted and result.normalized is not None:
            self._keep(result.baseline())

    def _keep(self, result: CellResult) -> None:
        key = result.cell.key
        previous = self.finished.get(key)
        self.finished[key] = result
        if self.file is not None:
            self.file.write(result)
        first_here = key not in self._settled  # a cell retried by Dask reaches here twice
        self._settled.add(key)
        if result.error is None and (previous is None or previous.error is not None):
            self.progress.add(result.cell.dataset, result.seconds, counted=first_here)
        elif result.error is not None and first_here:
            self.progress.give_up(result.cell.dataset)
        if self.on_result is not None:
            self.on_result(result)

    @property
    def complete(self) -> bool:
        return all(
            key in self.finished and self.finished[key].error is None
            for key in (cell.key for cell in self.plan.cells())
        )


# -- executors ---------------------------------------------------------------------------------


def execute(
    collector: Collector,
    *,
    jobs: int = 1,
    client: Any = None,
    stop: threading.Event,
    runner: RowRunner | None = None,
) -> str:
    """Run every pending cell; "completed", or "stopped" when `stop` was set."""
    collector.fill_baselines()
    rows = rows_of(collector.pending())
    if not rows:
        return "completed"
    if client is not None:
        workers = sum(client.nthreads().values()) or 1
        return _on_dask(collector, spread(rows, workers), client, stop)
    if jobs > 1:
        return _in_processes(collector, spread(rows, jobs), jobs, stop)
    return _in_process(collector, rows, stop, runner or RowRunner())


def _in_process(
    collector: Collector, rows: Sequence[Row], stop: threading.Event, runner: RowRunner
) -> str:
    for row in rows:
        if stop.is_set():
            return "stopped"
        results = runner.run(collector.plan, row)
        if results is None:
            return "stopped"
        for result in results:
            collector.add(result)
    return "stopped" if stop.is_set() else "completed"


def _process_init(stop: Any, threads: int) -> None:
    """A worker process: Ctrl+C is the parent's to handle; `stop` ends the row in progress;
    torch uses its share of the cores (`threads`; set before torch is imported)."""
    import signal

    os.environ["OMP_NUM_THREADS"] = str(threads)

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        stop.wait()
        from normtui.engine.sweep import rows

        if rows._WORKER_RUNNER is not None:
            rows._WORKER_RUNNER.stop()

    threading.Thread(target=watch, name="normtui-sweep-stop", daemon=True).start()


def _in_processes(
    collector: Collector, rows: Sequence[Row], jobs: int, stop: threading.Event
) -> str:
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    stop_workers = context.Event()
    plan = collector.plan.to_dict()
    executor = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_process_init,
        initargs=(stop_workers, max(1, (os.cpu_count() or 1) // jobs)),
    )
    futures: dict[Future, Row] = {}
    try:
        futures = {executor.submit(run_row_task, plan, row.to_dict()): row for row in rows}
        pending = set(futures)
        while pending:
            if stop.is_set():
                return "stopped"
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                _take(collector, futures[future], future)
        return "stopped" if stop.is_set() else "completed"
    finally:
        stop_workers.set()
        executor.shutdown(wait=True, cancel_futures=True)


def _take(collector: Collector, row: Row, future: Any) -> None:
    """A finished future's results into the collector; a failure becomes each cell's error."""
    try:
        values = future.result()
    except Exception as error:  # a worker process died, or Dask gave up on the row
        for cell in row.cells:
            collector.add(
                CellResult(
                    cell=cell, seeds=(), epochs=collector.plan.epochs, error=_one_line(error)
                )
            )
        return
    for result in values or ():
        collector.add(CellResult.from_dict(result))


def _one_line(error: BaseException) -> str:
    from normtui.engine.errors import one_line

    return one_line(error)


DASK_CONNECT_TIMEOUT_S = 10


def connect(address: str) -> Any:
    """A Dask client of the cluster at `address`; ResultsError (one line) when there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise ResultsError(
            "--scheduler needs the `distributed` package: pip install 'normtui[cluster]'"
        ) from None
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split())[:200]
        raise ResultsError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


def _on_dask(collector: Collector, rows: Sequence[Row], client: Any, stop: threading.Event) -> str:
    from distributed import as_completed

    plan = collector.plan.to_dict()
    # GPU rows only on workers that declare one (dask worker --resources GPU=1).
    resources = {"GPU": 1} if collector.plan.device == "cuda" else None
    futures: dict[str, Row] = {}
    submitted = []
    try:
        for row in rows:
            future = client.submit(
                run_row_task,
                plan,
                row.to_dict(),
                pure=False,
                resources=resources,
                key=f"normtui-row-{row.cells[0].key}-{os.getpid()}-{time.time_ns()}",
            )
            futures[future.key] = row
            submitted.append(future)
        finished = as_completed(submitted, loop=client.loop)
        while not finished.is_empty():
            if stop.is_set():
                return "stopped"
            if not finished.has_ready():
                time.sleep(POLL_S)
                continue
            for future in finished.next_batch(block=False):
                _take(collector, futures[future.key], future)
        return "stopped" if stop.is_set() else "completed"
    finally:
        with contextlib.suppress(Exception):
            client.cancel(submitted, force=True)
        with contextlib.suppress(Exception):
            client.close(timeout=10)
