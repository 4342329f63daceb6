"""An epoch's outcome, from its members' host numbers: the divergence rule per member, a
grid's rate chosen on the validation rows (engine/grid.py), the run's numbers (its members'
fold) and the events that report them. Shared by the pair (engine/trainer.py) and a sweep's
row (engine/sweep/row.py), so both report an epoch the same way.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from normtui.engine.divergence import LossWatch
from normtui.engine.events import (
    EpochEnd,
    Event,
    GridEpoch,
    RunDiverged,
    RunFailed,
)
from normtui.engine.grid import choose
from normtui.engine.run import RUN_VALUE_NAMES, TEST_VALUE_NAMES, RunEpoch
from normtui.engine.stats import HostEpoch, fold_members


@dataclass
class EpochOutcome:
    results: dict[str, HostEpoch] = field(default_factory=dict)
    # runs that broke the divergence rule (engine/divergence.py) this epoch, every member: the
    # loss, as text; a one-seed run whose training loss is still finite is in `results` too
    diverged: dict[str, str] = field(default_factory=dict)
    # Several seeds: members that diverged this epoch, as (member, loss), per run.
    member_diverged: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # A runaway's reference (its first-epoch training loss), by (run, member); member None: the
    # whole run. Absent where the loss is not finite.
    references: dict[tuple[str, int | None], float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    # A grid: each run's rate its EpochEnd reports (the chosen one), and every rate's members.
    rates: dict[str, float] = field(default_factory=dict)
    grids: dict[str, dict[str, Any]] = field(default_factory=dict)


def _offending_loss(host: HostEpoch) -> float:
    """The loss that broke the divergence rule: the training loss, unless only val is NaN."""
    if math.isfinite(host.train_loss) and not math.isfinite(host.val_loss):
        return host.val_loss
    return host.train_loss


def broke_rule(watch: LossWatch, members: list[HostEpoch]) -> Any:
    """The divergence rule per member, on each member's training and validation loss."""
    return watch.check(
        np.array([m.train_loss for m in members]), np.array([m.val_loss for m in members])
    )


def outcome_events(
    outcome: EpochOutcome,
    *,
    time_s: float,
    epoch: int,
    learning_rate: float,
    activation: str,
    elapsed_s: Mapping[str, float],
) -> list[Event]:
    """The events of one trained epoch: an EpochEnd per run reported, a RunDiverged per member
    (or whole run) that broke the rule, a RunFailed per run that raised."""
    events: list[Event] = [
        EpochEnd(
            time_s=time_s,
            run=name,
            epoch=epoch,
            train_loss=host.train_loss,
            val_loss=host.val_loss,
            train_accuracy=host.train_accuracy,
            val_accuracy=host.val_accuracy,
            learning_rate=outcome.rates.get(name, learning_rate),
            activation=activation,
            elapsed_s=round(elapsed_s[name], 6),
            layers=host.layers,
            train_r2=host.train_r2,
            val_r2=host.val_r2,
            members=host.members,
        )
        for name, host in outcome.results.items()
    ]
    events += [
        GridEpoch(time_s=time_s, run=name, epoch=epoch, **grid)
        for name, grid in outcome.grids.items()
    ]
    diverged: list[tuple[str, int | None, str]] = [
        (name, member, loss)
        for name, members in outcome.member_diverged.items()
        for member, loss in members
    ]
    # member None: the whole run (its last member, or its only one) has diverged
    diverged += [(name, None, loss) for name, loss in outcome.diverged.items()]
    events += [
        RunDiverged(
            time_s=time_s,
            run=name,
            epoch=epoch,
            loss=loss,
            member=member,
            reference=outcome.references.get((name, member)),
        )
        for name, member, loss in diverged
    ]
    events += [
        RunFailed(time_s=time_s, run=name, epoch=epoch, error=error)
        for name, error in outcome.failed.items()
    ]
    return events


