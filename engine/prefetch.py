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
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from normtui.engine.config import ConfigError, SessionConfig

if TYPE_CHECKING:
    from normtui.engine.data import PreparedData
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
            payload = pickle.dumps(list(sys.path)) + pickle.dumps((os.getpid(), config))
            process.stdin.write(payload)
            process.stdin.close()  # a few hundred bytes: fits the pipe, never blocks
        except (OSError, pickle.PicklingError):
            process.kill()
            process.wait()
            return None
        return cls(process)

    def result(self, cancel: threading.Event) -> tuple[PreparedData, ...] | None:
        """Each member's prepared data, or None (stop requested, or prepare in-process instead).

        Raises the child's `ConfigError` (a user error) unchanged.
        """
        from normtui.engine.data import PreparedData  # numpy: not before the UI's first frame

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
        if self._process.returncode != 0 or not isinstance(self._outcome, tuple):
            return None
        status, value = self._outcome
        if status == "error" and isinstance(value, ConfigError):
            raise value
        if status != "ok" or not isinstance(value, tuple):
            return None
        return value if all(isinstance(data, PreparedData) for data in value) else None

    def close(self) -> None:
        """Kill the child if it still runs (idempotent)."""
        self._closed = True
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._answered.wait(5.0)  # the reader sees the end of the stream at once
        if self._process.stdout is not None:
            self._process.stdout.close()


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
    """In the child: read (parent pid, SessionConfig) from stdin, write ("ok" | "error", value)."""
    parent, config = pickle.load(sys.stdin.buffer)
    _exit_with(parent)
    from normtui.engine.data import (
        prepare_members,  # numpy and, when it loads a preset or fits, scikit-learn
    )

    def send(message: tuple[str, object]) -> None:
        # Straight into the pipe: no bytes object the size of the arrays (550 MB for 1M x 50).
        pickle.dump(message, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()

    try:
        outcome: tuple[str, object] = (
            "ok",
            prepare_members(config, progress=lambda report: send(("progress", report))),
        )
    except ConfigError as error:
        outcome = ("error", error)
    except Exception as error:  # the parent prepares in-process and reports it properly
        outcome = ("failed", repr(error))
    send(outcome)
