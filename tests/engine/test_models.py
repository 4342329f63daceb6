"""The model and optimizer plumbing: eager steps equal torch's own, activations swap cleanly."""

from __future__ import annotations

import copy

import pytest
import torch

from normtui.engine.config import ACTIVATIONS
from normtui.engine.models import MLP, MemberLinear, _MemberAffine, eager_step, make_optimizer


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop"])
def test_eager_step_updates_exactly_like_optimizer_step(name) -> None:
    torch.manual_seed(0)
    model = MLP(5, (8, 4), 3, "prelu")
    twin = copy.deepcopy(model)
    x, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    ours = make_optimizer(name, list(model.parameters()), 0.01)
    theirs = make_optimizer(name, list(twin.parameters()), 0.01)
    step = eager_step(ours)
    for _ in range(5):
        for net, optimizer, do_step in ((model, ours, step), (twin, theirs, theirs.step)):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            do_step()
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_trains_and_swaps(name) -> None:
    torch.manual_seed(0)
    model = MLP(4, (6,), 2, "relu")
    removed, added = model.set_activation(name)
    assert removed == []
    assert model.activation_name == name
    assert (len(added) == 1) == (name == "prelu")
    logits, pres, posts = model.forward_recording(torch.randn(10, 4))
    assert logits.shape == (10, 2) and pres[0].shape == posts[0].shape == (10, 6)


def test_member_linear_gradients_are_autograds_of_the_batched_affine_map() -> None:
    """MemberLinear's own backward (the weight's gradient as gradᵀ @ x, the faster way round):
    exact against finite differences in float64, and autograd's own numbers in float32."""
    torch.manual_seed(0)
    linears = [torch.nn.Linear(6, 3) for _ in range(4)]
    layer = MemberLinear(linears).double()
    x = torch.randn(4, 7, 6, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w, b: _MemberAffine.apply(x, w, b), (x, layer.weight, layer.bias)
    )
    layer = MemberLinear(linears)
    x = torch.randn(4, 50, 6, requires_grad=True)
    grad = torch.randn(4, 50, 3)
    layer(x).backward(grad)
    ours = [x.grad, layer.weight.grad, layer.bias.grad]
    x.grad = None
    weight, bias = layer.weight.detach().requires_grad_(), layer.bias.detach().requires_grad_()
    reference = torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))
    assert torch.equal(layer(x), reference), "the forward pass is the same call"
    reference.backward(grad)
    for mine, theirs in zip(ours, [x.grad, weight.grad, bias.grad], strict=True):
        torch.testing.assert_close(mine, theirs)
