"""DashboardScreen: the two runs side by side. It owns the layout, its widgets, the view toggles
and pushing the state into the widgets; the app feeds it state and says when to draw.

Numbers refresh at a lower rate than the timer ticks, plots and histograms lower still: `dirty`
collects what changed since the last draw and `show` draws what is due.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static

from normtui.engine.classes import clash_warning
from normtui.engine.events import RUN_NAMES
from normtui.tui.bindings import PANES
from normtui.tui.viewstate.layer_pair import paired_samples, sampling_note
from normtui.tui.viewstate.rates import best_of, rates_data
from normtui.tui.viewstate.state import Changed, DashboardState
from normtui.tui.widgets.causes import alarming
from normtui.tui.widgets.comparison import ComparisonStrip, comparison_title
from normtui.tui.widgets.fitting import cells
from normtui.tui.widgets.format import RUN_TITLES
from normtui.tui.widgets.inputs import BAR_LEGEND, InputsPane
from normtui.tui.widgets.key_footer import KeyFooter
from normtui.tui.widgets.loss_plot import (
    LossPlot,
    PlotData,
    curve_lines,
    extremes,
    line_glyph,
)
from normtui.tui.widgets.rates_view import RatesView
from normtui.tui.widgets.run_pane import RunPane, loss_plot_data, member_lines
from normtui.tui.widgets.top_bar import Controls, TopBar, top_bar_markup, waiting_message

# numbers and layer histograms refresh (~4 Hz), by low_bandwidth: the histograms are text and
# are drawn in the same frame as the epoch in the status, so they are never older than a sample
TEXT_INTERVAL_S = {False: 0.24, True: 2.0}
PLOT_INTERVAL_S = {False: 1.0, True: 10.0}  # loss plots refresh, by low_bandwidth
# Gauges, the "why" lines under the layers and the comparison strip: a bar or an interval that
# moves four times a second said nothing new and cost ~10 of 26-28 KB/s at 120x40 with 5 seeds
# (issue 25); the histograms stay with the status line (the epoch both show)
SLOW_INTERVAL_S = {False: 1.0, True: 2.0}
PLOT_BEHIND = 1.25  # ...or sooner, once the latest epoch is this many times the plotted one
MIN_SIZE = (70, 20)  # below this, a "terminal too small" message instead of the dashboard
INPUT_ROWS = {False: 5, True: 2}  # rows of features in the inputs pane, by compact, at most
COMPACT_BELOW = (110, 34)  # below either, the compact layout
NARROW_FOOTER_BELOW = 80  # columns: below, the live footer leaves out keys `?` still lists
BACK_KEY_COLUMNS = 10  # "esc Sweep" and its gap: opened from a sweep, the key line is this longer
TEXT_PARTS = Changed.INFO | Changed.STATUS | Changed.SCALARS | Changed.HISTS
PLOT_PARTS = Changed.PLOTS


class DashboardScreen(Screen[None]):
    """Top bar, the raw and normalized panes, the overlay plot, comparison strip and inputs."""

    # view toggles: each watcher sets the layout's CSS classes and redraws what they change
    overlay: var[bool] = var(False, init=False)
    log_y: var[bool] = var(True, init=False)  # the side-by-side plots' axis
    overlay_log_y: var[bool] = var(True, init=False)
    smoothing: var[bool] = var(False, init=False)
    shared_y: var[bool] = var(True, init=False)  # the side-by-side plots share one y-range
    compact: var[bool] = var(False, init=False)
    members: var[bool] = var(False, init=False)  # `m`: every seed's val loss line, over the band
    # `g`: the learning-rate grid's rates view in the loss plots' place; None: the default (on
    # with a grid, which has nothing to show without one)
    rates: var[bool | None] = var(None, init=False)

    def __init__(
        self,
        state: DashboardState,
        controls: Controls,
        *,
        live: bool,
        low_bandwidth: bool,
        back: bool = False,
    ) -> None:
        super().__init__()
        self._state = state
        self._live = live
        self._narrow_below = NARROW_FOOTER_BELOW + (BACK_KEY_COLUMNS if back else 0)
        self._low_bandwidth = low_bandwidth
        self._pane_choice: dict[str, bool] = {}
        self.controls = controls  # the app's control values, as of its last `show`
        self._frame = 0
        self.dirty = Changed.ALL
        self._last_text = 0.0
        self._last_plot = 0.0
        self._last_slow = 0.0
        self._plotted_epoch = 0  # the latest epoch on the loss plots when last drawn
        self._body = Vertical(id="dashboard")
        # the waiting message from the first frame on, not a blank bar until the first redraw
        self._top_bar = TopBar(top_bar_markup(state, controls, 0), id="top-bar")
        self._overlay_plot = LossPlot(id="overlay")
        self._rates_view = RatesView(id="rates")
        self._panes = {
            run: RunPane(
                run,
                self._pane_title(run),
                compact_title=self._pane_title(run, compact=True),
                id=f"pane-{run}",
            )
            for run in RUN_NAMES
        }
        self._comparison = ComparisonStrip(id="comparison")
        self._inputs = InputsPane(id="inputs")
        self._too_small = Static(id="too-small")
        keys = " · ".join(f"[b]{key}[/b] {label}" for key, (_pane, label) in PANES.items())
        self._all_hidden = Static(
            f"every pane is hidden\n\npress a key to show one again:\n{keys}", id="all-hidden"
        )
        self._footer = KeyFooter(show_command_palette=False)

    def compose(self) -> ComposeResult:
        with self._body:
            yield self._top_bar
            self._overlay_plot.border_title = self._overlay_title()
            yield self._overlay_plot
            yield self._rates_view
            with Horizontal(id="runs"):
                yield from self._panes.values()
            self._comparison.border_title = "comparison"
            yield self._comparison
            self._inputs.border_title = self._inputs_title()
            yield self._inputs
            yield self._all_hidden
        yield self._too_small
        yield self._footer

    def _training_over(self) -> str:
        """The footer's `over`: a live session whose runs have all stopped."""
        state = self._state
        if self.controls.playback:
            return "replay" if self.controls.played_out else ""
        if not self._live or state.started is None:
            return ""
        if state.ended is not None:
            return "ended"
        return "restart" if state.finished else ""

    def _inputs_title(self) -> str:
        title = "inputs: feature std before → after scaling"
        return title if self.compact else f"{title} [dim]· {BAR_LEGEND}[/]"

    def next_inputs_page(self) -> bool:
        """`i`: the next page of features; False when they all fit on one."""
        started = self._state.started
        if started is None or not self._inputs.paged:
            return False
        self._inputs.next_page()
        return True

    def _fit_inputs(self) -> None:
        """Fewer rows of features per page where the inputs pane would run past the bottom
        (the overlay at 80x24 cut its last rows, page hint and border): `i` pages the rest."""
        inputs = self._inputs
        if not inputs.display or not self.pane_visible("inputs"):
            return
        overflow = inputs.region.bottom - self._body.region.bottom
        if overflow > 0 and inputs.max_rows > 1:
            inputs.set_max_rows(max(1, inputs.max_rows - overflow))
            self.call_after_refresh(self._fit_inputs)

    def _pane_title(self, run: str, *, compact: bool = False, short: bool = False) -> str:
        """`short`: the name alone (a grid's compact title needs the room for its rate)."""
        name = run if compact else RUN_TITLES[run]  # compact: "normalized", not "… inputs"
        if short:
            return f"[b]{name}[/b]"
        config = self._state.config
        hidden = "" if config.hidden_norm == "none" else f" · {config.hidden_norm} norm"
        if run == RUN_NAMES[0]:
            start = " · data init" if config.raw_init == "data" else ""
            return f"[b]{name}[/b] · no scaler{start}{hidden}"
        in_network = config.scaler in ("batchnorm", "layernorm")
        return f"[b]{name}[/b] · {config.scaler}{'' if in_network else ' scaler'}{hidden}"

    def on_mount(self) -> None:
        """The first frame: whatever the app has folded in by now (a whole replay, maybe)."""
        self._apply_size(self.size.width, self.size.height)
        self.redraw()

    # -- pushing state into widgets ----------------------------------------------------------
    def show(
        self,
        controls: Controls,
        *,
        frame: int | None = None,
        now: float | None = None,
        force: bool = False,
    ) -> None:
        """Draw what changed and is due (`force`: now, whatever the throttle says)."""
        self.controls = controls
        if not self.is_mounted:  # the app folds events in before the first frame: drawn then
            return
        if frame is not None:
            self._frame = frame
        now = time.monotonic() if now is None else now
        dirty = self.dirty
        if dirty & TEXT_PARTS and (
            force or now - self._last_text >= TEXT_INTERVAL_S[self._low_bandwidth]
        ):
            slow = force or now - self._last_slow >= SLOW_INTERVAL_S[self._low_bandwidth]
            self._last_text, self._last_slow = now, now if slow else self._last_slow
            self._show_text(dirty, slow=slow)
            dirty &= ~TEXT_PARTS
            if not slow:  # the gauges and the strip are drawn at their own turn
                dirty |= Changed.HISTS
        runs = self._state.runs.values()
        latest = max((view.last.epoch for view in runs if view.last), default=0)
        # a fast log (`watch`) or the first seconds: plots keep within a quarter of the status
        behind = latest > PLOT_BEHIND * self._plotted_epoch
        if dirty & PLOT_PARTS and (
            force or behind or now - self._last_plot >= PLOT_INTERVAL_S[self._low_bandwidth]
        ):
            self._last_plot, self._plotted_epoch = now, latest
            self._show_plots()
            dirty &= ~PLOT_PARTS
        self.dirty = dirty

    def redraw(self) -> None:
        """Everything, now (a view toggle, a theme, a test skipping the throttle)."""
        self.dirty |= Changed.ALL
        self.show(self.controls, force=True)

    def _show_text(self, dirty: Changed, *, slow: bool = True) -> None:
        state, controls = self._state, self.controls
        self._footer.paused = state.paused
        self._footer.over = self._training_over()
        self._top_bar.show(state, controls, self._frame, compact=self.compact)
        if state.started is None:
            message = f"[dim]◌ {waiting_message(controls, state.loading)}[/]"
            for pane in self._panes.values():
                pane.show_header(message)
            return
        grid = state.grid if state.has_grid else None
        for run, pane in self._panes.items():
            view = state.runs[run]
            pane.show_scalars(
                view,
                compact=self.compact,
                log_ended=controls.log_ended,
                replay_speed=controls.replay_speed if controls.playback else False,
                best_rate=best_of(grid, run) if grid is not None else "",
            )
            if slow:
                pane.show_gauges(view, state.goal_accuracy, state.started.majority_baseline)
        if self.pane_visible("hists"):
            samples = paired_samples(state.runs)
            gradient = any(alarming(sample) for sample in samples.values())
            for run, pane in self._panes.items():
                other_run = RUN_NAMES[1] if run == RUN_NAMES[0] else RUN_NAMES[0]
                pane.show_histograms(
                    state.runs[run],
                    samples[run],
                    compact=self.compact,
                    sampling=sampling_note(state.runs[run]),
                    other=state.runs[other_run],
                    grid=state.has_grid,
                )
                if not slow:  # the "why" lines: at the gauges' turn
                    continue
                other = samples[other_run]
                pane.show_causes(
                    state.started,
                    samples[run],
                    compact=self.compact,
                    show_gradient=gradient,
                    other=other,
                )
        if slow:
            self._comparison.show(state)
            self._comparison.border_title = comparison_title(state, compact=self.compact)
        if dirty & Changed.INFO:
            if self.rates is None and self.showing_rates != self._body.has_class("-rates"):
                self.relayout()  # a grid session's header: its rates view is the default
            if self._inputs.show(state.started):
                self.call_after_refresh(self._fit_inputs)
                warning = clash_warning(state.started.class_names)
                if warning:  # also in the inputs pane, which 80x24 hides until `5`
                    self.app.notify(warning, severity="warning", timeout=20, markup=False)
            for run, pane in self._panes.items():  # the scaler the session says it uses
                title = self._pane_title(run)
                pane.set_titles(title, self._pane_title(run, compact=True), compact=self.compact)
        if grid is not None and slow:  # which of the grid's rates each pane's numbers are at
            for run, pane in self._panes.items():
                if not best_of(grid, run):
                    continue
                room = pane.size.width - 4
                rate = f" · [b]@{best_of(grid, run)}[/b]"
                full = self._pane_title(run) + rate
                if cells(full) > room:  # the scaler goes first, then words, never the rate
                    full = self._pane_title(run, short=True) + rate
                short = self._pane_title(run, compact=True, short=True) + rate
                if cells(short) > room:
                    short = f"{self._pane_title(run, short=True, compact=True)} · "
                    short += f"[b]@{best_of(grid, run, short=True)}[/b]"
                pane.set_titles(full, short, compact=self.compact)

    @property
    def showing_rates(self) -> bool:
        """The rates view is on screen in the loss plots' place (`g`; by default with a grid)."""
        if not self._state.has_grid:
            return False
        return self.rates if self.rates is not None else not self.overlay

    def _show_plots(self) -> None:
        state = self._state
        if self.showing_rates:
            self._rates_view.show(rates_data(state.grid), state.grid_shift)
        elif self.overlay:
            self._overlay_plot.border_title = self._overlay_title()
            self._overlay_plot.set_data(self._overlay_data())
        show_loss = not self.overlay and not self.showing_rates and self.pane_visible("loss")
        cover = self._shared_cover() if show_loss and self.shared_y else None
        for run, pane in self._panes.items():
            if show_loss:
                pane.show_plot(
                    state.runs[run],
                    log_y=self.log_y,
                    smoothing=self.smoothing,
                    cover=cover,
                    members=self.members,
                    rows=state.plot_rows(run),
                )

    def _shared_cover(self) -> tuple[tuple[float, float], ...]:
        """Both plots' extremes: each plot covers them, so the two share one y-range (and
        x-range) and equal heights mean equal losses."""
        return tuple(
            point
            for run in RUN_NAMES
            for point in extremes(
                loss_plot_data(
                    self._state.runs[run],
                    log_y=self.log_y,
                    smoothing=self.smoothing,
                    rows=self._state.plot_rows(run),
                )
            )
        )

    def _overlay_title(self) -> str:
        mode = ("log" if self.overlay_log_y else "linear") + (
            ", smoothed" if self.smoothing else ""
        )
        seeds = max(run.members.count for run in self._state.runs.values())
        medians = f", medians of {seeds} seeds" if seeds > 1 else ""
        return (
            f"validation loss, both runs [dim]({mode}{medians})[/]  "
            f"[$raw-color]━ raw[/]  "
            f"[$normalized-color]{line_glyph('normalized-color', self.app.no_color)} normalized[/]"
        )

    def _overlay_data(self) -> PlotData:
        lines = []
        for run in RUN_NAMES:
            rows = self._state.plot_rows(run)
            xs, ys = [row[0] for row in rows], [row[2] for row in rows]
            if self.members:
                lines = member_lines(rows, f"{run}-color") + lines
            lines += curve_lines(xs, ys, f"{run}-color", smoothing=self.smoothing)
        markers = tuple(self._state.runs[RUN_NAMES[1]].markers)
        return PlotData(tuple(lines), markers, log_y=self.overlay_log_y)

    # -- view toggles ------------------------------------------------------------------------
    def toggle_log_scale(self) -> None:
        """`l`: the axis of whichever loss view is on screen."""
        if self.overlay:
            self.overlay_log_y = not self.overlay_log_y
        else:
            self.log_y = not self.log_y

    def toggle_pane(self, pane: str) -> None:
        self._pane_choice[pane] = not self.pane_visible(pane)
        self.relayout()

    def pane_visible(self, pane: str) -> bool:
        if pane in self._pane_choice:
            return self._pane_choice[pane]
        return not (self.compact and pane == "inputs")

    def watch_overlay(self) -> None:
        self.relayout()

    def watch_rates(self) -> None:
        self.relayout()

    def watch_log_y(self) -> None:
        self.redraw()

    def watch_overlay_log_y(self) -> None:
        self.redraw()

    def watch_smoothing(self) -> None:
        self.redraw()

    def watch_members(self) -> None:
        self.redraw()

    def action_toggle_members(self) -> None:
        """`m`: each seed's own val loss line over the band, to see which one is the outlier."""
        self.members = not self.members
        seeds = max(run.members.count for run in self._state.runs.values())
        # a grid's run plots its chosen rate's seeds
        seeds_of = "the chosen rate's " if self._state.has_grid else "the "
        if not self.members:
            said = "member lines off: the band shows the seeds' min–max"
        elif seeds > 1:
            said = f"member lines on: each of {seeds_of}{seeds} seeds' val loss, over the band"
        else:
            said = "member lines: one seed, its line is the run's (--seeds N trains more)"
        self.app.notify(said, timeout=3, markup=False)

    def watch_shared_y(self) -> None:
        self.redraw()

    def watch_compact(self, compact: bool) -> None:
        self._footer.compact = compact
        self.dirty |= Changed.ALL  # drawn on the next tick, like any resize

    def relayout(self) -> None:
        """Classes and legends for the current toggles and size, then everything redrawn."""
        self._apply_panes()
        self.redraw()

    # -- size and panes ----------------------------------------------------------------------
    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(too_small, "-too-small")
        if too_small:
            self._too_small.update(
                f"[b]terminal too small[/b]\n\n{width}×{height} — normtui needs at least "
                f"{MIN_SIZE[0]}×{MIN_SIZE[1]}\n\nenlarge the window, or press q to quit"
            )
        # only the live key line is too long; a replay's and watch's fit in 70 columns
        self._footer.narrow = width < self._narrow_below and self._live
        self.compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        self._apply_panes()

    def _apply_panes(self) -> None:
        body = self._body
        body.set_class(self.compact, "-compact")
        rates = self.showing_rates
        body.set_class(rates, "-rates")
        body.set_class(self.overlay and not rates, "-overlay")
        for pane, _label in PANES.values():
            body.set_class(not self.pane_visible(pane), f"-hide-{pane}")
        every_hidden = not any(self.pane_visible(pane) for pane, _label in PANES.values())
        body.set_class(every_hidden, "-all-hidden")
        self._inputs.border_title = self._inputs_title()
        self._inputs.set_max_rows(INPUT_ROWS[self.compact])
        self.call_after_refresh(self._fit_inputs)
        # compact plots have no title row: their legend goes on the pane's bottom border
        legend = self.compact and not self.overlay and not rates and self.pane_visible("loss")
        for pane in self._panes.values():
            pane.set_layout(compact=self.compact, legend_on_border=legend)
