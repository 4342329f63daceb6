"""What the CLI's process tests share: the hang guard, a wait on a condition, the smallest
sweep grid (one iris cell)."""

from __future__ import annotations

import time
from collections.abc import Callable

GUARD_S = 120.0  # only stops a hang: every wait ends as soon as its condition holds

ONE_CELL = ["sweep", "--datasets", "iris", "--activations", "relu", "--scalers", "standard"]


def wait_until(condition: Callable[[], object], what: str, timeout: float = GUARD_S) -> None:
    """Poll `condition` every 0.1 s; fail with `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
