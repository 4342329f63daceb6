"""One way to write a number, for every surface: the table, `--json`'s verdicts, the screen.

Issue 25 found six: `3,118 ± 219.0243`, `−8692 (95% CI −1.67e4 to −712)`, `(−741 to 46.8 ep)`,
`1.02e+03`, `e349.5`, `240000+60000 rows`. The rules here:
- one minus sign (−), digits grouped by thousands (3,118), an exponent only from a million or
  under a thousandth, written short (6.5e10, 1.2e-4: no `+`, no leading zeros);
- a number on its own: three significant digits (`num`);
- a number with a spread (a mean ± its standard deviation, an interval and its mean): written to
  the decimal place that shows the spread with two significant digits (`fixed`, `step_of`), so
  `3,118 ± 219.0243` is `3,120 ± 220` and `−8692 (−1.67e4 to −712)` is `−9,000 (−17,000 to
  −1,000)`: digits beyond what the spread allows say nothing.
Pure stdlib: engine and tui import it.
"""

from __future__ import annotations

import math

MINUS = "−"
BIG = 1e6  # from here on, an exponent (8.9e6)
SMALL = 1e-3  # under this (and not 0), an exponent (4.2e-4)


def _exponent(magnitude: float, decimals: int) -> str:
    mantissa, exponent = f"{magnitude:.{decimals}e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", MINUS)  # 2.50e−4: one minus sign


def _signed(text: str, negative: bool, plus: bool) -> str:
    """`text` (a magnitude) with its sign; a magnitude that rounded to zero has none."""
    if not any(digit in text.split("e")[0] for digit in "123456789"):
        return text
    if negative:
        return MINUS + text
    return "+" + text if plus else text


def num(value: float | None, digits: int = 3, *, plus: bool = False) -> str:
    """A number on its own: `digits` significant digits (0.739, 18,118, 8.87e10, −1,330); "—"
    for None or NaN, ∞ for infinity. `plus`: a positive number gets its sign (a difference)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else MINUS + "∞"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= BIG or magnitude < SMALL:
        text = _exponent(magnitude, digits - 1)
    elif magnitude >= 10 ** (digits - 1):
        text = f"{magnitude:,.0f}"  # 1,330, not 1.33e+03
    else:
        text = f"{magnitude:.{digits}g}"
        if "e" in text:  # 9.995 rounds up to 10.0 -> "10", never "1e+01"
            text = f"{float(text):g}"
    return _signed(text, value < 0, plus)


def count(value: int) -> str:
    """A count of things: 240,000 (rows, epochs, cells)."""
    return f"{value:,}"


def epoch(value: float) -> str:
    """An epoch, or a median of epochs: a whole number (349.5 -> 350; epochs are whole)."""
    return f"{math.floor(value + 0.5):,}" if math.isfinite(value) else num(value)


def step_of(spread: float) -> float:
    """The decimal place (a power of ten) that shows `spread` with two significant digits:
    219 -> 10, 0.0182 -> 0.001, 1.9 -> 0.1; 0 or not finite -> 0 (no spread to go by)."""
    spread = abs(spread)
    if spread == 0 or not math.isfinite(spread):
        return 0.0
    return 10.0 ** (math.floor(math.log10(spread)) - 1)


def fixed(value: float | None, step: float, *, plus: bool = False) -> str:
    """`value` written to the decimal place `step` (from `step_of`): 3,120 for 3118 at 10;
    an exponent (with that many digits) from a million. No step: `num`'s three digits."""
    if value is None or not math.isfinite(value) or step <= 0:
        return num(value, plus=plus)
    magnitude = abs(value)
    place = math.floor(math.log10(step))
    if magnitude >= BIG or (magnitude != 0 and magnitude < SMALL and step < SMALL):
        digits = max(0, math.floor(math.log10(magnitude)) - place) if magnitude else 0
        return _signed(_exponent(magnitude, min(digits, 6)), value < 0, plus)
    decimals = max(0, -place)
    if magnitude:  # never more than six significant digits, whatever the spread
        decimals = min(decimals, max(0, 5 - math.floor(math.log10(magnitude))))
    rounded = round(magnitude / step) * step if place > 0 else magnitude
    return _signed(f"{rounded:,.{decimals}f}", value < 0, plus)


def plus_minus(mean: float, spread: float | None) -> str:
    """ "3,120 ± 220": a mean and its spread (a standard deviation), both to the spread's two
    significant digits; without a spread, the mean alone (`num`)."""
    if spread is None or not math.isfinite(spread) or spread == 0:
        return num(mean)
    step = step_of(spread)
    return f"{fixed(mean, step)} ± {fixed(spread, step)}"


def interval(low: float, high: float, *, plus: bool = True) -> tuple[str, str, float]:
    """Both ends of an interval, to two significant digits of its width; and that step, for the
    value it surrounds: (−17,000, −1,000, 1000.0) for −16,712 .. −712."""
    step = step_of(high - low)
    return fixed(low, step, plus=plus), fixed(high, step, plus=plus), step


def difference(value: float, scale: float, step: float = 0.0) -> str:
    """+31, −1.2, +0.0083: a difference with its sign and 2–3 significant digits; with `step`
    (engine/numbers.py `step_of` an interval's width) to that decimal place, like its interval."""
    if step:
        return fixed(value * scale, step, plus=True)
    shown = value * scale
    if shown == 0:
        return "0"
    magnitude = abs(shown)
    if magnitude >= 10:
        digits = 0
    elif magnitude >= 1:
        digits = 1
    else:
        digits = 1 - math.floor(math.log10(magnitude))
    if magnitude < 1e4:
        text = f"{magnitude:.{digits}f}"
    else:  # a runaway: 5.34e34, not 5.34e+34 (compact, as fmt_num prints it)
        mantissa, exponent = f"{magnitude:.2e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    if float(text) == 0:
        return "0"
    return ("+" if shown > 0 else "−") + text


def ratio_text(log_ratio: float) -> str:
    """A log ratio as the ratio itself: 0.31×, 1.0×, 12×, 3.1e4×."""
    try:
        ratio = math.exp(log_ratio)
    except OverflowError:
        ratio = math.inf
    if ratio >= 1e4 or (0 < ratio < 1e-3):
        mantissa, exponent = f"{ratio:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}×"
    if 0.8 <= ratio <= 1.25:  # near 1, a third digit tells 0.99× from 1.01×
        return f"{ratio:.3g}×"
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:.0f}×"
