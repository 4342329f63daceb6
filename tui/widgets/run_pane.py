"""One column of the dashboard: a run's header, loss plot, accuracy gauges and histograms."""

from __future__ import annotations

import dataclasses
import math

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content

from normtui.engine.events import SessionStarted
from normtui.tui.viewstate.layer_pair import LayerSample
from normtui.tui.viewstate.members import BAND
from normtui.tui.viewstate.state import RunView
from normtui.tui.widgets.causes import CauseLines
from normtui.tui.widgets.format import divergence_text, escape, fmt_num, status_badge
from normtui.tui.widgets.gauges import AccuracyGauges
from normtui.tui.widgets.histograms import LayerHistograms
from normtui.tui.widgets.learning import LearningLines
from normtui.tui.widgets.loss_plot import (
    BAND_GLYPH,
    Band,
    Line,
    LossPlot,
    PlotData,
    curve_lines,
    line_glyph,
)
from normtui.tui.widgets.text_line import TextLine

MEMBERS_AT = 5  # where a plot row's per-member val losses start (viewstate.members.loss_row)
MEMBER_FADE = 0.45  # member lines: blended this far toward the background, under the median
SHORTEST = 3  # the run header's shortening levels: 0 everything … 3 the compact wording


def member_lines(rows: list, colour: str) -> list[Line]:
    """Each member's val loss (rows from `loss_row`), thin and faded, one style for all: which
    seed is the outlier behind a wide band. A diverged member's line ends where it diverged."""
    count = min((len(row) for row in rows), default=MEMBERS_AT) - MEMBERS_AT
    lines = []
    for member in range(count if count > 1 else 0):
        pairs = [(row[0], row[MEMBERS_AT + member]) for row in rows]
        pairs = [(x, y) for x, y in pairs if math.isfinite(y)]
        if pairs:
            xs, ys = zip(*pairs, strict=True)
            lines.append(Line(tuple(xs), tuple(ys), colour, MEMBER_FADE, dotted=False))
    return lines


def loss_plot_data(
    view: RunView,
    *,
    log_y: bool,
    smoothing: bool,
    members: bool = False,
    rows: list | None = None,
) -> PlotData:
    """Train and validation loss of one run (the members' medians, and the band of their val
    loss when there are several; `members`: each member's line too), with activation-switch
    markers. `rows`: the rows to draw instead of the run's own (a grid's chosen rate's)."""
    rows = view.plot.rows() if rows is None else rows
    xs = [row[0] for row in rows]
    colour = f"{view.name}-color"
    lines = [
        *(member_lines(rows, colour) if members else ()),
        *curve_lines(xs, [row[1] for row in rows], "train-color", smoothing=smoothing),
        # a pane's val line is braille even for the normalized run, whose colour is dotted in
        # the overlay: the legend says "━ val"
        *curve_lines(xs, [row[2] for row in rows], colour, smoothing=smoothing, dotted=False),
    ]
    bands = ()
    if any(row[4] > row[3] for row in rows):
        lows, highs = tuple(row[3] for row in rows), tuple(row[4] for row in rows)
        bands = (Band(tuple(xs), lows, highs, colour),)
    return PlotData(tuple(lines), tuple(view.markers), log_y=log_y, bands=bands)


def legend(run: str, no_color: bool, gap: str = " ", seeds: int = 1) -> str:
    """Which line is validation and which is training loss; with seeds, what the band spans
    (the short form, on a compact pane's border, leaves the words to the help screen)."""
    train = f"[$train-color]{line_glyph('train-color', no_color)} train[/]"
    val = f"[${run}-color]━ val[/]"
    if seeds < 2:
        return f"{val}{gap}{train}"
    if gap == " ":
        return f"{val} [${run}-color]{BAND_GLYPH} {seeds} seeds[/] {train}"
    return f"{val} [${run}-color]{BAND_GLYPH} {seeds} seeds {BAND}[/] {train}"


def plot_title(
    run: str,
    *,
    log_y: bool,
    smoothing: bool,
    no_color: bool = False,
    seeds: int = 1,
    own_axis: bool = False,
    width: int = 0,
) -> str:
    """The plot's legend, and which axis and smoothing `l` and `s` have set; `y` unlinked the
    two plots' y-axes (`own_axis`), which it says in warning colour: heights do not compare.
    Given the plot's `width`, words are left out (the band's name, then the axis mode) to fit."""
    mode = ("log" if log_y else "linear") + (", smoothed" if smoothing else "")
    axis = "  [$warning]own y-axis[/]" if own_axis else ""
    full = f"loss [dim]({mode})[/]{axis}  {legend(run, no_color, gap='  ', seeds=seeds)}"
    if not width:
        return full
    # too wide for the border, Textual would cut it mid-word ("━ tr…"): leave words out
    short = f"loss [dim]({mode})[/]{axis} {legend(run, no_color, seeds=seeds)}"
    shortest = f"loss{axis} {legend(run, no_color, seeds=seeds)}"
    for title in (full, short, shortest):
        if Content.from_markup(title).cell_length <= width - 2:
            return title
    return shortest


