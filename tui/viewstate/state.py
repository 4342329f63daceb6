"""Everything the dashboard shows, folded from the event stream (a reducer, no Textual).

`DashboardState.apply(event)` returns which parts changed so the UI redraws only those.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Flag, auto
from typing import Any

from normtui.engine.config import SessionConfig
from normtui.engine.events import (
    ACTIVE_STATUSES,
    RUN_NAMES,
    ActivationChanged,
    DataLoading,
    EpochEnd,
    Event,
    GridEpoch,
    LayerStats,
    LearningRateChanged,
    PaceChanged,
    Paused,
    Restarted,
    Resumed,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStatus,
    SessionEnded,
    SessionStarted,
)
from normtui.engine.fold import RunFold
from normtui.engine.grid_fold import GridFold
from normtui.tui.viewstate.layer_pair import SAMPLES_KEPT, LayerSample
from normtui.tui.viewstate.learning import LearningHistory
from normtui.tui.viewstate.members import loss_row
from normtui.tui.viewstate.rates import chosen_loss_rows
from normtui.tui.viewstate.series import DecimatingSeries
from normtui.tui.viewstate.verdicts import GoalEpochs, Verdicts, compare_runs

PLOT_POINTS = 200  # at most this many points per plotted line (plotext cost grows with points)
HISTORY_ROWS = 8192  # rows kept per run for CSV export; older history is thinned evenly
MAX_MARKERS = 64
RATE_WINDOW_S = 2.0
# a grid's epochs kept per run for the CSV export (each holds rates x seeds values); older
# ones are thinned evenly, as the metrics history is
GRID_ROWS = 512


class Changed(Flag):
    """Which parts of the screen an event touched."""

    NONE = 0
    INFO = auto()  # session facts, inputs pane
    STATUS = auto()  # run states, pace, lr, activation
    SCALARS = auto()  # epoch numbers, losses, accuracies
    PLOTS = auto()  # loss history
    HISTS = auto()  # per-layer histograms / dead / saturated
    ALL = INFO | STATUS | SCALARS | PLOTS | HISTS


@dataclass
class RunView:
    """One run (raw or normalized) as the UI sees it."""

    name: str
    status: RunStatus = RunStatus.LOADING
    activation: str = ""
    learning_rate: float = 0.0
    epoch: int = 0
    last: EpochEnd | None = None
    error: str | None = None
    layers: tuple[LayerStats, ...] = ()  # latest per-layer stats
    # the activation `layers` were measured under: a swap while paused changes `activation`
    # at once, but the stats (and histograms) stay the old activation's until the next epoch
    layers_activation: str = ""
    hist_layers: tuple[LayerStats, ...] = ()  # latest stats that carried histograms
    hist_epoch: int = 0
    # the last sampled epochs' layers, newest last: the panes pick one epoch for both runs
    samples: deque[LayerSample] = field(default_factory=lambda: deque(maxlen=SAMPLES_KEPT))
    # rows (epoch, median train loss, median val loss, lowest val loss, highest val loss)
    plot: DecimatingSeries = field(default_factory=lambda: DecimatingSeries(PLOT_POINTS))
    # the seeds (one for a 1-seed run) through the fold `train` and the sweep use too: every
    # number shown about the run (means, best mean, goal epochs, divergence) is read from it
    members: RunFold = field(default_factory=RunFold)
    # every epoch of the session, restarts included (for the CSV export): rows of
    # (step, segment, epoch, train_loss, val_loss, train_accuracy, val_accuracy, lr, activation,
    # members)
    # where step counts epochs across restarts and segment counts restarts before the row
    history: DecimatingSeries = field(default_factory=lambda: DecimatingSeries(HISTORY_ROWS))
    steps: int = 0
    markers: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=MAX_MARKERS))
    _recent: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=256))
    # per layer, update ratio and gradient norm at each sampled epoch (the layers pane's `h`)
    learning: LearningHistory = field(default_factory=LearningHistory)

    def reset(self) -> None:
        """Forget the curves: a restart counts epochs from 1 again."""
        self.epoch = 0
        self.last = None
        self.error = None
        self.layers = ()
        self.layers_activation = ""
        self.hist_layers = ()
        self.hist_epoch = 0
        self.samples.clear()
        self.learning.clear()
        self.plot.clear()  # the export's history is the session's: a restart keeps it
        self.members = RunFold()
        self.markers.clear()
        self._recent.clear()

    def mark(self, epoch: int, label: str) -> None:
        """A marker on the loss plots; a second change of the same kind at the same epoch (`+`
        pressed three times while paused) replaces the first instead of stacking labels."""
        if self.markers:
            last_epoch, last_label = self.markers[-1]
            if last_epoch == epoch and last_label.startswith("lr ") == label.startswith("lr "):
                self.markers.pop()
        self.markers.append((epoch, label))

    @property
    def diverged_epoch(self) -> int | None:
        """The epoch the run's last member diverged (engine/fold.py); None while any is live."""
        return self.members.diverged_epoch

    @property
    def diverged_loss(self) -> float | None:
        return self.members.diverged_loss

    @property
    def diverged_reference(self) -> float | None:
        return self.members.diverged_reference

    @property
    def epochs_per_s(self) -> float | None:
        """Recent training speed from event timestamps (deterministic in replays)."""
        if len(self._recent) < 2:
            return None
        (t0, e0), (t1, e1) = self._recent[0], self._recent[-1]
        if t1 <= t0:
            return None
        return (e1 - e0) / (t1 - t0)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def grid_label(shift: float) -> str:
    """A grid shift's marker on the loss plots: "lr ×2" (every rate times 2 of the start's)."""
    return f"lr ×{shift:.3g}"


