"""SessionScreen: the dashboard fed by one event source (a live Session, a replay, a followed log),
with every key of the dashboard and what it sends to the engine.

The source's thread only appends to the `EventPump`'s buffer; the pump's timer (this screen's)
hands each batch over here, on the UI thread, where it is folded into the `DashboardState` and
drawn. The screen starts its source after its first frame and stops it when it goes (`q`, or
`esc` back to the sweep it was opened from), so the same screen serves `normtui`, `replay`,
`watch` and a sweep's cell.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import ClassVar, TypedDict

from textual.binding import BindingType
from textual.css.query import NoMatches

from normtui.engine import commands
from normtui.engine.config import ACTIVATIONS
from normtui.engine.events import EpochEnd, Event, SessionEnded, SessionStarted
from normtui.engine.notices import data_notices
from normtui.tui.base_app import NormtuiBase
from normtui.tui.bindings import BINDINGS, CONTROL_ACTIONS, PLAYBACK_ACTIONS, key_rows
from normtui.tui.controls import (
    PendingControls,
    lr_message,
    refusal,
    training_over,
    waits_for_restart,
)
from normtui.tui.files import shown_path, unused_stem
from normtui.tui.pump import EventPump
from normtui.tui.screens.activation_picker import ActivationPicker
from normtui.tui.screens.dashboard import PLOT_INTERVAL_S, DashboardScreen
from normtui.tui.screens.help import HelpScreen
from normtui.tui.screens.lr_find import LrFindScreen
from normtui.tui.screens.palette import DashboardCommands
from normtui.tui.viewstate.export import write_grid_csv, write_listens_csv, write_metrics_csv
from normtui.tui.viewstate.source import EventSource
from normtui.tui.viewstate.state import Changed, DashboardState
from normtui.tui.widgets.format import fmt_lr, fmt_pace
from normtui.tui.widgets.run_pane import RunPane
from normtui.tui.widgets.top_bar import Controls

PRELOAD_MAX_EVENTS = 50_000  # a replay this long is drawn in its first frame (~0.1 s of work)
PRELOAD_JOIN_S = 10.0  # a ceiling, not a wait: ~0.1 s of work, seconds on a loaded machine
REPLAY_AGAIN_SPEED = 20.0  # epochs/s: a replay shown all at once, played again


class ScreenOptions(TypedDict, total=False):
    """What the dashboard app passes through to its screen (`SessionScreen`'s keywords)."""

    low_bandwidth: bool
    log_path: str | None
    export_dir: Path | None
    missing_log: str | None


class SessionScreen(DashboardScreen):
    """The dashboard of one source: its state, its pump, its keys."""

    BINDINGS: ClassVar[list[BindingType]] = BINDINGS
    COMMANDS: ClassVar = {DashboardCommands}

    def __init__(
        self,
        source: EventSource,
        state: DashboardState,
        *,
        low_bandwidth: bool = False,
        log_path: str | None = None,
        export_dir: Path | None = None,
        missing_log: str | None = None,
        back: bool = False,
    ) -> None:
        self._source = source
        self._back = back  # opened from the sweep: esc goes back to it
        self._missing_log = missing_log  # `watch` started before its log exists
        self._low_bandwidth = low_bandwidth
        self._log_path = log_path
        self._export_dir = export_dir or Path.cwd()
        self._pending = PendingControls()
        self._started_source = False
        self._stopped_source = False
        self._log_ended = False
        self._played_out = False  # a replay that has shown its last event
        self._pump = EventPump(self._on_events)
        super().__init__(
            state, self._controls(), live=source.live, low_bandwidth=low_bandwidth, back=back
        )

    @property
    def normtui(self) -> NormtuiBase:
        app = self.app
        assert isinstance(app, NormtuiBase)
        return app

    def on_mount(self) -> None:
        self._pump.start(self)
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
        if self._started_source or self._stopped_source:
            return
        self._started_source = True
        try:
            self._source.start(self._pump.buffer.append)
        except Exception as exc:  # a source that cannot start must not kill the UI
            self.normtui.notify(f"could not start training: {exc}", severity="error", timeout=30)

    def on_unmount(self) -> None:
        self.stop_source()

    def stop_source(self, reason: str | None = None) -> None:
        """Stop and join the source's threads (idempotent; any thread: the exit deadline's)."""
        if self._stopped_source:
            return
        self._stopped_source = True
        self._pump.close()
        if self._started_source:
            self._source.stop(reason=reason or self.normtui.exit_reason)

    # -- the pump's handler -------------------------------------------------------------------
    def _on_events(self, events: list[Event], now: float) -> bool:
        """Fold a tick's events in and draw what is due; True while the timer must stay awake."""
        if not self.is_attached or self.app.return_code is not None:  # quitting: tearing down
            return False
        urgent = self.ingest(events)
        waiting = self._state.started is None and not self._log_ended
        if waiting:
            self.dirty |= Changed.STATUS  # keep the loading spinner turning
        try:
            self.show(self._controls(), frame=self._pump.frame, now=now, force=urgent)
        except NoMatches:  # the widgets are being torn down (exit)
            return False
        self._check_log_ended()
        self._check_played_out()
        # a replay's last event is in, its thread about to return: tick until it has, so the
        # footer's "Play again" does not wait for a key press to be drawn
        ending = self._playback and self._state.ended is not None and not self._played_out
        return waiting or ending or bool(self.dirty)

    def _source_done(self) -> bool:
        """A replay's source has emitted its last event and all of them are folded in."""
        return (
            self._playback
            and self._started_source  # join() of a source not started yet says "done"
            and self._source.join(0)
            and not self._pump.pending  # after join: the source's last events are all in
        )

    def _check_played_out(self) -> None:
        """A replay's thread has emitted its last event: space now plays it again."""
        if self._played_out or not self._source_done():
            return
        self._played_out = True
        self.dirty |= Changed.STATUS
        self.show(self._controls(), force=True)

    def _check_log_ended(self) -> None:
        """A replay whose log stops without a session end: say so instead of "running"."""
        if self._log_ended or self._state.ended is not None or not self._source_done():
            return
        self._log_ended = True
        self.dirty |= Changed.STATUS | Changed.SCALARS  # drawn on the next tick

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
                self.normtui.notify(notices, title="data", timeout=12, kind="data", markup=False)
            self._pending.confirm(event)
        self.dirty |= changed
        return urgent

    def _session_ended(self, event: SessionEnded) -> None:
        if event.usage_error and not self._back:
            # e.g. a CSV that cannot be read: said on the terminal, exit 2
            self.normtui.exit_reason = "error"
            self.app.exit(return_code=2)
        elif event.error:
            self.normtui.notify(event.error, title="training stopped", severity="error", timeout=30)

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
        self.controls = self._controls()
        self.redraw()

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
            keep_weights=self._pending.keep_weights,
            pending_activation=self._pending.activation,
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
        self.dirty |= Changed.STATUS
        self.show(self._controls(), force=True)

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
        source = {"live": self._source.live, "playback": self._playback}
        why = refusal(command, self._state, **source)
        if why is not None:
            self.normtui.notify(why, severity="warning", timeout=4, kind="over")
            return False
        self._source.send(command)
        return True

    def _waiting(self, command: commands.Command) -> bool:
        return waits_for_restart(
            command, self._state, live=self._source.live, playback=self._playback
        )

    def action_toggle_pause(self) -> None:
        if self._played_out:
            self._play_again()
            return
        self._send(commands.TogglePause())

    def action_step(self) -> None:
        if self._played_out:
            self.normtui.notify("the replay is over: space plays it again", kind="over", timeout=3)
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
        self.normtui.notify(
            f"replaying from the start at {fmt_pace(speed)}", timeout=2, kind="pace"
        )
        self.redraw()

    def action_restart(self) -> None:
        if not self._send(commands.Restart()):
            return
        grid = " (every rate of the grid)" if self._state.has_grid else ""
        self.normtui.notify(
            f"restarting both runs{grid} from the same initial weights", timeout=2, kind="run"
        )

    def _current_activation(self) -> str:
        return self._pending.activation or self._state.activation

    def action_next_activation(self) -> None:
        self.action_set_activation(self._pending.activation_after(self._current_activation(), 1))

    def action_prev_activation(self) -> None:
        self.action_set_activation(self._pending.activation_after(self._current_activation(), -1))

    def action_set_activation(self, name: str) -> None:
        if name not in ACTIVATIONS or name == self._current_activation():
            return
        command = commands.SetActivation(name, keep_weights=self._pending.keep_weights)
        waiting = self._waiting(command)
        if not self._send(command):
            return
        self._pending.activation = name
        if waiting:
            self.normtui.notify(
                f"activation {name}: r trains both runs with it", timeout=3, kind="activation"
            )
        self._show_controls()

    def action_pick_activation(self) -> None:
        def chosen(name: str | None) -> None:
            if name is not None:
                self.action_set_activation(name)

        current = self._current_activation()
        picker = ActivationPicker(ACTIVATIONS, current, self._pending.keep_weights)
        self.app.push_screen(picker, chosen)

    def action_toggle_keep(self) -> None:
        keep = self._pending.toggle_keep()
        mode = "keep the trained weights" if keep else "restart both runs"
        self.normtui.notify(f"activation swaps now {mode}", timeout=3, kind="activation")
        self._show_controls()

    def _change_lr(self, factor: float) -> None:
        current = self._pending.lr or self._state.learning_rate
        lr = self._pending.lr_after(current, factor)
        if lr == current:
            self.normtui.notify(
                f"learning rate already at its limit ({fmt_lr(lr)})", severity="warning", kind="lr"
            )
            return
        command = commands.SetLearningRate(lr)
        waiting = self._waiting(command)
        if self._send(command):
            self._pending.lr = lr
            config = self._state.config
            said = lr_message(current, lr, waiting=waiting, grid=config.lrs, base=config.lr)
            self.normtui.notify(said, timeout=3, kind="lr")

    def action_lr_up(self) -> None:
        self._change_lr(2.0)

    def action_lr_down(self) -> None:
        self._change_lr(0.5)

    def action_lr_find(self) -> None:
        """The range test on this session's config, with the activation training now."""
        config = dataclasses.replace(  # a grid's rates: the range test sweeps its own
            self._state.config, activation=self._state.activation, lrs=()
        )
        self.app.push_screen(LrFindScreen(config))

    def _change_pace(self, step: int) -> None:
        # a replay's speed, not the pace the log was recorded at
        current = self._source.pace if self._playback else self._state.pace
        index, pace = self._pending.pace_after(current, step)
        if not self._send(commands.SetPace(pace)):
            return
        self._pending.pace_step = index
        what = "replay speed" if self._playback else "pace"
        self.normtui.notify(f"{what} {fmt_pace(pace)}", timeout=1.5, kind="pace")
        self.dirty |= Changed.STATUS

    def action_slower(self) -> None:
        self._change_pace(-1)

    def action_faster(self) -> None:
        self._change_pace(+1)

    def training_over(self) -> bool:
        """A live session whose runs have all stopped: it waits for `r`."""
        return training_over(self._state, live=self._source.live, playback=self._playback)

    # -- actions: view (the screen's toggles) -------------------------------------------------
    def action_log_scale(self) -> None:
        self.toggle_log_scale()

    def action_smoothing(self) -> None:
        smoothing = self.smoothing = not self.smoothing
        smooth = "on (raw line kept, faded)" if smoothing else "off"
        self.normtui.notify(f"smoothing {smooth}", timeout=2, kind="view")

    def action_shared_y(self) -> None:
        shared = self.shared_y = not self.shared_y
        axes = (
            "one shared y-axis: equal heights are equal losses"
            if shared
            else "each its own y-axis: heights do not compare across the panes"
        )
        self.normtui.notify(f"loss plots: {axes}", timeout=3, kind="view")

    def action_learning_view(self) -> None:
        """The layers pane: histograms, or each layer's update ratio and gradient over time."""
        for pane in self.query(RunPane):
            pane.toggle_learning_view()
        self.redraw()

    def action_overlay(self) -> None:
        overlay = not self.overlay
        if overlay and self.showing_rates:
            self.rates = False  # one view in the loss plots' place at a time
        self.overlay = overlay

    def action_rates_view(self) -> None:
        """`g`: the learning-rate grid's rates view, or the loss plots back."""
        if not self._state.has_grid:
            self.normtui.notify(
                "no learning-rate grid in this session: --lrs auto trains one",
                timeout=3,
                kind="view",
            )
            return
        rates = not self.showing_rates
        if rates:
            self.overlay = False
        self.rates = rates
        said = (
            "val score vs rate, both runs" if rates else "loss plots, each run at its chosen rate"
        )
        self.normtui.notify(
            f"rates view {'on' if rates else 'off'}: {said}", timeout=2, kind="view"
        )

    def action_toggle_pane(self, pane: str) -> None:
        self.toggle_pane(pane)

    def action_inputs_page(self) -> None:
        if not self.next_inputs_page():
            self.normtui.notify(
                "every feature is already in the inputs pane", timeout=2, kind="view"
            )

    def action_next_theme(self) -> None:
        self.normtui.next_theme()
        self.relayout()

    def action_export(self) -> None:
        directory = self._export_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
            stem = f"normtui-{time.strftime('%Y%m%d-%H%M%S')}"
            stem = unused_stem(directory, stem, (".svg", ".csv"))  # two in one second
            svg = self._screenshot_without_notifications(stem, directory)
            csv_path = directory / f"{stem}.csv"
            rows = write_metrics_csv(self._state, csv_path)
            listens_path = directory / f"{stem}-listens.csv"
            listens = write_listens_csv(self._state, listens_path)
            grid_path = directory / f"{stem}-grid.csv"
            grid = write_grid_csv(self._state, grid_path)
        except OSError as exc:
            self.normtui.notify(f"export failed: {exc}", severity="error", timeout=8, kind="export")
            return
        stride = max(run.history.stride for run in self._state.runs.values())
        note = f"\nevery {stride}th epoch kept" if stride > 1 else ""
        if listens:
            note += f"\ninput shares {shown_path(listens_path)} ({listens} rows)"
        if grid:  # the metrics' rows are each run's chosen rate: this file has every rate
            note += f"\nevery rate and seed {shown_path(grid_path)} ({grid} rows)"
        if self._log_path:  # on a line of its own, said short: at 80 columns it wrapped away
            note += f"\nfull event log:\n{shown_path(self._log_path)}"
        self.normtui.notify(
            f"screenshot {shown_path(svg)}\nmetrics {shown_path(csv_path)} ({rows} rows){note}",
            title="exported",
            timeout=8,
            kind="export",
        )

    def _screenshot_without_notifications(self, stem: str, directory: Path) -> str:
        """The dashboard as an SVG, not the notifications over it (issue 25: an export taken
        while one was up captured it): the toast layer is hidden for the one frame it takes."""
        screen = self.app.screen
        racks = list(screen.query("ToastRack"))
        for rack in racks:
            rack.display = False
        try:
            screen._refresh_layout()  # the frame without them, now (Textual 8: no public call)
            return self.app.save_screenshot(filename=f"{stem}.svg", path=str(directory))
        finally:
            for rack in racks:
                rack.display = True
            screen.refresh(layout=True)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.key_table()))

    def key_table(self) -> list[tuple[str, str]]:
        """(keys, description) for every key this source allows, generated from the bindings."""
        return key_rows(
            [*self.BINDINGS, *NormtuiBase.BINDINGS],
            key_display=self.app.get_key_display,
            allowed=lambda action: self.check_action(action, ()),
            playback=self._playback,
            live=self._source.live,
        )

    def action_quit_app(self) -> None:
        self.normtui.exit_reason = "quit"
        self.app.exit(return_code=0)

    def action_back(self) -> None:
        """Back to where the dashboard was opened from: this session stops, the screen goes."""
        self.stop_source(reason="back")
        self.dismiss()

    # -- for tests and benchmarks ----------------------------------------------------------
    @property
    def state(self) -> DashboardState:
        return self._state

    @property
    def source(self) -> EventSource:
        return self._source
