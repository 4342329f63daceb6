"""How `train`'s tables write a cell: a share, a number, a mean ± the seeds' spread."""

from __future__ import annotations

import math
import statistics

from normtui.engine.divergence import compact
from normtui.engine.fold import RunFold
from normtui.engine.numbers import plus_minus


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def number(value: float | None, digits: int = 4) -> str:
    """Fixed decimals for everyday values; 1.51e21, not 22 digits, for a runaway loss."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if abs(value) >= 1e9:  # a runaway loss: 1.51e21, not 22 digits
        return compact(value)
    if abs(value) >= 1000:  # a loss in a price's units²: digits after the point say nothing
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _sd(values: list[float]) -> float | None:
    """The sample standard deviation over the members (None below two)."""
    finite = [v for v in values if math.isfinite(v)]
    return statistics.stdev(finite) if len(finite) >= 2 else None


def spread(run: RunFold, values: list[float], text: str, scale: float, digits: int) -> str:
    """`text` (the run's mean), or with several seeds the mean ± the members' standard
    deviation, both to two significant digits of the deviation (engine/numbers.py): 3,120 ± 220,
    76% ± 12, 6.5e10 ± 5.7e10 (issue 25: `3,118 ± 219.0243`)."""
    if text == "-" or run.count < 2:
        return text
    sd = _sd(values)
    finite = [v for v in values if math.isfinite(v)]
    if sd is None or not finite:
        return text
    shown = plus_minus(statistics.fmean(finite) * scale, sd * scale)
    if text.endswith("%"):  # a share: the mean's percent sign stays on the mean
        mean_text, _, spread_text = shown.partition(" ± ")
        return f"{mean_text}% ± {spread_text}" if spread_text else f"{mean_text}%"
    return shown
