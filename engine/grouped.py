"""The ensemble's forward pass when consecutive members share their inputs (`input_groups`).

A learning-rate grid trains seeds × rates members laid out seed-major (m = s·R + r): the R
members of seed s see the same rows. Their first layers are then one matmul per seed,
W_s [R·width, in] @ x_sᵀ [in, rows], instead of R small ones, and its weight gradient is one
[R·width, rows] @ [rows, in] per seed. The bias rides along as a column of ones appended to
x_s (the weight gets the bias as its last column), so no broadcast copy and no separate
gradient sum are needed.

The hidden activations are kept "feature-major", [members, width, rows]: that is exactly the
memory of the grouped first layer's output (R members' units one after another), so no permute
copy is needed between layers; the later layers are batched matmuls W [out, in] @ h [in, rows];
the head's output [members, outputs, rows] is handed back as a transposed view
[members, rows, outputs], which is the layout the per-member cross-entropy wants anyway.

Weights keep their shape ([members, out, in]); only the activations' layout differs, so every
reader of `.weight` and `.grad` is unchanged. Each member's arithmetic is its own (same sums,
another order: float32 reassociation only). The measured gain and what did not pay are in
benchmarks/README.md (issue 23).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional

if TYPE_CHECKING:
    from normtui.engine.models import MemberLinear

# In-place activations and their gradients from the output alone: the fused stack's family.
_aten = torch.ops.aten
_IN_PLACE: dict[type[nn.Module], tuple[Callable, Callable]] = {
    nn.ReLU: (torch.relu_, lambda g, y: _aten.threshold_backward.grad_input(g, y, 0, grad_input=g)),
    nn.Tanh: (torch.tanh_, lambda g, y: _aten.tanh_backward.grad_input(g, y, grad_input=g)),
    nn.Sigmoid: (
        torch.sigmoid_,
        lambda g, y: _aten.sigmoid_backward.grad_input(g, y, grad_input=g),
    ),
}
FUSED = True  # False: always autograd's composition (benchmarks/members.py compares them)


def with_ones(x: torch.Tensor, groups: int) -> torch.Tensor:
    """One input per group of `groups` members ([members / groups, rows, in + 1]): the first
    member's, with a column of ones for the bias."""
    firsts = x[::groups]
    return torch.cat([firsts, firsts.new_ones(*firsts.shape[:2], 1)], dim=-1)


def _first(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, groups: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(pre-activations [members, width, rows], the weight with the bias as last column)."""
    members, width, n_in = weight.shape
    seeds = members // groups
    augmented = torch.cat([weight, bias.unsqueeze(-1)], dim=-1)
    out = x.new_empty(members, width, x.shape[1])
    # written through a view of `out`: a custom Function must not return a view
    torch.bmm(
        augmented.view(seeds, groups * width, n_in + 1),
        x.transpose(1, 2),
        out=out.view(seeds, groups * width, -1),
    )
    return out, augmented


def _first_grads(
    grad: torch.Tensor, x: torch.Tensor, groups: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first layer's (weight, bias) gradients: one [R·width, rows] @ [rows, in + 1] per seed."""
    members, width, _ = grad.shape
    seeds = members // groups
    both = torch.bmm(grad.reshape(seeds, groups * width, -1), x).view(members, width, -1)
    return both[..., :-1].contiguous(), both[..., -1].contiguous()


class _GroupedFirst(torch.autograd.Function):
    """First layer for groups of `groups` members with identical inputs: [members, width, rows].

    `x` is one input per group, [members / groups, rows, in + 1] with a last column of ones.
    """

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, groups: int
    ) -> torch.Tensor:
        out, augmented = _first(x, weight, bias, groups)
        ctx.save_for_backward(x, augmented)
        ctx.groups = groups
        return out

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (grad,) = grads
        x, augmented = ctx.saved_tensors
        grad_x = None
        if ctx.needs_input_grad[0]:  # the group's members' contributions, summed
            seeds = x.shape[0]
            by_seed = grad.reshape(seeds, -1, grad.shape[2]).transpose(1, 2)
            grad_x = torch.bmm(by_seed, augmented.view(seeds, -1, augmented.shape[2]))
        return grad_x, *_first_grads(grad, x, ctx.groups), None


