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
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

from normtui.engine.config import ConfigError, SessionConfig

if TYPE_CHECKING:
    from normtui.engine.data import PreparedData

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
            process.stdin.flush()  # a few hundred bytes: fits the pipe, never blocks
            # (communicate() closes stdin later; the child reads two pickles, not to EOF)
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
            try:
                output, _ = self._process.communicate(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                if cancel.is_set():
                    self.close()
                    return None
            except (OSError, ValueError):  # closed under us
                return None
        if self._process.returncode != 0:
            return None
        try:
            status, value = pickle.loads(output)
        except Exception:  # truncated or garbled: not worth more than a fallback
            return None
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

    try:
        outcome: tuple[str, object] = ("ok", prepare_members(config))
    except ConfigError as error:
        outcome = ("error", error)
    except Exception as error:  # the parent prepares in-process and reports it properly
        outcome = ("failed", repr(error))
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
