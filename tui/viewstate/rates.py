"""What the rates view draws, read from the dashboard's one grid fold (engine/grid_fold.py).

Per run and rate: the mean validation score of the seeds that have not diverged, their lowest
and highest (the band), how many seeds diverged; per run the chosen rate (the trainer's, on the
validation rows) and the rates that work (engine/grid.py's band); for the pair, the tuned
verdict on the held-out test rows. No rule of its own and no Textual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from normtui.engine.events import RUN_NAMES
from normtui.engine.grid import rate_text
from normtui.engine.grid_fold import GridFold, RunGrid
from normtui.engine.statistics import Comparison, short
from normtui.tui.viewstate.members import loss_row
from normtui.tui.viewstate.series import DecimatingSeries, Row


@dataclass(frozen=True)
class RatePoint:
    """One rate of one run at the latest epoch."""

    rate: float
    mean: float | None  # over the live seeds; None when every seed diverged
    low: float | None  # the live seeds' lowest and highest (the band)
    high: float | None
    diverged: int
    seeds: int


@dataclass(frozen=True)
class RunRates:
    name: str
    points: tuple[RatePoint, ...]
    chosen: int  # index into points: the best on the validation rows
    works: tuple[int, ...]  # the band that works (engine/grid.py BAND_RULE)

    @property
    def chosen_rate(self) -> float:
        return self.points[self.chosen].rate


@dataclass(frozen=True)
class RatesData:
    epoch: int
    runs: tuple[RunRates, ...]  # raw, normalized
    regression: bool
    tuned: Comparison | None  # the score at the chosen rates on the test rows
    n_test: int


def _points(run: RunGrid) -> tuple[RatePoint, ...]:
    points = []
    for rate, fold in zip(run.rates, run.folds, strict=False):
        live = [m.val_score for m in fold.live() if m.val_score is not None]
        points.append(
            RatePoint(
                rate,
                sum(live) / len(live) if live else None,
                min(live) if live else None,
                max(live) if live else None,
                fold.diverged,
                fold.count,
            )
        )
    return tuple(points)


def rates_data(grid: GridFold) -> RatesData | None:
    """The view's numbers; None before both runs' first grid epoch."""
    runs = [grid.runs.get(name) for name in RUN_NAMES]
    if any(run is None or not run.folds for run in runs):
        return None
    bands = grid.bands()
    views = tuple(
        RunRates(name, _points(run), run.chosen, bands[name].works)
        for name, run in zip(RUN_NAMES, runs, strict=True)
        if run is not None
    )
    tuned = grid.tuned()
    started = grid.started
    return RatesData(
        epoch=max(run.epoch for run in runs if run is not None),
        runs=views,
        regression=grid.regression,
        tuned=tuned[0] if tuned else None,
        n_test=started.n_test if started is not None else 0,
    )


def chosen_text(data: RatesData, *, names: bool = True) -> str:
    """`raw 1e-2 · normalized 3e-3` (plain text): each run's rate chosen on the val rows."""
    return " · ".join(
        f"{run.name} {rate_text(run.chosen_rate)}" if names else rate_text(run.chosen_rate)
        for run in data.runs
    )


def tuned_text(data: RatesData) -> str:
    """The tuned verdict in a few words (statistics.short): on the held-out test rows, each run
    at its chosen rate, seed k against seed k. Empty before there are test numbers."""
    if data.tuned is None:
        return ""
    return short(data.tuned)


def best_of(grid: GridFold, run: str, *, short: bool = False) -> str:
    """`1e-2 (best of 7 on val)`: which rate a run's pane shows, and why that one (`short`:
    `1e-2 (best on val)`); empty before the run's first grid epoch. Cheap: the panes' titles
    and lines ask for it with every redraw of the numbers."""
    view = grid.runs.get(run)
    if view is None or not view.rates:
        return ""
    of = "" if short else f" of {len(view.rates)}"
    return f"{rate_text(view.rates[view.chosen])} (best{of} on val)"


def chosen_loss_rows(history: DecimatingSeries, segment: int, chosen: int, limit: int) -> list[Row]:
    """The loss plot's rows (viewstate/members.py loss_row) of the rate chosen NOW, over every
    kept epoch since the last restart: the run "at its currently best rate" is that rate's own
    curve, not a curve stitched from whichever rate was best at each epoch (the choice flips
    often early on). At most `limit` rows, evenly thinned, the latest always kept."""
    events = [
        event
        for _step, seg, event in history.rows()
        if seg == segment and chosen < len(event.rates)
    ]
    stride = max(1, math.ceil(len(events) / limit))
    kept = events[::stride]
    if events and kept[-1] is not events[-1]:
        kept.append(events[-1])
    rows = (loss_row(event.epoch, event.members_at(chosen)) for event in kept)
    return [row for row in rows if row is not None]
