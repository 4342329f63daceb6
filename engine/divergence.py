"""When a run has diverged: the one rule the trainer, the table, `--json` and the screen share.

A member diverges when its training or validation loss is not finite (NaN or infinite), or its
training loss grows past RUNAWAY_MULTIPLE times the loss of the trivial predictor on its
training rows: ln C for cross-entropy over C classes (the loss of predicting every class
equally), var(y) for squared error in the target's units (the loss of predicting the mean).
The bar is absolute and the same for both runs of the pair: the first-epoch loss the rule
used before is itself shaped by normalization (on scales_regression raw was flagged only above
2.7e13, normalized above 3.8e8, a bar 71,000x looser for raw).

The multiple was measured with benchmarks/divergence_bar.py (every preset; relu, tanh, sigmoid;
Adam 1e-3 and 1e-2, SGD 1e-3, 0.1 and 1; one seed, 150 epochs, the runaway part switched off):
of the 235 runs that settled (ended under 0.9x the trivial loss), the highest peak was 9.2e4x
(diabetes, sigmoid, SGD 1, normalized, which ended at 0.68x), the next 283x; every run that went
on to NaN or infinity had passed 2.7e13x first, and the runs that spiked and then sat at the
trivial loss with every ReLU unit dead passed 1.8e5x to 5.7e10x. 1e6 leaves a factor of 11
above the highest that settled.

The functions work elementwise: on floats, and on numpy arrays or torch tensors of shape [N]
(one value per ensemble member) alike, without importing either.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from normtui.engine.numbers import num

if TYPE_CHECKING:
    from normtui.engine.task import Task

RUNAWAY_MULTIPLE = 1_000_000.0


def trivial_loss(task: Task) -> float:
    """The loss of a model that learned nothing: ln C (cross-entropy), var(y) (squared error,
    target units)."""
    if task.regression:
        return max(task.train_variance * task.target_unit**2, 1e-30)
    return math.log(max(task.n_outputs, 2))


def not_finite(loss: Any) -> Any:
    """NaN or ±infinity, elementwise."""
    return (loss != loss) | (abs(loss) == math.inf)  # NaN != NaN


def runaway(loss: Any, reference: Any) -> Any:
    """The loss is above RUNAWAY_MULTIPLE times its reference (the trivial loss), elementwise."""
    return loss > RUNAWAY_MULTIPLE * reference


def diverged(train_loss: Any, reference: Any, val_loss: Any = None) -> Any:
    """The rule, elementwise: a non-finite training or validation loss, or a runaway one."""
    out = not_finite(train_loss) | runaway(train_loss, reference)
    if val_loss is not None:
        out = out | not_finite(val_loss)
    return out


class LossWatch:
    """One run's (or, with arrays, every member's) trivial loss and the rule applied to it."""

    def __init__(self, reference: Any) -> None:
        self.reference: Any = reference

    def check(self, train_loss: Any, val_loss: Any = None) -> Any:
        return diverged(train_loss, self.reference, val_loss)


def describe(loss: float, reference: float | None, multiple: float = RUNAWAY_MULTIPLE) -> str:
    """The reason in plain words: 'loss nan', or 'loss 7.4e5 > 1,000 × the trivial loss 1.1'."""
    if not math.isfinite(loss) or reference is None:
        return f"loss {compact(loss)}"
    return f"loss {compact(loss)} > {multiple:,.0f} × the trivial loss {compact(reference)}"


def compact(value: float) -> str:
    """A number in a few characters, the one way engine/numbers.py writes it: 0.739, 1,330,
    7.41e6, 1.51e21, nan, inf."""
    if not math.isfinite(value):
        return str(value)
    return num(value)
