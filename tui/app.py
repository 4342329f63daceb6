"""The dashboard app: app-wide concerns around the `DashboardScreen`.

The app owns the event source and what it learns from it (`DashboardState`), the keys and what
they send to the engine, themes, signals and export. The `EventPump` hands the source's events
over to the UI thread; the screen lays out the panes and draws.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.notifications import Notification, SeverityLevel
from textual.theme import Theme

from normtui.engine import commands
from normtui.engine.config import ACTIVATIONS, SessionConfig
from normtui.engine.events import (
    ActivationChanged,
    EpochEnd,
    Event,
    LearningRateChanged,
    PaceChanged,
    RunStatus,
    SessionEnded,
    SessionStarted,
)
from normtui.engine.notices import data_notices
from normtui.themes import DEFAULT_THEME
from normtui.tui.bindings import BINDINGS, CONTROL_ACTIONS, PLAYBACK_ACTIONS, key_rows
from normtui.tui.files import unused_stem
from normtui.tui.pump import EventPump
from normtui.tui.screens.activation_picker import ActivationPicker
from normtui.tui.screens.dashboard import PLOT_INTERVAL_S, DashboardScreen
from normtui.tui.screens.help import HelpScreen
from normtui.tui.screens.palette import DashboardCommands
from normtui.tui.signals import SIGNAL_EXIT_CODES
from normtui.tui.theme_loader import RUN_VARIABLES, resolve_theme, themes_with
from normtui.tui.viewstate.export import write_metrics_csv
from normtui.tui.viewstate.source import EventSource
from normtui.tui.viewstate.state import Changed, DashboardState
from normtui.tui.widgets.format import fmt_lr, fmt_pace
from normtui.tui.widgets.top_bar import Controls

PRELOAD_MAX_EVENTS = 50_000  # a replay this long is drawn in its first frame (~0.1 s of work)
PRELOAD_JOIN_S = 10.0  # a ceiling, not a wait: ~0.1 s of work, seconds on a loaded machine
PACE_STEPS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)
LR_LIMITS = (1e-7, 10.0)
REPLAY_AGAIN_SPEED = 20.0  # epochs/s: a replay shown all at once, played again
MAX_NOTICES = 3  # notifications on screen at once, one per kind (the newest kinds)
# The deadline for an exit after a signal, armed by `NormtuiApp.run` (a real terminal). Textual's
# output thread can block for good on a terminal that hung up (seen: SSH dropped ~0.5 s after
# start, 3 runs in 8), leaving a process that trains on with no one watching; past this, the
# session is stopped and the process ends.
SIGNAL_EXIT_DEADLINE_S = 5.0
# The order `a` / `A` step through: the saturating pair right after ReLU, so a first press or two
# shows the story (the raw run's tanh/sigmoid units pinned at their limits), then the rest.
SWAP_FIRST = ("relu", "tanh", "sigmoid")
ACTIVATION_CYCLE: tuple[str, ...] = (
    *(name for name in SWAP_FIRST if name in ACTIVATIONS),
    *(name for name in ACTIVATIONS if name not in SWAP_FIRST),
)
FUNCTION_KEY = re.compile(r"f\d+")


class NormtuiApp(App[None]):
    """The live (or replayed) comparison of the raw and normalized runs."""

    CSS_PATH = "app.tcss"
    TITLE = "normtui"
    COMMANDS: ClassVar = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = BINDINGS

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
        missing_log: str | None = None,
        back: bool = False,
    ) -> None:
        super().__init__()
        self._back = back  # opened from the sweep: esc goes back to it
        self._missing_log = missing_log  # `watch` started before its log exists
        self._source = source
        self._state = DashboardState(config)
        self._pump = EventPump(self._on_events)
        self._low_bandwidth = low_bandwidth
        self._log_path = log_path
        self._export_dir = export_dir or Path.cwd()
        self._theme_error = theme_error
        self._handle_signals = handle_signals
        self.exit_deadline_s: float | None = None  # run() sets SIGNAL_EXIT_DEADLINE_S
        self._run_finished = threading.Event()
        self._themes = self._register_themes(theme)
        # optimistic control values, until the engine confirms them with an event
        self._keep_weights = True
        self._pending_activation: str | None = None
        self._pending_lr: float | None = None
        self._pending_pace_step: int | None = None  # index into PACE_STEPS
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._notices: dict[str, Notification] = {}  # the one notification on screen per kind
        self._started_source = False
        self._stopped_source = False
        self._log_ended = False
        self._played_out = False  # a replay that has shown its last event
        self.exit_reason = "quit"
        self._dashboard = DashboardScreen(
            self._state,
            self._controls(),
            live=source.live,
            low_bandwidth=low_bandwidth,
            back=back,
        )

    def get_default_screen(self) -> DashboardScreen:
        return self._dashboard

    def _register_themes(self, chosen: Theme) -> list[Theme]:
        """The bundled themes, with `chosen` in its place (a user's edited copy of one wins)."""
        themes = themes_with(chosen)
        for each in themes:
            self.register_theme(each)
        self.theme = chosen.name
        # Textual's own themes (dracula, nord, …) lack normtui's run colours and gave a
        # half-styled screen from the palette's Theme entry: offer normtui's themes only
        ours = {each.name for each in themes}
        for name in list(self.available_themes):
            if name not in ours:
                self.unregister_theme(name)
        return themes

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        kind: str | None = None,
    ) -> None:
        """Textual's notify, but one notification per `kind` (default: its title, or "info"),
        replaced in place: pressing `+` at the limit eight times, or `[` ten times, showed eight
        or ten toasts stacked up over the plots and header. At most MAX_NOTICES kinds at once.
        """
        kind = kind or title or "info"
        previous = self._notices.pop(kind, None)
        if previous is not None and previous in self._notifications:
            self._unnotify(previous, refresh=False)
        alive = [k for k, n in self._notices.items() if n in self._notifications]
        for old in alive[: max(0, len(alive) - MAX_NOTICES + 1)]:
            self._unnotify(self._notices.pop(old), refresh=False)
        notification = Notification(
            message,
            title,
            severity,
            self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
            markup=markup,
        )
        self._notices[kind] = notification
        # at once, not by message: presses queued in one burst must not all get in
        self._notifications.add(notification)
        self._refresh_notifications()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # A theme without normtui's variables (a user's TOML that leaves some out) gets these; a
        # mid grey rule reads on dark and light backgrounds alike.
        return {**RUN_VARIABLES, "rule-color": "#808080"}

    def get_key_display(self, binding: Binding) -> str:
        """Textual's display, with `ctrl+c` spelled out and function keys as `F1`."""
        if binding.key_display is None:
            modifiers, key = binding.parse_key()
            if modifiers:
                return binding.key
            if FUNCTION_KEY.fullmatch(key):
                return key.upper()
        return super().get_key_display(binding)

    def on_mount(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        self._pump.start(self)
        if self._handle_signals:
            self._install_signal_handlers()
        if self._theme_error:
            self.notify(self._theme_error, title="theme", severity="warning", timeout=8)
        if self._replay_all_at_once():
            # The log is already in memory: fold it in now, so the first frame is the whole
            # replay instead of a loading screen followed by a second full-screen draw.
            self._start_source()
            self._source.join(PRELOAD_JOIN_S)
            self.sync()
        else:
            self.call_after_refresh(self._start_source)

    def _replay_all_at_once(self) -> bool:
        """A replay without a speed, of a log small enough to fold in before the first frame."""
        return (
            self._playback
            and self._source.pace is None
            and len(self._source.events) <= PRELOAD_MAX_EVENTS
        )

    def _start_source(self) -> None:
        """Start training only after the first frame is on screen (torch loads in its thread)."""
        if self._started_source:
            return
        self._started_source = True
        try:
            self._source.start(self._pump.buffer.append)
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
        self._pump.close()
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

    # -- the pump's handler -------------------------------------------------------------------
    def _on_events(self, events: list[Event], now: float) -> bool:
        """Fold a tick's events in and draw what is due; True while the timer must stay awake."""
        if not self.screen_stack or self._exit:  # quitting: widgets being torn down
            return False
        urgent = self.ingest(events)
        waiting = self._state.started is None and not self._log_ended
        if waiting:
            self._dashboard.dirty |= Changed.STATUS  # keep the loading spinner turning
        try:
            self._dashboard.show(self._controls(), frame=self._pump.frame, now=now, force=urgent)
        except NoMatches:  # the widgets are being torn down (exit)
            return False
        self._check_log_ended()
        self._check_played_out()
        # a replay's last event is in, its thread about to return: tick until it has, so the
        # footer's "Play again" does not wait for a key press to be drawn
        ending = self._playback and self._state.ended is not None and not self._played_out
        return waiting or ending or bool(self._dashboard.dirty)

    def _check_played_out(self) -> None:
        """A replay's thread has emitted its last event: space now plays it again."""
        if (
            self._played_out
            or not self._playback
            or not self._started_source
            or not self._source.join(0)
            or self._pump.pending
        ):
            return
        self._played_out = True
        self._dashboard.dirty |= Changed.STATUS
        self._dashboard.show(self._controls(), force=True)

    def _check_log_ended(self) -> None:
        """A replay whose log stops without a session end: say so instead of "running"."""
        if (
            self._log_ended
            or not self._playback
            or not self._started_source  # join() of a source not started yet says "done"
            or self._state.ended is not None
            or not self._source.join(0)
            or self._pump.pending  # after join: the source's last events are all in
        ):
            return
        self._log_ended = True
        self._dashboard.dirty |= Changed.STATUS | Changed.SCALARS  # drawn on the next tick

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
            elif isinstance(event, SessionStarted) and data_notices(event):  # issue 25 item 4
                notices = "; ".join(data_notices(event))
                self.notify(notices, title="data", timeout=12, kind="data", markup=False)
            if (
                isinstance(event, ActivationChanged)
                and event.activation == self._pending_activation
            ):
                self._pending_activation = None
            elif isinstance(event, LearningRateChanged):
                self._pending_lr = None
            elif isinstance(event, PaceChanged):
                self._pending_pace_step = None
        self._dashboard.dirty |= changed
        return urgent

    def _session_ended(self, event: SessionEnded) -> None:
        if event.usage_error:  # e.g. a CSV that cannot be read: say it on the terminal, exit 2
            self.exit_reason = "error"
            self.exit(return_code=2)
        elif event.error:
            self.notify(event.error, title="training stopped", severity="error", timeout=30)

    @property
    def ticking(self) -> bool:
        """Whether the refresh timer is running (False when idle: zero CPU)."""
        return self._pump.ticking

    def tick(self) -> None:
        """One timer tick now (tests drive the pump by hand)."""
        self._pump.tick()

    def sync(self) -> None:
        """Drain everything and redraw now (tests and replays use this to skip the throttle)."""
        self.ingest(self._pump.drain())
        self._dashboard.controls = self._controls()
        self._dashboard.redraw()

    @property
    def _playback(self) -> bool:
        """A recorded log played back (`normtui replay`), with its own speed."""
        return self._source.playback

    def _controls(self) -> Controls:
        return Controls(
            playback=self._playback,
            replay_speed=self._source.pace if self._playback else None,
            played_out=self._played_out,
            missing_log=self._still_missing(),
            keep_weights=self._keep_weights,
            pending_activation=self._pending_activation,
            low_bandwidth=self._low_bandwidth,
            plot_every_s=PLOT_INTERVAL_S[self._low_bandwidth],
            live=self._source.live,
            log_ended=self._log_ended,
        )

    def _still_missing(self) -> str | None:
        """The watched log's path while it does not exist yet (checked only until it does)."""
        if self._missing_log is not None and os.path.lexists(self._missing_log):
            self._missing_log = None
        return self._missing_log

    def _show_controls(self) -> None:
        """A control value changed here (not by an event): the top bar shows it at once."""
        self._dashboard.dirty |= Changed.STATUS
        self._dashboard.show(self._controls(), force=True)

    # -- actions: engine controls ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # only where the dashboard was opened from somewhere (the sweep)
            return self._back
        if action in PLAYBACK_ACTIONS and self._playback:
            return True
        if action == "jump_to_end":
            return False
        return not (action in CONTROL_ACTIONS and not self._source.live)

    def action_jump_to_end(self) -> None:
        self._source.send(commands.JumpToEnd())

    def _send(self, command: commands.Command) -> bool:
        """Send `command` to the engine; False (and a word on screen) when it has nothing to do."""
        if self._state.ended is not None and not isinstance(command, commands.Restart):
            self.notify("the session has ended; press q to quit", severity="warning", kind="over")
            return False
        if self._training_over() and not isinstance(command, (commands.Restart, commands.SetPace)):
            # Every run has stopped and the session waits for `r`: a pause, a step or a new
            # learning rate would act on nothing, and a kept-weights swap would relabel the top
            # bar while both panes still show what the runs trained with.
            if isinstance(command, commands.SetActivation) and not command.keep_weights:
                self._source.send(command)  # restart mode: the swap trains both runs anew
                return True
            self.notify(self._over_message(command), severity="warning", timeout=4, kind="over")
            return False
        self._source.send(command)
        return True

    def _training_over(self) -> bool:
        """A live session whose runs have all stopped (finished, diverged or failed)."""
        state = self._state
        return (
            self._source.live
            and not self._playback
            and state.started is not None
            and state.ended is None
            and state.finished
        )

    def _over_message(self, command: commands.Command) -> str:
        runs = self._state.runs.values()
        epoch = max(run.epoch for run in runs)
        if all(run.status == RunStatus.FINISHED for run in runs):
            what = f"training finished at epoch {epoch}"
        else:
            what = f"both runs stopped (epoch {epoch})"
        if isinstance(command, commands.SetActivation):
            return f"{what}: r trains again (k, then a: swap with a restart)"
        return f"{what}: r trains both runs again from the start"

    def action_toggle_pause(self) -> None:
        if self._played_out:
            self._play_again()
            return
        self._send(commands.TogglePause())

    def action_step(self) -> None:
        if self._played_out:
            self.notify("the replay is over: space plays it again", kind="over", timeout=3)
            return
        self._send(commands.Step())

    def _play_again(self) -> None:
        """Start a played-out replay over from its first event (animated: a replay shown all
        at once plays again at REPLAY_AGAIN_SPEED epochs/s, or there would be nothing to see)."""
        speed = self._source.pace
        if speed is None:
            speed = REPLAY_AGAIN_SPEED
            self._source.send(commands.SetPace(speed))
        self._played_out = self._log_ended = False
        self._pump.drain()
        self._state.start_over()
        self._started_source = False
        self._start_source()
        self.notify(f"replaying from the start at {fmt_pace(speed)}", timeout=2, kind="pace")
        self._dashboard.redraw()

    def action_restart(self) -> None:
        if not self._send(commands.Restart()):
            return
        self.notify("restarting both runs from the same initial weights", timeout=2, kind="run")

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
        if not self._send(commands.SetActivation(name, keep_weights=self._keep_weights)):
            return
        self._pending_activation = name
        self._show_controls()

    def action_pick_activation(self) -> None:
        def chosen(name: str | None) -> None:
            if name is not None:
                self.action_set_activation(name)

        picker = ActivationPicker(ACTIVATIONS, self._current_activation(), self._keep_weights)
        self.push_screen(picker, chosen)

    def action_toggle_keep(self) -> None:
        self._keep_weights = not self._keep_weights
        mode = "keep the trained weights" if self._keep_weights else "restart both runs"
        self.notify(f"activation swaps now {mode}", timeout=3, kind="activation")
        self._show_controls()

    def _change_lr(self, factor: float) -> None:
        current = self._pending_lr or self._state.learning_rate
        lr = min(max(current * factor, LR_LIMITS[0]), LR_LIMITS[1])
        if lr == current:
            self.notify(
                f"learning rate already at its limit ({fmt_lr(lr)})", severity="warning", kind="lr"
            )
            return
        if self._send(commands.SetLearningRate(lr)):
            self._pending_lr = lr
            self.notify(
                f"learning rate {fmt_lr(current)} → {fmt_lr(lr)} for both runs",
                timeout=3,
                kind="lr",
            )

    def action_lr_up(self) -> None:
        self._change_lr(2.0)

    def action_lr_down(self) -> None:
        self._change_lr(0.5)

    def _change_pace(self, step: int) -> None:
        index = self._pending_pace_step
        if index is None:
            # a replay's speed, not the pace the log was recorded at
            current = self._source.pace if self._playback else self._state.pace
            index = _nearest_pace_step(current)
        index = min(max(index + step, 0), len(PACE_STEPS) - 1)
        pace = PACE_STEPS[index]
        if not self._send(commands.SetPace(pace)):
            return
        self._pending_pace_step = index
        what = "replay speed" if self._playback else "pace"
        self.notify(f"{what} {fmt_pace(pace)}", timeout=1.5, kind="pace")
        self._dashboard.dirty |= Changed.STATUS

    def action_slower(self) -> None:
        self._change_pace(-1)

    def action_faster(self) -> None:
        self._change_pace(+1)

    # -- actions: view (the screen's toggles) -------------------------------------------------
    def action_log_scale(self) -> None:
        self._dashboard.toggle_log_scale()

    def action_smoothing(self) -> None:
        smoothing = self._dashboard.smoothing = not self._dashboard.smoothing
        smooth = "on (raw line kept, faded)" if smoothing else "off"
        self.notify(f"smoothing {smooth}", timeout=2, kind="view")

    def action_shared_y(self) -> None:
        shared = self._dashboard.shared_y = not self._dashboard.shared_y
        axes = (
            "one shared y-axis: equal heights are equal losses"
            if shared
            else "each its own y-axis: heights do not compare across the panes"
        )
        self.notify(f"loss plots: {axes}", timeout=3, kind="view")

    def action_overlay(self) -> None:
        self._dashboard.overlay = not self._dashboard.overlay

    def action_toggle_pane(self, pane: str) -> None:
        self._dashboard.toggle_pane(pane)

    def action_inputs_page(self) -> None:
        if not self._dashboard.next_inputs_page():
            self.notify("every feature is already in the inputs pane", timeout=2, kind="view")

    def action_next_theme(self) -> None:
        names = [t.name for t in self._themes]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2, kind="theme")
        self._dashboard.relayout()

    def action_export(self) -> None:
        directory = self._export_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
            stem = f"normtui-{time.strftime('%Y%m%d-%H%M%S')}"
            stem = unused_stem(directory, stem, (".svg", ".csv"))  # two in one second
            svg = self._screenshot_without_notifications(stem, directory)
            csv_path = directory / f"{stem}.csv"
            rows = write_metrics_csv(self._state, csv_path)
        except OSError as exc:
            self.notify(f"export failed: {exc}", severity="error", timeout=8, kind="export")
            return
        stride = max(run.history.stride for run in self._state.runs.values())
        note = f"\nevery {stride}th epoch kept" if stride > 1 else ""
        if self._log_path:
            note += f"\nfull event log: {self._log_path}"
        self.notify(
            f"screenshot {svg}\nmetrics {csv_path} ({rows} rows){note}",
            title="exported",
            timeout=8,
            kind="export",
        )

    def _screenshot_without_notifications(self, stem: str, directory: Path) -> str:
        """The dashboard as an SVG, not the notifications over it (issue 25: an export taken
        while one was up captured it): the toast layer is hidden for the one frame it takes."""
        racks = list(self.screen.query("ToastRack"))
        for rack in racks:
            rack.display = False
        try:
            self.screen._refresh_layout()  # the frame without them, now (Textual 8: no public call)
            return self.save_screenshot(filename=f"{stem}.svg", path=str(directory))
        finally:
            for rack in racks:
                rack.display = True
            self.screen.refresh(layout=True)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.key_table()))

    def key_table(self) -> list[tuple[str, str]]:
        """(keys, description) for every key this source allows, generated from BINDINGS."""
        return key_rows(
            self.BINDINGS,
            key_display=self.get_key_display,
            allowed=lambda action: self.check_action(action, ()),
            playback=self._playback,
            live=self._source.live,
        )

    def action_quit_app(self) -> None:
        self.exit_reason = "quit"
        self.exit(return_code=0)

    def action_back(self) -> None:
        """Leave for where the dashboard was opened from (`exit_reason` "back")."""
        self.exit_reason = "back"
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

    @property
    def dashboard(self) -> DashboardScreen:
        return self._dashboard


def _nearest_pace_step(pace: float | None) -> int:
    """The index in PACE_STEPS closest to `pace` (None, unlimited, is the last)."""
    if pace is None:
        return len(PACE_STEPS) - 1
    return min(range(len(PACE_STEPS) - 1), key=lambda i: abs(PACE_STEPS[i] - pace))


def make_app(
    source: EventSource,
    *,
    config: SessionConfig,
    theme: str = DEFAULT_THEME,
    log_path: str | None = None,
    low_bandwidth: bool = False,
    export_dir: Path | None = None,
    handle_signals: bool = True,
    missing_log: str | None = None,
    back: bool = False,
) -> NormtuiApp:
    """Build the dashboard the same way for the CLI, replays and tests.

    A theme that cannot be loaded falls back to the default, and the app says why on screen.
    """
    chosen, error = resolve_theme(theme)
    return NormtuiApp(
        source,
        config=config,
        theme=chosen,
        theme_error=error,
        log_path=log_path,
        low_bandwidth=low_bandwidth,
        export_dir=export_dir,
        handle_signals=handle_signals,
        missing_log=missing_log,
        back=back,
    )
