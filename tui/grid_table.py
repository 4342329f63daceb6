"""`normtui train --lrs`: one row per learning rate for each run, the band each run works in,
the rates chosen on the validation rows and the tuned verdict on the held-out test rows."""

from __future__ import annotations

import math

from normtui.engine.config import SessionConfig
from normtui.engine.events import RUN_NAMES
from normtui.engine.fold import RunFold
from normtui.engine.grid import band_text, rate_text
from normtui.engine.grid_fold import GridFold
from normtui.engine.numbers import epoch
from normtui.engine.statistics import goal_text, short
from normtui.tui.cells import number, percent, spread

CHOSEN = "*"


def _score(fold: RunFold, regression: bool) -> str:
    """The rate's mean val score ± the seeds' sd, with how many seeds diverged."""
    shown = number(fold.val_score) if regression else percent(fold.val_score)
    scale, digits = (1.0, 4) if regression else (100.0, 1)
    text = spread(fold, fold.values("val_score"), shown, scale, digits)
    if fold.diverged:
        text += f" ({fold.diverged}/{fold.count} div)" if fold.live() else " (all div)"
    return text


def _goal(fold: RunFold) -> str:
    if fold.epochs_to_goal is None:
        return f"never (0/{fold.count})" if fold.count else "-"
    return f"{epoch(fold.epochs_to_goal)} ({fold.reached}/{fold.count})"


def format_grid_table(grid: GridFold, config: SessionConfig) -> str:
    """The grid's table, bands, choice and verdicts (no title: `format_table` heads it)."""
    raw, norm = (grid.runs[name] for name in RUN_NAMES)
    regression = grid.regression
    started = grid.started
    n_val = started.n_val if started else 0
    score = "R²" if regression else "accuracy"
    goal_label = f"to {goal_text(grid.goal, regression, n_val)}"
    fixed = grid.fixed_rate()
    header = (
        "rate",
        f"raw val {score}",
        goal_label,
        f"{RUN_NAMES[1]} val {score}",
        goal_label,
        "same rate, val rows",
    )
    rows = [header]
    for r, rate in enumerate(raw.rates):
        verdict = short(fixed[r][0]) if r < len(fixed) else "-"
        rows.append(
            (
                rate_text(rate),
                _score(raw.folds[r], regression) + (f" {CHOSEN}" if r == raw.chosen else ""),
                _goal(raw.folds[r]),
                _score(norm.folds[r], regression) + (f" {CHOSEN}" if r == norm.chosen else ""),
                _goal(norm.folds[r]),
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    bands = grid.bands()
    scale, unit = (1.0, "") if regression else (100.0, " pts")
    lines.append(f"{CHOSEN} {grid.chosen_text()}")
    lines.append("mean ± sd over the seeds that did not diverge (div: seeds that diverged)")
    lines += [
        f"{band_text(name, bands[name], grid.runs[name].rates)}: within"
        f" {_number(bands[name].margin * scale)}{unit} of its best"
        for name in RUN_NAMES
    ]
    lines.append(
        "  (the margin: one val row or the best rate's 95% half-width over its seeds,"
        " whichever is larger)"
    )
    tuned = grid.tuned()
    n_test = started.n_test if started else 0
    lines.append(
        f"tuned verdict: each run at its chosen rate, seed by seed, on the {n_test} held-out"
        " test rows (never trained on, never used to choose):"
    )
    lines += [f"  {c.verdict}" for c in tuned] if tuned else ["  no epoch to compare"]
    lines.append(
        "same-rate verdicts are at one rate each (a claim about that rate), Benjamini–Hochberg"
        f" over the {len(raw.rates)} rates"
    )
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return f"{value:.2g}" if math.isfinite(value) else "-"
