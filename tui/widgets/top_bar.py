"""The one-line bar at the top: what is training, and the live controls' current values."""

from __future__ import annotations

from dataclasses import dataclass

from normtui.engine.events import DataLoading
from normtui.engine.grid import rate_text
from normtui.tui.viewstate.state import DashboardState
from normtui.tui.widgets.fitting import shorten
from normtui.tui.widgets.format import escape, fmt_lr, fmt_pace
from normtui.tui.widgets.text_line import TextLine

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SHORTEST = 3  # the bar's shortening levels: 0 everything … 3 the compact layout's wording
LEVELS = SHORTEST + 2  # past SHORTEST: the seed count goes too (then words are left out)


@dataclass(frozen=True)
class Controls:
    """UI-side settings that are not in the event stream."""

    keep_weights: bool = True
    pending_activation: str | None = None
    low_bandwidth: bool = False
    plot_every_s: float = 1.0  # how often the loss plots are redrawn (histograms: with the text)
    live: bool = True
    playback: bool = False  # a replay: it shows its own speed instead of the recorded pace
    replay_speed: float | None = None  # epochs/s; None = all at once
    missing_log: str | None = None  # `watch` of a log that does not exist yet: its path
    played_out: bool = False  # a replay that has shown its last event (space plays it again)
    log_ended: bool = False  # a replay played every event and the log has no session end


def waiting_message(controls: Controls, loading: DataLoading | None = None) -> str:
    """What the screen says before the session starts: depends on where events come from, and
    on how far a big data file has been read."""
    if loading is not None and not controls.log_ended:
        return escape(loading.describe())
    if controls.live:
        return "loading torch and scikit-learn…"
    if controls.log_ended:
        return "this log has no events after its header"
    if controls.missing_log:
        return f"waiting for {escape(controls.missing_log)} to appear…"
    if controls.playback:
        return "reading the log…"
    return "waiting for the first event in the log…"


def top_bar_markup(
    state: DashboardState, controls: Controls, frame: int, *, compact: bool = False, short: int = 0
) -> str:
    """The bar; `short` shortens it step by step to fit (1 the rows, 2 the optimizer and the
    swap mode, 3 all of the compact layout's wording, which `compact` asks for at once, 4 the
    seed count; before the session starts, 1 drops the configuration)."""
    if compact:
        short = max(short, SHORTEST)
    compact = short >= SHORTEST
    config = state.config
    started = state.started
    if started is None:
        spinner = "■" if controls.log_ended else SPINNER[frame % len(SPINNER)]
        message = waiting_message(controls, state.loading)
        bar = f"[b $primary]normtui[/]  [$warning]{spinner} {message}[/]"
        if controls.missing_log or short >= 1:  # no header yet: the config is the defaults'
            return bar
        return (
            f"{bar}  "
            f"[dim]{escape(config.source_name)} · {config.scaler} scaler · {config.activation}[/]"
        )
    hidden = "→".join(str(width) for width in config.hidden)
    shape = f"{started.n_features}→{hidden}→{started.n_classes or 1}"  # 0 classes: regression
    # what goes first as the width shrinks: the rows, the optimizer, the seeds (a restart's
    # `restarts 1` once pushed `5 seeds` out at 120 columns)
    details = [
        f"{started.n_train:,}+{started.n_val:,} rows" if short < 1 else "",
        shape,
        config.optimizer if short < 2 else "",
        f"{config.seeds} seeds" if config.seeds > 1 and short <= SHORTEST else "",
    ]
    data = f"{escape(started.dataset)} [dim]{' · '.join(part for part in details if part)}[/]"
    activation = state.activation
    if controls.pending_activation and controls.pending_activation != activation:
        activation = f"{activation} [$warning]→ {controls.pending_activation}…[/]"
    # live: the mode the next swap will use (`k`); a log: the mode its latest swap was recorded
    # with, or none before any swap (the viewer's own setting says nothing about the recording)
    keeps = controls.keep_weights if controls.live else state.swap_keeps_weights
    if keeps is None:
        swap_note = ""
    else:
        swap = "keep weights" if keeps else "restart"
        if short >= 2:
            swap = "keep" if keeps else "restart"
        swap_note = f" [dim]({'' if short >= 2 else 'swap: '}{swap})[/]"
    parts = ["[b $primary]normtui[/]"]
    # the session's state first: a long dataset name or shape must not push it off the screen
    if state.ended is not None:
        parts.append(f"[$primary]■ {escape(state.ended.reason)}[/]")
    elif controls.log_ended:
        parts.append("[$primary]■ end of log[/]")
    elif state.finished:  # a live session waiting for `r` once every run has stopped
        done = all(run.status == "finished" for run in state.runs.values())
        parts.append(f"[$primary]■ {'finished' if done else 'stopped'}[/]")
    elif state.paused:  # nothing left to pause once every run is done
        parts.append("[$warning]❚❚ paused[/]")
    parts += [
        data,
        f"act [b]{activation}[/b]{swap_note}",
        lr_text(state, short),
    ]
    if not controls.playback:  # a replay shows its own speed instead (below)
        parts.append(f"pace [b]{fmt_pace(state.pace)}[/b]")
    if state.restarts:
        parts.append(f"[dim]restarts {state.restarts}[/]")
    if controls.low_bandwidth:  # plots lag the numbers by up to this: say so, or they look stuck
        every = "" if compact else f": plots every {controls.plot_every_s:g} s"
        parts.append(f"[dim]low-bw{every}[/]")
    if controls.playback:
        speed = controls.replay_speed
        parts.append(f"[dim]replay[/] [b]{'all at once' if speed is None else fmt_pace(speed)}[/b]")
    elif not controls.live:
        parts.append("[dim]watching log[/]")  # `normtui watch`: following another process
    return (" " if compact else "  ").join(parts)


def lr_text(state: DashboardState, short: int = 0) -> str:
    """`lr 1e-3`, or a grid's range and its `+`/`-` shift: `rates 1e-4–0.1 ×2`."""
    if not state.has_grid:
        return f"lr [b]{fmt_lr(state.learning_rate)}[/b]"
    rates = state.grid_rates()
    span = f"{rate_text(min(rates))}–{rate_text(max(rates))}" if rates else "grid"
    shift = state.grid_shift
    shifted = ""
    if abs(shift - 1) > 1e-9:
        said = f"×{shift:.3g}" if short >= 2 else f"(shifted ×{shift:.3g})"
        shifted = f" [$warning]{said}[/]"
    count = f" [dim]({len(rates)})[/]" if short < 2 and rates else ""
    return f"rates [b]{span}[/b]{count}{shifted}"


class TopBar(TextLine):
    def show(
        self, state: DashboardState, controls: Controls, frame: int, *, compact: bool = False
    ) -> None:
        # shorter words until it fits, not "pace unlimited  restar…"; past the last level,
        # whole words are left out (a big file's name while it loads)
        for short in range(SHORTEST if compact else 0, LEVELS):
            markup = top_bar_markup(state, controls, frame, short=short)
            if self.fits(markup):
                break
        else:
            markup = shorten(markup, self.content_size.width)
        self.show_markup(markup)
