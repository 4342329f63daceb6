"""Small text helpers shared by the widgets: numbers, bars and sparklines as markup."""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.markup import escape

from normtui.engine.divergence import RUNAWAY_MULTIPLE
from normtui.engine.events import RUN_NAMES
from normtui.engine.numbers import num

SPARK = " ▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉█"
RUN_TITLES = {name: f"{name} inputs" for name in RUN_NAMES}
STATUS_STYLE = {
    "loading": ("◌", "$text-muted"),
    "running": ("●", "$success"),
    "paused": ("❚❚", "$warning"),
    "finished": ("■", "$primary"),
    "stopped": ("■", "$text-muted"),
    "end of log": ("■", "$text-muted"),
    "diverged": ("✖", "$error"),
    "failed": ("✖", "$error"),
}


def fmt_num(value: float | None, digits: int = 3) -> str:
    """Compact number: engine/numbers.py `num` (3 significant digits, 1,330, 8.87e10, −)."""
    return num(value, digits)


def divergence_text(loss: float | None, reference: float | None, epoch: int, *, short: bool) -> str:
    """Why a run is called diverged (engine/divergence.py), in a few words: its loss ran away
    past the stated multiple of its first epoch's, or it is not a number."""
    if loss is None or reference is None or not math.isfinite(loss):
        return f"loss {fmt_num(loss)} at e{epoch}"
    if short:
        return f"loss {fmt_num(loss)} ran away"
    return f"loss {fmt_num(loss)} > {RUNAWAY_MULTIPLE:,.0f}× e1"


def fmt_pct(fraction: float | None, digits: int = 1) -> str:
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{digits}f}%"


def fmt_lr(lr: float) -> str:
    return f"{lr:.0e}".replace("e-0", "e-") if lr < 0.01 else f"{lr:g}"


def fmt_pace(pace: float | None) -> str:
    return "unlimited" if pace is None else f"{pace:g}/s"


def status_badge(status: str) -> str:
    symbol, style = STATUS_STYLE.get(status, ("?", "$text"))
    return f"[{style}]{symbol} {status}[/]"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells filled to `fraction` with eighth-block precision."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full
    if full < width:
        text += EIGHTHS[part] if part else ""
    return text


def resample(counts: Sequence[int], width: int) -> list[int]:
    """Merge adjacent bins so the counts fit into `width` cells."""
    if width <= 0:
        return []
    if len(counts) <= width:
        return list(counts)
    merged = [0] * width
    for index, count in enumerate(counts):
        merged[index * width // len(counts)] += count
    return merged


def sparkline(counts: Sequence[int], *, log: bool = True) -> str:
    """Unicode block sparkline; log counts keep small bins visible next to a huge one."""
    if not counts:
        return ""
    scale = [math.log1p(c) if log else float(c) for c in counts]
    top = max(scale)
    if top <= 0:
        return " " * len(counts)
    chars = []
    for count, value in zip(counts, scale, strict=True):
        if count <= 0:
            chars.append(" ")
        else:
            chars.append(SPARK[max(1, round(value / top * (len(SPARK) - 1)))])
    return "".join(chars)


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


__all__ = [
    "RUN_TITLES",
    "bar",
    "divergence_text",
    "escape",
    "fmt_lr",
    "fmt_num",
    "fmt_pace",
    "fmt_pct",
    "resample",
    "sparkline",
    "status_badge",
    "truncate",
]


def fmt_r2(value: float | None) -> str:
    """R² with three decimals near its useful range; far below zero for a bad fit, three
    significant digits (−174, not -173.705), with the one minus sign fmt_num writes."""
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.3f}".replace("-", "−") if value > -10 else fmt_num(value)