class _GroupedStack(torch.autograd.Function):
    """The whole grouped stack (first layer, hidden layers, head) as one autograd node, for
    activations in `_IN_PLACE`: each activation runs in place on its pre-activations and its
    gradient is written over the incoming one, so two activation-sized buffers per layer are
    never allocated. Inputs never get a gradient (the caller checks they need none)."""

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, groups: int, kind: type[nn.Module], *params: torch.Tensor
    ) -> torch.Tensor:
        activate_ = _IN_PLACE[kind][0]
        h, _ = _first(x, params[0], params[1], groups)
        posts = [activate_(h)]
        for index in range(2, len(params), 2):  # hidden layers, then the head
            h = torch.baddbmm(params[index + 1].unsqueeze(2), params[index], posts[-1])
            if index + 2 < len(params):
                posts.append(activate_(h))
        ctx.save_for_backward(x, *params[2::2], *posts)
        ctx.groups, ctx.kind = groups, kind
        return h

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (grad,) = grads
        derivative = _IN_PLACE[ctx.kind][1]
        x, *saved = ctx.saved_tensors
        weights, posts = saved[: len(saved) // 2], saved[len(saved) // 2 :]
        out: list[torch.Tensor] = []
        for weight, post in zip(reversed(weights), reversed(posts), strict=True):
            out[:0] = [torch.bmm(grad, post.transpose(1, 2)), grad.sum(dim=2)]
            grad = derivative(torch.bmm(weight.transpose(1, 2), grad), post)
        return None, None, None, *_first_grads(grad, x, ctx.groups), *out


def activate(activation: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """`activation` on feature-major activations [members, width, rows].

    Elementwise modules do not care about the layout; per-member PReLU slopes [members, width]
    are one channel per (member, unit), which is dim 1 of the flattened view.
    """
    slopes = getattr(activation, "weight", None)
    if not isinstance(slopes, torch.Tensor) or slopes.dim() != 2:
        return activation(h)
    members, width, rows = h.shape
    flat = functional.prelu(h.reshape(1, members * width, rows), slopes.reshape(-1))
    return flat.view(members, width, rows)


def grouped_forward(
    x: torch.Tensor,
    groups: int,
    linears: Sequence[MemberLinear],
    activations: Sequence[nn.Module],
    head: MemberLinear,
    record: bool = False,
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """(outputs [members, rows, outputs], pres, posts) of the stack on `x` [members, rows, in];
    pres and posts ([members, rows, width] transposed views) only when `record`."""
    kind = type(activations[0])
    if (
        FUSED
        and not record
        and not x.requires_grad
        and kind in _IN_PLACE
        and all(type(activation) is kind for activation in activations)
    ):
        params = [p for layer in (*linears, head) for p in (layer.weight, layer.bias)]
        out = _GroupedStack.apply(with_ones(x, groups), groups, kind, *params)
        return out.transpose(1, 2).contiguous(), [], []
    pres: list[torch.Tensor] = []
    posts: list[torch.Tensor] = []
    first = linears[0]
    h = _GroupedFirst.apply(with_ones(x, groups), first.weight, first.bias, groups)
    for index, activation in enumerate(activations):
        if index:
            layer = linears[index]
            h = torch.baddbmm(layer.bias.unsqueeze(2), layer.weight, h)
        pre, h = h, activate(activation, h)
        if record:
            pres.append(pre.transpose(1, 2))
            posts.append(h.transpose(1, 2))
    out = torch.baddbmm(head.bias.unsqueeze(2), head.weight, h)
    # contiguous: an argmax over a strided last dim (the hit count) is ~9x slower than the copy
    return out.transpose(1, 2).contiguous(), pres, posts
