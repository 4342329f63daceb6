"""The signals that end a session, and the exit code each one gives (128 + its number).

Shared by `normtui train` (plain `signal` handlers) and the dashboard (event-loop handlers), so a
script sees the same code whichever was running.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

SIGNAL_EXIT_CODES = {"SIGHUP": 129, "SIGTERM": 143, "SIGINT": 130}


def install_stop_handlers(on_signal: Callable[[str], None]) -> dict[int, Any]:
    """Route SIGINT/SIGTERM/SIGHUP to `on_signal(name)`; returns the previous handlers.

    A signal the parent set to be ignored stays ignored: `nohup normtui train` must survive the
    SSH connection dropping (nohup ignores SIGHUP), and `cmd &` in a script ignores SIGINT.
    """
    previous: dict[int, Any] = {}
    for name in SIGNAL_EXIT_CODES:
        number = getattr(signal, name, None)
        if number is None or signal.getsignal(number) == signal.SIG_IGN:
            continue
        previous[number] = signal.signal(number, lambda signum, frame, n=name: on_signal(n))
    return previous


def restore_handlers(previous: dict[int, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)


def safe_write(stream: Any, text: str) -> None:
    """Write to a terminal that may be gone (SIGHUP): losing the text is fine, crashing is not."""
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass
