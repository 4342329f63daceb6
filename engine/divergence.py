"""When a run has diverged: the one rule the trainer, the table, `--json` and the screen share.

A run diverges when its training loss is not finite (NaN or infinite), its validation loss is
not finite, or its training loss grows past RUNAWAY_MULTIPLE times its reference: the training
loss of its first epoch (since the last start or restart). The first epoch, not the best: a
validation loss rising from its best is overfitting, and a training loss that falls to 1e-4
and bounces back to 1e-2 is noise; neither is divergence.

The multiple was measured (150-200 epochs on every preset; relu, tanh, sigmoid, identity, gelu;
Adam 1e-3 and 1e-2, RMSprop 1e-3, SGD 1e-3 and 0.1): training that settles, even badly, peaked
at 75x its first epoch (scales' raw run, ReLU, SGD 1e-3); with the defaults (Adam 1e-3) no run
rose above 1.0x. What 10,000x catches had blown up by 39,000x or more (diabetes' raw run, ReLU,
SGD 1e-3; SGD 0.1 on raw breast_cancer: 1.1e6x; then overflow, or every unit dead).

The functions work elementwise: on floats, and on numpy arrays or torch tensors of shape [N]
(one value per ensemble member) alike, without importing either.
"""

from __future__ import annotations

import math
from typing import Any

from normtui.engine.numbers import num

RUNAWAY_MULTIPLE = 10_000.0


def not_finite(loss: Any) -> Any:
    """NaN or ±infinity, elementwise."""
    return (loss != loss) | (abs(loss) == math.inf)  # NaN != NaN


def runaway(loss: Any, reference: Any) -> Any:
    """The loss is above RUNAWAY_MULTIPLE times its reference (its first epoch's), elementwise."""
    return loss > RUNAWAY_MULTIPLE * reference


def diverged(train_loss: Any, reference: Any, val_loss: Any = None) -> Any:
    """The rule, elementwise: a non-finite training or validation loss, or a runaway one."""
    out = not_finite(train_loss) | runaway(train_loss, reference)
    if val_loss is not None:
        out = out | not_finite(val_loss)
    return out


class LossWatch:
    """One run's (or, with tensors, every member's) reference loss and the rule applied to it.

    The first loss it sees becomes the reference; a restart builds a new run, so a new watch.
    """

    def __init__(self) -> None:
        self.reference: Any = None

    def check(self, train_loss: Any, val_loss: Any = None) -> Any:
        if self.reference is None:
            self.reference = train_loss
        return diverged(train_loss, self.reference, val_loss)


def describe(loss: float, reference: float | None, multiple: float = RUNAWAY_MULTIPLE) -> str:
    """The reason in plain words: 'loss nan', or 'loss 7.4e5 > 10,000 × epoch 1's 0.74'."""
    if not math.isfinite(loss) or reference is None:
        return f"loss {compact(loss)}"
    return f"loss {compact(loss)} > {multiple:,.0f} × epoch 1's {compact(reference)}"


def compact(value: float) -> str:
    """A number in a few characters, the one way engine/numbers.py writes it: 0.739, 1,330,
    7.41e6, 1.51e21, nan, inf."""
    if not math.isfinite(value):
        return str(value)
    return num(value)
