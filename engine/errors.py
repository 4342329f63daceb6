"""The two ways a session fails: the user's input is wrong (exit 2), or something broke (exit 1).

Either way the terminal gets one line (`normtui: error: ...`), never a traceback. Pure stdlib, so
the CLI, the log viewers and the engine share it without importing torch.
"""

from __future__ import annotations

MAX_LINE_CHARS = 300  # a message longer than this is cut: it must not flood the terminal


class UsageError(ValueError):
    """Bad input (an option, a dataset, a log file): its message is one line for the terminal."""


def one_line(error: BaseException, label: str | None = None) -> str:
    """`Label: message` on one line, for a failure that is not the user's (label: its type)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{label or type(error).__name__}: {text}"[:MAX_LINE_CHARS]
