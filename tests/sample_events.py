"""Events the tests build by hand, written once: an epoch of N members at given val scores (the
fold's and the summary's tests), a plain epoch and a layer's statistics (the listens and the
learning view's tests). tests/conftest.py's folder is on sys.path, so every test imports it."""

from __future__ import annotations

import math
from typing import Any

from normtui.engine.events import EpochEnd, LayerStats, Members

NAN = math.nan


def member_epoch(
    run: str, epoch: int, scores: tuple[float, ...], diverged: tuple[bool, ...] | None = None
) -> EpochEnd:
    """Member k at val score scores[k] (loss 1 - score); the scalars are the live members' mean."""
    diverged = diverged or (False,) * len(scores)
    live = [s for s, gone in zip(scores, diverged, strict=True) if not gone]
    losses = tuple(NAN if gone else 1.0 - s for s, gone in zip(scores, diverged, strict=True))
    values = tuple(NAN if g else s for s, g in zip(scores, diverged, strict=True))
    return EpochEnd(
        time_s=float(epoch),
        run=run,
        epoch=epoch,
        train_loss=sum(1.0 - s for s in live) / len(live),
        val_loss=sum(1.0 - s for s in live) / len(live),
        train_accuracy=sum(live) / len(live),
        val_accuracy=sum(live) / len(live),
        learning_rate=1e-3,
        activation="relu",
        elapsed_s=float(epoch),
        members=Members(
            seeds=tuple(range(len(scores))),
            train_loss=losses,
            val_loss=losses,
            train_score=values,
            val_score=values,
            diverged=diverged,
        ),
    )


def epoch_end(run: str = "raw", epoch: int = 1, **changes: Any) -> EpochEnd:
    """One run's epoch at loss 1.0 and accuracy 0.5, with `changes` (e.g. `layers=`)."""
    fields: dict[str, Any] = dict(time_s=0.0, train_loss=1.0, val_loss=1.0, train_accuracy=0.5)
    fields.update(val_accuracy=0.5, learning_rate=1e-3, activation="relu", elapsed_s=0.1)
    return EpochEnd(run=run, epoch=epoch, **{**fields, **changes})


def layer_stats(**changes: Any) -> LayerStats:
    """Layer 1 of width 4, pre-activations in [0, 1], no dead or saturated share, with `changes`."""
    fields: dict[str, Any] = dict(layer=1, width=4, pre_min=0, pre_max=1, pre_mean=0, pre_std=1)
    fields.update(dead_fraction=None, saturated_fraction=None, grad_norm=0, update_ratio=0)
    return LayerStats(**{**fields, **changes})
