"""A learning-rate grid's events folded per run and rate: what `train`, `--json`, the dashboard
and the sweep report about a grid (engine/grid.py has the rules).

Each rate of each run is a `RunFold` (engine/fold.py) fed that rate's seeds, so a rate's mean,
spread, epochs to the goal and divergences are defined as everywhere else. Beside them each
seed's held-out test numbers are kept: the tuned verdict pairs seed k of raw at its chosen rate
with seed k of normalized at its chosen rate on those rows, which chose nothing. Pure Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from normtui.engine.events import (
    RUN_NAMES,
    EpochEnd,
    Event,
    GridEpoch,
    Restarted,
    SessionStarted,
)
from normtui.engine.fold import RunFold, finite
from normtui.engine.grid import BAND_RULE, CHOICE_RULE, Band, band, mean_score, rate_text
from normtui.engine.statistics import Comparison, compare_metrics, control, score_delta
from normtui.engine.summary import compare_folds


def _as_member_event(event: GridEpoch, rate: int, regression: bool) -> EpochEnd:
    """One rate's seeds as the EpochEnd a one-rate run of them would have sent."""
    return EpochEnd(
        time_s=event.time_s,
        run=event.run,
        epoch=event.epoch,
        train_loss=math.nan,
        val_loss=math.nan,
        train_accuracy=math.nan,
        val_accuracy=math.nan,
        learning_rate=event.rates[rate],
        activation="",
        elapsed_s=0.0,
        val_r2=0.0 if regression else None,
        members=event.members_at(rate),
    )


@dataclass
class RunGrid:
    """One run's grid since the last restart."""

    rates: tuple[float, ...] = ()
    chosen: int = 0  # the trainer's choice at the latest epoch (engine/grid.py choose)
    epoch: int = 0
    folds: list[RunFold] = field(default_factory=list)  # per rate, on the validation rows
    test_score: list[list[float | None]] = field(default_factory=list)  # [rate][seed], latest
    test_loss: list[list[float | None]] = field(default_factory=list)
    test_goal: list[list[int | None]] = field(default_factory=list)  # first epoch at the goal

    def fold(self, event: GridEpoch, regression: bool, goal: float) -> None:
        n_rates, n_seeds = len(event.rates), len(event.seeds)
        if len(self.folds) != n_rates:
            self.folds = [RunFold() for _ in range(n_rates)]
            self.test_score = [[None] * n_seeds for _ in range(n_rates)]
            self.test_loss = [[None] * n_seeds for _ in range(n_rates)]
            self.test_goal = [[None] * n_seeds for _ in range(n_rates)]
        self.rates, self.chosen, self.epoch = event.rates, event.chosen, event.epoch
        for r in range(n_rates):
            seed = event.seeds[0] if event.seeds else 0
            self.folds[r].epoch_end(_as_member_event(event, r, regression), seed, goal)
            for s in range(n_seeds):
                if event.diverged[r][s]:
                    continue  # keeps its values from before: those at divergence
                score = finite(event.test_score[r][s])
                self.test_score[r][s] = score
                self.test_loss[r][s] = finite(event.test_loss[r][s])
                if self.test_goal[r][s] is None and score is not None and score >= goal:
                    self.test_goal[r][s] = event.epoch

    def scores(self) -> list[list[float | None]]:
        """[rate][seed] val score at the latest epoch, None for a diverged seed."""
        return [fold.final(fold.latest.val_score) if fold.latest else [] for fold in self.folds]

    def losses(self) -> list[list[float | None]]:
        return [fold.final(fold.latest.val_loss) if fold.latest else [] for fold in self.folds]

    def band(self, resolution: float) -> Band:
        return band(self.scores(), self.losses(), resolution)

    def diverged(self, rate: int) -> list[bool]:
        return [m.diverged for m in self.folds[rate].members]

    def test_values(self, rate: int) -> tuple[list[float | None], list[float | None], list]:
        """Seed by seed at `rate`: test score, test loss (None where diverged), goal epoch."""
        gone = self.diverged(rate)
        score = [None if g else v for v, g in zip(self.test_score[rate], gone, strict=False)]
        loss = [None if g else v for v, g in zip(self.test_loss[rate], gone, strict=False)]
        goal = [
            None if g or v is None else float(v)
            for v, g in zip(self.test_goal[rate], gone, strict=False)
        ]
        return score, loss, goal


