"""The options `normtui` and `normtui train` share, turned into a checked SessionConfig, and the
checks and paths the commands share (theme, log, terminal).

Kept light on purpose: importing it imports neither torch, scikit-learn nor textual.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from normtui.engine.config import (
    ACTIVATIONS,
    AUTO_RATES,
    DATASETS,
    DEFAULT_SEEDS,
    DEFAULT_TEST_SPLIT,
    DEVICES,
    LARGE_TABLE_BYTES,
    MISSING,
    OPTIMIZERS,
    SCALERS,
    TARGET_SCALERS,
    TASKS,
    ConfigError,
    SessionConfig,
    canonical_name,
    default_seeds,
    parse_batch_size,
    parse_columns,
    parse_dataset,
    parse_hidden,
    parse_rates,
)
from normtui.tui.files import state_directory, unused_stem

UI_DEFAULT_PACE = 20.0  # epochs per second: curves form slowly enough to watch; `]` speeds up
DEFAULTS = SessionConfig()  # the options' defaults are the config's, stated once


def build_config(
    options: dict[str, Any], *, epochs_default: int | None, **extra: Any
) -> SessionConfig:
    """Turn CLI options into a validated SessionConfig (ConfigError on any bad value)."""
    dataset: str = options["dataset"]
    preset, csv_path = parse_dataset(dataset)
    if csv_path is None and options["target"]:
        raise ConfigError(f"--target applies to CSV files only; {dataset!r} is a bundled dataset")
    categorical, ignore = parse_columns(options["categorical"]), parse_columns(options["ignore"])
    if csv_path is None and (categorical or ignore):
        raise ConfigError("--categorical and --ignore apply to CSV files only")
    optimizer = canonical_name(options["optimizer"])
    rates = parse_rates(options.get("lrs"), optimizer)
    test_split = options.get("test_split")
    if test_split is None:
        test_split = DEFAULT_TEST_SPLIT if rates else 0.0
    elif test_split and not rates:
        raise ConfigError(
            "--test-split holds out rows to judge the rates a grid chose: it needs --lrs"
        )
    return SessionConfig(
        dataset=preset,
        csv_path=csv_path,
        target=options["target"],
        scaler=canonical_name(options["scaler"]),
        activation=canonical_name(options["activation"]),
        hidden=parse_hidden(options["hidden"]),
        optimizer=optimizer,
        lr=options["lr"],
        lrs=rates,
        test_split=test_split,
        batch_size=parse_batch_size(options["batch_size"]),
        epochs=options["epochs"] if options["epochs"] is not None else epochs_default,
        seed=options["seed"],
        seeds=options["seeds"] if options["seeds"] is not None else default_seeds(csv_path),
        val_split=options["val_split"],
        device=canonical_name(options["device"]),
        goal_accuracy=options["goal_accuracy"],
        goal_r2=options["goal_r2"],
        task=canonical_name(options["task"]),
        target_scaler=canonical_name(options["target_scaler"]),
        missing=canonical_name(options["missing"]),
        categorical=categorical,
        ignore=ignore,
        max_categories=options["max_categories"],
        raw_init=canonical_name(options["raw_init"]),
        hidden_norm=canonical_name(options["hidden_norm"]),
        **extra,
    )


def default_log_path(
    config: SessionConfig, warn: Callable[[str], None] | None = None
) -> str | None:
    """A fresh timestamped log path; None (no log, and `warn` told why: by default a line on
    stderr) if the folder is unusable."""
    directory = state_directory("sessions")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        message = f"normtui: warning: not logging, cannot create {directory}: {error.strerror}"
        (warn or _echo_err)(message)
        return None
    name = os.path.splitext(os.path.basename(config.source_name))[0]
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{name}"
    stem = unused_stem(directory, stamp, (".jsonl.gz",))  # gzip, line by line: engine/log.py
    return str(directory / f"{stem}.jsonl.gz")


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def check_theme(theme: str) -> None:
    """A theme must be a bundled name or an existing file (a broken file falls back later)."""
    from normtui.tui.theme_loader import list_themes

    names = list_themes()
    if theme in names or os.path.isfile(theme):
        return
    if theme.lower().endswith(".toml") or os.sep in theme:
        raise ConfigError(f"theme file {theme!r} not found; bundled themes: {', '.join(names)}")
    raise ConfigError(f"unknown theme {theme!r}; choose from: {', '.join(names)}, or a .toml path")


def check_log_path(log_path: str | None) -> None:
    """`--log ''` would silently log nothing: refuse it like any other unusable path."""
    if log_path is not None and not log_path.strip():
        raise ConfigError("--log needs a file path, e.g. --log run.jsonl (or --no-log)")


def require_terminal(what: str) -> None:
    """The dashboard draws on a terminal and reads keys from it: refuse pipes and files.

    Without this, `nohup normtui` (or output redirected to a file) would draw escape codes into
    the file forever and never read a key.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        hint = (
            "; to train without one use `normtui train --log run.jsonl`, then "
            "`normtui watch run.jsonl` from a terminal"
            if what == "the dashboard"
            else ""
        )
        raise ConfigError(f"{what} needs a terminal (stdin and stdout){hint}")


