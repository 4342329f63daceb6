"""Prepare a session's data in a child process while this process imports torch.

Importing torch (~1.1 s) and scikit-learn (~1 s) one after the other is most of the time from
`normtui` to the first plotted epoch. Both imports are mostly Python bytecode, so two threads
only take turns on the GIL; a child process runs on another core. The child loads the dataset,
splits it and fits the scaler per member with the same `data.prepare_members` the trainer would
call, and sends the arrays back pickled; this process then never imports scikit-learn at all.

The child has its own session (no terminal signals reach it), is killed on stop, and exits by
itself within 0.1 s of its parent's death (a parent killed before it could stop the child: a
signal before the UI installed its handlers, or `os._exit`). Anything
unexpected (no interpreter, a crash, garbled output) makes `result` return None and the caller
prepares the data in-process, which gives the same arrays; a user error (`ConfigError`, e.g. a
bad CSV) is raised as if `prepare` had been called here.

The child's stdout is a stream of pickles: zero or more ("progress", LoadProgress) while a file
is read (one per chunk of rows, so a few a second at most), then one ("ok" | "error" |
"failed", value). A reader thread here takes them off the pipe as they come and hands each
progress report to the callback given to `report_to` at once, while torch is still importing.

`DataStream` does the same for a sweep: one child prepares every dataset × scaler of the grid
in the order the rows will train, and writes (index, answer) per config.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from normtui.engine.config import SCALERS, ConfigError, SessionConfig

if TYPE_CHECKING:
    from normtui.engine.data.dataset import PreparedData
    from normtui.engine.table import LoadProgress

POLL_S = 0.05  # how often a wait for the child checks for a stop request
PARENT_POLL_S = 0.1  # how often the child checks that its parent still lives
_CHILD_CODE = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from normtui.engine.prefetch import child_main; child_main()"
)


class DataPrefetch:
    """`prepare_members(config)` running in a child process; `result` waits for its answer."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._closed = False
        self._progress: LoadProgress | None = None  # the latest the child sent
        self._on_progress: Callable[[LoadProgress], None] | None = None
        self._progress_lock = threading.Lock()  # reports handed on one at a time, in order
        self._outcome: Any = None  # the child's last message, once read
        self._answered = threading.Event()  # the outcome was read, or the stream ended
        threading.Thread(target=self._read, name="normtui-prefetch-reader", daemon=True).start()

    def _read(self) -> None:
        """Take the child's messages off the pipe as they come (it must never fill up)."""
        try:
            assert self._process.stdout is not None
            while True:
                message = pickle.load(self._process.stdout)
                if isinstance(message, tuple) and message[:1] == ("progress",):
                    with self._progress_lock:
                        self._progress = message[1]
                        self._hand_on(message[1])
                    continue
                self._outcome = message
                break
        except Exception:  # end of stream, garbled, or closed by close(): no outcome
            pass
        finally:
            self._answered.set()

    def _hand_on(self, progress: LoadProgress) -> None:
        if self._on_progress is not None:
            with contextlib.suppress(Exception):  # a failing sink must not lose the data
                self._on_progress(progress)

    def report_to(self, on_progress: Callable[[LoadProgress], None]) -> None:
        """Call `on_progress` (from the reader thread) with every progress report from now on,
        and with the latest one at once. Every call comes before `result` returns."""
        with self._progress_lock:
            self._on_progress = on_progress
            if self._progress is not None:
                self._hand_on(self._progress)

    @classmethod
    def start(cls, config: SessionConfig) -> DataPrefetch | None:
        """Start the child; None if it cannot be started."""
        process = _spawn(config)
        return cls(process) if process is not None else None

    def result(self, cancel: threading.Event) -> tuple[PreparedData, ...] | None:
        """Each member's prepared data, or None (stop requested, or prepare in-process instead).

        Raises the child's `ConfigError` (a user error) unchanged.
        """
        while True:
            if self._closed:  # stopped from another thread
                return None
            if cancel.is_set():
                self.close()
                return None
            if self._answered.is_set():
                try:
                    self._process.wait(timeout=POLL_S)  # it exits as soon as it has written
                    break
                except subprocess.TimeoutExpired:
                    continue
            self._answered.wait(POLL_S)
        if self._process.returncode != 0:
            return None
        return _members(self._outcome)

    def close(self) -> None:
        """Kill the child if it still runs (idempotent)."""
        self._closed = True
        _kill(self._process)
        self._answered.wait(5.0)  # the reader sees the end of the stream at once
        if self._process.stdout is not None:
            self._process.stdout.close()


