"""One optimizer, a learning rate per member: a grid's members stepped as one batched model.

Every optimizer normtui offers (Adam, AdamW, SGD with momentum, RMSprop) keeps state that does
not depend on the learning rate (moments, momentum buffers, square averages) and moves each
weight by `lr` times an update computed from that state: Adam's m̂/(√v̂ + ε), AdamW's the same
plus `wd·p`, SGD's momentum buffer, RMSprop's g/(√v + ε). So one step at lr 1 followed by
scaling each member's move by its own rate,

    p ← p₀ + rate_k · (step₁(p₀) − p₀),

is that member's own step at its own rate, and the fused kernel still does the work. The only
difference from a member trained alone is float32 rounding of p₀ − u − p₀, relative error
≈ 2⁻²⁴·|p|/|u| of the move (tests compare each member with a one-seed run at its rate).
"""

from __future__ import annotations

from collections.abc import Callable

import torch


class MemberRateStep:
    """`step()` for an optimizer over member-first parameters ([members, ...]) where member k
    moves at `rates[k]`."""

    def __init__(
        self, optimizer: torch.optim.Optimizer, step: Callable[[], object], rates: torch.Tensor
    ) -> None:
        self.optimizer, self._step = optimizer, step
        self.rates = rates  # [members], on the parameters' device

    def scale(self, factor: float) -> None:
        """Every member's rate times `factor` (the grid shifted as a whole)."""
        self.rates = self.rates * factor

    def __call__(self) -> None:
        params = [
            p
            for group in self.optimizer.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        for group in self.optimizer.param_groups:
            group["lr"] = 1.0
        with torch.no_grad():
            data = [p.detach() for p in params]
            before = [p.clone() for p in data]
            self._step()
            scales = [self.rates.view(-1, *([1] * (p.dim() - 1))).expand_as(p) for p in data]
            torch._foreach_lerp_(before, data, scales)  # p₀ + rate·(p₁ − p₀)
            torch._foreach_copy_(data, before)