def lr_label(lr: float) -> str:
    """A learning-rate change's marker on the loss plots: "lr 2e-3", "lr 0.02"."""
    return "lr " + (f"{lr:.0e}".replace("e-0", "e-") if lr < 0.01 else f"{lr:g}")


class DashboardState:
    """The whole session as seen by the UI; fold events in with `apply`."""

    def __init__(self, config: SessionConfig) -> None:
        """`config` is what was asked for, shown while loading; `SessionStarted` brings the
        engine's own."""
        self._asked = config
        self.started: SessionStarted | None = None
        # the recorded swap mode (keep weights or restart) of the latest swap; None: no swap yet
        self.swap_keeps_weights: bool | None = None
        self.loading: DataLoading | None = None  # a big file's latest progress, before started
        self.runs: dict[str, RunView] = {name: RunView(name) for name in RUN_NAMES}
        self.paused = False
        self.restarts = 0
        self.ended: SessionEnded | None = None
        # a learning-rate grid (engine/grid_fold.py, the one fold `train` and `--json` use):
        # every rate's seeds per run; the runs' own views are their chosen rate's seeds
        self.grid = GridFold(config.goal_accuracy, config.goal_r2)
        self.grid_history: dict[str, DecimatingSeries] = {
            name: DecimatingSeries(GRID_ROWS) for name in RUN_NAMES
        }
        self._adopt(config)

    def start_over(self) -> None:
        """Forget every event: a replay played again folds its events in anew."""
        self.__init__(self._asked)  # type: ignore[misc]

    def _adopt(self, config: SessionConfig, *, regression: bool = False) -> None:
        self.config = config
        self.pace: float | None = config.pace
        self.activation = config.activation
        self.learning_rate = config.lr
        # the goal of the headline metric: R² for regression (issue 14), else accuracy
        self.goal_accuracy = config.goal_r2 if regression else config.goal_accuracy
        self.grid.goal_accuracy, self.grid.goal_r2 = config.goal_accuracy, config.goal_r2
        for run in self.runs.values():
            run.activation, run.learning_rate = config.activation, config.lr

    @property
    def has_grid(self) -> bool:
        """A learning-rate grid session: the config says so, or a grid epoch arrived."""
        return bool(self.config.lrs) or any(run.folds for run in self.grid.runs.values())

    def plot_rows(self, run: str) -> list[tuple[float, ...]]:
        """The loss plot's rows of `run`: with a grid, its currently chosen rate's own curve
        (viewstate/rates.py chosen_loss_rows), else the run's epochs."""
        view = self.runs[run]
        grid = self.grid.runs.get(run)
        if grid is None or not grid.folds:
            return view.plot.rows()
        history = self.grid_history[run]
        return (
            chosen_loss_rows(history, self.restarts, grid.chosen, PLOT_POINTS) or view.plot.rows()
        )

    @property
    def grid_shift(self) -> float:
        """How far `+`/`-` moved the whole grid from the configured rates (1 = not at all)."""
        base = self.config.lr
        return self.learning_rate / base if base > 0 else 1.0

    def grid_rates(self) -> tuple[float, ...]:
        """The grid's rates as trained now: the configured ones times the shift, as the trainer
        scales them (engine/trainer.py rates_now); a `+` while paused shows before an epoch."""
        shift = self.grid_shift
        return tuple(rate * shift for rate in self.config.lrs)

    # -- reducer ---------------------------------------------------------------------------
    def apply(self, event: Event) -> Changed:
        """Fold one event in; say which parts of the screen it changed."""
        if isinstance(event, SessionStarted | Restarted):
            self.grid(event)  # its goal and rows, or a fresh grid
        handler = _HANDLERS.get(type(event))
        return Changed.NONE if handler is None else handler(self, event)

    def _grid_epoch(self, event: GridEpoch) -> Changed:
        if event.run not in self.runs:
            return Changed.NONE
        self.grid(event)
        # spaced by the run's epochs across restarts, as its metrics history is
        self.grid_history[event.run].append((self.runs[event.run].steps, self.restarts, event))
        return Changed.PLOTS | Changed.SCALARS

    def _loading(self, event: DataLoading) -> Changed:
        self.loading = event
        return Changed.STATUS

    def _paused(self, event: Paused) -> Changed:
        self.paused = True
        self._set_status(RunStatus.PAUSED)
        return Changed.STATUS

    def _resumed(self, event: Resumed) -> Changed:
        self.paused = False
        self._set_status(RunStatus.RUNNING)
        return Changed.STATUS

    def _learning_rate(self, event: LearningRateChanged) -> Changed:
        before = self.learning_rate
        self.learning_rate = event.learning_rate
        if self.has_grid:  # the whole grid moved: each run's rate is its next chosen one
            for run in self.runs.values():
                if run.active and event.epoch > 0 and event.learning_rate != before:
                    run.mark(event.epoch, grid_label(self.grid_shift))
            return Changed.STATUS | Changed.PLOTS
        for run in self.runs.values():
            if not run.active:  # a stopped run keeps the rate it trained with
                continue
            if event.epoch > 0 and event.learning_rate != run.learning_rate:
                run.mark(event.epoch, lr_label(event.learning_rate))
            run.learning_rate = event.learning_rate
        return Changed.STATUS | Changed.PLOTS

    def _pace(self, event: PaceChanged) -> Changed:
        self.pace = event.epochs_per_s
        return Changed.STATUS

    def _restarted(self, event: Restarted) -> Changed:
        self.restarts += 1
        self.activation = event.activation
        self.learning_rate = event.learning_rate
        for run in self.runs.values():
            run.reset()
            run.activation = event.activation
            run.learning_rate = event.learning_rate
            run.status = RunStatus.PAUSED if self.paused else RunStatus.RUNNING
        return Changed.ALL

    def _diverged(self, event: RunDiverged) -> Changed:
        run = self.runs[event.run]
        if not run.members.run_diverged(event, self.config.seed):
            return Changed.STATUS | Changed.SCALARS  # the other members go on
        if run.status != RunStatus.DIVERGED:  # the last member's event, then the run's
            run.markers.append((event.epoch, "diverged"))
        run.status = RunStatus.DIVERGED
        return Changed.STATUS | Changed.SCALARS | Changed.PLOTS

    def _failed(self, event: RunFailed) -> Changed:
        run = self.runs[event.run]
        run.status = RunStatus.FAILED
        run.error = event.error
        return Changed.STATUS

    def _finished(self, event: RunFinished) -> Changed:
        run = self.runs[event.run]
        if run.active:
            run.status = RunStatus.FINISHED
        return Changed.STATUS

    def _ended(self, event: SessionEnded) -> Changed:
        self.ended = event
        status = RunStatus.FINISHED if event.reason == "completed" else RunStatus.STOPPED
        for run in self.runs.values():
            if run.active:
                run.status = status
        return Changed.STATUS

    def _set_status(self, status: RunStatus) -> None:
        for run in self.runs.values():
            if run.active:
                run.status = status

    def _started(self, event: SessionStarted) -> Changed:
        self.started = event
        with contextlib.suppress(TypeError, ValueError):  # a damaged log keeps the header's
            engine = SessionConfig.from_dict(event.config)
            self._adopt(engine, regression=self.regression_of(event))
        for run in self.runs.values():
            if run.status == RunStatus.LOADING:
                run.status = RunStatus.PAUSED if self.paused else RunStatus.RUNNING
        return Changed.ALL

    @staticmethod
    def regression_of(event: SessionStarted | None) -> bool:
        return event is not None and event.task == "regression"

    @property
    def regression(self) -> bool:
        """Scores are R² (can be negative), not accuracies; losses are MSE in target units²."""
        return self.regression_of(self.started)

    def _activation(self, event: ActivationChanged) -> Changed:
        self.activation = event.activation
        self.swap_keeps_weights = event.keep_weights
        for run in self.runs.values():
            if not run.active:  # a finished or diverged run keeps the activation it trained with
                continue
            run.activation = event.activation
            if event.keep_weights:
                run.mark(event.epoch, event.activation)
        return Changed.STATUS | Changed.PLOTS

    def _epoch(self, event: EpochEnd) -> Changed:
        run = self.runs.get(event.run)
        if run is None:
            return Changed.NONE
        changed = Changed.SCALARS | Changed.PLOTS
        if run.status == RunStatus.LOADING:
            run.status = RunStatus.RUNNING
            changed |= Changed.STATUS
        run.epoch = event.epoch
        run.last = event
        run.activation = event.activation
        run.learning_rate = event.learning_rate
        run._recent.append((event.time_s, event.epoch))
        while len(run._recent) > 2 and event.time_s - run._recent[0][0] > RATE_WINDOW_S:
            run._recent.popleft()
        run.members.epoch_end(event, self.config.seed, self.goal_accuracy)
        members = run.members.latest
        assert members is not None
        row = loss_row(event.epoch, members)
        if row is not None:
            run.plot.append(row)
        run.steps += 1
        run.history.append(
            (
                run.steps,
                self.restarts,
                event.epoch,
                event.train_loss,
                event.val_loss,
                event.train_accuracy,
                event.val_accuracy,
                event.learning_rate,
                event.activation,
                event.members,  # each seed's own row in the export
            )
        )
        if event.layers:
            run.layers = event.layers
            run.layers_activation = event.activation
            run.samples.append(LayerSample(event.epoch, event.activation, event.layers))
            run.learning.add(event.epoch, event.layers)
            changed |= Changed.HISTS
            if any(
                layer.pre_hist is not None or layer.post_hist is not None for layer in event.layers
            ):
                run.hist_layers = event.layers
                run.hist_epoch = event.epoch
        return changed

    # -- derived facts -----------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """Nothing more will arrive: the session ended or every run stopped."""
        if self.ended is not None:
            return True
        return all(not run.active for run in self.runs.values())

    def verdicts(self) -> Verdicts | None:
        """Val score, val loss and epochs to the goal, compared seed by seed (engine/statistics:
        the one rule `train`'s table and `--json` use too); None before both runs' first epoch."""
        if self.has_grid:
            return self.grid_verdicts()
        raw, norm = (self.runs[name].members for name in RUN_NAMES)
        started = self.started
        return compare_runs(
            raw,
            norm,
            regression=self.regression,
            n_val=started.n_val if started is not None else 0,
            n_train=started.n_train if started is not None else 0,
            budget=max(self.runs[name].epoch for name in RUN_NAMES),
            goal=self.goal_accuracy,
        )

    def grid_verdicts(self) -> Verdicts | None:
        """A grid's verdicts: each run at its chosen rate on the held-out TEST rows
        (GridFold.tuned), never the val rows the rates were chosen on, which flatter both."""
        tuned = self.grid.tuned()
        if tuned is None:
            return None
        goals = []
        for name in RUN_NAMES:
            run = self.grid.runs[name]
            _score, _loss, goal = run.test_values(run.chosen)
            live = sum(not gone for gone in run.diverged(run.chosen))
            goals.append(GoalEpochs(tuple(sorted(int(e) for e in goal if e is not None)), live))
        score, loss, goal_comparison = tuned
        return Verdicts(
            score.members or score.seeds, score, loss, goal_comparison, (goals[0], goals[1])
        )


# Which fold each event kind goes through (`DashboardState.apply`); other events change nothing.
_HANDLERS: dict[type[Event], Callable[[DashboardState, Any], Changed]] = {
    EpochEnd: DashboardState._epoch,
    GridEpoch: DashboardState._grid_epoch,
    SessionStarted: DashboardState._started,
    DataLoading: DashboardState._loading,
    Paused: DashboardState._paused,
    Resumed: DashboardState._resumed,
    ActivationChanged: DashboardState._activation,
    LearningRateChanged: DashboardState._learning_rate,
    PaceChanged: DashboardState._pace,
    Restarted: DashboardState._restarted,
    RunDiverged: DashboardState._diverged,
    RunFailed: DashboardState._failed,
    RunFinished: DashboardState._finished,
    SessionEnded: DashboardState._ended,
}