class DataStream:
    """`prepare_members` for several configs in one child process, one after the other, while
    this process imports torch and trains (a sweep: each dataset's scalers, dataset by dataset).

    The first dataset's configs are prepared at once and `take` waits for them: they are ready
    about when torch is. The child then lowers itself to SCHED_IDLE and prepares the rest on
    what training leaves idle (at normal priority its work slowed the first wine row from 0.45 to
    1.4 s: training's threads wait for each other). `take` does not wait for those: one not
    ready yet gives None and is prepared here, so a busy machine never stalls the sweep.

    Configs are taken in the order given; one not asked for is dropped when a later one is
    taken. What the child prepared is kept until taken, at most one dataset ahead of the one
    being taken: for datasets whose rows fit in memory twice over (the presets).
    """

    def __init__(self, process: subprocess.Popen[bytes], configs: Sequence[SessionConfig]) -> None:
        self._process = process
        self._configs = list(configs)
        ordinals: dict[SessionConfig, int] = {}  # the datasets in order: 0, 1, ...
        self._dataset_of = [
            ordinals.setdefault(_dataset_key(config), len(ordinals)) for config in self._configs
        ]
        self._urgent = self._dataset_of.count(0)  # the first dataset's configs: waited for
        self._next = 0  # configs before this one were taken or dropped
        self._outcomes: dict[int, Any] = {}  # index -> the child's answer, until taken
        self._changed = threading.Condition()
        self._ended = False  # the stream ended (all sent, the child died, or closed)
        self._closed = False
        threading.Thread(target=self._read, name="normtui-prefetch-stream", daemon=True).start()

    @classmethod
    def start(cls, configs: Sequence[SessionConfig]) -> DataStream | None:
        """Start the child; None if there is nothing to prepare or it cannot be started."""
        if not configs:
            return None
        process = _spawn(list(configs))
        return cls(process, configs) if process is not None else None

    def _read(self) -> None:
        """Take the answers off the pipe, at most one dataset ahead of the one being taken (the
        child then waits on the full pipe): memory holds two datasets' data, not the grid's."""
        last = len(self._configs) - 1
        coming = 0  # the index of the next answer (they come in order)
        try:
            assert self._process.stdout is not None
            while True:
                with self._changed:
                    while not self._closed and (
                        self._dataset_of[min(coming, last)]
                        > self._dataset_of[min(self._next, last)] + 1
                    ):
                        self._changed.wait()
                index, outcome = pickle.load(self._process.stdout)
                coming = index + 1
                with self._changed:
                    if index >= self._next:
                        self._outcomes[index] = outcome
                    self._changed.notify_all()
        except Exception:  # end of stream, garbled, or closed by close()
            pass
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def take(
        self, config: SessionConfig, cancel: threading.Event
    ) -> tuple[PreparedData, ...] | None:
        """`config`'s data, or None (not in the stream, not ready after the first dataset,
        stopped, or the child failed: prepare it here). Raises the child's `ConfigError` (a user
        error) unchanged."""
        try:
            index = self._configs.index(config, self._next)
        except ValueError:
            return None
        with self._changed:
            while index < self._urgent and index not in self._outcomes and not self._ended:
                if cancel.is_set():
                    return None
                self._changed.wait(POLL_S)
            outcome = self._outcomes.pop(index, None)
            for dropped in range(self._next, index):
                self._outcomes.pop(dropped, None)
            self._next = index + 1
            self._changed.notify_all()  # the reader may read further ahead now
        return _members(outcome)

    def close(self) -> None:
        """Kill the child if it still runs (idempotent); nothing more is given."""
        _kill(self._process)
        with self._changed:
            self._closed = True
            self._next = len(self._configs)
            self._outcomes.clear()
            self._changed.notify_all()
        if self._process.stdout is not None:
            with contextlib.suppress(OSError):
                self._process.stdout.close()


