"""Each run is an ensemble of seeds: the loss plot's rows from its members (no Textual).

The members themselves are folded by engine/fold.py (`RunFold`, the fold `train` and the sweep
use too); a one-seed run (and every schema-1 log) is a run of one member, so the plots, gauges
and the comparison strip take one path whatever the seed count. A diverged member is left out
of the median, the band and the statistics.
"""

from __future__ import annotations

import math
import statistics

from normtui.engine.events import Members
from normtui.engine.fold import RunFold

# The screen's name for a run's members: the one fold (engine/fold.py), not a copy of it.
MemberTrack = RunFold

# What the loss plot's band spans, said in the legend and the help screen.
BAND = "min–max"
BAND_HELP = "the band spans the lowest to the highest member (min–max over seeds)"


def live_values(members: Members, values: tuple[float, ...]) -> list[float]:
    """`values` of the members that have not diverged, finite ones only."""
    return [
        value
        for value, diverged in zip(values, members.diverged, strict=True)
        if not diverged and math.isfinite(value)
    ]


def loss_row(epoch: int, members: Members) -> tuple[float, ...] | None:
    """(epoch, median train loss, median val loss, lowest val loss, highest val loss, then each
    member's val loss, NaN once diverged); None when no member has a finite loss left."""
    train = live_values(members, members.train_loss)
    val = live_values(members, members.val_loss)
    if not train or not val:
        return None
    each = tuple(
        math.nan if diverged else loss
        for loss, diverged in zip(members.val_loss, members.diverged, strict=True)
    )
    return (
        float(epoch),
        statistics.median(train),
        statistics.median(val),
        min(val),
        max(val),
        *each,
    )