def _defaulted(flag: str, help: str, **kwargs: Any) -> Callable[..., Any]:
    """An option whose default is SessionConfig's (the type follows it), shown in --help."""
    value = getattr(DEFAULTS, flag.lstrip("-").replace("-", "_"))
    kwargs.setdefault("default", value)
    return click.option(flag, show_default=True, help=help, **kwargs)


def session_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options `normtui` (dashboard) and `normtui train` share."""
    options = [
        _defaulted("--dataset", f"Preset ({', '.join(DATASETS)}) or a CSV file path."),
        click.option(
            "--target", default=None, help="Column to predict when --dataset is a CSV file."
        ),
        _defaulted(
            "--task",
            f"{', '.join(TASKS)}: auto takes a numeric target with fractions or more than"
            " 20 values as regression.",
        ),
        _defaulted(
            "--target-scaler",
            f"Regression: scaler of the target, the same for both runs"
            f" ({', '.join(TARGET_SCALERS)}); losses are reported in the target's units.",
        ),
        _defaulted(
            "--missing",
            f"Empty, NA, NaN or ? cells: {', '.join(MISSING)} (median / most frequent"
            " value of the training split).",
        ),
        click.option(
            "--categorical",
            default=None,
            help="CSV columns to one-hot encode though their values are numbers, e.g. zip,floor.",
        ),
        click.option("--ignore", default=None, help="CSV columns to leave out, e.g. id,notes."),
        _defaulted(
            "--max-categories", "Most distinct values a text column may have to be one-hot encoded."
        ),
        _defaulted(
            "--scaler",
            f"Scaler of the normalized run: {', '.join(SCALERS)}; or batchnorm, layernorm:"
            " the normalized run gets the raw inputs and its model starts with that layer.",
        ),
        _defaulted(
            "--hidden-norm",
            "A normalization after each hidden Linear, in both runs: none, batch, layer.",
        ),
        _defaulted("--activation", f"Hidden activation: {', '.join(ACTIVATIONS)}."),
        _defaulted(
            "--raw-init",
            "The raw run's first layer at the start: default (PyTorch's, shared with the"
            " normalized run) or data (the same draw divided by each input's std, its bias"
            " centring the pre-activations: the raw run starts as the standardized one).",
        ),
        _defaulted(
            "--hidden",
            "Hidden layer widths, e.g. 64 or 128,64.",
            default=",".join(str(width) for width in DEFAULTS.hidden),
        ),
        _defaulted("--optimizer", f"Optimizer: {', '.join(OPTIMIZERS)}."),
        _defaulted("--lr", "Learning rate (with --lrs: unused)."),
        click.option(
            "--lrs",
            default=None,
            help="A learning-rate grid: 'auto' (half decades,"
            f" {AUTO_RATES['adam'][0]:g}..{AUTO_RATES['adam'][-1]:g} for adam,"
            f" {AUTO_RATES['sgd'][0]:g}..{AUTO_RATES['sgd'][-1]:g} for sgd) or rates such as"
            " 1e-3,1e-2. Each run trains every rate for every seed; its rate is chosen on the"
            " validation rows and judged on held-out test rows.",
        ),
        click.option(
            "--test-split",
            type=float,
            default=None,
            help="With --lrs: the share of rows held out from training and from choosing a"
            f" rate, on which the tuned verdict is judged [default: {DEFAULT_TEST_SPLIT:g}].",
        ),
        _defaulted(
            "--batch-size",
            "Mini-batch size, or 'full' for full batch (the origin post).",
            default="full" if DEFAULTS.batch_size is None else str(DEFAULTS.batch_size),
        ),
        click.option(
            "--epochs",
            type=int,
            default=None,
            help=f"Epochs to train [train: {DEFAULTS.epochs}; dashboard: until you stop it].",
        ),
        _defaulted("--seed", "Seed for the split, the shared init and the batch order."),
        click.option(
            "--seeds",
            type=int,
            default=None,
            help="Seeds per run, trained as one batched model: member 0 uses --seed, the others"
            " seeds drawn from it (another --seed shares none) for their split, initial weights"
            " and batch order; the verdict compares them seed by seed."
            f"  [default: {DEFAULT_SEEDS}; 1 for a table file over"
            f" {LARGE_TABLE_BYTES // 2**20} MB]",
        ),
        _defaulted("--val-split", "Validation share (stratified for classes)."),
        _defaulted("--device", f"Torch device: {', '.join(DEVICES)}."),
        _defaulted(
            "--goal-accuracy", "Validation accuracy that counts as 'reached' (epochs to goal)."
        ),
        _defaulted(
            "--goal-r2", "Regression: validation R² that counts as 'reached' (epochs to goal)."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function
