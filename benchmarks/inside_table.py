"""The README's wine table for issue 24: raw, raw with the data-aware init, standard, batchnorm
and layernorm, each over 5 seeds with the defaults (64 ReLU units, Adam 1e-3, full batch, 100
epochs): val accuracy (mean, min-max), first-layer units silent on every training row at epoch
0, and the largest input share after training (engine/listens.py).

    .venv/bin/python benchmarks/inside_table.py [--epochs 100] [--seeds 5] [--dataset wine]
"""

from __future__ import annotations

import argparse

from normtui.engine.config import SessionConfig
from normtui.engine.listens import source_columns
from normtui.engine.trainer import PairTrainer

VARIANTS = (  # (label, config changes, run)
    ("raw", {}, "raw"),
    ("raw, --raw-init data", {"raw_init": "data"}, "raw"),
    ("standard", {}, "normalized"),
    ("batchnorm", {"scaler": "batchnorm"}, "normalized"),
    ("layernorm", {"scaler": "layernorm"}, "normalized"),
)


def measure(config: SessionConfig, run: str, epochs: int) -> tuple[list[float], list[int], str]:
    trainer = PairTrainer(config)
    try:
        names = source_columns(trainer.data.feature_names, trainer.data.n_numeric)[0]
        silent = trainer.runs[run].silent_units().tolist()
        for _ in range(epochs - 1):
            trainer.train_epoch()
        trainer.sample_next()
        outcome = trainer.train_epoch()
        host = outcome.results[run]
        accuracies = list(host.members.val_score) if host.members else [host.val_accuracy]
        layer = host.layers[0]
        shares = layer.input_share or ()
        top = max(range(len(shares)), key=lambda i: shares[i])
        span = ""
        if layer.input_share_range:
            low, high = layer.input_share_range[top]
            span = f" ({low:.1%}–{high:.1%})"
        return accuracies, silent, f"{names[top]} {shares[top]:.1%}{span}"
    finally:
        trainer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dataset", default="wine")
    args = parser.parse_args()
    print(
        "| run | val accuracy, mean (min–max) | L1 units silent at epoch 0 (of 64) "
        "| largest input share after training |"
    )
    print("|---|---|---|---|")
    for label, changes, run in VARIANTS:
        config = SessionConfig(
            dataset=args.dataset, seeds=args.seeds, epochs=args.epochs, device="cpu", **changes
        )
        accuracies, silent, top = measure(config, run, args.epochs)
        mean = sum(accuracies) / len(accuracies)
        silent_text = f"{sum(silent) / len(silent):.1f} ({min(silent)}–{max(silent)})"
        print(
            f"| {label} | {mean:.3f} ({min(accuracies):.3f}–{max(accuracies):.3f}) "
            f"| {silent_text} | {top} |"
        )


if __name__ == "__main__":
    main()
