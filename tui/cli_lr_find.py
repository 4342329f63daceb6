"""`normtui lr-find`: the learning-rate range test of both runs over all their seeds, printed.

A chart of each run's smoothed loss against the rate (side by side, or stacked when the terminal
is narrow; one y-axis), then one line per run: its suggestion with the seeds' spread, and the
range of rates every seed can use. `--json` prints the numbers instead.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import textwrap
from typing import Any

import click

from normtui.engine.config import ConfigError
from normtui.engine.lr_range import DEFAULT_LR_MAX, DEFAULT_LR_MIN, DEFAULT_STEPS, rate
from normtui.tui.cli_options import build_config, session_options

SIDE_BY_SIDE_MIN = 100  # columns: below this the two charts are stacked
CHART_HEIGHT = 18
# the dark theme's run colours (themes/dark.toml); the seeds faded toward its surface
RUN_COLOURS = {
    "raw": ((255, 138, 101), (128, 76, 62)),
    "normalized": ((79, 195, 247), (52, 107, 133)),
}
MARKER_COLOUR = (224, 175, 104)


def _json_safe(value: Any) -> Any:
    """NaN and infinities as null: `--json` prints strict JSON any parser reads."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def use_colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _progress(step: int, steps: int) -> None:
    if step == steps or step % 10 == 0:
        end = "\n" if step == steps else ""
        click.echo(f"\rrange test: step {step}/{steps}", err=True, nl=False)
        click.echo(end, err=True, nl=False)


def chart(test: Any, columns: int) -> list[str]:
    """Both runs' charts as lines of text, one y-axis."""
    import plotext

    from normtui.tui.lr_chart import Colours, draw_run, shared_y_range, side_by_side

    runs = list(test.runs.values())
    y_range = shared_y_range(runs)
    paired = columns >= SIDE_BY_SIDE_MIN
    width = (columns - 2) // 2 if paired else columns
    height = CHART_HEIGHT if paired else CHART_HEIGHT - 4
    charts = []
    for run in runs:
        colours = None
        if use_colour():
            median, seeds = RUN_COLOURS.get(run.name, ((200, 200, 200), (110, 110, 110)))
            colours = Colours(median=median, seeds=seeds, marker=MARKER_COLOUR)
        plotext.clear_figure()
        plotext.plotsize(width, height)
        plotext.theme("clear")  # the terminal's own background: plotext's default paints white
        draw_run(
            plotext, run, test.rates, y_range=y_range, width=width, height=height, colours=colours
        )
        charts.append(plotext.build().split("\n"))
    if paired:
        return side_by_side(charts[0], charts[1])
    return [*charts[0], "", *charts[1]]


@click.command("lr-find")
@session_options
@click.option(
    "--steps",
    type=int,
    default=DEFAULT_STEPS,
    show_default=True,
    help="Optimizer steps, one rate each (full batch: one epoch each).",
)
@click.option("--lr-min", type=float, default=DEFAULT_LR_MIN, show_default=True, help="First rate.")
@click.option("--lr-max", type=float, default=DEFAULT_LR_MAX, show_default=True, help="Last rate.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the curves.")
def lr_find(steps: int, lr_min: float, lr_max: float, as_json: bool, **options: Any) -> None:
    """Learning-rate range test: the rate grows exponentially from --lr-min to --lr-max over
    --steps steps, for raw and normalized with every seed at once. Prints each run's loss
    against rate, its suggestion with the seeds' spread, and the usable range in decades.

    --lr, --epochs and the goals do not apply (the test sets the rate at every step).
    """
    from normtui.engine.lr_find import check_range

    check_range(steps, lr_min, lr_max)
    config = build_config(options, epochs_default=None)
    if config.lrs:
        raise ConfigError("lr-find sweeps the rate itself: leave out --lrs")
    from normtui.engine.lr_find import range_test
    from normtui.engine.lr_range import summary_line
    from normtui.tui.lr_chart import legend

    progress = _progress if sys.stderr.isatty() and not as_json else None
    test = range_test(config, steps=steps, lr_min=lr_min, lr_max=lr_max, progress=progress)
    if as_json:
        click.echo(json.dumps(_json_safe(test.to_dict())))
        return
    batch = "full batch" if config.batch_size is None else f"batch {config.batch_size}"
    columns = shutil.get_terminal_size((SIDE_BY_SIDE_MIN, 24)).columns
    width = max(columns, 40)
    header = (
        f"lr-find · {test.dataset} · {config.optimizer} · {config.activation} ·"
        f" {config.scaler} scaler · {len(test.seeds)} seeds · {steps} steps"
        f" {rate(lr_min)}–{rate(lr_max)} ({batch})"
    )
    click.echo("\n".join(textwrap.wrap(header, width)))
    for line in chart(test, columns):
        click.echo(line)
    click.echo("\n".join(textwrap.wrap(legend(len(test.seeds)), width)))
    for run in test.runs.values():
        wrapped = textwrap.wrap(summary_line(run), width, subsequent_indent="    ")
        click.echo("\n".join(wrapped))
