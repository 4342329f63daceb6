"""The dashboard's control values between a key press and the engine's answer, and which
commands make sense now: plain Python (no Textual), so each rule is tested directly.

A key press shows its value at once (the top bar, a notification); the engine confirms it with
an event a tick later, and the pending value is dropped. What a command would do to runs that
have all stopped is decided here too: settings wait for the next start (`r`), a pause or a step
has nothing to act on.
"""

from __future__ import annotations

from normtui.engine import commands
from normtui.engine.config import ACTIVATIONS
from normtui.engine.events import (
    ActivationChanged,
    Event,
    LearningRateChanged,
    PaceChanged,
    RunStatus,
)
from normtui.engine.grid import rate_text
from normtui.tui.viewstate.state import DashboardState
from normtui.tui.widgets.format import fmt_lr

PACE_STEPS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)
LR_LIMITS = (1e-7, 10.0)
# The order `a` / `A` step through: the saturating pair right after ReLU, so a first press or two
# shows the story (the raw run's tanh/sigmoid units pinned at their limits), then the rest.
SWAP_FIRST = ("relu", "tanh", "sigmoid")
ACTIVATION_CYCLE: tuple[str, ...] = (
    *(name for name in SWAP_FIRST if name in ACTIVATIONS),
    *(name for name in ACTIVATIONS if name not in SWAP_FIRST),
)
# What a stopped session still takes: settings (they apply when `r` trains both runs again).
SETTINGS = (commands.SetLearningRate, commands.SetActivation, commands.SetPace)


def nearest_pace_step(pace: float | None) -> int:
    """The index in PACE_STEPS closest to `pace` (None, unlimited, is the last)."""
    if pace is None:
        return len(PACE_STEPS) - 1
    finite = [step for step in PACE_STEPS if step is not None]  # every step but the last
    return min(range(len(finite)), key=lambda i: abs(finite[i] - pace))


class PendingControls:
    """Values asked for and not yet confirmed by an event, and the swap mode (`k`)."""

    def __init__(self) -> None:
        self.keep_weights = True
        self.activation: str | None = None
        self.lr: float | None = None
        self.pace_step: int | None = None  # index into PACE_STEPS

    def confirm(self, event: Event) -> None:
        """The engine's event for a control: its value is the state's now."""
        if isinstance(event, ActivationChanged) and event.activation == self.activation:
            self.activation = None
        elif isinstance(event, LearningRateChanged):
            self.lr = None
        elif isinstance(event, PaceChanged):
            self.pace_step = None

    def activation_after(self, current: str, step: int) -> str:
        """`a` (+1) / `A` (-1): the next activation in ACTIVATION_CYCLE after `current`."""
        cycle = ACTIVATION_CYCLE
        index = cycle.index(current) if current in cycle else -step
        return cycle[(index + step) % len(cycle)]

    def lr_after(self, current: float, factor: float) -> float:
        """`current` × `factor`, within LR_LIMITS."""
        return min(max(current * factor, LR_LIMITS[0]), LR_LIMITS[1])

    def pace_after(self, current: float | None, step: int) -> tuple[int, float | None]:
        """The PACE_STEPS index and pace one step from the pending one (else from `current`)."""
        index = self.pace_step if self.pace_step is not None else nearest_pace_step(current)
        index = min(max(index + step, 0), len(PACE_STEPS) - 1)
        return index, PACE_STEPS[index]

    def toggle_keep(self) -> bool:
        self.keep_weights = not self.keep_weights
        return self.keep_weights


def training_over(state: DashboardState, *, live: bool, playback: bool) -> bool:
    """A live session whose runs have all stopped (finished, diverged or failed): it waits
    for `r`."""
    return (
        live
        and not playback
        and state.started is not None
        and state.ended is None
        and state.finished
    )


def refusal(
    command: commands.Command, state: DashboardState, *, live: bool, playback: bool
) -> str | None:
    """Why `command` would do nothing now (shown to the user), or None to send it.

    Once every run has stopped, a pause or a step would act on nothing; a new learning rate,
    activation or pace is taken and applies when `r` trains both runs again (a diverged run
    needs exactly that: a lower rate, then `r`).
    """
    if state.ended is not None and not isinstance(command, commands.Restart):
        return "the session has ended; press q to quit"
    if not training_over(state, live=live, playback=playback):
        return None
    if isinstance(command, (commands.Restart, *SETTINGS)):
        return None
    return f"{_over(state)}: r trains both runs again from the start"


def _over(state: DashboardState) -> str:
    runs = state.runs.values()
    epoch = max(run.epoch for run in runs)
    if all(run.status == RunStatus.FINISHED for run in runs):
        return f"training finished at epoch {epoch}"
    return f"both runs stopped (epoch {epoch})"


def waits_for_restart(
    command: commands.Command, state: DashboardState, *, live: bool, playback: bool
) -> bool:
    """A setting taken while every run has stopped: it applies at the next start (`r`); a
    restart-mode activation swap (`k`, then `a`) starts both runs itself."""
    if not training_over(state, live=live, playback=playback):
        return False
    if isinstance(command, commands.SetActivation):
        return command.keep_weights
    return isinstance(command, (commands.SetLearningRate, commands.SetPace))


def lr_message(
    current: float, lr: float, *, waiting: bool, grid: tuple[float, ...] = (), base: float = 0.0
) -> str:
    """What `+`/`-` did. `grid`: a learning-rate grid's configured rates and `base` the session's
    first lr: the whole grid moves by the same factor, every rate of both runs at once."""
    if grid and base > 0:
        shift = lr / base
        rates = f"{rate_text(min(grid) * shift)}–{rate_text(max(grid) * shift)}"
        text = (
            f"whole grid ×{lr / current:g}: rates {rates} for both runs (×{shift:.3g} of the start)"
        )
    else:
        text = f"learning rate {fmt_lr(current)} → {fmt_lr(lr)} for both runs"
    return f"{text}: r trains them with it" if waiting else text