def _members(outcome: Any) -> tuple[PreparedData, ...] | None:
    """The data in a child's ("ok", members) answer; raises its ("error", ConfigError); None
    for anything else (the caller prepares in-process)."""
    from normtui.engine.data.dataset import PreparedData  # numpy: not before the UI's first frame

    if not isinstance(outcome, tuple) or len(outcome) != 2:
        return None
    status, value = outcome
    if status == "error" and isinstance(value, ConfigError):
        raise value
    if status != "ok" or not isinstance(value, tuple):
        return None
    return value if all(isinstance(data, PreparedData) for data in value) else None


def _spawn(job: SessionConfig | list[SessionConfig]) -> subprocess.Popen[bytes] | None:
    """A child running `child_main` on `job`; None if it cannot be started."""
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", "-c", _CHILD_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except (OSError, ValueError):
        return None
    try:
        assert process.stdin is not None
        payload = pickle.dumps(list(sys.path)) + pickle.dumps((os.getpid(), job))
        process.stdin.write(payload)  # a few KB at most: fits the pipe, never blocks
        process.stdin.close()
    except (OSError, pickle.PicklingError):
        process.kill()
        process.wait()
        return None
    return process


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def worth_prefetching(config: SessionConfig) -> bool:
    """Whether a child pays, and can read what this process can.

    With scikit-learn already imported (tests, a notebook), preparing here takes milliseconds.
    A CSV path that is not a regular file (`<(cmd)`, a pipe) may be readable only here.
    """
    if "sklearn" in sys.modules:
        return False
    return not config.csv_path or os.path.isfile(config.csv_path)


def _exit_with(parent: int) -> None:
    """Exit as soon as `parent` is gone (it was killed without stopping this process)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="normtui-prefetch-parent", daemon=True).start()


def child_main() -> None:
    """In the child: read (parent pid, job) from stdin. A job of one SessionConfig writes
    progress reports, then ("ok" | "error" | "failed", value); a list of them writes
    (index, that answer) per config, in order, loading each dataset once."""
    parent, job = pickle.load(sys.stdin.buffer)
    _exit_with(parent)

    def send(message: tuple[object, object]) -> None:
        # Straight into the pipe: no bytes object the size of the arrays (550 MB for 1M x 50).
        pickle.dump(message, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()

    if isinstance(job, list):
        datasets: dict[SessionConfig, Any] = {}
        for index, config in enumerate(job):
            if index and _dataset_key(config) != _dataset_key(job[0]):
                _idle()  # the first dataset is ready: from now on, only what training leaves
            send((index, _prepare(config, datasets=datasets)))
        return
    send(_prepare(job, progress=lambda report: send(("progress", report))))


def _dataset_key(config: SessionConfig) -> SessionConfig:
    """What loading the dataset depends on: configs with the same key share one load."""
    return config.replace(scaler=SCALERS[0], seed=0, seeds=1)


def _idle() -> None:
    """Run this process only on cores nothing else wants (Linux SCHED_IDLE; no-op elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _prepare(
    config: SessionConfig,
    *,
    datasets: dict[SessionConfig, Any] | None = None,
    progress: Callable[[LoadProgress], None] | None = None,
) -> tuple[str, object]:
    """`prepare_members(config)` as the child's answer; `datasets` keeps each loaded dataset."""
    # numpy and, to load a preset or fit, scikit-learn
    from normtui.engine.data.load import load_dataset
    from normtui.engine.data.prepare import prepare_members

    try:
        dataset = None
        if datasets is not None:
            key = _dataset_key(config)
            if key not in datasets:
                datasets.clear()  # one dataset at a time
                datasets[key] = load_dataset(config)
            dataset = datasets[key]
        return ("ok", prepare_members(config, dataset, progress=progress))
    except ConfigError as error:
        return ("error", error)
    except Exception as error:  # the parent prepares in-process and reports it properly
        return ("failed", repr(error))
