"""The MLP both runs train, the batched ensemble of them, and the activation registry.

A run trains N members (seeds seed..seed+N-1) as one `EnsembleMLP`: each weight carries a
leading member dimension and one batched matmul serves every member, so N small models cost
about one where the step is bound by kernel dispatch. Members never mix: each member's output,
loss and gradient depend on its own slice only, and the optimizers normtui offers update
elementwise, so one optimizer over the stacked tensors is N independent optimizers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
from torch import nn
from torch.nn import functional

from normtui.engine.config import ACTIVATIONS, ConfigError
from normtui.engine.grouped import grouped_forward

ACTIVATION_FACTORIES: dict[str, Callable[[int], nn.Module]] = {
    "relu": lambda width: nn.ReLU(),
    "leaky_relu": lambda width: nn.LeakyReLU(0.01),
    "prelu": lambda width: nn.PReLU(num_parameters=width),  # one learnable slope per unit
    "elu": lambda width: nn.ELU(),
    "selu": lambda width: nn.SELU(),
    "gelu": lambda width: nn.GELU(),
    "silu": lambda width: nn.SiLU(),
    "mish": lambda width: nn.Mish(),
    "softplus": lambda width: nn.Softplus(),
    "tanh": lambda width: nn.Tanh(),
    "sigmoid": lambda width: nn.Sigmoid(),
    "identity": lambda width: nn.Identity(),
}
assert tuple(ACTIVATION_FACTORIES) == ACTIVATIONS


def make_activation(name: str, width: int) -> nn.Module:
    factory = ACTIVATION_FACTORIES.get(name)
    if factory is None:
        raise ConfigError(f"unknown activation {name!r}; choose from: {', '.join(ACTIVATIONS)}")
    return factory(width)


class LayerStack(nn.Module):
    """Hidden (linear, activation) pairs and a linear head: the forward passes and the
    activation swap that the one-seed MLP and the batched ensemble share."""

    linears: nn.ModuleList
    activations: nn.ModuleList
    head: nn.Module
    activation_name: str
    # Set in __init__ (None or modules; a class attribute would shadow a registered module):
    # the normalized run's input normalization (`--scaler batchnorm|layernorm`) and one
    # normalization after each hidden Linear (`--hidden-norm`), in both runs.
    input_norm: nn.Module | None
    norms: nn.ModuleList | None

    def _normed(self, index: int, pre: torch.Tensor) -> torch.Tensor:
        return pre if self.norms is None else self.norms[index](pre)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_norm is not None:
            x = self.input_norm(x)
        for index, (linear, activation) in enumerate(
            zip(self.linears, self.activations, strict=True)
        ):
            x = activation(self._normed(index, linear(x)))
        return self.head(x)

    def forward_recording(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Forward pass that also returns each hidden layer's pre- and post-activation values
        (pre: what the activation receives, after a hidden normalization when there is one)."""
        pres: list[torch.Tensor] = []
        posts: list[torch.Tensor] = []
        if self.input_norm is not None:
            x = self.input_norm(x)
        for index, (linear, activation) in enumerate(
            zip(self.linears, self.activations, strict=True)
        ):
            pre = self._normed(index, linear(x))
            x = activation(pre)
            pres.append(pre)
            posts.append(x)
        return self.head(x), pres, posts

    def hidden_layers(self) -> list[nn.Linear | MemberLinear]:
        """The hidden Linear layers, as their type (a ModuleList yields plain Modules)."""
        return [cast("nn.Linear | MemberLinear", linear) for linear in self.linears]

    @torch.no_grad()
    def first_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """What the first Linear sees for training inputs `x`: `x`, or the input normalization's
        output with `x`'s own statistics, as a full-batch training step sees it (at epoch 0 a
        batch norm's running statistics are still 0 and 1: they would show the raw inputs)."""
        norm = self.input_norm
        if norm is None:
            return x
        if isinstance(norm, MemberBatchNorm):
            return norm.normalize(x, *reversed(torch.var_mean(x, dim=1, correction=0)))
        return norm(x)

    def _activation_for(self, name: str, width: int) -> nn.Module:
        raise NotImplementedError

    def set_activation(self, name: str) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """Swap every hidden activation in place; return (removed, added) parameters."""
        removed = [p for act in self.activations for p in act.parameters()]
        device = next(self.head.parameters()).device
        for index, linear in enumerate(self.hidden_layers()):
            self.activations[index] = self._activation_for(name, linear.out_features).to(device)
        self.activation_name = name
        added = [p for act in self.activations for p in act.parameters()]
        return removed, added