class GridFold:
    """A sink: keeps a `RunGrid` per run from GridEpoch events."""

    def __init__(self, goal_accuracy: float = 0.95, goal_r2: float = 0.9) -> None:
        self.goal_accuracy, self.goal_r2 = goal_accuracy, goal_r2
        self.started: SessionStarted | None = None
        self.runs: dict[str, RunGrid] = {name: RunGrid() for name in RUN_NAMES}

    @property
    def regression(self) -> bool:
        return self.started is not None and self.started.task == "regression"

    @property
    def goal(self) -> float:
        return self.goal_r2 if self.regression else self.goal_accuracy

    def __call__(self, event: Event) -> None:
        if isinstance(event, GridEpoch):
            self.runs.setdefault(event.run, RunGrid()).fold(event, self.regression, self.goal)
        elif isinstance(event, Restarted):
            self.runs = {name: RunGrid() for name in RUN_NAMES}
        elif isinstance(event, SessionStarted):
            self.started = event

    @property
    def active(self) -> bool:
        """Whether any grid epoch has been folded (a grid session that has trained)."""
        return all(run.folds for run in self.runs.values())

    @property
    def resolution(self) -> float:
        """One validation row (at least 1 point), or 0.01 of R²: the band's least margin."""
        n_val = self.started.n_val if self.started is not None else 0
        return score_delta(self.regression, n_val)

    def bands(self) -> dict[str, Band]:
        return {name: run.band(self.resolution) for name, run in self.runs.items()}

    def fixed_rate(self) -> list[tuple[Comparison, Comparison, Comparison]]:
        """Per rate: raw vs normalized at that same rate on the validation rows (no choice
        made, so no selection bias), re-decided with Benjamini–Hochberg over the rates for each
        metric (a family of verdicts shown together)."""
        raw, norm = self.runs[RUN_NAMES[0]], self.runs[RUN_NAMES[1]]
        started = self.started
        n_val = started.n_val if started else 0
        n_train = started.n_train if started else 0
        per_rate = []
        for a, b in zip(raw.folds, norm.folds, strict=False):
            compared = compare_folds(
                a, b, n_val=n_val, n_train=n_train, goals=(self.goal_accuracy, self.goal_r2)
            )
            if compared is None:
                break
            per_rate.append(compared)
        if not per_rate:
            return []
        columns = [control([row[i] for row in per_rate]) for i in range(3)]
        return [(s, lo, g) for s, lo, g in zip(*columns, strict=True)]

    def tuned(self) -> tuple[Comparison, Comparison, Comparison] | None:
        """Each run at its chosen rate, seed by seed, on the held-out test rows."""
        raw, norm = self.runs[RUN_NAMES[0]], self.runs[RUN_NAMES[1]]
        if not (raw.folds and norm.folds) or self.started is None:
            return None
        raw_score, raw_loss, raw_goal = raw.test_values(raw.chosen)
        norm_score, norm_loss, norm_goal = norm.test_values(norm.chosen)
        if len(raw_score) != len(norm_score):
            return None
        return compare_metrics(
            (raw_score, norm_score),
            (raw_loss, norm_loss),
            (raw_goal, norm_goal),
            regression=self.regression,
            n_val=self.started.n_test,
            n_train=self.started.n_train,
            diverged=(raw.diverged(raw.chosen), norm.diverged(norm.chosen)),
            budget=max(raw.epoch, norm.epoch),
            goal=self.goal,
            rows="test",
        )

    def to_dict(self) -> dict[str, Any]:
        """`train --json`'s `lr_grid` object (documented in the README)."""
        score = "r2" if self.regression else "accuracy"
        bands = self.bands()
        runs: dict[str, Any] = {}
        for name, run in self.runs.items():
            result = bands[name]
            per_rate = []
            scores = run.scores()
            for r, fold in enumerate(run.folds):
                test_score, test_loss, test_goal = run.test_values(r)
                per_rate.append(
                    {
                        "rate": run.rates[r],
                        f"val_{score}": fold.val_score,
                        f"val_{score}_all_seeds": mean_score(scores[r]),
                        "val_loss": fold.val_loss,
                        f"test_{score}": _mean(test_score),
                        "epochs_to_goal": fold.epochs_to_goal,
                        "members_reached_goal": fold.reached,
                        "members_diverged": fold.diverged,
                        "members": [
                            {
                                **member.to_dict(self.regression),
                                f"test_{score}": test_score[k],
                                "test_loss": test_loss[k],
                                "test_epochs_to_goal": test_goal[k],
                            }
                            for k, member in enumerate(fold.members)
                        ],
                    }
                )
            runs[name] = {
                "per_rate": per_rate,
                "chosen": run.rates[run.chosen] if run.rates else None,
                "works_at": [run.rates[i] for i in result.works],
                "works_decades": result.decades(run.rates) if run.rates else None,
                "margin": result.margin,
            }
        tuned = self.tuned()
        fixed = self.fixed_rate()
        return {
            "rates": list(self.runs[RUN_NAMES[0]].rates),
            "choice_rule": CHOICE_RULE,
            "band_rule": BAND_RULE,
            "n_test": self.started.n_test if self.started else 0,
            "runs": runs,
            "comparison_tuned": {c.metric: c.to_dict() for c in tuned} if tuned else None,
            "comparison_by_rate": [
                {"rate": rate, **{c.metric: c.to_dict() for c in row}}
                for rate, row in zip(self.runs[RUN_NAMES[0]].rates, fixed, strict=False)
            ],
        }

    def chosen_text(self) -> str:
        names = ", ".join(
            f"{name} {rate_text(run.rates[run.chosen])}"
            for name, run in self.runs.items()
            if run.rates
        )
        return f"chosen on the validation rows: {names} ({CHOICE_RULE})"


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return math.fsum(known) / len(known) if known else None
