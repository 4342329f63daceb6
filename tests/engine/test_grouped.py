"""`EnsembleMLP(input_groups=R)` (engine/grouped.py): members s·R .. s·R+R-1 share their inputs,
so the first layer is one matmul per group and activations are kept feature-major.

What must hold: every member still trains exactly like its own one-member model. Not bit for
bit: the grouped matmul adds the bias inside the dot product ([W | b] @ [x; 1]) and sums the
weight gradient over rows in another order than nn.Linear's addmm, so float32 results differ
in the last bits (reassociation only: the same products, summed in another order). Measured
over the cases below (64 members, 8 epochs): at most 3.3e-7 relative on a member's loss and
1.3e-6 on a weight, relative to that layer's largest weight (Adam, ReLU, full batch); the
tolerance is 1e-5, about eight times that, as in test_seeds.py. The members of a group start
from different draws here, so a member that read another member's slice would differ at once.
"""

from __future__ import annotations

import pytest
import torch

from normtui.engine import models
from normtui.engine.config import ConfigError
from normtui.engine.grouped import _GroupedFirst, _GroupedStack
from normtui.engine.models import EnsembleMLP
from normtui.engine.run import Run
from normtui.engine.task import CLASSIFICATION, Task

GROUPS, PER_GROUP = 8, 8  # 8 seeds x 8 rates: the grid's 64 members, seed-major
MEMBERS = GROUPS * PER_GROUP
ROWS, FEATURES, CLASSES = 60, 13, 3
EPOCHS = 8
REL_TOL = 1e-5
TASK = Task(CLASSIFICATION, CLASSES)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: intra-op threads only add waits (20x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _group_tensors() -> tuple[torch.Tensor, ...]:
    """Train and validation rows per group, each repeated for the group's members."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(GROUPS, ROWS, FEATURES, generator=generator)
    y = torch.randint(0, CLASSES, (GROUPS, ROWS), generator=generator)
    x_val = torch.randn(GROUPS, 20, FEATURES, generator=generator)
    y_val = torch.randint(0, CLASSES, (GROUPS, 20), generator=generator)
    return tuple(t.repeat_interleave(PER_GROUP, dim=0) for t in (x, y, x_val, y_val))


def _orders(batch_size: int | None) -> list[torch.Tensor | None]:
    """Each epoch's batch order, one per group, shared by the group's members."""
    if batch_size is None:
        return [None] * EPOCHS
    generator = torch.Generator().manual_seed(1)
    return [
        torch.stack(
            [torch.randperm(ROWS, generator=generator) for _ in range(GROUPS)]
        ).repeat_interleave(PER_GROUP, dim=0)
        for _ in range(EPOCHS)
    ]


def _train(model: EnsembleMLP, tensors, optimizer: str, batch_size: int | None, orders):
    """Per epoch the members' training losses; the run's detailed flag alternates."""
    run = Run("normalized", model, optimizer, 0.01, tensors, TASK)
    losses = []
    for epoch, order in enumerate(orders):
        run.detailed = epoch % 2 == 0
        result = run.train_epoch(order, batch_size or ROWS)
        losses.append(result.values[:, 0])
    return torch.stack(losses), run


@pytest.mark.parametrize(
    ("optimizer", "activation", "batch_size"),
    [
        ("adam", "relu", None),
        ("sgd", "relu", 32),
        ("adam", "tanh", 32),
        ("sgd", "tanh", None),
        ("adam", "prelu", None),  # autograd's composition (per-member slopes), not the fused node
        ("sgd", "prelu", 32),
    ],
)
def test_each_member_of_a_grouped_model_trains_like_its_own_one_member_model(
    optimizer: str, activation: str, batch_size: int | None
) -> None:
    tensors = _group_tensors()
    orders = _orders(batch_size)
    seeds = list(range(100, 100 + MEMBERS))
    model = EnsembleMLP(FEATURES, (16,), CLASSES, activation, seeds, input_groups=PER_GROUP)
    assert model.grouped()
    losses, run = _train(model, tensors, optimizer, batch_size, orders)
    for k in range(MEMBERS):
        alone = EnsembleMLP(FEATURES, (16,), CLASSES, activation, [seeds[k]])
        mine = tuple(t[k : k + 1] for t in tensors)
        single = [None if o is None else o[k : k + 1] for o in orders]
        single_losses, single_run = _train(alone, mine, optimizer, batch_size, single)
        torch.testing.assert_close(losses[:, k], single_losses[:, 0], rtol=REL_TOL, atol=0)
        for ours, theirs in zip(run.model.parameters(), single_run.model.parameters(), strict=True):
            scale = theirs.detach().abs().max()
            assert (ours[k] - theirs.reshape(ours[k].shape)).abs().max() <= REL_TOL * scale, k


def _twins(activation: str, hidden: tuple[int, ...], **options) -> tuple[EnsembleMLP, ...]:
    """The same 12 members ungrouped and in groups of 3."""
    seeds = list(range(12))
    plain = EnsembleMLP(6, hidden, 3, activation, seeds, **options)
    grouped = EnsembleMLP(6, hidden, 3, activation, seeds, input_groups=3, **options)
    grouped.load_state_dict(plain.state_dict())
    return plain, grouped


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "prelu", "gelu", "identity"])
@pytest.mark.parametrize("hidden", [(8,), (8, 5)])
def test_grouped_outputs_gradients_and_recordings_equal_the_plain_path(activation, hidden):
    torch.manual_seed(0)
    x = torch.randn(4, 10, 6).repeat_interleave(3, dim=0)
    y = torch.randint(0, 3, (12, 10))
    results = []
    for model in _twins(activation, hidden):
        out = model(x)
        TASK.member_loss(out, y)[0].backward()
        with torch.no_grad():
            recorded = model.forward_recording(x)
        grads = [p.grad for p in model.parameters()]
        results.append((out, grads, recorded))
    (out, grads, (logits, pres, posts)), theirs = results
    assert out.shape == (12, 10, 3) and out.is_contiguous()
    torch.testing.assert_close(out, theirs[0])
    torch.testing.assert_close(grads, theirs[1])
    torch.testing.assert_close(logits, theirs[2][0])
    assert [p.shape for p in pres] == [(12, 10, w) for w in hidden]
    torch.testing.assert_close(pres + posts, theirs[2][1] + theirs[2][2])


def test_activation_swaps_keep_the_grouped_path_and_its_equivalence() -> None:
    torch.manual_seed(0)
    models = _twins("relu", (8,))
    x, y = torch.randn(4, 10, 6).repeat_interleave(3, dim=0), torch.randint(0, 3, (12, 10))
    for name in ("prelu", "tanh", "relu"):
        outs = []
        for model in models:
            model.set_activation(name)
            model.zero_grad()
            out = model(x)
            TASK.member_loss(out, y)[0].backward()
            outs.append((out, [p.grad for p in model.parameters()]))
        assert models[1].grouped()
        torch.testing.assert_close(outs[0], outs[1])


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_norms_fall_back_to_the_plain_path(norm: str) -> None:
    hidden_normed = _twins("relu", (8,), hidden_norm=norm)
    assert not hidden_normed[1].grouped()
    input_normed = _twins("relu", (8,))
    input_normed[1].set_input_norm(norm)
    assert input_normed[1].grouped() is False
    x = torch.randn(4, 10, 6).repeat_interleave(3, dim=0)
    torch.testing.assert_close(hidden_normed[0](x), hidden_normed[1](x), rtol=0, atol=0)


def test_groups_must_divide_the_members() -> None:
    with pytest.raises(ConfigError, match="do not split into groups of 4"):
        EnsembleMLP(6, (8,), 3, "relu", list(range(6)), input_groups=4)
    assert not EnsembleMLP(6, (8,), 3, "relu", list(range(6))).grouped()  # the default


def test_the_grouped_functions_gradients_are_exact_in_float64() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 5, 4, dtype=torch.double)
    x = torch.cat([x, torch.ones(2, 5, 1, dtype=torch.double)], dim=-1)
    weight = torch.randn(6, 3, 4, dtype=torch.double, requires_grad=True)
    bias = torch.randn(6, 3, dtype=torch.double, requires_grad=True)
    inputs = (x.clone().requires_grad_(), weight, bias)
    assert torch.autograd.gradcheck(lambda x, w, b: _GroupedFirst.apply(x, w, b, 3), inputs)
    shapes = [(6, 3, 4), (6, 3), (6, 5, 3), (6, 5), (6, 2, 5), (6, 2)]
    params = tuple(torch.randn(s, dtype=torch.double, requires_grad=True) for s in shapes)
    for kind in (torch.nn.ReLU, torch.nn.Tanh, torch.nn.Sigmoid):
        assert torch.autograd.gradcheck(
            lambda *p, kind=kind: _GroupedStack.apply(x, 3, kind, *p), params
        )


def test_large_activations_take_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above GROUPED_MAX_ACTIVATIONS (members x rows x width) the grouped path measured slower:
    the same model then computes exactly what the ungrouped one does."""
    plain, grouped = _twins("relu", (8,))
    monkeypatch.setattr(models, "GROUPED_MAX_ACTIVATIONS", 12 * 10 * 8)
    small = torch.randn(4, 10, 6).repeat_interleave(3, dim=0)
    large = torch.randn(4, 11, 6).repeat_interleave(3, dim=0)
    assert grouped.grouped(small) and not grouped.grouped(large)
    assert torch.equal(grouped(large), plain(large))
    assert torch.equal(grouped.forward_recording(large)[1][0], plain.forward_recording(large)[1][0])
