"""`normtui sweep`: the grid's options, checked, then the live matrix or a headless report."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from normtui.engine.config import (
    ACTIVATIONS,
    DATASETS,
    DEFAULT_SEEDS,
    DEFAULT_TEST_SPLIT,
    DEVICES,
    OPTIMIZERS,
    SCALERS,
    ConfigError,
)
from normtui.themes import DEFAULT_THEME
from normtui.tui.cli_options import DEFAULTS, check_theme

SWEEP_GRID_OPTIONS = (
    "datasets", "activations", "scalers", "seeds", "seed", "epochs", "hidden", "lr",
    "optimizer", "batch_size", "target", "device", "hidden_norm", "raw_init", "lrs",
    "test_split",
)  # fmt: skip


@click.command()
@click.option(
    "--datasets",
    default="wine",
    show_default=True,
    help=f"Comma list of presets ({', '.join(DATASETS)}) and CSV files (with --target).",
)
@click.option(
    "--activations",
    default="relu,tanh,sigmoid,gelu",
    show_default=True,
    help=f"Comma list: {', '.join(ACTIVATIONS)}.",
)
@click.option(
    "--scalers",
    default="none," + ",".join(SCALERS),
    show_default=True,
    help="Comma list; `none` is the raw baseline column (its own numbers, trained once per row);"
    " batchnorm and layernorm are normalization layers inside the network (raw inputs).",
)
@click.option(
    "--seeds",
    type=int,
    default=DEFAULT_SEEDS,
    show_default=True,
    help="Seeds per cell (--seed and seeds drawn from it).",
)
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True, help="First seed.")
@click.option("--epochs", type=int, default=DEFAULTS.epochs, show_default=True, help="Per cell.")
@click.option("--hidden", default="64", show_default=True, help="Hidden widths, e.g. 128,64.")
@click.option(
    "--lr",
    type=float,
    default=DEFAULTS.lr,
    show_default=True,
    help="Learning rate (not with --lrs).",
)
@click.option(
    "--lrs",
    default=None,
    help="A learning-rate grid per run: 'auto' (half decades for the optimizer, as train) or"
    " rates such as 1e-3,1e-2. Each run of a cell trains every rate, chooses its own on the"
    " validation rows, and the cell's verdict is raw vs normalized each at its chosen rate on"
    " held-out test rows; metric 5 shows the rates each run works at.",
)
@click.option(
    "--test-split",
    type=float,
    default=None,
    help=f"With --lrs: the share of rows held out to judge the chosen rates [default:"
    f" {DEFAULT_TEST_SPLIT:g}].",
)
@click.option(
    "--optimizer",
    default=DEFAULTS.optimizer,
    show_default=True,
    help=f"{', '.join(OPTIMIZERS)}.",
)
@click.option("--batch-size", default="full", show_default=True, help="Mini-batch size or 'full'.")
@click.option("--target", default=None, help="Label column of the CSV datasets.")
@click.option("--device", default="auto", show_default=True, help=f"{', '.join(DEVICES)}.")
@click.option(
    "--hidden-norm",
    default="none",
    show_default=True,
    help="A normalization after each hidden Linear in every run: none, batch, layer.",
)
@click.option(
    "--raw-init",
    default="default",
    show_default=True,
    help="data: every raw run (the baseline column, each cell's raw side) starts with its first"
    " layer fitted to the raw inputs' scale, as `train --raw-init data`.",
)
@click.option(
    "--metric",
    type=click.Choice(["accuracy", "speed", "loss", "share", "rates"]),
    default="accuracy",
    show_default=True,
    help="What the matrix shows first (keys switch it on screen): val accuracy difference,"
    " epochs-to-goal speed-up, val loss difference, dead/saturated share, (--lrs) the rates"
    " each run works at.",
)
@click.option("--json", "as_json", is_flag=True, help="Headless: print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Headless: print one CSV row per cell.")
@click.option("--markdown", is_flag=True, help="Headless: print a Markdown table per dataset.")
@click.option(
    "--results",
    "results_path",
    default=None,
    help="JSONL file of finished cells (one flushed line each)"
    " [default: a new file in $NORMTUI_LOG_DIR or ~/.local/state/normtui/sweeps].",
)
@click.option(
    "--resume",
    "resume_path",
    default=None,
    help="Continue the sweep of this results file: its grid, its finished cells kept.",
)
@click.option(
    "--jobs", type=int, default=1, show_default=True, help="Worker processes on this machine."
)
@click.option(
    "--scheduler",
    default=None,
    help="Run the cells on a Dask cluster: tcp://HOST:PORT (needs normtui[cluster]).",
)
@click.option("--theme", default=DEFAULT_THEME, show_default=True, help="Theme of the screen.")
@click.pass_context
def sweep(
    ctx: click.Context,
    metric: str,
    as_json: bool,
    as_csv: bool,
    markdown: bool,
    results_path: str | None,
    resume_path: str | None,
    jobs: int,
    scheduler: str | None,
    theme: str,
    **grid: Any,
) -> None:
    """Train a grid of datasets × activations × scalers, each cell the controlled pair raw vs that
    scaler over several seeds, and show per dataset which scaler and activation win.

    Each cell is compared with its raw run (same weights, split and batch order) seed by seed; a
    cell is called better or worse only where the 95% interval excludes zero. Every finished cell
    is appended to a JSONL results file at once; Ctrl+C keeps them and prints how to resume.
    On a terminal the matrix fills live (Enter opens a cell's dashboard, esc comes back to the
    matrix); with --json, --csv, --markdown or no terminal it prints a report.

    \b
    Examples:
      normtui sweep --datasets wine,digits --activations relu,tanh --seeds 5
      normtui sweep --datasets data.csv --target label --jobs 2 --markdown
      normtui sweep --scheduler tcp://10.0.0.5:8786 --results big.jsonl
      normtui sweep --resume big.jsonl
      normtui sweep --activations relu --lrs auto --metric rates
    """
    from normtui.engine.sweep.plan import check_data, parse_plan
    from normtui.engine.sweep.run import ResultsFile, connect
    from normtui.tui.sweep_launch import (
        SweepJob,
        default_results_path,
        resumed_job,
        run_headless_sweep,
        run_screen_sweep,
    )

    if sum((as_json, as_csv, markdown)) > 1:
        raise ConfigError("choose one of --json, --csv and --markdown")
    if jobs < 1:
        raise ConfigError(f"jobs {jobs} out of range: must be >= 1")
    if jobs > 1 and scheduler:
        raise ConfigError("--jobs and --scheduler exclude each other: the cluster has its workers")
    check_theme(theme)
    if resume_path:
        given = [
            "--" + name.replace("_", "-")
            for name in SWEEP_GRID_OPTIONS
            if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
        ]
        if given:
            raise ConfigError(
                f"--resume takes the grid from its file; leave out {', '.join(given)}"
            )
        if results_path and os.path.abspath(results_path) != os.path.abspath(resume_path):
            raise ConfigError("--resume FILE appends to FILE; leave out --results")
        job = resumed_job(resume_path, jobs=jobs, scheduler=scheduler)
        _check_metric(metric, job.plan.lrs)
    else:
        plan = parse_plan(**grid)
        _check_metric(metric, plan.lrs)
        check_data(plan)
        client = connect(scheduler) if scheduler else None
        results = ResultsFile(results_path or default_results_path(), plan)
        job = SweepJob(plan, results, {}, jobs=jobs, client=client)
    headless = as_json or as_csv or markdown or not (sys.stdin.isatty() and sys.stdout.isatty())
    if headless:
        output = "json" if as_json else "csv" if as_csv else "markdown" if markdown else "text"
        sys.exit(run_headless_sweep(job, output=output, metric=metric))
    sys.exit(run_screen_sweep(job, metric=metric, theme=theme))


def _check_metric(metric: str, lrs: tuple[float, ...]) -> None:
    if metric == "rates" and not lrs:
        raise ConfigError("--metric rates shows a learning-rate grid: it needs --lrs")
