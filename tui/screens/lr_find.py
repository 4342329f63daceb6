"""The learning-rate range test (`L` on the dashboard): both runs' charts on one y-axis and each
run's suggestion, for the dashboard's current activation, optimizer, scaler and seeds.

The test trains its own fresh pair in a worker thread (engine/lr_find.py); the dashboard's
training goes on meanwhile (both share the cores: paced, as by default, it costs little). The
worker never touches a widget: it hands progress and the result over with `call_from_thread`.
Esc (or L, q) closes the screen and cancels a test still running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from normtui.engine.config import SessionConfig
from normtui.engine.errors import one_line
from normtui.engine.lr_range import DEFAULT_LR_MAX, DEFAULT_LR_MIN, DEFAULT_STEPS, rate
from normtui.tui.lr_chart import legend, shared_y_range
from normtui.tui.widgets.lr_plot import RatePlot

PROGRESS_EVERY = 10  # steps between progress updates: the UI thread is not flooded

Runner = Callable[..., Any]  # engine.lr_find.range_test's signature


def _range_test(config: SessionConfig, **options: Any) -> Any:
    from normtui.engine.lr_find import range_test  # torch: imported in the worker

    return range_test(config, **options)


class LrFindScreen(ModalScreen[None]):
    """Runs the range test on open; shows the charts and summary lines when it is done."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,L,q", "close", "Close", id="close-lr-find"),
    ]

    def __init__(
        self,
        config: SessionConfig,
        *,
        steps: int = DEFAULT_STEPS,
        lr_min: float = DEFAULT_LR_MIN,
        lr_max: float = DEFAULT_LR_MAX,
        runner: Runner = _range_test,
    ) -> None:
        super().__init__()
        self._config = config
        self._options = {"steps": steps, "lr_min": lr_min, "lr_max": lr_max}
        self._runner = runner
        self._cancel = threading.Event()
        self.result: Any = None  # the RangeTest, once done (for tests)

    def compose(self) -> ComposeResult:
        config, options = self._config, self._options
        with Vertical(id="lr-find-body") as body:
            body.border_title = (
                f"lr-find · {config.optimizer} · {config.activation} · {config.scaler}"
                f" · {config.seeds} seed{'s' if config.seeds != 1 else ''}"
            )
            body.border_subtitle = "esc closes"
            yield Static(
                f"{options['steps']} steps, rate {rate(options['lr_min'])} → "
                f"{rate(options['lr_max'])}: loading the data, building the pair…",
                id="lr-find-status",
            )
            with Horizontal(id="lr-find-plots"):
                yield RatePlot("raw-color", id="lr-find-raw", classes="lr-find-plot")
                yield RatePlot("normalized-color", id="lr-find-normalized", classes="lr-find-plot")
            yield Static("", id="lr-find-summary")

    def on_mount(self) -> None:
        self.run_worker(self._work, thread=True, exit_on_error=False, name="lr-find")

    # -- the worker thread: no widget is touched here ------------------------------------------
    def _work(self) -> None:
        try:
            result = self._runner(
                self._config, cancel=self._cancel, progress=self._progress, **self._options
            )
        except Exception as error:
            if not self._cancel.is_set():
                self.app.call_from_thread(self._failed, one_line(error))
            return
        if not self._cancel.is_set():
            self.app.call_from_thread(self._show, result)

    def _progress(self, step: int, steps: int) -> None:
        if step % PROGRESS_EVERY == 0 and not self._cancel.is_set():
            self.app.call_from_thread(self._step, step, steps)

    # -- the UI thread ---------------------------------------------------------------------------
    def _step(self, step: int, steps: int) -> None:
        self.query_one("#lr-find-status", Static).update(f"range test: step {step}/{steps}…")

    def _failed(self, message: str) -> None:
        failed = Text.assemble(("range test failed: ", "bold red"), message)
        self.query_one("#lr-find-status", Static).update(failed)
        for plot in self.query(RatePlot):
            plot.say("no chart")

    def _show(self, result: Any) -> None:
        from normtui.engine.lr_range import summary_line

        self.result = result
        runs = list(result.runs.values())
        y_range = shared_y_range(runs)
        for plot, run in zip(self.query(RatePlot), runs, strict=True):
            plot.show(run, result.rates, y_range)
        self.query_one("#lr-find-status", Static).update(
            Text(
                f"{result.dataset}, {len(result.rates)} steps {rate(result.rates[0])} →"
                f" {rate(result.rates[-1])}: {legend(len(result.seeds), short=True)}"
            )
        )
        self.query_one("#lr-find-summary", Static).update(
            Text("\n".join(summary_line(run) for run in runs))
        )

    def action_close(self) -> None:
        self._cancel.set()  # a test still running stops at its next step
        self.dismiss(None)