def judge_members(
    outcome: EpochOutcome,
    name: str,
    members: list[HostEpoch],
    broke: Any,
    alive: list[bool],
    reference: Any,
    seeds: tuple[int, ...],
) -> list[int]:
    """One run's epoch into `outcome` under the divergence rule; the members that diverged now.

    `broke` is the rule per member (LossWatch.check), `alive` who was live before this epoch,
    `reference` each member's first-epoch loss, `seeds` the members' seeds. A run diverges when
    its last live member does; otherwise its epoch is the mean over its live members. The
    caller marks the returned members (Run.member_diverged).
    """
    newly = [
        (k, _offending_loss(member)) for k, member in enumerate(members) if alive[k] and broke[k]
    ]
    for k, loss in newly:
        if math.isfinite(loss):  # a runaway, not a NaN: say what it ran away from
            outcome.references[(name, k)] = float(reference[k])
    if len(members) > 1 and newly:
        outcome.member_diverged[name] = [(k, str(loss)) for k, loss in newly]
    dead = {k for k, _ in newly}
    live = [ok and k not in dead for k, ok in enumerate(alive)]
    if not any(live):
        last, loss = newly[-1]
        outcome.diverged[name] = str(loss)
        if (name, last) in outcome.references:
            outcome.references[(name, None)] = outcome.references[(name, last)]
        if len(members) == 1 and math.isfinite(members[0].train_loss):
            outcome.results[name] = members[0]  # the epoch that ran away is shown
    else:
        outcome.results[name] = fold_members(members, live, seeds)
    return sorted(dead)


def _grid(values: list[float], live: list[bool], seeds: int, rates: int) -> tuple:
    """Member values (seed-major) as [rate][seed], NaN for a member that is not live."""
    return tuple(
        tuple(values[s * rates + r] if live[s * rates + r] else math.nan for s in range(seeds))
        for r in range(rates)
    )


def judge_grid(
    outcome: EpochOutcome,
    name: str,
    members: list[HostEpoch],
    broke: Any,
    alive: list[bool],
    reference: Any,
    seeds: tuple[int, ...],
    rates: tuple[float, ...],
) -> list[int]:
    """A grid run's epoch into `outcome` (engine/grid.py): every member under the divergence
    rule, the rate chosen on the validation rows, the chosen rate's seeds as the run's epoch and
    every rate's seeds as its grid; the members that diverged now.

    A member's divergence is reported in the grid (its flag), not as a RunDiverged: the run's
    EpochEnd counts seeds, not seeds × rates. The run diverges when every member has.
    """
    n_rates, n_seeds = len(rates), len(seeds)
    newly = [
        (k, _offending_loss(member)) for k, member in enumerate(members) if alive[k] and broke[k]
    ]
    dead = {k for k, _ in newly}
    live = [ok and k not in dead for k, ok in enumerate(alive)]
    regression = members[0].val_r2 is not None

    def score(member: HostEpoch) -> float:
        value = member.val_r2 if regression else member.val_accuracy
        return math.nan if value is None else value

    def test(member: HostEpoch, loss: bool) -> float:
        value = member.test_loss if loss else member.test_score
        return math.nan if value is None else value

    val_score = _grid([score(m) for m in members], live, n_seeds, n_rates)
    val_loss = _grid([m.val_loss for m in members], live, n_seeds, n_rates)
    chosen = choose(val_score, val_loss)
    outcome.grids[name] = {
        "rates": rates,
        "chosen": chosen,
        "seeds": seeds,
        "train_loss": _grid([m.train_loss for m in members], live, n_seeds, n_rates),
        "val_loss": val_loss,
        "val_score": val_score,
        "test_loss": _grid([test(m, True) for m in members], live, n_seeds, n_rates),
        "test_score": _grid([test(m, False) for m in members], live, n_seeds, n_rates),
        "diverged": tuple(
            tuple(not live[s * n_rates + r] for s in range(n_seeds)) for r in range(n_rates)
        ),
    }
    outcome.rates[name] = rates[chosen]
    if not any(live):
        last, loss = newly[-1]
        outcome.diverged[name] = str(loss)
        if math.isfinite(loss):
            outcome.references[(name, None)] = float(reference[last])
        return sorted(dead)
    picked = [s * n_rates + chosen for s in range(n_seeds)]
    outcome.results[name] = fold_members(
        [members[k] for k in picked], [live[k] for k in picked], seeds
    )
    return sorted(dead)


def losses_only(result: RunEpoch) -> torch.Tensor:
    """An epoch's run-level values (and its held-out rows'), without the per-layer ones."""
    values = result.values
    n_run = len(RUN_VALUE_NAMES)
    if not result.n_test:
        return values[:, :n_run]
    return torch.cat([values[:, :n_run], values[:, -len(TEST_VALUE_NAMES) :]], dim=1)


def members_at(result: RunEpoch, rate: int, rates: int) -> RunEpoch:
    """The epoch of one rate's members (every `rates`-th from `rate`), held-out values dropped."""
    values = result.values[rate::rates]
    if result.n_test:
        values = values[:, : -len(TEST_VALUE_NAMES)]
    return dataclasses.replace(
        result,
        values=values,
        pres=[pre[rate::rates] for pre in result.pres],
        posts=[post[rate::rates] for post in result.posts],
        alive=None if result.alive is None else result.alive[rate::rates],
        n_test=0,
    )
