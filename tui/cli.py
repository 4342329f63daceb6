"""The `normtui` command line (click).

Kept light on purpose: `normtui --help` imports neither torch, scikit-learn nor textual.
Every user error becomes one line on stderr and exit code 2; nothing prints a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import click

from normtui import __version__
from normtui.engine.config import ConfigError
from normtui.engine.errors import UsageError
from normtui.themes import DEFAULT_THEME
from normtui.tui.cli_lr_find import lr_find
from normtui.tui.cli_options import (
    DEFAULTS,
    UI_DEFAULT_PACE,
    build_config,
    check_log_path,
    check_theme,
    default_log_path,
    require_terminal,
    session_options,
)
from normtui.tui.cli_sweep import sweep


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


cli.add_command(sweep)
cli.add_command(lr_find)


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