class RunPane(Vertical):
    """Everything about one run; the app pushes new state in with `show_*` methods."""

    def __init__(
        self, run: str, title: str, *, compact_title: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes=f"run-pane {run}")
        self.run = run
        self._titles = {False: title, True: compact_title or title}
        self.border_title = title
        self._legend = ""  # the plot's legend on the bottom border, where the plot has no title
        self._legend_on_border = False
        self._seeds = 1  # members per run, once the first epoch says
        self._own_axis = False  # `y` unlinked the two plots' y-axes
        self._status = ""

    @property
    def learning_view(self) -> bool:
        """The layers pane shows how each layer learns (`h`) instead of the histograms."""
        return self.has_class("-learning")

    def toggle_learning_view(self) -> None:
        self.toggle_class("-learning")

    def set_titles(self, title: str, compact_title: str, *, compact: bool) -> None:
        """New titles (the session's own scaler, once it says: a log's header may not have)."""
        self._titles = {False: title, True: compact_title}
        self.border_title = self._titles[compact]

    def set_layout(self, *, compact: bool, legend_on_border: bool) -> None:
        """Compact: a shorter title, and the loss legend moves to the pane's bottom border."""
        self.border_title = self._titles[compact]
        self._legend_on_border = legend_on_border
        self._show_legend()

    def _show_legend(self) -> None:
        on_border = self._legend_on_border
        own = " [$warning]own y[/]" if self._own_axis else ""
        self._legend = (
            legend(self.run, self.app.no_color, seeds=self._seeds) + own if on_border else ""
        )
        self._show_subtitle()

    def _show_subtitle(self) -> None:
        subtitle = self._legend or self._status
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle

    def compose(self) -> ComposeResult:
        yield TextLine("[dim]◌ loading torch and scikit-learn…[/]", classes="run-header")
        plot = LossPlot(classes="loss-plot")
        plot.border_title = plot_title(self.run, log_y=True, smoothing=False)
        yield plot
        yield AccuracyGauges(self.run, id=f"{self.run}-gauges")
        yield LayerHistograms(self.run, id=f"{self.run}-hists")
        yield LearningLines(self.run, id=f"{self.run}-learning")
        yield CauseLines(id=f"{self.run}-causes")

    def show_header(self, markup: str) -> None:
        self.query_one(".run-header", TextLine).show_markup(markup)

    def show_scalars(
        self,
        view: RunView,
        *,
        compact: bool = False,
        log_ended: bool = False,
        replay_speed: float | bool | None = False,
        best_rate: str = "",
    ) -> None:
        """`best_rate`: a grid's `1e-2 (best of 7 on val)`, the rate these numbers are at.
        `log_ended`: a replayed log ran out without a session end (cut off, or still written).
        `replay_speed`: a replay's own speed in epochs/s (None all at once; False: not a replay),
        shown instead of the rate the log was recorded at.

        What does not fit the pane's width is left out, not cut mid-word ("153 ep…"): first the
        rate, then the longer words (e12, loss), then the compact layout's wording.
        """
        header = self.query_one(".run-header", TextLine)
        for short in (SHORTEST,) if compact else range(SHORTEST + 1):
            markup = self._scalars_markup(view, short, log_ended, replay_speed, best_rate)
            if header.fits(markup):
                break
        header.show_markup(markup)
        status = "end of log" if log_ended and view.status in ("running", "paused") else view.status
        self._status = status if status != "running" else ""
        self._show_subtitle()

    def _scalars_markup(
        self,
        view: RunView,
        short: int,
        log_ended: bool,
        replay_speed: float | bool | None,
        best_rate: str = "",
    ) -> str:
        """The header at shortening level `short`: 0 all, 1 no rate, 2 short words, 3 compact."""
        compact = short >= SHORTEST
        words = "short" if short >= 2 else "long"
        last = view.last
        status = "end of log" if log_ended and view.status in ("running", "paused") else view.status
        parts = [status_badge(status)]
        stopped_by_fault = view.error is not None or view.diverged_epoch is not None
        if last is not None:
            epochs = view.members.epochs  # a diverged run's: the epoch it diverged, as train's
            epoch = f"e{epochs}" if words == "short" else f"epoch {epochs}"
            parts.append(f"[b]{epoch}[/b]")
            # the top bar names it; a fault's reason or a grid's rate needs the room
            if not (compact and (stopped_by_fault or best_rate)):
                parts.append(f"[${self.run}-color]{view.activation}[/]")
            if best_rate:  # a grid: which of its rates these are (the title says why that one)
                parts.append(f"@{best_rate.split(' ', 1)[0]}")
            if not stopped_by_fault:  # leave the room to the reason
                loss = "loss" if words == "short" else "val loss"
                parts.append(f"{loss} {fmt_num(last.val_loss)}")
            rate = view.epochs_per_s  # a rate only while it is running: paused trains nothing
            if short >= 1:
                pass
            elif replay_speed is not False:
                if replay_speed is not None and status == "running" and not compact:
                    parts.append(f"[dim]{replay_speed:g} ep/s[/]")  # the replay's, not recorded
            elif rate is not None and status == "running" and not compact:
                parts.append(f"[dim]{rate:.0f} ep/s[/]")
        if view.diverged_epoch is not None:
            why = divergence_text(
                view.diverged_loss, view.diverged_reference, view.diverged_epoch, short=compact
            )
            parts.append(f"[$error]{why}[/]")
        elif view.members.diverged:  # some members diverged, the rest go on
            gone, count = view.members.diverged, view.members.count
            marked = (
                f"{gone}/{count} diverged"
                if compact
                else f"{count - gone}/{count} seeds, {gone} diverged"
            )
            parts.insert(2, f"[$error]{marked}[/]")
        if view.error:
            parts.append(f"[$error]{escape(view.error)}[/]")
        return ("  " if not compact else " ").join(parts)

    def show_gauges(self, view: RunView, goal: float, baseline: float | None = None) -> None:
        self.query_one(AccuracyGauges).show(view, goal, baseline)

    def show_plot(
        self,
        view: RunView,
        *,
        log_y: bool,
        smoothing: bool,
        cover: tuple[tuple[float, float], ...] | None = (),
        members: bool = False,
        rows: list | None = None,
    ) -> None:
        """`members`: every member's val loss line over the band. `cover`: both panes'
        `extremes`, so the two plots share their axes; None: this
        plot on its own axes (`y` unlinked them), which the title then says."""
        plot = self.query_one(LossPlot)
        seeds = max(1, view.members.count)
        own_axis = cover is None
        if (seeds, own_axis) != (self._seeds, self._own_axis):
            self._seeds, self._own_axis = seeds, own_axis
            self._show_legend()
        plot.border_title = plot_title(
            self.run,
            log_y=log_y,
            smoothing=smoothing,
            no_color=self.app.no_color,
            seeds=seeds,
            own_axis=own_axis,
            width=plot.size.width,
        )
        data = loss_plot_data(view, log_y=log_y, smoothing=smoothing, members=members, rows=rows)
        plot.set_data(dataclasses.replace(data, cover=cover) if cover else data)

    def show_causes(
        self,
        started: SessionStarted | None,
        sample: LayerSample | None,
        *,
        compact: bool,
        show_gradient: bool,
        other: LayerSample | None = None,
    ) -> None:
        """Why the histograms look as they do (widgets/causes.py), under them."""
        self.query_one(CauseLines).show(
            started, self.run, sample, compact=compact, show_gradient=show_gradient, other=other
        )

    def show_histograms(
        self,
        view: RunView,
        sample: LayerSample | None,
        compact: bool,
        sampling: str = "",
        other: RunView | None = None,
        grid: bool = False,
    ) -> None:
        """`grid`: a learning-rate grid's run, whose layers are its chosen rate's seeds'.
        `sample`: the layers to show, at the epoch both panes show (`paired_samples`);
        `other`: the other run, whose learning lines share this pane's axes."""
        if self.learning_view:
            learning = self.query_one(LearningLines)
            at = " · chosen rate" if grid else ""
            learning.border_title = f"learning · log₁₀ Δw/w and ‖∇‖ · axes shared{at}"
            if learning.compact != compact:
                learning.compact = compact
                learning.refresh(layout=True)
            learning.show(view.learning, other.learning if other is not None else None)
            return
        hists = self.query_one(LayerHistograms)
        if sample is not None and sample.activation != view.activation:
            # swapped while paused: these are still the previous activation's layers
            hists.border_title = (
                f"layers at epoch {sample.epoch} · "
                f"[$warning]{sample.activation}, before the swap[/]"
            )
        elif sample is not None:
            every = f" · sampled {sampling}" if sampling else ""  # as observed (sampling_note)
            at = " (chosen rate)" if grid else ""
            title = f"layers at epoch {sample.epoch}{at}{every}"
            if at and len(title) > hists.size.width - 4:  # the sampling note goes first
                title = f"layers at epoch {sample.epoch}{at}"
            hists.border_title = title
        else:  # none yet, or a restart forgot them: no stale epoch above "waiting for stats"
            hists.border_title = "layers"
        if hists.compact != compact:
            hists.compact = compact
            hists.refresh(layout=True)
        hists.show(sample)