class MLP(LayerStack):
    """Linear → activation per hidden layer, then a Linear head.

    Layers are created in the same order as the origin post's SimpleNN (fc1, activation, fc2),
    so the same seed yields the same initial weights.
    """

    def __init__(
        self, in_features: int, hidden: tuple[int, ...], n_classes: int, activation: str
    ) -> None:
        super().__init__()
        self.activation_name = activation
        self.input_norm, self.norms = None, None
        self.linears = nn.ModuleList()
        self.activations = nn.ModuleList()
        width_in = in_features
        for width in hidden:
            self.linears.append(nn.Linear(width_in, width))
            self.activations.append(make_activation(activation, width))
            width_in = width
        self.head = nn.Linear(width_in, n_classes)

    def _activation_for(self, name: str, width: int) -> nn.Module:
        return make_activation(name, width)

    def linear_layers(self) -> list[nn.Linear]:
        """The hidden layers and the head, as nn.Linear (the ensemble copies their weights)."""
        return [cast("nn.Linear", layer) for layer in (*self.linears, self.head)]


class _MemberAffine(torch.autograd.Function):
    """`bias + x @ weightᵀ` per member, with the weight's gradient taken as `gradᵀ @ x`.

    Autograd of `baddbmm(bias, x, weight.transpose(1, 2))` takes it as `xᵀ @ grad` and then
    transposes: the same sums, but with the rows as the long inner dimension and a narrow
    output (a 10-class head) MKL's batched kernel is ~5x slower that way round (2.6 ms against
    0.5 ms for 30 members of digits). The forward pass is the same call.
    """

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor,
    ) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))

    @staticmethod
    def backward(
        ctx: Any, *grads: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        # ctx: Any, as torch declares it (its FunctionCtx stub lacks saved_tensors)
        (grad,) = grads
        x, weight = ctx.saved_tensors
        grad_x = torch.bmm(grad, weight) if ctx.needs_input_grad[0] else None
        return grad_x, torch.bmm(grad.transpose(1, 2), x), grad.sum(dim=1)


class MemberLinear(nn.Module):
    """N members' Linear layers as one: weight [N, out, in], bias [N, out], inputs [N, rows, in].

    One member keeps nn.Linear's own 2-D weight and kernel, so a one-seed run is bit for bit
    the model it always was.
    """

    def __init__(self, linears: Sequence[nn.Linear]) -> None:
        super().__init__()
        self.members = len(linears)
        self.in_features = linears[0].in_features
        self.out_features = linears[0].out_features
        if self.members == 1:
            weight, bias = linears[0].weight.detach(), linears[0].bias.detach()
        else:
            weight = torch.stack([linear.weight.detach() for linear in linears])
            bias = torch.stack([linear.bias.detach() for linear in linears])
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(bias.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.members == 1:
            return functional.linear(x, self.weight, self.bias)
        return _MemberAffine.apply(x, self.weight, self.bias)


class MemberPReLU(nn.Module):
    """PReLU with one learnable slope per unit and member: weight [N, width] ([width] for one)."""

    def __init__(self, members: int, width: int) -> None:
        super().__init__()
        self.members = members
        shape = (width,) if members == 1 else (members, width)
        self.weight = nn.Parameter(torch.full(shape, 0.25))  # nn.PReLU's initial slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.members == 1:
            return functional.prelu(x[0], self.weight).unsqueeze(0)
        return torch.where(x > 0, x, self.weight.unsqueeze(1) * x)


def make_member_activation(name: str, width: int, members: int) -> nn.Module:
    """The activation for N members: elementwise ones are shared, PReLU has per-member slopes."""
    if name == "prelu":
        return MemberPReLU(members, width)
    return make_activation(name, width)


class MemberBatchNorm(nn.Module):
    """N members' BatchNorm1d as one: inputs [N, rows, width]; member k normalizes with its
    own batch's statistics, keeps its own running statistics and has its own affine weights.

    Same arithmetic as `nn.BatchNorm1d` (momentum 0.1, eps 1e-5, biased variance to normalize,
    unbiased in the running variance); evaluation uses the running statistics.
    """

    # Registered buffers (moved with the module, saved in its state): a plain attribute reads
    # as `Tensor | Module` through nn.Module.__getattr__ to a type checker.
    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, members: int, width: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(members, width))
        self.bias = nn.Parameter(torch.zeros(members, width))
        self.register_buffer("running_mean", torch.zeros(members, width))
        self.register_buffer("running_var", torch.ones(members, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            var, mean = torch.var_mean(x, dim=1, correction=0)
            rows = x.shape[1]
            with torch.no_grad():
                unbiased = var * (rows / (rows - 1)) if rows > 1 else var
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(unbiased, self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return self.normalize(x, mean, var)

    def normalize(self, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        """`x` normalized with per-member statistics [N, width], then the affine weights."""
        scale = torch.rsqrt(var + self.eps) * self.weight
        return (x - mean.unsqueeze(1)) * scale.unsqueeze(1) + self.bias.unsqueeze(1)


class MemberLayerNorm(nn.Module):
    """N members' LayerNorm as one: each row normalized over its own features (no batch
    statistics, so training and evaluation agree), then member k's affine weights."""

    def __init__(self, members: int, width: int, eps: float = 1e-5):
        super().__init__()
        self.width, self.eps = width, eps
        self.weight = nn.Parameter(torch.ones(members, width))
        self.bias = nn.Parameter(torch.zeros(members, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = functional.layer_norm(x, (self.width,), eps=self.eps)
        return y * self.weight.unsqueeze(1) + self.bias.unsqueeze(1)


class SlicedInputNorm(nn.Module):
    """Input normalizations for some members only, each over its own slice of the member
    dimension (a sweep row's batchnorm / layernorm groups); the other members' inputs pass
    through unchanged."""

    def __init__(self, parts: Sequence[tuple[int, int, nn.Module]]) -> None:
        super().__init__()
        self.spans = [(start, stop) for start, stop, _ in parts]
        self.norms = nn.ModuleList(norm for _, _, norm in parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pieces, at = [], 0
        for (start, stop), norm in zip(self.spans, self.norms, strict=True):
            if at < start:
                pieces.append(x[at:start])
            pieces.append(norm(x[start:stop]))
            at = stop
        if at < x.shape[0]:
            pieces.append(x[at:])
        return torch.cat(pieces)


def make_member_norm(kind: str, members: int, width: int) -> nn.Module:
    """`batch` or `layer` normalization for N members of `width` features."""
    if kind == "batch":
        return MemberBatchNorm(members, width)
    if kind == "layer":
        return MemberLayerNorm(members, width)
    raise ConfigError(f"unknown normalization {kind!r}; choose from: batch, layer")


# The grouped path's largest hidden activation, in elements (members x rows x widest layer),
# above which the plain path is taken. Measured with the pair's two runs side by side (the
# trainer's threads), 64-member grids, per pair-epoch: grouped 18-41% faster at 0.58M (wine)
# and 19-21% at 1.6M (breast_cancer), 35-38% slower at 5.2M (digits: its feature-major head
# gradient is a ~2x slower gemm and the two runs share the memory bandwidth); between 1.6M and
# 5.2M not measured (benchmarks/README.md, issue 23).
GROUPED_MAX_ACTIVATIONS = 1 << 21


class EnsembleMLP(LayerStack):
    """N MLPs (member k initialised as `MLP` under seed `seeds[k]`) trained as one model.

    Inputs are [N, rows, features], outputs [N, rows, outputs]: member k sees only its slice.

    `input_groups` R > 1 promises that members s·R .. s·R+R-1 always get identical inputs (a
    learning-rate grid's rates of one seed): the forward pass then reads one input per group and
    takes the grouped, feature-major path (engine/grouped.py), ~20% cheaper for 64 members on
    small data. It falls back to the plain path with an input normalization or hidden norms,
    and for large activations (GROUPED_MAX_ACTIVATIONS), where it measured slower.
    """

    def __init__(
        self,
        in_features: int,
        hidden: tuple[int, ...],
        n_outputs: int,
        activation: str,
        seeds: Sequence[int],
        hidden_norm: str = "none",
        input_groups: int = 1,
    ) -> None:
        super().__init__()
        if input_groups < 1 or len(seeds) % input_groups:
            raise ConfigError(f"{len(seeds)} members do not split into groups of {input_groups}")
        self.input_groups = input_groups
        singles = []
        for seed in seeds:
            torch.manual_seed(seed)
            singles.append(MLP(in_features, hidden, n_outputs, activation))
        self.members = len(singles)
        self.activation_name = activation
        layers = [single.linear_layers() for single in singles]  # per member: hidden, then head
        self.linears = nn.ModuleList(
            MemberLinear([member[i] for member in layers]) for i in range(len(hidden))
        )
        self.activations = nn.ModuleList(
            make_member_activation(activation, width, self.members) for width in hidden
        )
        self.head = MemberLinear([member[-1] for member in layers])
        self.input_norm = None
        self.norms = (
            None
            if hidden_norm == "none"
            else nn.ModuleList(make_member_norm(hidden_norm, self.members, w) for w in hidden)
        )

    def grouped(self, x: torch.Tensor | None = None) -> bool:
        """Whether the forward pass on `x` (any input: None) takes the grouped path."""
        if (
            self.input_groups == 1
            or self.input_norm is not None
            or self.norms is not None
            or len(self.linears) == 0
        ):
            return False
        widest = max(linear.out_features for linear in self.member_linears())
        return x is None or self.members * x.shape[1] * widest <= GROUPED_MAX_ACTIVATIONS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.grouped(x):
            return super().forward(x)
        return grouped_forward(
            x, self.input_groups, self.member_linears(), list(self.activations), self._head()
        )[0]

    def forward_recording(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        if not self.grouped(x):
            return super().forward_recording(x)
        groups = self.input_groups
        return grouped_forward(
            x, groups, self.member_linears(), list(self.activations), self._head(), True
        )

    def _head(self) -> MemberLinear:
        """The head, as its type (an attribute set in __init__ reads as a plain Module)."""
        return cast("MemberLinear", self.head)

    def member_linears(self) -> list[MemberLinear]:
        """The hidden layers, as their type (a ModuleList yields plain Modules)."""
        return [cast("MemberLinear", linear) for linear in self.linears]

    def set_input_norm(self, kind: str) -> None:
        """Start the model with a normalization of its inputs (`batch` or `layer`)."""
        device = next(self.head.parameters()).device
        in_features = self.member_linears()[0].in_features
        self.input_norm = make_member_norm(kind, self.members, in_features).to(device)

    def _activation_for(self, name: str, width: int) -> nn.Module:
        return make_member_activation(name, width, self.members)

    def member_parameters(self) -> int:
        """Parameters of one member (what one of the N models has)."""
        return sum(p.numel() for p in self.parameters()) // self.members


@torch.no_grad()
def fit_first_layer(
    linear: MemberLinear, x_train: torch.Tensor, members: slice | None = None
) -> None:
    """Re-express the first layer's initial draw for inputs of the scale of `x_train` (`--raw-init
    data`): each weight column divided by its feature's training std, the bias shifted so that
    the pre-activations are centred as they would be on standardized inputs.

    W' = W / σ and b' = b − W' μ make W' x + b' = W (x − μ) / σ + b: on its training rows the
    raw run starts as the very function the standardized run starts as (same draw, same
    pre-activations, same silent units), so what differs afterwards is every later step, whose
    gradients still see the raw scales. Why not LSUV (Mishkin & Matas 2016): it rescales whole
    units from one batch's output variance, so proline would still dominate every unit; the
    per-column division is what a scaler does, moved into the weights. A constant column
    (σ = 0) keeps its weights. `x_train` is [members, rows, features]: every member's, or
    those of the `members` slice only (a sweep row's raw group).
    """
    mean = x_train.mean(dim=1)  # [members, features]
    std = x_train.std(dim=1, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    if linear.members == 1:
        linear.weight.div_(std[0])
        linear.bias.sub_(linear.weight @ mean[0])
        return
    part = slice(0, len(x_train)) if members is None else members
    weight, bias = linear.weight[part], linear.bias[part]  # views: changed in place
    weight.div_(std.unsqueeze(1))
    bias.sub_(torch.bmm(weight, mean.unsqueeze(2)).squeeze(2))


def swap_optimizer_params(
    optimizer: torch.optim.Optimizer,
    removed: list[nn.Parameter],
    added: list[nn.Parameter],
    lr: float,
) -> None:
    """Drop the old activation's parameters (and their state) and optimise the new ones.

    Without this a new PReLU gets gradients but never changes (facts.md); Linear layers keep
    their weights and their optimizer state.
    """
    removed_ids = {id(p) for p in removed}
    for group in optimizer.param_groups:
        group["params"] = [p for p in group["params"] if id(p) not in removed_ids]
    optimizer.param_groups[:] = [g for g in optimizer.param_groups if g["params"]]
    for param in removed:
        optimizer.state.pop(param, None)
    if added:
        optimizer.add_param_group({"params": added, "lr": lr})


def _skip_dynamo_import() -> None:
    """Let Optimizer's bookkeeping methods run without importing torch._dynamo.

    They are wrapped in `torch._disable_dynamo`, which imports torch._dynamo (~0.9 s, measured)
    on first call only to mark them as not compilable. normtui never calls torch.compile, so
    each wrapper is told its undecorated function is already "disabled". This halves the time
    from `normtui` to the first plotted epoch.
    """
    marker = getattr(torch._disable_dynamo(lambda: None), "__code__", None)
    if marker is None:  # another torch: its wrapper is not a plain function, leave it be
        return
    for method in vars(torch.optim.Optimizer).values():
        original = getattr(method, "__wrapped__", None)
        if original is not None and getattr(method, "__code__", None) is marker:
            original.__dynamo_disable = original


_skip_dynamo_import()


def eager_step(optimizer: torch.optim.Optimizer) -> Callable[[], object]:
    """`optimizer.step` minus its wrappers (profiler hooks and a torch._dynamo graph break).

    The graph-break wrapper imports torch._dynamo on the first step; in eager mode the wrapped
    function under no_grad is exactly what runs. Same update, bit for bit (tested).
    """
    step = inspect.unwrap(type(optimizer).step)

    def run() -> object:
        with torch.no_grad():
            return step(optimizer)

    return run


def make_optimizer(name: str, params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """The named optimizer, with its fused kernels where the device supports them.

    Same algorithm as the default implementation, one kernel per parameter instead of ~8 small
    ones: on the post's tiny model that is ~30% of a training step (benchmarks/README.md).
    """
    kinds: dict[str, tuple[Callable[..., torch.optim.Optimizer], dict]] = {
        "adam": (torch.optim.Adam, {}),
        "adamw": (torch.optim.AdamW, {}),
        "sgd": (torch.optim.SGD, {"momentum": 0.9}),
        "rmsprop": (torch.optim.RMSprop, {}),
    }
    if name not in kinds:
        raise ConfigError(f"unknown optimizer {name!r}; choose from: adam, adamw, sgd, rmsprop")
    cls, options = kinds[name]
    if name != "rmsprop":
        try:
            return cls(params, lr=lr, fused=True, **options)
        except (RuntimeError, TypeError, ValueError):  # no fused kernel for this device/dtype
            pass
    return cls(params, lr=lr, **options)


def resolve_device(name: str) -> torch.device:
    """Map auto/cpu/cuda/mps to an available torch device; ConfigError when it is absent."""
    mps = getattr(torch.backends, "mps", None)
    mps_ok = bool(mps and mps.is_available())
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_ok else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "--device cuda requested but no CUDA device is available; try --device cpu"
        )
    if name == "mps" and not mps_ok:
        raise ConfigError("--device mps requested but MPS is not available; try --device cpu")
    return torch.device(name)
