"""The `normtui` command line (click).

Kept light on purpose: `normtui --help` imports neither torch, scikit-learn nor textual.
Every user error becomes one line on stderr and exit code 2; nothing prints a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from normtui import __version__
from normtui.engine.config import (
    ACTIVATIONS,
    DATASETS,
    DEFAULT_SEEDS,
    DEVICES,
    LARGE_TABLE_BYTES,
    MISSING,
    OPTIMIZERS,
    SCALERS,
    TARGET_SCALERS,
    TASKS,
    ConfigError,
    SessionConfig,
    default_seeds,
    parse_columns,
    parse_hidden,
)
from normtui.engine.errors import UsageError
from normtui.themes import DEFAULT_THEME
from normtui.tui.files import unused_stem

UI_DEFAULT_PACE = 20.0  # epochs per second: curves form slowly enough to watch; `]` speeds up
DEFAULTS = SessionConfig()  # the options' defaults are the config's, stated once


def _normal_name(value: str) -> str:
    return value.strip().lower().replace("-", "_")


def build_config(
    options: dict[str, Any], *, epochs_default: int | None, **extra: Any
) -> SessionConfig:
    """Turn CLI options into a validated SessionConfig (ConfigError on any bad value)."""
    dataset: str = options["dataset"]
    csv_path = None
    if _normal_name(dataset) not in DATASETS:
        looks_like_file = dataset.lower().endswith(".csv") or os.sep in dataset
        if not (looks_like_file or os.path.exists(dataset)):
            raise ConfigError(
                f"unknown dataset {dataset!r}; choose from: {', '.join(DATASETS)}, "
                "or give a path to a CSV file with --target COLUMN"
            )
        csv_path = dataset
    elif options["target"]:
        raise ConfigError(f"--target applies to CSV files only; {dataset!r} is a bundled dataset")
    categorical, ignore = parse_columns(options["categorical"]), parse_columns(options["ignore"])
    if csv_path is None and (categorical or ignore):
        raise ConfigError("--categorical and --ignore apply to CSV files only")
    batch = options["batch_size"]
    full = batch is None or batch.strip().lower() == "full"
    batch_size = None if full else _int_option("batch size", batch)
    return SessionConfig(
        dataset=_normal_name(dataset) if csv_path is None else "csv",
        csv_path=csv_path,
        target=options["target"],
        scaler=_normal_name(options["scaler"]),
        activation=_normal_name(options["activation"]),
        hidden=parse_hidden(options["hidden"]),
        optimizer=_normal_name(options["optimizer"]),
        lr=options["lr"],
        batch_size=batch_size,
        epochs=options["epochs"] if options["epochs"] is not None else epochs_default,
        seed=options["seed"],
        seeds=options["seeds"] if options["seeds"] is not None else default_seeds(csv_path),
        val_split=options["val_split"],
        device=_normal_name(options["device"]),
        goal_accuracy=options["goal_accuracy"],
        goal_r2=options["goal_r2"],
        task=_normal_name(options["task"]),
        target_scaler=_normal_name(options["target_scaler"]),
        missing=_normal_name(options["missing"]),
        categorical=categorical,
        ignore=ignore,
        max_categories=options["max_categories"],
        **extra,
    )


def log_directory() -> str:
    """Where dashboard sessions are logged unless --log/--no-log says otherwise."""
    configured = os.environ.get("NORMTUI_LOG_DIR")
    if configured:
        return configured
    home_state = os.path.join(os.path.expanduser("~"), ".local", "state")
    state = os.environ.get("XDG_STATE_HOME") or home_state
    return os.path.join(state, "normtui", "sessions")


def default_log_path(config: SessionConfig) -> str | None:
    """A fresh timestamped log path; None (no log, with a warning) if the folder is unusable."""
    directory = log_directory()
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        click.echo(
            f"normtui: warning: not logging, cannot create {directory}: {error.strerror}", err=True
        )
        return None
    name = os.path.splitext(os.path.basename(config.source_name))[0]
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{name}"
    stem = unused_stem(Path(directory), stamp, (".jsonl.gz",))  # gzip: engine/log.py
    return os.path.join(directory, f"{stem}.jsonl.gz")


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


def _int_option(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} {value!r} is not an integer (or 'full')") from None


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
        _defaulted("--scaler", f"Scaler of the normalized run: {', '.join(SCALERS)}."),
        _defaulted("--activation", f"Hidden activation: {', '.join(ACTIVATIONS)}."),
        _defaulted(
            "--hidden",
            "Hidden layer widths, e.g. 64 or 128,64.",
            default=",".join(str(width) for width in DEFAULTS.hidden),
        ),
        _defaulted("--optimizer", f"Optimizer: {', '.join(OPTIMIZERS)}."),
        _defaulted("--lr", "Learning rate."),
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
            help="Seeds per run, trained as one batched model: member k uses --seed + k for its"
            " split, initial weights and batch order; the verdict compares them seed by seed."
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


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@session_options
@click.option(
    "--pace",
    type=float,
    default=None,
    help=f"Max epochs per second, 0 = unlimited [default: {UI_DEFAULT_PACE:g}].",
)
@click.option(
    "--theme",
    default=DEFAULT_THEME,
    show_default=True,
    help="Theme name (see `normtui themes`) or path to a theme TOML file.",
)
@click.option(
    "--log",
    "log_path",
    default=None,
    help="Write the session's events to this JSONL file [default: a new file in "
    "$NORMTUI_LOG_DIR or ~/.local/state/normtui/sessions].",
)
@click.option("--no-log", is_flag=True, help="Do not write a session log.")
@click.option("--low-bandwidth", is_flag=True, help="Redraw plots rarely: for slow SSH links.")
@click.version_option(__version__, "--version", prog_name="normtui")
@click.pass_context
def cli(
    ctx: click.Context,
    pace: float | None,
    theme: str,
    log_path: str | None,
    no_log: bool,
    low_bandwidth: bool,
    **options: Any,
) -> None:
    """Train one model on raw and on normalized inputs, side by side, and watch the difference.

    With no command, opens the live dashboard (press ? inside for keys).
    """
    if ctx.invoked_subcommand is not None:
        return
    check_theme(theme)
    check_log_path(log_path)
    pace_value = UI_DEFAULT_PACE if pace is None else (None if pace == 0 else pace)
    config = build_config(options, epochs_default=None, pace=pace_value)
    if config.csv_path and config.target:
        # a CSV's header is checked before the UI is drawn: a wrong --target fails here, on
        # the terminal; what only reading the whole file finds is said when the session ends
        from normtui.engine.table import check_header

        check_header(
            config.csv_path, config.target, categorical=config.categorical, ignore=config.ignore
        )
    require_terminal("the dashboard")
    if log_path is None and not no_log:
        log_path = default_log_path(config)
    from normtui.tui.dashboard import run_dashboard

    ctx.exit(run_dashboard(config, theme=theme, log_path=log_path, low_bandwidth=low_bandwidth))


@cli.command()
@session_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
@click.option("--log", "log_path", default=None, help="Write every event to this JSONL file.")
@click.option(
    "--hist-interval",
    type=float,
    default=DEFAULTS.hist_interval_s,
    show_default=True,
    help="Seconds between histogram samples (0 = every epoch).",
)
def train(as_json: bool, log_path: str | None, hist_interval: float, **options: Any) -> None:
    """Train the pair to completion without the dashboard and print a side-by-side summary."""
    from normtui.tui.headless import run_headless

    check_log_path(log_path)
    config = build_config(options, epochs_default=DEFAULTS.epochs, hist_interval_s=hist_interval)
    sys.exit(run_headless(config, as_json=as_json, log_path=log_path))


@cli.command()
def datasets() -> None:
    """List the bundled datasets and the spread of their feature scales."""
    from normtui.engine.data.presets import describe_presets
    from normtui.engine.numbers import num

    rows = describe_presets()
    header = f"{'name':<19}{'rows':>6}{'features':>10}  {'task':<16}{'min std':>9}{'max std':>9}"
    click.echo(header + "  spread")
    for row in rows:
        spread = row["max_feature_std"] / max(row["min_feature_std"], 1e-300)
        task = f"{row['classes']} classes" if row["task"] == "classification" else "regression"
        click.echo(
            f"{row['name']:<19}{row['rows']:>6}{row['features']:>10}  {task:<16}"
            f"{num(row['min_feature_std']):>9}{num(row['max_feature_std']):>9}  {spread:,.0f}x"
        )
    click.echo(
        "\nFeature stds are the training split's (seed 0, 20% validation), as the dashboard's"
        " inputs pane shows them."
        "\nAny table works too: normtui train --dataset FILE.csv --target COLUMN"
    )


@cli.command()
def themes() -> None:
    """List the bundled themes (use with --theme NAME, or --theme path/to/theme.toml)."""
    from normtui.tui.theme_loader import list_themes

    for name in list_themes():
        click.echo(name)


@cli.command()
@click.argument("log")
@click.option(
    "--speed",
    type=float,
    default=0.0,
    show_default=True,
    help="Epochs per second to play back; 0 = show the whole log at once.",
)
@click.option("--theme", default=DEFAULT_THEME, show_default=True, help="Theme name or TOML path.")
@click.option("--low-bandwidth", is_flag=True, help="Redraw plots rarely: for slow SSH links.")
def replay(log: str, speed: float, theme: str, low_bandwidth: bool) -> None:
    """Play a recorded session log back in the dashboard (space pause, ] faster, G to the end)."""
    from normtui.engine.replay import ReplaySource
    from normtui.tui.viewer import run_viewer

    check_theme(theme)
    if not speed >= 0:  # also refuses nan
        raise ConfigError(f"speed {speed} out of range: must be >= 0 epochs per second")
    source = ReplaySource(log, epochs_per_s=speed or None)
    require_terminal("replay")
    sys.exit(run_viewer(source, theme=theme, low_bandwidth=low_bandwidth))


@cli.command()
@click.argument("log")
@click.option("--theme", default=DEFAULT_THEME, show_default=True, help="Theme name or TOML path.")
@click.option("--low-bandwidth", is_flag=True, help="Redraw plots rarely: for slow SSH links.")
def watch(log: str, theme: str, low_bandwidth: bool) -> None:
    """Follow a log that `normtui train --log` is still writing (e.g. on a remote GPU box).

    A LOG that does not exist yet is waited for (the dashboard says so) until it appears.
    """
    from normtui.engine.replay import FollowSource
    from normtui.tui.viewer import run_viewer

    check_theme(theme)
    source = FollowSource(log)
    require_terminal("watch")
    sys.exit(run_viewer(source, theme=theme, low_bandwidth=low_bandwidth))


SWEEP_GRID_OPTIONS = (
    "datasets", "activations", "scalers", "seeds", "seed", "epochs", "hidden", "lr",
    "optimizer", "batch_size", "target", "device",
)  # fmt: skip


@cli.command()
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
    help="Comma list; `none` is the raw baseline column (its own numbers, trained once per row).",
)
@click.option(
    "--seeds", type=int, default=5, show_default=True, help="Seeds per cell (seed, seed+1, ...)."
)
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True, help="First seed.")
@click.option("--epochs", type=int, default=DEFAULTS.epochs, show_default=True, help="Per cell.")
@click.option("--hidden", default="64", show_default=True, help="Hidden widths, e.g. 128,64.")
@click.option("--lr", type=float, default=DEFAULTS.lr, show_default=True, help="Learning rate.")
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
    "--metric",
    type=click.Choice(["accuracy", "speed", "loss", "share"]),
    default="accuracy",
    show_default=True,
    help="What the matrix shows first (keys switch it on screen): val accuracy difference,"
    " epochs-to-goal speed-up, val loss difference, dead/saturated share.",
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
    On a terminal the matrix fills live (Enter opens a cell in the dashboard); with --json,
    --csv, --markdown or no terminal it prints a report.

    \b
    Examples:
      normtui sweep --datasets wine,digits --activations relu,tanh --seeds 5
      normtui sweep --datasets data.csv --target label --jobs 2 --markdown
      normtui sweep --scheduler tcp://10.0.0.5:8786 --results big.jsonl
      normtui sweep --resume big.jsonl
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
    else:
        plan = parse_plan(**grid)
        check_data(plan)
        client = connect(scheduler) if scheduler else None
        results = ResultsFile(results_path or default_results_path(), plan)
        job = SweepJob(plan, results, {}, jobs=jobs, client=client)
    headless = as_json or as_csv or markdown or not (sys.stdin.isatty() and sys.stdout.isatty())
    if headless:
        output = "json" if as_json else "csv" if as_csv else "markdown" if markdown else "text"
        sys.exit(run_headless_sweep(job, output=output, metric=metric))
    from normtui.tui.dashboard import BACK, run_dashboard

    cursor = None
    while True:
        code, chosen, metric = run_screen_sweep(job, metric=metric, theme=theme, cursor=cursor)
        if chosen is None:
            sys.exit(code)
        config = job.plan.dashboard_config(chosen, pace=UI_DEFAULT_PACE)
        code = run_dashboard(
            config, theme=theme, log_path=default_log_path(config), low_bandwidth=False, back=True
        )
        if code != BACK:
            sys.exit(code)
        # esc: back to the matrix, the sweep resumed from its results file
        job = resumed_job(job.results.path, jobs=jobs, scheduler=scheduler)
        cursor = chosen


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every user error into one line and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="normtui", standalone_mode=False)
    except UsageError as error:
        _fail(str(error), 2)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else str(error))
        sys.exit(2)
    except click.UsageError as error:
        hint = f" (see {error.ctx.command_path} --help)" if error.ctx else ""
        _fail(error.format_message() + hint, 2)
    except click.ClickException as error:
        _fail(error.format_message(), error.exit_code)
    except click.Abort:
        _fail("aborted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as error:  # a bug: still one line, with a way to get the details
        if os.environ.get("NORMTUI_DEBUG"):
            raise
        _fail(f"internal error: {type(error).__name__}: {error} (NORMTUI_DEBUG=1 shows more)", 1)
    sys.exit(code if isinstance(code, int) else 0)


def _open_closed_std_streams() -> None:
    """`normtui train >&-` or `2>&-` starts with sys.stdout / sys.stderr None: write to nowhere.

    Without this, the report crashed with a traceback, and progress on a closed stderr exited 1.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives as long as we do


def run() -> None:
    """Console entry point: `main`, then exit without the interpreter's teardown.

    Everything is stopped, joined, flushed and closed by then; tearing down torch and
    scikit-learn modules only costs time (measured 0.1 s vs 1.2-1.6 s on a busy 2-core machine),
    which matters when SIGHUP or SIGTERM asks the process to be gone within two seconds.
    """
    _open_closed_std_streams()
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the terminal is gone (SIGHUP)
            stream.flush()
    os._exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    click.echo(f"normtui: error: {' '.join(message.split())}", err=True)
    sys.exit(code)
