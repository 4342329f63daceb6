"""A Session trains the controlled pair (raw vs normalized) in lockstep and emits events.

Both runs start from identical weights and see the same batch order; commands are applied at
epoch boundaries, to both runs at the same epoch. torch and scikit-learn are imported inside
the trainer thread, so creating a Session (and drawing a first UI frame) costs nothing. With
`prefetch=True` the data is prepared in a child process (scikit-learn loads there) while the
trainer thread imports torch.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING

from normtui.engine.commands import (
    Command,
    Pause,
    Restart,
    SetActivation,
    SetLearningRate,
    Step,
    Stop,
    TogglePause,
)
from normtui.engine.config import ACTIVATIONS, SessionConfig
from normtui.engine.errors import UsageError, one_line
from normtui.engine.events import (
    ActivationChanged,
    DataLoading,
    Event,
    LearningRateChanged,
    Restarted,
    RunFinished,
    SessionEnded,
    SessionStarted,
)
from normtui.engine.pacer import PACING_COMMANDS, Pacer
from normtui.engine.prefetch import DataPrefetch, worth_prefetching
from normtui.engine.sinks import Sink
from normtui.engine.source_thread import SourceThread

if TYPE_CHECKING:
    from normtui.engine.table import LoadProgress
    from normtui.engine.trainer import PairTrainer

# A file read faster than this shows no progress at all: small files send no DataLoading.
LOADING_SHOWN_AFTER_S = 0.5


class Session(SourceThread):
    """The controlled pair plus its command channel and trainer thread."""

    live = True
    thread_name = "normtui-trainer"

    def __init__(
        self,
        config: SessionConfig,
        *,
        linger: bool = False,
        paused: bool = False,
        prefetch: bool = False,
    ):
        super().__init__()
        self.config = config
        # Started now, not in start(): the child's import overlaps the UI's start-up too.
        self._prefetch = (
            DataPrefetch.start(config) if prefetch and worth_prefetching(config) else None
        )
        self.linger = linger  # UI: when training is done, wait for commands instead of ending
        self._t0 = 0.0
        self.pacer = Pacer(config.pace, paused=paused)
        self.activation = config.activation
        self.lr = config.lr
        self.epoch = 0
        self._loading_shown = False  # a DataLoading was sent: the rest of the load follows

    # -- public API, any thread -------------------------------------------------------------
    def start(self, sink: Sink) -> None:
        self._t0 = time.perf_counter()
        super().start(sink)
        if self._prefetch is not None:  # a big file's progress, while torch still imports
            self._prefetch.report_to(self._report_loading)

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None:
        self.request_stop(reason)
        if self._prefetch is not None:  # now, not after the join: torch may still be importing
            self._prefetch.close()
        self.join(timeout)

    @property
    def pace(self) -> float | None:
        return self.pacer.pace

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- trainer thread ---------------------------------------------------------------------
    def _now(self) -> float:
        return round(time.perf_counter() - self._t0, 6)

    def _emit(self, event: Event) -> None:
        self._sink(event)

    def _main(self) -> None:
        trainer: PairTrainer | None = None
        reason: str | None = "completed"
        error: str | None = None
        usage_error = False
        try:
            # torch here; scikit-learn in the prefetch child, or after torch in this thread
            # (importing both in two threads at once was measured slower on 2 cores, 2.1 s vs
            # 1.7 s: both imports are mostly Python bytecode, so they take turns on the GIL).
            from normtui.engine.models import resolve_device
            from normtui.engine.trainer import PairTrainer  # heavy: torch

            resolve_device(self.config.device)  # no such device: say so now, not after the data
            data = self._prefetch.result(self._stopping) if self._prefetch else None
            # A signal during the imports (the first ~1.5 s) ends the session here, without
            # loading data or building models, so the process exits soon after the imports.
            reason = self._stop_reason_if_cancelled()
            if reason is None and data is None:  # no child, or it failed: prepare it here
                from normtui.engine.data.prepare import prepare_members

                data = prepare_members(self.config, progress=self._report_loading)
                reason = self._stop_reason_if_cancelled()
            if reason is None:
                trainer = PairTrainer(self.config, self._stopping, data=data)
                self._emit(SessionStarted(time_s=self._now(), **trainer.describe()))
                reason = self._stop_reason_if_cancelled() or self._loop(trainer)
        except UsageError as failure:
            reason, error, usage_error = "error", str(failure), True
        except Exception as failure:
            reason, error = "error", one_line(failure)
        finally:
            if self._prefetch is not None:
                self._prefetch.close()
            if trainer is not None:
                trainer.close()
            ended = SessionEnded(
                time_s=self._now(),
                reason=reason or "stopped",
                epoch=self.epoch,
                error=error,
                usage_error=usage_error,
            )
            # A sink that fails on the last event (a log on a full disk) keeps its own error.
            with contextlib.suppress(Exception):
                self._emit(ended)

    def _report_loading(self, progress: LoadProgress) -> None:
        """A big file's progress as an event (from the trainer thread, or the prefetch's reader
        before the trainer thread asks for the data); quick reads send none."""
        if progress.elapsed_s < LOADING_SHOWN_AFTER_S and not self._loading_shown:
            return
        self._loading_shown = True
        total = progress.total_bytes
        self._emit(
            DataLoading(
                time_s=self._now(),
                source=os.path.basename(self.config.csv_path or self.config.dataset),
                rows=progress.rows,
                rows_per_s=round(progress.rows_per_s, 1),
                fraction=min(progress.bytes_read / total, 1.0) if total else None,
                elapsed_s=round(progress.elapsed_s, 3),
                done=progress.done,
            )
        )

    def _stop_reason_if_cancelled(self) -> str | None:
        """The reason of a stop requested before training began, or None."""
        if not self._stopping.is_set():
            return None
        for command in self._channel.drain():
            if isinstance(command, Stop):
                return command.reason
        return "stopped"

    def _done(self, trainer: PairTrainer) -> bool:
        limit_reached = self.config.epochs is not None and self.epoch >= self.config.epochs
        return limit_reached or not trainer.active_runs()

    def _loop(self, trainer: PairTrainer) -> str:
        self.pacer.from_now()
        while True:
            done = self._done(trainer)
            if done:
                self._finish_runs(trainer)
                if not self.linger:
                    return "completed"
            command = self._channel.get(None if done else self.pacer.wait_s())
            if command is not None:
                for queued in [command, *self._channel.drain()]:
                    stop_reason = self._apply(trainer, queued)
                    if stop_reason is not None:
                        return stop_reason
                continue
            if self._done(trainer):
                continue
            self._train_epoch(trainer)
            self.pacer.epoch_done()

    def _train_epoch(self, trainer: PairTrainer) -> None:
        trainer.budget_s = None if self.pacer.pace is None else 1.0 / self.pacer.pace
        outcome = trainer.train_epoch()
        if outcome.cancelled:
            return
        self.epoch += 1
        from normtui.engine.outcome import outcome_events  # imported by now: no cost

        elapsed = {name: run.elapsed_s for name, run in trainer.runs.items()}
        for event in outcome_events(
            outcome,
            time_s=self._now(),
            epoch=self.epoch,
            learning_rate=self.lr,
            activation=self.activation,
            elapsed_s=elapsed,
        ):
            self._emit(event)

    def _finish_runs(self, trainer: PairTrainer) -> None:
        for name in trainer.active_runs():
            trainer.finish(name)
            self._emit(RunFinished(time_s=self._now(), run=name, epoch=self.epoch))

    def _apply(self, trainer: PairTrainer, command: Command) -> str | None:
        """Apply one command to both runs; return a reason when the session must end."""
        now = self._now()
        if isinstance(command, Stop):
            return command.reason
        if isinstance(command, Step) and self._done(trainer):
            return None  # nothing to step: a credit kept now would train after `r`
        if isinstance(command, PACING_COMMANDS):
            if isinstance(command, Step):
                trainer.sample_next()  # the stepped epoch's layers are shown, both runs alike
            elif self._pausing(command) and not trainer.last_sampled and not self._done(trainer):
                # paused, the histograms must show the epoch the status shows: one more
                # epoch, sampled (a millisecond at an unlimited pace; paced runs sample each)
                trainer.sample_next()
                self._train_epoch(trainer)
                self.pacer.epoch_done()
                now = self._now()
            event = self.pacer.apply(command, time_s=now, epoch=self.epoch)
            if event is not None:
                self._emit(event)
        elif isinstance(command, Restart):
            self._restart(trainer)
        elif isinstance(command, SetActivation):
            self._set_activation(trainer, command)
        elif isinstance(command, SetLearningRate):
            if not command.lr > 0:
                return None
            self.lr = float(command.lr)
            trainer.set_lr(self.lr)
            self._emit(LearningRateChanged(time_s=now, epoch=self.epoch, learning_rate=self.lr))
        return None

    def _pausing(self, command: Command) -> bool:
        return not self.pacer.paused and isinstance(command, Pause | TogglePause)

    def _set_activation(self, trainer: PairTrainer, command: SetActivation) -> None:
        if command.name not in ACTIVATIONS or command.name == self.activation:
            return
        previous, self.activation = self.activation, command.name
        self._emit(
            ActivationChanged(
                time_s=self._now(),
                epoch=self.epoch,
                activation=command.name,
                previous=previous,
                keep_weights=command.keep_weights,
            )
        )
        if command.keep_weights:
            trainer.set_activation(command.name)
        else:
            self._restart(trainer)

    def _restart(self, trainer: PairTrainer) -> None:
        trainer.restart(self.activation, self.lr)
        self.epoch = 0
        self.pacer.restart()  # the first epoch of the new runs at once, at any pace
        self._emit(Restarted(time_s=self._now(), activation=self.activation, learning_rate=self.lr))
