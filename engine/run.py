"""One run of the pair: its members' batched model, one optimizer and their (raw or scaled) data,
all on the device."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch
from torch import nn

from normtui.engine.config import (
    DEAD_CAPABLE,
    RELU_FAMILY,
    SATURATION_DERIVATIVE,
    STUCK_MAX_ROWS,
)
from normtui.engine.divergence import LossWatch, trivial_loss
from normtui.engine.models import (
    EnsembleMLP,
    MemberBatchNorm,
    eager_step,
    make_optimizer,
    swap_optimizer_params,
)
from normtui.engine.rates import MemberRateStep
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
    "dead_units",  # units never positive on any training row (ReLU; else 0)
    "saturated_units",  # units under SATURATION_DERIVATIVE on every training row (tanh, sigmoid)
    "zero_count",  # activations exactly zero (ReLU family; else 0)
    "grad_norm",
    "weight_norm_before",
    "update_norm",
)
# Run-level numbers first: train loss (mean), train correct, val loss (mean), val correct.
RUN_VALUE_NAMES = ("train_loss", "train_correct", "val_loss", "val_correct")
# Last, where the run has held-out rows: their loss (mean) and correct count.
TEST_VALUE_NAMES = ("test_loss", "test_correct")


class Cancelled(Exception):
    """Raised between steps when the session is stopping, so a long epoch ends promptly."""


@dataclass
class RunEpoch:
    """One epoch's results, still on the device: nothing here has been synced to the host.

    `values` is [members, n_values] (RUN_VALUE_NAMES, then LAYER_VALUE_NAMES per hidden layer)
    built with a single stack, so the host sync of the epoch copies a handful of numbers per
    member. On epochs that are not sampled (Run.detailed False) it holds RUN_VALUE_NAMES only
    and `pres` and `posts` are empty.
    """

    values: torch.Tensor
    n_train: int  # rows per member
    n_val: int
    activation: str
    pres: list[torch.Tensor]  # validation pre-activations per hidden layer [members, rows, width]
    posts: list[torch.Tensor]  # validation post-activations per hidden layer
    seconds: float
    alive: torch.Tensor | None = None  # [members] bool; None: no member has diverged
    # Sampled epochs: how many input-share values (one per source feature) follow the layers'
    # values in `values` (engine/listens.py); 0 when none were computed.
    n_shares: int = 0
    # Held-out rows (a grid's test split): the last TEST_VALUE_NAMES values of each member's
    # row in `values`, and how many rows they are over; 0 when there are none.
    n_test: int = 0


def _has_mode_layers(model: nn.Module) -> bool:
    """True when train()/eval() changes the forward pass (dropout, batch norm): else skip them."""
    mode_types = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm, MemberBatchNorm)
    return any(isinstance(module, mode_types) for module in model.modules())


def _member_norms(tensors: list[torch.Tensor], members: int) -> list[torch.Tensor]:
    """Each tensor's L2 norm per member, [members] each (one member: the plain norm's kernel)."""
    if members == 1:
        return [norm.reshape(1) for norm in torch._foreach_norm(tensors)]
    return [torch.linalg.vector_norm(t.flatten(1), dim=1) for t in tensors]


class Run:
    """N members trained on one input transform; the session keeps two of these in lockstep.

    Tensors carry the member dimension first: X_train [members, rows, features], y_train
    [members, rows]; member k has its own split (its own seed), all of the same size.
    """

    def __init__(
        self,
        name: str,
        model: EnsembleMLP,
        optimizer_name: str,
        lr: float,
        tensors: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        task: Task,
        groups: torch.Tensor | None = None,
        rates: torch.Tensor | None = None,
        test: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        """`groups` [input columns, source features] (0/1) sums one-hot columns back into their
        feature for the input shares; None: no shares are computed. `rates` [members]: each
        member's own learning rate (a grid, engine/rates.py); None: every member at `lr`.
        `test` (X, y): held-out rows evaluated every epoch, never trained or chosen on."""
        self.name = name
        self.model = model
        self.optimizer_name = optimizer_name
        self.optimizer = make_optimizer(optimizer_name, list(model.parameters()), lr)
        self._step = eager_step(self.optimizer)  # no torch._dynamo import, no profiler hooks
        self.rates: MemberRateStep | None = None
        if rates is not None:
            self.rates = MemberRateStep(self.optimizer, self._step, rates)
            self._step = self.rates
        self.X_test, self.y_test = test if test is not None else (None, None)
        self.X_train, self.y_train, self.X_val, self.y_val = tensors
        self.members = model.members
        self.task = task  # issue 14 hook: the loss and the hit count come from the task
        self.status = RUNNING
        # the divergence rule, against the trivial predictor's loss (per member: see the trainer)
        self.watch = LossWatch(trivial_loss(task))
        self.elapsed_s = 0.0
        device = self.X_train.device
        self._zero = torch.zeros(self.members, device=device)
        self._rows = torch.arange(self.members, device=device).unsqueeze(1)
        self._batch_weights: dict[tuple[int, int], torch.Tensor] = {}
        self._mode_layers = _has_mode_layers(model)
        # Members whose loss left the finite numbers: left out of every mean and pooled value.
        self.alive = [True] * self.members
        self._alive_mask: torch.Tensor | None = None
        # Per-layer stats (and the activations histograms are built from) for this epoch? The
        # trainer sets it per epoch: they cost more than the post's whole step on tiny models.
        self.detailed = True
        self._groups = groups
        self._input_var: torch.Tensor | None = None  # the first layer's inputs' var, cached

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def scale_rates(self, factor: float) -> None:
        """A grid: every member's rate times `factor`."""
        if self.rates is not None:
            self.rates.scale(factor)

    def set_activation(self, name: str) -> None:
        removed, added = self.model.set_activation(name)
        swap_optimizer_params(self.optimizer, removed, added, self.lr)
        self._mode_layers = _has_mode_layers(self.model)

    def member_diverged(self, k: int) -> None:
        """Leave member k out from now on (its numbers are no longer reported or pooled)."""
        self.alive[k] = False
        self._alive_mask = torch.tensor(self.alive, device=self._zero.device)

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
        """One pass over the training data (`order` [members, rows], or as stored: full batch).

        Per step it adds only what the epoch's loss and accuracy need (detached losses and
        correct counts per member); everything else is computed once, after the pass.
        """
        started = time.perf_counter()
        model, optimizer, task = self.model, self.optimizer, self.task
        detailed = self.detailed
        weights_before = (
            [linear.weight.detach().clone() for linear in model.hidden_layers()] if detailed else []
        )
        n_train = self.X_train.shape[1]
        losses: list[torch.Tensor] = []
        corrects: list[torch.Tensor] = []
        mode_layers = self._mode_layers
        if mode_layers:
            model.train()
        for start in range(0, n_train, batch_size):
            if cancel is not None and start and cancel.is_set():
                raise Cancelled
            if order is None:
                inputs = self.X_train[:, start : start + batch_size]
                targets = self.y_train[:, start : start + batch_size]
            else:
                index = order[:, start : start + batch_size]
                inputs, targets = self.X_train[self._rows, index], self.y_train[self._rows, index]
            optimizer.zero_grad(set_to_none=True)
            outputs = model(inputs)
            loss, member_losses = task.member_loss(outputs, targets)
            loss.backward()
            self._step()
            losses.append(member_losses.detach())
            corrects.append(task.member_hits(outputs.detach(), targets))
        if len(losses) == 1:
            train_loss, train_correct = losses[0], corrects[0]
        elif self.members == 1:  # the one-seed arithmetic, to the bit
            train_loss = (torch.stack(losses)[:, 0] @ self._weights(n_train, batch_size))[None]
            train_correct = torch.stack(corrects).sum().reshape(1)
        else:
            train_loss = self._weights(n_train, batch_size) @ torch.stack(losses)
            train_correct = torch.stack(corrects).sum(dim=0)
        if mode_layers:
            model.eval()
        if detailed:
            result = self._evaluate(weights_before, train_loss, train_correct)
        else:
            result = self._evaluate_losses(train_loss, train_correct)
        result.seconds = time.perf_counter() - started
        self.elapsed_s += result.seconds
        return result

    def _test_values(self) -> list[torch.Tensor]:
        """The held-out rows' loss and correct count per member (none without them)."""
        if self.X_test is None or self.y_test is None:
            return []
        logits = self.model(self.X_test)
        return [
            self.task.member_loss(logits, self.y_test)[1],
            self.task.member_hits(logits, self.y_test),
        ]

    def _epoch(
        self, values: list[torch.Tensor], pres: list, posts: list, n_shares: int = 0
    ) -> RunEpoch:
        test = self._test_values()
        return RunEpoch(
            n_test=0 if self.y_test is None else self.y_test.shape[1],
            n_shares=n_shares,
            values=torch.stack(values + test, dim=1),  # counts are promoted to the loss dtype
            n_train=self.X_train.shape[1],
            n_val=self.X_val.shape[1],
            activation=self.model.activation_name,
            pres=pres,
            posts=posts,
            seconds=0.0,
            alive=self._alive_mask,
        )

    @torch.no_grad()
    def _evaluate_losses(self, train_loss: torch.Tensor, train_correct: torch.Tensor) -> RunEpoch:
        """Validation loss and accuracy only: what every epoch carries."""
        logits = self.model(self.X_val)
        values = [
            train_loss,
            train_correct,
            self.task.member_loss(logits, self.y_val)[1],
            self.task.member_hits(logits, self.y_val),
        ]
        return self._epoch(values, [], [])

    def _stuck_units(self, activation: str) -> list[torch.Tensor]:
        """Per hidden layer, each member's units stuck on every training row (at most
        STUCK_MAX_ROWS of them): dead (ReLU: never positive) or saturated (tanh, sigmoid: the
        derivative under SATURATION_DERIVATIVE of its largest). Empty for other activations."""
        if activation not in DEAD_CAPABLE and activation not in ("tanh", "sigmoid"):
            return [self._zero] * len(self.model.linears)
        _, pres, posts = self.model.forward_recording(self.X_train[:, :STUCK_MAX_ROWS])
        if activation in DEAD_CAPABLE:
            return [(pre.amax(dim=1) <= 0).sum(dim=1) for pre in pres]
        if activation == "tanh":  # tanh' / max = 1 − y²
            share = [1 - post.square() for post in posts]
        else:  # sigmoid' / max = 4 y (1 − y)
            share = [4 * post * (1 - post) for post in posts]
        return [(s < SATURATION_DERIVATIVE).all(dim=1).sum(dim=1) for s in share]

    @torch.no_grad()
    def _evaluate(
        self,
        weights_before: list[torch.Tensor],
        train_loss: torch.Tensor,
        train_correct: torch.Tensor,
    ) -> RunEpoch:
        """Validation pass recording activations, and every per-layer number per member."""
        model, members = self.model, self.members
        logits, pres, posts = model.forward_recording(self.X_val)
        values = [
            train_loss,
            train_correct,
            self.task.member_loss(logits, self.y_val)[1],
            self.task.member_hits(logits, self.y_val),
        ]
        activation = model.activation_name
        linears = model.hidden_layers()
        grads = [linear.weight.grad for linear in linears]
        present = [grad for grad in grads if grad is not None]
        if len(present) == len(grads):
            grad_norms = _member_norms(present, members)
        else:
            grad_norms = [
                self._zero if g is None else _member_norms([g], members)[0] for g in grads
            ]
        weights_now = [linear.weight.detach() for linear in linears]
        before_norms = _member_norms(weights_before, members)
        update_norms = _member_norms(list(torch._foreach_sub(weights_now, weights_before)), members)
        zero = self._zero
        relu_family = activation in RELU_FAMILY
        stuck = self._stuck_units(activation)
        for index, (pre, post) in enumerate(zip(pres, posts, strict=True)):
            if members == 1:  # the one-seed reductions, to the bit
                pre_min, pre_max = (v.reshape(1) for v in torch.aminmax(pre[0]))
                if pre[0].numel() > 1:
                    pre_std, pre_mean = (v.reshape(1) for v in torch.std_mean(pre[0]))
                else:
                    pre_std, pre_mean = zero, pre[0].mean().reshape(1)
            else:
                pre_min, pre_max = pre.amin(dim=(1, 2)), pre.amax(dim=(1, 2))
                if pre[0].numel() > 1:
                    pre_std, pre_mean = torch.std_mean(pre, dim=(1, 2))
                else:
                    pre_std, pre_mean = zero, pre.mean(dim=(1, 2))
            dead = stuck[index] if activation in DEAD_CAPABLE else zero
            saturated = stuck[index] if activation in ("tanh", "sigmoid") else zero
            zeros = (post == 0).sum(dim=(1, 2)) if relu_family else zero
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
        shares = self.input_shares()
        if shares is not None:
            values += list(shares.unbind(dim=1))
        return self._epoch(values, pres, posts, 0 if shares is None else shares.shape[1])

    @torch.no_grad()
    def silent_units(self) -> torch.Tensor:
        """Per member, first-layer units whose pre-activation is ≤ 0 on every training row
        ([members]): a ReLU unit that is silent there gets no gradient at all. At epoch 0 it
        says how much of "dead" the start already explains."""
        pre = self.model.linears[0](self.model.first_inputs(self.X_train))
        return (pre.amax(dim=1) <= 0).sum(dim=1)

    @torch.no_grad()
    def input_variance(self) -> torch.Tensor:
        """Per member, the variance over its training rows of each column the first Linear
        sees ([members, columns]): the inputs, or an input normalization layer's output on the
        training rows (`first_inputs`; it changes as that layer learns)."""
        if self.model.input_norm is not None:
            return self.model.first_inputs(self.X_train).var(dim=1, correction=0)
        if self._input_var is None:
            self._input_var = self.X_train.var(dim=1, correction=0)
        return self._input_var

    @torch.no_grad()
    def input_shares(self) -> torch.Tensor | None:
        """[members, source features]: ‖W[:, j]‖² · var(x_j) over their sum, one-hot columns
        summed into their feature (engine/listens.py); None without `groups`."""
        if self._groups is None:
            return None
        weight = self.model.member_linears()[0].weight.detach()
        column = weight.square().sum(dim=-2)  # [members, columns], or [columns] for one
        if column.dim() == 1:
            column = column.unsqueeze(0)
        grouped = (column * self.input_variance()) @ self._groups
        return grouped / grouped.sum(dim=1, keepdim=True).clamp_min(1e-30)
