"""What the pair predicts: classes (cross-entropy, accuracy) or a number (MSE, R²).

The training step asks the task for its loss, its per-batch hit count and the model's output
width; the host asks it to turn an epoch's raw numbers into the reported metrics. The loop
itself never branches on the task.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypedDict

import numpy as np
import torch
from torch.nn import functional

from normtui.engine.data.dataset import PreparedData

CLASSIFICATION, REGRESSION = "classification", "regression"


class EpochMetrics(TypedDict):
    """An epoch's reported numbers: the HostEpoch fields of the same names."""

    train_loss: float
    val_loss: float
    train_accuracy: float  # NaN for regression
    val_accuracy: float
    train_r2: float | None  # None for classification
    val_r2: float | None


@dataclass(frozen=True)
class Task:
    """The task of one session: the same for both runs."""

    kind: str
    n_outputs: int
    target_unit: float = 1.0  # regression: one scaled target unit in the target's own units
    train_variance: float = 1.0  # regression: of the scaled training targets (R²'s baseline)
    val_variance: float = 1.0

    @classmethod
    def of(cls, data: PreparedData) -> Task:
        if data.task != REGRESSION:
            return cls(CLASSIFICATION, data.n_classes)
        return cls(
            REGRESSION,
            1,
            target_unit=data.target_unit,
            train_variance=float(np.var(data.y_train, dtype=np.float64)),
            val_variance=float(np.var(data.y_val, dtype=np.float64)),
        )

    @classmethod
    def held_out(cls, data: PreparedData) -> Task | None:
        """The task on the held-out test rows (R² against their own variance); None without."""
        if data.y_test is None:
            return None
        task = cls.of(data)
        return replace(task, val_variance=float(np.var(data.y_test, dtype=np.float64)))

    @property
    def regression(self) -> bool:
        return self.kind == REGRESSION

    @property
    def target_dtype(self) -> torch.dtype:
        return torch.float32 if self.regression else torch.long

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy, or mean squared error on the (scaled) target."""
        if self.regression:
            return functional.mse_loss(outputs.squeeze(-1), targets)
        return functional.cross_entropy(outputs, targets)

    def member_loss(
        self, outputs: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(what backward() takes, each member's mean loss [N]) for outputs [N, rows, ...].

        The members' losses are summed for backward: member k's parameters only see the
        gradient of member k's own loss. One member computes exactly the one-seed loss.
        """
        if outputs.shape[0] == 1:
            loss = self.loss(outputs[0], targets[0])
            return loss, loss.reshape(1)
        if self.regression:
            each = functional.mse_loss(outputs.squeeze(-1), targets, reduction="none")
        else:
            # classes as dim 1 ([N, classes, rows]): the same numbers, and on CPU ~4x faster
            # than rows flattened ([N*rows, classes]) for a few classes (the inner loop runs
            # over rows, not over 10 classes)
            each = functional.cross_entropy(outputs.transpose(1, 2), targets, reduction="none")
        per_member = each.mean(dim=1)
        return per_member.sum(), per_member

    def member_hits(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Correct predictions per member [N] (classification); regression counts none."""
        if self.regression:
            return outputs.new_zeros(outputs.shape[0])
        return (outputs.argmax(dim=-1) == targets).sum(dim=-1)

    def metrics(
        self,
        train_loss: float,
        train_hits: float,
        val_loss: float,
        val_hits: float,
        n_train: int,
        n_val: int,
    ) -> EpochMetrics:
        """The epoch's reported numbers; losses in the target's own units (squared, for MSE).

        R² = 1 − MSE / variance of the targets: exact on validation; on training, from the
        epoch's mean mini-batch loss (as train accuracy counts hits during the epoch).
        """
        if not self.regression:
            return {
                "train_loss": train_loss,
                "val_loss": val_loss,
                "train_accuracy": train_hits / n_train,
                "val_accuracy": val_hits / n_val,
                "train_r2": None,
                "val_r2": None,
            }
        units = self.target_unit**2
        return {
            "train_loss": train_loss * units,
            "val_loss": val_loss * units,
            "train_accuracy": float("nan"),
            "val_accuracy": float("nan"),
            "train_r2": 1.0 - train_loss / max(self.train_variance, 1e-30),
            "val_r2": 1.0 - val_loss / max(self.val_variance, 1e-30),
        }
