"""Normalization inside the network (`--scaler batchnorm|layernorm`, `--hidden-norm`): member k of
the batched model is the plain torch model with nn.BatchNorm1d / nn.LayerNorm, trained alone."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from normtui.engine.config import ConfigError, SessionConfig
from normtui.engine.models import MLP
from normtui.engine.trainer import PairTrainer

EPOCHS = 4


def _plain(kind: str | None, hidden_norm: str, seed: int) -> nn.Module:
    """The one-seed model as plain torch: [input norm] → (Linear → [norm] → ReLU) → head."""
    torch.manual_seed(seed)
    mlp = MLP(13, (16,), 3, "relu")
    norms = {"batch": lambda w: nn.BatchNorm1d(w), "layer": lambda w: nn.LayerNorm(w)}
    layers: list[nn.Module] = []
    if kind is not None:
        layers.append(norms[kind](13))
    layers.append(mlp.linears[0])
    if hidden_norm != "none":
        layers.append(norms[hidden_norm](16))
    layers += [nn.ReLU(), mlp.head]
    return nn.Sequential(*layers)


@pytest.mark.parametrize(
    ("scaler", "hidden_norm", "batch_size", "optimizer"),
    [
        ("batchnorm", "none", None, "adam"),
        ("batchnorm", "none", 32, "adam"),
        ("layernorm", "none", 32, "adam"),
        # SGD: a Linear's bias before a batch norm gets a gradient of rounding noise only, which
        # Adam scales up to full-size steps (any two implementations then part by ~1e-3)
        ("standard", "batch", 32, "sgd"),
        ("batchnorm", "batch", None, "sgd"),
        ("standard", "layer", None, "adam"),
    ],
)
def test_member_equals_plain_torch_model_trained_alone(
    scaler: str, hidden_norm: str, batch_size: int | None, optimizer: str
) -> None:
    config = SessionConfig(
        dataset="wine",
        scaler=scaler,
        hidden_norm=hidden_norm,
        hidden=(16,),
        seeds=3,
        batch_size=batch_size,
        epochs=EPOCHS,
        device="cpu",
        parallel=False,
        optimizer=optimizer,
        lr=1e-3 if optimizer == "adam" else 1e-2,
    )
    trainer = PairTrainer(config)
    try:
        for _ in range(EPOCHS):
            trainer.train_epoch()
        run = trainer.runs["normalized"]
        k = 1
        data = trainer.member_data[k]
        kind = {"batchnorm": "batch", "layernorm": "layer"}.get(scaler)
        plain = _plain(kind, hidden_norm, config.seed + k)
        step = (
            torch.optim.Adam(plain.parameters(), lr=config.lr)
            if optimizer == "adam"
            else torch.optim.SGD(plain.parameters(), lr=config.lr, momentum=0.9)
        )
        x = torch.as_tensor(data.X_train_scaled, dtype=torch.float32)
        y = torch.as_tensor(data.y_train)
        n = len(y)
        size = batch_size or n
        generator = torch.Generator().manual_seed(config.seed + k)
        for _ in range(EPOCHS):
            plain.train()
            order = torch.randperm(n, generator=generator) if size < n else torch.arange(n)
            for start in range(0, n, size):
                index = order[start : start + size]
                step.zero_grad()
                functional.cross_entropy(plain(x[index]), y[index]).backward()
                step.step()
        plain.eval()  # evaluation: running statistics
        x_val = torch.as_tensor(data.X_val_scaled, dtype=torch.float32)
        run.model.eval()
        with torch.no_grad():
            ours = run.model(run.X_val)[k]
            theirs = plain(x_val)
        assert torch.allclose(ours, theirs, atol=1e-4, rtol=1e-4)
        if kind == "batch":
            norm = plain[0]
            assert torch.allclose(run.model.input_norm.running_mean[k], norm.running_mean)
            assert torch.allclose(run.model.input_norm.running_var[k], norm.running_var, rtol=1e-4)
        # the raw run has no input normalization; both runs have the hidden one
        raw = trainer.runs["raw"].model
        assert raw.input_norm is None
        assert (raw.norms is None) == (hidden_norm == "none")
    finally:
        trainer.close()


def test_in_network_scaler_gives_the_normalized_run_raw_inputs() -> None:
    trainer = PairTrainer(SessionConfig(dataset="wine", scaler="batchnorm", device="cpu"))
    try:
        assert torch.equal(trainer.runs["raw"].X_train, trainer.runs["normalized"].X_train)
        # measured after the normalization: the batchnorm run does not listen to proline alone
        trainer.train_epoch()
        shares = trainer.runs["normalized"].input_shares()
        assert shares is not None and float(shares.max()) < 0.5
    finally:
        trainer.close()


def test_unknown_hidden_norm_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="hidden norm"):
        SessionConfig(hidden_norm="group")
