"""One run of the pair: a model, its optimizer and its (raw or scaled) data, all on the device."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch
from torch import nn

from normtui.engine.config import RELU_FAMILY
from normtui.engine.models import MLP, eager_step, make_optimizer, swap_optimizer_params
from normtui.engine.task import Task

RUNNING, DIVERGED, FAILED, FINISHED = "running", "diverged", "failed", "finished"

# Per-layer raw numbers, in this order, in each layer's slice of RunEpoch.values. The host
# turns counts into shares and norms into the update ratio (stats.to_host), so the device does
# no divisions and no per-activation branching beyond skipping what does not apply.
LAYER_VALUE_NAMES = (
    "pre_min",
    "pre_max",
    "pre_std",
    "pre_mean",
    "dead_units",  # units never positive over the val pass (ReLU family; else 0)
    "saturated_count",  # activations in the flat tails (tanh, sigmoid; else 0)
    "zero_count",  # activations exactly zero (ReLU family; else 0)
    "grad_norm",
    "weight_norm_before",
    "update_norm",
)
# Run-level numbers first: train loss (mean), train correct, val loss (mean), val correct.
RUN_VALUE_NAMES = ("train_loss", "train_correct", "val_loss", "val_correct")


class Cancelled(Exception):
    """Raised between steps when the session is stopping, so a long epoch ends promptly."""


@dataclass
class RunEpoch:
    """One epoch's results, still on the device: nothing here has been synced to the host.

    `values` is one flat vector (RUN_VALUE_NAMES, then LAYER_VALUE_NAMES per hidden layer) built
    with a single stack, so the host sync of the epoch copies a handful of numbers per run. On
    epochs that are not sampled (Run.detailed False) it holds RUN_VALUE_NAMES only and `pres`
    and `posts` are empty.
    """

    values: torch.Tensor
    n_train: int
    n_val: int
    activation: str
    pres: list[torch.Tensor]  # validation pre-activations per hidden layer
    posts: list[torch.Tensor]  # validation post-activations per hidden layer
    seconds: float


def _has_mode_layers(model: nn.Module) -> bool:
    """True when train()/eval() changes the forward pass (dropout, batch norm): else skip them."""
    mode_types = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
    return any(isinstance(module, mode_types) for module in model.modules())


class Run:
    """A model trained on one input transform; the session keeps two of these in lockstep."""

    def __init__(
        self,
        name: str,
        model: MLP,
        optimizer_name: str,
        lr: float,
        tensors: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        task: Task,
    ) -> None:
        self.name = name
        self.model = model
        self.optimizer_name = optimizer_name
        self.optimizer = make_optimizer(optimizer_name, list(model.parameters()), lr)
        self._step = eager_step(self.optimizer)  # no torch._dynamo import, no profiler hooks
        self.X_train, self.y_train, self.X_val, self.y_val = tensors
        self.task = task  # issue 14 hook: the loss and the hit count come from the task
        self.criterion = task.loss
        self.status = RUNNING
        self.elapsed_s = 0.0
        self._zero = torch.zeros((), device=self.X_train.device)
        self._batch_weights: dict[tuple[int, int], torch.Tensor] = {}
        self._mode_layers = _has_mode_layers(model)
        # Per-layer stats (and the activations histograms are built from) for this epoch? The
        # trainer sets it per epoch: they cost more than the post's whole step on tiny models.
        self.detailed = True

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def set_activation(self, name: str) -> None:
        removed, added = self.model.set_activation(name)
        swap_optimizer_params(self.optimizer, removed, added, self.lr)
        self._mode_layers = _has_mode_layers(self.model)

    def _weights(self, n_train: int, batch_size: int) -> torch.Tensor:
        """Each mini-batch's share of the epoch (the last one may be smaller), cached."""
        key = (n_train, batch_size)
        if key not in self._batch_weights:
            sizes = [min(batch_size, n_train - s) for s in range(0, n_train, batch_size)]
            self._batch_weights[key] = torch.tensor(sizes, device=self._zero.device) / n_train
        return self._batch_weights[key]

    def train_epoch(
        self,
        order: torch.Tensor | None,
        batch_size: int,
        cancel: threading.Event | None = None,
    ) -> RunEpoch:
        """One pass over the training data (in `order`, or as stored for full batch).

        Per step it adds only what the epoch's loss and accuracy need (a detached loss and a
        correct count); everything else is computed once, after the pass, on the device.
        """
        started = time.perf_counter()
        model, optimizer, criterion = self.model, self.optimizer, self.criterion
        detailed = self.detailed
        weights_before = (
            [linear.weight.detach().clone() for linear in model.linears] if detailed else []
        )
        n_train = self.X_train.shape[0]
        losses: list[torch.Tensor] = []
        corrects: list[torch.Tensor] = []
        mode_layers = self._mode_layers
        if mode_layers:
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
            loss = criterion(outputs, targets)
            loss.backward()
            self._step()
            losses.append(loss.detach())
            corrects.append(self.task.hits(outputs.detach(), targets))
        if len(losses) == 1:
            train_loss, train_correct = losses[0], corrects[0]
        else:
            train_loss = torch.stack(losses) @ self._weights(n_train, batch_size)
            train_correct = torch.stack(corrects).sum()
        if mode_layers:
            model.eval()
        if detailed:
            result = self._evaluate(weights_before, train_loss, train_correct)
        else:
            result = self._evaluate_losses(train_loss, train_correct)
        result.seconds = time.perf_counter() - started
        self.elapsed_s += result.seconds
        return result

    @torch.no_grad()
    def _evaluate_losses(self, train_loss: torch.Tensor, train_correct: torch.Tensor) -> RunEpoch:
        """Validation loss and accuracy only: what every epoch carries."""
        logits = self.model(self.X_val)
        values = [
            train_loss,
            train_correct,
            self.criterion(logits, self.y_val),
            self.task.hits(logits, self.y_val),
        ]
        return RunEpoch(
            values=torch.stack(values),
            n_train=self.X_train.shape[0],
            n_val=self.X_val.shape[0],
            activation=self.model.activation_name,
            pres=[],
            posts=[],
            seconds=0.0,
        )

    @torch.no_grad()
    def _evaluate(
        self,
        weights_before: list[torch.Tensor],
        train_loss: torch.Tensor,
        train_correct: torch.Tensor,
    ) -> RunEpoch:
        """Validation pass recording activations, and every per-layer number in one vector."""
        model = self.model
        logits, pres, posts = model.forward_recording(self.X_val)
        values = [
            train_loss,
            train_correct,
            self.criterion(logits, self.y_val),
            self.task.hits(logits, self.y_val),
        ]
        activation = model.activation_name
        linears = list(model.linears)
        grads = [linear.weight.grad for linear in linears]
        if all(grad is not None for grad in grads):
            grad_norms = list(torch._foreach_norm(grads))
        else:
            grad_norms = [self._zero if g is None else g.norm() for g in grads]
        weights_now = [linear.weight.detach() for linear in linears]
        before_norms = torch._foreach_norm(weights_before)
        update_norms = torch._foreach_norm(torch._foreach_sub(weights_now, weights_before))
        zero = self._zero
        for index, (pre, post) in enumerate(zip(pres, posts, strict=True)):
            pre_min, pre_max = torch.aminmax(pre)
            if pre.numel() > 1:
                pre_std, pre_mean = torch.std_mean(pre)
            else:
                pre_std, pre_mean = zero, pre.mean()
            relu_family = activation in RELU_FAMILY
            dead = (pre.amax(dim=0) <= 0).sum() if relu_family else zero
            zeros = (post == 0).sum() if relu_family else zero
            if activation == "tanh":
                saturated = (post.abs() > 0.97).sum()
            elif activation == "sigmoid":
                saturated = ((post < 0.03) | (post > 0.97)).sum()
            else:
                saturated = zero
            values += [
                pre_min,
                pre_max,
                pre_std,
                pre_mean,
                dead,
                saturated,
                zeros,
                grad_norms[index],
                before_norms[index],
                update_norms[index],
            ]
        return RunEpoch(
            values=torch.stack(values),  # counts are promoted to the loss dtype
            n_train=self.X_train.shape[0],
            n_val=self.X_val.shape[0],
            activation=activation,
            pres=pres,
            posts=posts,
            seconds=0.0,
        )
