"""The dashboard app: two runs side by side, fed by an injected event source.

Data flow: the source's thread calls `EventBuffer.append` (a list append under a lock, nothing
else); a 20 Hz timer drains it, folds the events into `DashboardState` and pushes only what changed
into the widgets. Plots refresh at a lower rate than numbers. When nothing arrives for a second the
timer sleeps, and the next event wakes it, so a paused or finished dashboard costs no CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Static

from normtui.engine import commands
from normtui.engine.config import ACTIVATIONS, SessionConfig
from normtui.engine.events import (
    RUN_NAMES,
    ActivationChanged,
    EpochEnd,
    Event,
    LearningRateChanged,
    PaceChanged,
    SessionEnded,
)
from normtui.tui.screens.activation_picker import ActivationPicker
from normtui.tui.screens.help import HelpScreen
from normtui.tui.screens.palette import DashboardCommands
from normtui.tui.theme_loader import (
    DEFAULT_THEME,
    RUN_VARIABLES,
    ThemeError,
    list_themes,
    load_theme,
)
from normtui.tui.viewstate.buffer import EventBuffer
from normtui.tui.viewstate.export import write_metrics_csv
from normtui.tui.viewstate.source import EventSource
from normtui.tui.viewstate.state import Changed, DashboardState
from normtui.tui.widgets.comparison import ComparisonStrip
from normtui.tui.widgets.format import RUN_TITLES, fmt_lr, fmt_pace
from normtui.tui.widgets.inputs import InputsPane
from normtui.tui.widgets.key_footer import KeyFooter
from normtui.tui.widgets.loss_plot import LossPlot, PlotData, curve_lines, line_glyph
from normtui.tui.widgets.run_pane import RunPane
from normtui.tui.widgets.top_bar import Controls, TopBar, waiting_message

TICK_S = 0.05  # drain the event buffer 20 times a second (watch lag, issue 6)
PRELOAD_MAX_EVENTS = 50_000  # a replay this long is drawn in its first frame (~0.1 s of work)
IDLE_SLEEP_S = 1.0  # stop ticking after this long without events (woken by the next one)
TEXT_INTERVAL_S = {False: 0.24, True: 2.0}  # numbers refresh (4 Hz at TICK_S), by low_bandwidth
PLOT_INTERVAL_S = {False: 1.0, True: 10.0}  # plots and histograms refresh, by low_bandwidth
MIN_SIZE = (70, 20)  # below this, a "terminal too small" message instead of the dashboard
COMPACT_BELOW = (110, 34)  # below either, the compact layout
NARROW_FOOTER_BELOW = 80  # columns: below, the live footer leaves out keys `?` still lists
PACE_STEPS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)
LR_LIMITS = (1e-7, 10.0)
PANES: dict[str, tuple[str, str]] = {
    "1": ("loss", "loss plots"),
    "2": ("gauges", "accuracy gauges"),
    "3": ("hists", "activation histograms"),
    "4": ("comparison", "comparison strip"),
    "5": ("inputs", "inputs pane"),
}
ACTIVATION_KEYS = Binding.Group("Activation", compact=True)
LR_KEYS = Binding.Group("LR", compact=True)
PACE_KEYS = Binding.Group("Pace", compact=True)
CONTROL_ACTIONS = frozenset(
    {
        "toggle_pause",
        "step",
        "restart",
        "next_activation",
        "prev_activation",
        "pick_activation",
        "set_activation",
        "toggle_keep",
        "lr_up",
        "lr_down",
        "slower",
        "faster",
    }
)
# What a replay (a log played back, `playback = True` on its source) still lets you control.
PLAYBACK_ACTIONS = frozenset({"toggle_pause", "step", "slower", "faster", "jump_to_end"})
SIGNAL_EXIT_CODES = {"SIGHUP": 129, "SIGTERM": 143, "SIGINT": 130}
# The deadline for an exit after a signal, armed by `NormtuiApp.run` (a real terminal). Textual's
# output thread can block for good on a terminal that hung up (seen: SSH dropped ~0.5 s after
# start, 3 runs in 8), leaving a process that trains on with no one watching; past this, the
# session is stopped and the process ends.
SIGNAL_EXIT_DEADLINE_S = 5.0
# What the keys do to a replay, for the help screen (nothing is trained there).
PLAYBACK_TOOLTIPS = {
    "toggle_pause": "Pause / resume the replay",
    "step": "Show the next epoch, then pause",
    "slower": "Slower replay",
    "faster": "Faster replay, up to all at once",
    "quit_app": "Quit",
}
# The order `a` / `A` step through: the saturating pair right after ReLU, so a first press or two
# shows the story (the raw run's tanh/sigmoid units pinned at their limits), then the rest.
SWAP_FIRST = ("relu", "tanh", "sigmoid")
ACTIVATION_CYCLE: tuple[str, ...] = (
    *(name for name in SWAP_FIRST if name in ACTIVATIONS),
    *(name for name in ACTIVATIONS if name not in SWAP_FIRST),
)


class NormtuiApp(App[None]):
    """The live (or replayed) comparison of the raw and normalized runs."""

    CSS_PATH = "app.tcss"
    TITLE = "normtui"
    COMMANDS: ClassVar = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "Pause", id="pause", tooltip="Pause / resume both runs"),
        Binding("n", "step", "Step", id="step", tooltip="Train one epoch, then stay paused"),
        Binding("r", "restart", "Restart", id="restart", show=False, tooltip="Restart both runs"),
        Binding(
            "a",
            "next_activation",
            "Next",
            id="next-activation",
            group=ACTIVATION_KEYS,
            tooltip="Next activation: tanh, sigmoid, …",
        ),
        Binding(
            "A",
            "prev_activation",
            "Prev",
            id="prev-activation",
            group=ACTIVATION_KEYS,
            tooltip="Previous activation",
        ),
        Binding(
            "p",
            "pick_activation",
            "Pick",
            id="pick-activation",
            tooltip="Pick any activation",
            show=False,
        ),
        Binding(
            "k",
            "toggle_keep",
            "Keep weights",
            id="keep",
            show=False,
            tooltip="Swap mode: keep weights / restart",
        ),
        Binding(
            "plus,equals_sign",
            "lr_up",
            "LR×2",
            id="lr-up",
            key_display="+",
            group=LR_KEYS,
            tooltip="Learning rate ×2",
        ),
        Binding(
            "minus",
            "lr_down",
            "LR÷2",
            id="lr-down",
            key_display="-",
            group=LR_KEYS,
            tooltip="Learning rate ÷2",
        ),
        Binding(
            "left_square_bracket",
            "slower",
            "Slower",
            id="slower",
            key_display="[",
            group=PACE_KEYS,
            tooltip="Slower pace (epochs/s)",
        ),
        Binding(
            "right_square_bracket",
            "faster",
            "Faster",
            id="faster",
            key_display="]",
            group=PACE_KEYS,
            tooltip="Faster pace, up to unlimited",
        ),
        Binding(
            "l", "log_scale", "Log", id="log-scale", show=False, tooltip="Log / linear loss axis"
        ),
        Binding(
            "s",
            "smoothing",
            "Smooth",
            id="smoothing",
            show=False,
            tooltip="Smoothing (raw line stays)",
        ),
        Binding("o", "overlay", "Overlay", id="overlay", tooltip="Overlay both runs' val loss"),
        Binding("t", "next_theme", "Theme", id="theme", show=False, tooltip="Next colour theme"),
        Binding("e", "export", "Export", id="export", tooltip="Export SVG screenshot + CSV"),
        *(
            Binding(
                key,
                f"toggle_pane('{pane}')",
                label,
                id=f"pane-{pane}",
                show=False,
                tooltip=f"Show / hide {label}",
            )
            for key, (pane, label) in PANES.items()
        ),
        Binding(
            "question_mark,f1", "help", "Help", id="help", key_display="?", tooltip="This help"
        ),
        Binding(
            "G,end",
            "jump_to_end",
            "End",
            id="jump-to-end",
            tooltip="Show the rest of the log at once",
        ),
        Binding("q", "quit_app", "Quit", id="quit", tooltip="Quit (stops training)"),
        Binding(
            "ctrl+c",
            "interrupt",
            "Quit",
            id="interrupt",
            show=False,
            priority=True,
            tooltip="Quit (exit code 130)",
        ),
    ]

    def __init__(
        self,
        source: EventSource,
        *,
        config: SessionConfig,
        theme: Theme,
        theme_error: str | None = None,
        log_path: str | None = None,
        low_bandwidth: bool = False,
        export_dir: Path | None = None,
        handle_signals: bool = True,
    ) -> None:
        super().__init__()
        self._source = source
        self._config = config
        self._state = DashboardState(config)
        self._buffer = EventBuffer()
        self._low_bandwidth = low_bandwidth
        self._log_path = log_path
        self._export_dir = export_dir or Path.cwd()
        self._theme_error = theme_error
        self._handle_signals = handle_signals
        self.exit_deadline_s: float | None = None  # run() sets SIGNAL_EXIT_DEADLINE_S
        self._run_finished = threading.Event()
        self._themes = [load_theme(name) for name in list_themes()]
        names = [t.name for t in self._themes]
        if theme.name in names:  # a user's edited copy of a bundled theme (name = "dark") wins
            self._themes[names.index(theme.name)] = theme
        else:
            self._themes.append(theme)
        for each in self._themes:
            self.register_theme(each)
        self.theme = theme.name
        # view options
        self._log_y = True
        self._overlay_log_y = True
        self._smoothing = False
        self._overlay = False
        self._compact = False
        self._pane_choice: dict[str, bool] = {}
        # optimistic control values, until the engine confirms them with an event
        self._keep_weights = True
        self._pending_activation: str | None = None
        self._pending_lr: float | None = None
        self._pending_pace: tuple[float | None] | None = None  # (pace,): None pace = unlimited
        # timing
        self._dirty = Changed.ALL
        self._frame = 0
        self._last_text = 0.0
        self._last_plot = 0.0
        self._idle_since = time.monotonic()
        self._timer: Timer | None = None
        self._sleeping = False
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._started_source = False
        self._stopped_source = False
        self._log_ended = False
        self.exit_reason = "quit"
        self.first_frame_s: float | None = None

    # -- layout ----------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Textual's own themes (the palette can pick them) lack normtui's variables; a mid grey
        # rule reads on dark and light backgrounds alike. normtui themes set their own.
        return {**RUN_VARIABLES, "rule-color": "#808080"}

    def compose(self) -> ComposeResult:
        with Vertical(id="dashboard"):
            yield TopBar(id="top-bar")
            overlay = LossPlot(id="overlay")
            overlay.border_title = self._overlay_title()
            yield overlay
            with Horizontal(id="runs"):
                for run in RUN_NAMES:
                    yield RunPane(
                        run,
                        self._pane_title(run),
                        compact_title=self._pane_title(run, compact=True),
                        id=f"pane-{run}",
                    )
            comparison = ComparisonStrip(id="comparison")
            comparison.border_title = "comparison"
            yield comparison
            inputs = InputsPane(id="inputs")
            inputs.border_title = "inputs: feature std before → after scaling"
            yield inputs
        yield Static(id="too-small")
        yield KeyFooter(show_command_palette=False)

    def _pane_title(self, run: str, *, compact: bool = False) -> str:
        name = run if compact else RUN_TITLES[run]  # compact: "normalized", not "… inputs"
        if run == RUN_NAMES[0]:
            return f"[b]{name}[/b] · no scaler"
        return f"[b]{name}[/b] · {self._config.scaler} scaler"

    def on_mount(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        self._timer = self.set_interval(TICK_S, self._tick)
        self._apply_size(self.size.width, self.size.height)
        self._push_updates(force=True)
        if self._handle_signals:
            self._install_signal_handlers()
        if self._theme_error:
            self.notify(self._theme_error, title="theme", severity="warning", timeout=8)
        if self._replay_all_at_once():
            # The log is already in memory: fold it in now, so the first frame is the whole
            # replay instead of a loading screen followed by a second full-screen draw.
            self._start_source()
            self._source.join(1.0)
            self.sync()
        else:
            self.call_after_refresh(self._start_source)

    def _replay_all_at_once(self) -> bool:
        """A replay without a speed, of a log small enough to fold in before the first frame."""
        events = getattr(self._source, "events", None)
        return (
            self._playback
            and getattr(self._source, "pace", 0) is None
            and events is not None
            and len(events) <= PRELOAD_MAX_EVENTS
        )

    def _start_source(self) -> None:
        """Start training only after the first frame is on screen (torch loads in its thread)."""
        if self.first_frame_s is None:
            self.first_frame_s = time.perf_counter()
        if self._started_source:
            return
        self._started_source = True
        try:
            self._source.start(self._buffer.append)
        except Exception as exc:  # a source that cannot start must not kill the UI
            self.notify(f"could not start training: {exc}", severity="error", timeout=30)

    def on_unmount(self) -> None:
        self._remove_signal_handlers()
        self.stop_source()

    def stop_source(self) -> None:
        """Stop and join the source's threads (idempotent)."""
        if self._stopped_source:
            return
        self._stopped_source = True
        self._buffer.sleep(lambda: None)  # the loop is closing: never wake it again
        if self._started_source:
            self._source.stop(reason=self.exit_reason)

    # -- signals ---------------------------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread() or self._event_loop is None:
            return
        for name in SIGNAL_EXIT_CODES:
            sig = getattr(signal, name, None)
            if sig is None:
                continue
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._event_loop.add_signal_handler(sig, self._on_signal, name)

    def _remove_signal_handlers(self) -> None:
        if self._event_loop is None or not self._handle_signals:
            return
        for name in SIGNAL_EXIT_CODES:
            sig = getattr(signal, name, None)
            if sig is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    self._event_loop.remove_signal_handler(sig)

    def _on_signal(self, name: str) -> None:
        if self.exit_reason in SIGNAL_EXIT_CODES:  # a second signal: the clean exit is stuck
            os._exit(SIGNAL_EXIT_CODES[name])  # the log is flushed line by line: nothing is lost
        self.exit_reason = name
        if self.exit_deadline_s is not None:
            self._force_exit_after(self.exit_deadline_s, SIGNAL_EXIT_CODES[name])
        self.exit(return_code=SIGNAL_EXIT_CODES[name])

    def _force_exit_after(self, seconds: float, code: int) -> None:
        """Unless `run` has returned within `seconds`, stop the source and end the process."""

        def deadline() -> None:
            if self._run_finished.wait(seconds):
                return
            with contextlib.suppress(Exception):
                self.stop_source()  # the session log gets its last event
            os._exit(code)

        threading.Thread(target=deadline, name="normtui-exit-deadline", daemon=True).start()

    def run(self, *args: object, **kwargs: object) -> object:
        if self.exit_deadline_s is None:  # a real terminal (tests use run_test): bound the exit
            self.exit_deadline_s = SIGNAL_EXIT_DEADLINE_S
        try:
            return super().run(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            self._run_finished.set()

    # -- the timer -------------------------------------------------------------------------
    def _tick(self) -> None:
        if not self.screen_stack or self._exit:  # quitting: the widgets are being torn down
            return
        self._frame += 1
        events = self._buffer.drain()
        urgent = self.ingest(events)
        now = time.monotonic()
        waiting = self._state.started is None and not self._log_ended
        if waiting:
            self._dirty |= Changed.STATUS  # keep the loading spinner turning
        try:
            self._push_updates(now=now, force=urgent)
        except NoMatches:  # the widgets are being torn down (exit) or not mounted yet
            return
        self._check_log_ended()
        if events or waiting:
            self._idle_since = now
            return
        if not self._dirty and now - self._idle_since >= IDLE_SLEEP_S:
            self._sleep()

    def _check_log_ended(self) -> None:
        """A replay whose log stops without a session end: say so instead of "running"."""
        if (
            self._log_ended
            or not self._playback
            or not self._started_source  # join() of a source not started yet says "done"
            or self._state.ended is not None
            or not self._source.join(0)
            or self._buffer.pending  # after join: the source's last events are all in
        ):
            return
        self._log_ended = True
        self._dirty |= Changed.STATUS | Changed.SCALARS  # drawn on the next tick

    def ingest(self, events: list[Event]) -> bool:
        """Fold events into the state and note what must be redrawn.

        Returns True when a control event or a run's first epoch (after a start or restart)
        arrived: those are rare and the user is waiting for them, so they are drawn at once,
        plots included, instead of at the throttled rate.
        """
        changed = Changed.NONE
        state = self._state
        urgent = False
        for event in events:
            is_epoch = isinstance(event, EpochEnd)
            view = state.runs.get(event.run) if is_epoch else None  # a log may name others
            first_epoch = view is not None and view.last is None
            changed |= state.apply(event)
            urgent = urgent or first_epoch or not is_epoch
            if isinstance(event, SessionEnded):
                self._session_ended(event)
            if (
                isinstance(event, ActivationChanged)
                and event.activation == self._pending_activation
            ):
                self._pending_activation = None
            elif isinstance(event, LearningRateChanged):
                self._pending_lr = None
            elif isinstance(event, PaceChanged):
                self._pending_pace = None
        self._dirty |= changed
        return urgent

    def _session_ended(self, event: SessionEnded) -> None:
        if event.usage_error:  # e.g. a CSV that cannot be read: say it on the terminal, exit 2
            self.exit_reason = "error"
            self.exit(return_code=2)
        elif event.error:
            self.notify(event.error, title="training stopped", severity="error", timeout=30)

    def _sleep(self) -> None:
        if self._timer is None or self._sleeping:
            return
        if self._buffer.sleep(self._wake_threadsafe):
            self._sleeping = True
            self._timer.pause()

    def _wake_threadsafe(self) -> None:
        """Called from the source's thread on the first event after a quiet spell."""
        loop = self._event_loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already closed at exit
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._sleeping and self._timer is not None:
            self._sleeping = False
            self._idle_since = time.monotonic()
            self._timer.resume()

    @property
    def ticking(self) -> bool:
        """Whether the refresh timer is running (False when idle: zero CPU)."""
        return not self._sleeping

    def sync(self) -> None:
        """Drain everything and redraw now (tests and replays use this to skip the throttle)."""
        self.ingest(self._buffer.drain())
        self._dirty |= Changed.ALL
        self._push_updates(force=True)

    # -- pushing state into widgets ----------------------------------------------------------
    def _push_updates(self, *, now: float | None = None, force: bool = False) -> None:
        now = time.monotonic() if now is None else now
        dirty = self._dirty
        text_parts = Changed.INFO | Changed.STATUS | Changed.SCALARS
        if dirty & text_parts and (
            force or now - self._last_text >= TEXT_INTERVAL_S[self._low_bandwidth]
        ):
            self._last_text = now
            self._show_text(dirty)
            dirty &= ~text_parts
        plot_parts = Changed.PLOTS | Changed.HISTS
        if dirty & plot_parts and (
            force or now - self._last_plot >= PLOT_INTERVAL_S[self._low_bandwidth]
        ):
            self._last_plot = now
            self._show_plots()
            dirty &= ~plot_parts
        self._dirty = dirty

    @property
    def _main_screen(self) -> Screen:
        """The dashboard's screen, also while help or the picker is on top of it."""
        return self.screen_stack[0]

    @property
    def _playback(self) -> bool:
        """A recorded log played back (`normtui replay`), with its own speed."""
        return bool(getattr(self._source, "playback", False))

    def _controls(self) -> Controls:
        return Controls(
            replay_speed=(getattr(self._source, "pace", None),) if self._playback else None,
            keep_weights=self._keep_weights,
            pending_activation=self._pending_activation,
            low_bandwidth=self._low_bandwidth,
            plot_every_s=PLOT_INTERVAL_S[self._low_bandwidth],
            live=self._source.live,
            log_ended=self._log_ended,
        )

    def _show_text(self, dirty: Changed) -> None:
        state = self._state
        self._main_screen.query_one(KeyFooter).paused = state.paused
        self._main_screen.query_one(TopBar).show(
            state, self._controls(), self._frame, compact=self._compact
        )
        if state.started is None:
            message = f"[dim]◌ {waiting_message(self._controls())}[/]"
            for run in RUN_NAMES:
                self._main_screen.query_one(f"#pane-{run}", RunPane).show_header(message)
            return
        for run in RUN_NAMES:
            pane = self._main_screen.query_one(f"#pane-{run}", RunPane)
            pane.show_scalars(state.runs[run], compact=self._compact, log_ended=self._log_ended)
            pane.show_gauges(state.runs[run], state.goal_accuracy)
        self._main_screen.query_one(ComparisonStrip).show(state)
        if dirty & Changed.INFO:
            self._main_screen.query_one(InputsPane).show(state.started)

    def _show_plots(self) -> None:
        state = self._state
        if self._overlay:
            overlay = self._main_screen.query_one("#overlay", LossPlot)
            overlay.border_title = self._overlay_title()
            overlay.set_data(self._overlay_data())
        show_loss = not self._overlay and self._pane_visible("loss")
        for run in RUN_NAMES:
            pane = self._main_screen.query_one(f"#pane-{run}", RunPane)
            if show_loss:
                pane.show_plot(state.runs[run], log_y=self._log_y, smoothing=self._smoothing)
            if self._pane_visible("hists"):
                pane.show_histograms(
                    state.runs[run], compact=self._compact, every_s=state.config.hist_interval_s
                )

    def _overlay_title(self) -> str:
        mode = ("log" if self._overlay_log_y else "linear") + (
            ", smoothed" if self._smoothing else ""
        )
        return (
            f"validation loss, both runs [dim]({mode})[/]  "
            f"[$raw-color]━ raw[/]  "
            f"[$normalized-color]{line_glyph('normalized-color', self.no_color)} normalized[/]"
        )

    def _overlay_data(self) -> PlotData:
        lines = []
        for run in RUN_NAMES:
            rows = self._state.runs[run].plot.rows()
            xs, ys = [row[0] for row in rows], [row[2] for row in rows]
            lines += curve_lines(xs, ys, f"{run}-color", smoothing=self._smoothing)
        markers = tuple(self._state.runs[RUN_NAMES[1]].markers)
        return PlotData(tuple(lines), markers, log_y=self._overlay_log_y)

    # -- size and panes ----------------------------------------------------------------------
    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.screen.set_class(too_small, "-too-small")
        if too_small:
            self._main_screen.query_one("#too-small", Static).update(
                f"[b]terminal too small[/b]\n\n{width}×{height} — normtui needs at least "
                f"{MIN_SIZE[0]}×{MIN_SIZE[1]}\n\nenlarge the window, or press q to quit"
            )
        # only the live key line is too long; a replay's and watch's fit in 70 columns
        narrow = width < NARROW_FOOTER_BELOW and self._source.live
        self._main_screen.query_one(KeyFooter).narrow = narrow
        compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        if compact != self._compact:
            self._compact = compact
            self._main_screen.query_one(KeyFooter).compact = compact
            self._main_screen.query_one(InputsPane).max_rows = 2 if compact else 5
            self._dirty |= Changed.ALL
        self._apply_panes()

    def _pane_visible(self, pane: str) -> bool:
        if pane in self._pane_choice:
            return self._pane_choice[pane]
        return not (self._compact and pane == "inputs")

    def _apply_panes(self) -> None:
        dashboard = self._main_screen.query_one("#dashboard")
        dashboard.set_class(self._compact, "-compact")
        dashboard.set_class(self._overlay, "-overlay")
        for pane, _label in PANES.values():
            dashboard.set_class(not self._pane_visible(pane), f"-hide-{pane}")
        # compact plots have no title row: their legend goes on the pane's bottom border
        legend = self._compact and not self._overlay and self._pane_visible("loss")
        for run in RUN_NAMES:
            self._main_screen.query_one(f"#pane-{run}", RunPane).set_layout(
                compact=self._compact, legend_on_border=legend
            )

    def _redraw_view(self) -> None:
        self._apply_panes()
        self._dirty |= Changed.ALL
        self._push_updates(force=True)

    # -- actions: engine controls ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PLAYBACK_ACTIONS and self._playback:
            return True
        if action == "jump_to_end":
            return False
        return not (action in CONTROL_ACTIONS and not self._source.live)

    def action_jump_to_end(self) -> None:
        self._source.send(commands.JumpToEnd())

    def _send(self, command: commands.Command) -> None:
        if self._state.ended is not None and not isinstance(command, commands.Restart):
            self.notify("the session has ended; press q to quit", severity="warning")
            return
        self._source.send(command)

    def action_toggle_pause(self) -> None:
        self._send(commands.TogglePause())

    def action_step(self) -> None:
        self._send(commands.Step())

    def action_restart(self) -> None:
        self._send(commands.Restart())
        self.notify("restarting both runs from the same initial weights", timeout=2)

    def _current_activation(self) -> str:
        return self._pending_activation or self._state.activation

    def action_next_activation(self) -> None:
        self._cycle_activation(+1)

    def action_prev_activation(self) -> None:
        self._cycle_activation(-1)

    def _cycle_activation(self, step: int) -> None:
        current = self._current_activation()
        cycle = ACTIVATION_CYCLE
        index = cycle.index(current) if current in cycle else -step
        self.action_set_activation(cycle[(index + step) % len(cycle)])

    def action_set_activation(self, name: str) -> None:
        if name not in ACTIVATIONS or name == self._current_activation():
            return
        self._pending_activation = name
        self._send(commands.SetActivation(name, keep_weights=self._keep_weights))
        self._dirty |= Changed.STATUS
        self._push_updates(force=True)

    def action_pick_activation(self) -> None:
        def chosen(name: str | None) -> None:
            if name is not None:
                self.action_set_activation(name)

        picker = ActivationPicker(ACTIVATIONS, self._current_activation(), self._keep_weights)
        self.push_screen(picker, chosen)

    def action_toggle_keep(self) -> None:
        self._keep_weights = not self._keep_weights
        mode = "keep the trained weights" if self._keep_weights else "restart both runs"
        self.notify(f"activation swaps now {mode}", timeout=3)
        self._dirty |= Changed.STATUS
        self._push_updates(force=True)

    def _change_lr(self, factor: float) -> None:
        current = self._pending_lr or self._state.learning_rate
        lr = min(max(current * factor, LR_LIMITS[0]), LR_LIMITS[1])
        if lr == current:
            self.notify(f"learning rate already at its limit ({fmt_lr(lr)})", severity="warning")
            return
        self._pending_lr = lr
        self._send(commands.SetLearningRate(lr))

    def action_lr_up(self) -> None:
        self._change_lr(2.0)

    def action_lr_down(self) -> None:
        self._change_lr(0.5)

    def _change_pace(self, step: int) -> None:
        if self._playback:  # a replay's speed, not the pace the log was recorded at
            current = getattr(self._source, "pace", None)
        else:
            current = self._pending_pace[0] if self._pending_pace else self._state.pace
        if current is None:
            index = len(PACE_STEPS) - 1
        else:
            index = min(range(len(PACE_STEPS) - 1), key=lambda i: abs(PACE_STEPS[i] - current))
        index = min(max(index + step, 0), len(PACE_STEPS) - 1)
        pace = PACE_STEPS[index]
        self._pending_pace = None if self._playback else (pace,)
        self._send(commands.SetPace(pace))
        what = "replay speed" if self._playback else "pace"
        self.notify(f"{what} {fmt_pace(pace)}", timeout=1.5)
        self._dirty |= Changed.STATUS

    def action_slower(self) -> None:
        self._change_pace(-1)

    def action_faster(self) -> None:
        self._change_pace(+1)

    # -- actions: view ---------------------------------------------------------------------
    def action_log_scale(self) -> None:
        if self._overlay:
            self._overlay_log_y = not self._overlay_log_y
        else:
            self._log_y = not self._log_y
        self._redraw_view()

    def action_smoothing(self) -> None:
        self._smoothing = not self._smoothing
        self.notify(
            f"smoothing {'on (raw line kept, faded)' if self._smoothing else 'off'}", timeout=2
        )
        self._redraw_view()

    def action_overlay(self) -> None:
        self._overlay = not self._overlay
        self._redraw_view()

    def action_toggle_pane(self, pane: str) -> None:
        self._pane_choice[pane] = not self._pane_visible(pane)
        self._redraw_view()

    def action_next_theme(self) -> None:
        names = [t.name for t in self._themes]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)
        self._redraw_view()

    def action_export(self) -> None:
        directory = self._export_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
            stem = _unused_stem(directory, f"normtui-{time.strftime('%Y%m%d-%H%M%S')}")
            svg = self.save_screenshot(filename=f"{stem}.svg", path=str(directory))
            csv_path = directory / f"{stem}.csv"
            rows = write_metrics_csv(self._state, csv_path)
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error", timeout=8)
            return
        stride = max(run.history.stride for run in self._state.runs.values())
        note = f"\nevery {stride}th epoch kept" if stride > 1 else ""
        if self._log_path:
            note += f"\nfull event log: {self._log_path}"
        self.notify(
            f"screenshot {svg}\nmetrics {csv_path} ({rows} rows){note}", title="exported", timeout=8
        )

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.key_table()))

    def key_table(self) -> list[tuple[str, str]]:
        """(keys, description) for every binding, generated from BINDINGS."""
        rows = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or not (binding.tooltip or binding.description):
                continue
            if not self.check_action(binding.action, ()):
                continue
            keys = [self._key_name(key) for key in binding.key.split(",")]
            description = binding.tooltip or binding.description
            if self._playback:
                description = PLAYBACK_TOOLTIPS.get(binding.action, description)
            elif not self._source.live and binding.action == "quit_app":
                description = "Quit (the training process, if any, goes on)"  # watch
            rows.append((" / ".join(keys), description))
        rows.append(("ctrl+p", "Command palette"))
        return rows

    @staticmethod
    def _key_name(key: str) -> str:
        names = {
            "space": "space",
            "plus": "+",
            "equals_sign": "=",
            "minus": "-",
            "left_square_bracket": "[",
            "right_square_bracket": "]",
            "question_mark": "?",
            "f1": "F1",
            "ctrl+c": "ctrl+c",
        }
        return names.get(key.strip(), key.strip())

    def action_quit_app(self) -> None:
        self.exit_reason = "quit"
        self.exit(return_code=0)

    def action_interrupt(self) -> None:
        self.exit_reason = "SIGINT"  # the same reason `normtui train` logs for Ctrl+C
        self.exit(return_code=130)

    # -- for tests and benchmarks ----------------------------------------------------------
    @property
    def state(self) -> DashboardState:
        return self._state

    @property
    def source(self) -> EventSource:
        return self._source


def _unused_stem(directory: Path, stem: str) -> str:
    """`stem`, or `stem-2`, `stem-3`...: two exports in one second must not overwrite."""
    candidate, suffix = stem, 1
    while any((directory / f"{candidate}{ext}").exists() for ext in (".svg", ".csv")):
        suffix += 1
        candidate = f"{stem}-{suffix}"
    return candidate


def make_app(
    source: EventSource,
    *,
    config: SessionConfig,
    theme: str = DEFAULT_THEME,
    log_path: str | None = None,
    low_bandwidth: bool = False,
    export_dir: Path | None = None,
    handle_signals: bool = True,
) -> NormtuiApp:
    """Build the dashboard the same way for the CLI, replays and tests.

    A theme that cannot be loaded falls back to the default, and the app says why on screen.
    """
    try:
        chosen = load_theme(theme)
        error = None
    except ThemeError as exc:
        chosen = load_theme(DEFAULT_THEME)
        error = f"{exc}; using the {DEFAULT_THEME} theme"
    return NormtuiApp(
        source,
        config=config,
        theme=chosen,
        theme_error=error,
        log_path=log_path,
        low_bandwidth=low_bandwidth,
        export_dir=export_dir,
        handle_signals=handle_signals,
    )
