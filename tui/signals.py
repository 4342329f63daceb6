"""The signals that end a session, and the exit code each one gives (128 + its number).

Shared by `normtui train` and the headless sweep (plain `signal` handlers) and the apps
(event-loop handlers), so a script sees the same code whichever was running.

A signal the parent set to be ignored stays ignored either way: `nohup normtui train` must
survive the SSH connection dropping (nohup ignores SIGHUP), and `cmd &` in a script ignores
SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from typing import Any

SIGNAL_EXIT_CODES = {"SIGHUP": 129, "SIGTERM": 143, "SIGINT": 130}


def _catchable() -> Iterator[tuple[str, int]]:
    """(name, number) of each stopping signal this platform has and the parent did not ignore."""
    for name in SIGNAL_EXIT_CODES:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) != signal.SIG_IGN:
            yield name, number


def install_stop_handlers(on_signal: Callable[[str], None]) -> dict[int, Any]:
    """Route SIGINT/SIGTERM/SIGHUP to `on_signal(name)`; returns the previous handlers."""
    return {
        number: signal.signal(number, lambda signum, frame, n=name: on_signal(n))
        for name, number in _catchable()
    }


def install_loop_handlers(
    loop: asyncio.AbstractEventLoop, on_signal: Callable[[str], None]
) -> list[int]:
    """The same, run on `loop` (an app's: its handler may touch the UI); returns the numbers
    installed, for `remove_loop_handlers`. Outside the main thread nothing is installed."""
    installed = []
    for name, number in _catchable():
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, on_signal, name)
            installed.append(number)
    return installed


def remove_loop_handlers(loop: asyncio.AbstractEventLoop, numbers: list[int]) -> None:
    for number in numbers:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(number)


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
