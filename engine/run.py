"""One run of the pair: a model, its optimizer and its (raw or scaled) data, all on the device."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch
from torch import nn

from .config import RELU_FAMILY
from .models import MLP, make_optimizer, swap_optimizer_params

RUNNING, DIVERGED, FAILED, FINISHED = "running", "diverged", "failed", "finished"

# Per-layer scalar stats, in this order, in RunEpoch.layer_stats rows.
LAYER_STAT_NAMES = (
    "pre_min",
    "pre_max",
    "pre_mean",
    "pre_std",
    "dead_fraction",
    "saturated_fraction",
    "grad_norm",
    "update_ratio",
)


class Cancelled(Exception):
    """Raised between steps when the session is stopping, so a long epoch ends promptly."""


@dataclass
class RunEpoch:
    """One epoch's results, still on the device: nothing here has been synced to the host."""

    scalars: torch.Tensor  # train_loss, train_accuracy, val_loss, val_accuracy
    layer_stats: torch.Tensor  # (layers, len(LAYER_STAT_NAMES))
    pres: list[torch.Tensor]  # validation pre-activations per hidden layer
    posts: list[torch.Tensor]  # validation post-activations per hidden layer
    seconds: float


def saturated_share(activation: str, post: torch.Tensor) -> torch.Tensor:
    """Share of activations in the flat tails: tanh |a|>0.97, sigmoid outside 0.03..0.97."""
    if activation == "tanh":
        return (post.abs() > 0.97).float().mean()
    if activation == "sigmoid":
        return ((post < 0.03) | (post > 0.97)).float().mean()
    return torch.full((), float("nan"), device=post.device)


def dead_share(activation: str, pre: torch.Tensor) -> torch.Tensor:
    """Share of units never positive over the validation pass (ReLU family only)."""
    if activation in RELU_FAMILY:
        return (pre.amax(dim=0) <= 0).float().mean()
    return torch.full((), float("nan"), device=pre.device)


class Run:
    """A model trained on one input transform; the session keeps two of these in lockstep."""

    def __init__(
        self,
        name: str,
        model: MLP,
        optimizer_name: str,
        lr: float,
        tensors: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    ) -> None:
        self.name = name
        self.model = model
        self.optimizer_name = optimizer_name
        self.optimizer = make_optimizer(optimizer_name, list(model.parameters()), lr)
        self.X_train, self.y_train, self.X_val, self.y_val = tensors
        self.criterion = nn.CrossEntropyLoss()
        self.status = RUNNING
        self.elapsed_s = 0.0

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def set_activation(self, name: str) -> None:
        removed, added = self.model.set_activation(name)
        swap_optimizer_params(self.optimizer, removed, added, self.lr)

    def train_epoch(
        self,
        order: torch.Tensor | None,
        batch_size: int,
        cancel: threading.Event | None = None,
    ) -> RunEpoch:
        """One pass over the training data (in `order`, or as stored for full batch)."""
        started = time.perf_counter()
        model, optimizer = self.model, self.optimizer
        weights_before = [linear.weight.detach().clone() for linear in model.linears]
        n_train = self.X_train.shape[0]
        loss_sum = torch.zeros((), device=self.X_train.device)
        correct = torch.zeros((), device=self.X_train.device)
        model.train()
        for start in range(0, n_train, batch_size):
            if cancel is not None and start and cancel.is_set():
                raise Cancelled
            if order is None:
                inputs = self.X_train[start : start + batch_size]
                targets = self.y_train[start : start + batch_size]
            else:
                index = order[start : start + batch_size]
                inputs, targets = self.X_train[index], self.y_train[index]
            optimizer.zero_grad(set_to_none=True)
            outputs = model(inputs)
            loss = self.criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * targets.shape[0]
            correct += (outputs.detach().argmax(dim=1) == targets).sum()
        result = self._evaluate(weights_before)
        result.scalars[0] = loss_sum / n_train
        result.scalars[1] = correct / n_train
        result.seconds = time.perf_counter() - started
        self.elapsed_s += result.seconds
        return result

    @torch.no_grad()
    def _evaluate(self, weights_before: list[torch.Tensor]) -> RunEpoch:
        model = self.model
        model.eval()
        logits, pres, posts = model.forward_recording(self.X_val)
        val_loss = self.criterion(logits, self.y_val)
        val_accuracy = (logits.argmax(dim=1) == self.y_val).float().mean()
        activation = model.activation_name
        rows = []
        for linear, before, pre, post in zip(
            model.linears, weights_before, pres, posts, strict=True
        ):
            grad = linear.weight.grad
            grad_norm = grad.norm() if grad is not None else torch.zeros((), device=pre.device)
            update_ratio = (linear.weight - before).norm() / before.norm().clamp_min(1e-12)
            std = pre.std() if pre.numel() > 1 else torch.zeros((), device=pre.device)
            rows.append(
                torch.stack(
                    [
                        pre.min(),
                        pre.max(),
                        pre.mean(),
                        std,
                        dead_share(activation, pre),
                        saturated_share(activation, post),
                        grad_norm,
                        update_ratio,
                    ]
                )
            )
        zero = torch.zeros((), device=val_loss.device)
        scalars = torch.stack([zero, zero, val_loss, val_accuracy])
        return RunEpoch(scalars, torch.stack(rows), pres, posts, 0.0)
