"""`LiveRun`: a live Session, its log and its outcome; `run_dashboard` runs one in the app and
always stops the session afterwards."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

from normtui.engine.commands import Command
from normtui.engine.config import SessionConfig
from normtui.engine.events import Event
from normtui.engine.sinks import EndWatcher, Sink, fan_out
from normtui.tui.viewstate.source import EventSource


class TeeSource:
    """Wraps a source so every event also reaches other sinks first (same thread, same order):
    the JSONL log, and the launcher's watcher of the session's end."""

    def __init__(self, source: EventSource, *sinks: Sink) -> None:
        self._source = source
        self._sinks = sinks
        self.live = source.live
        self.playback = source.playback

    @property
    def pace(self) -> float | None:
        return self._source.pace

    @property
    def events(self) -> Sequence[Event]:
        return self._source.events

    def start(self, sink: Sink) -> None:
        self._source.start(fan_out(*self._sinks, sink))

    def send(self, command: Command) -> None:
        self._source.send(command)

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None:
        self._source.stop(reason=reason, timeout=timeout)

    def join(self, timeout: float | None = None) -> bool:
        return self._source.join(timeout)


class LiveRun:
    """A live Session with what goes around it: its JSONL log and the watcher of its end.

    `normtui` runs one for the whole process; the sweep one per cell opened with Enter. `close`
    stops the session and closes the log (idempotent); `notes` and `code` then say what to
    print and which exit code the outcome asks for.
    """

    def __init__(self, config: SessionConfig, *, log_path: str | None) -> None:
        from normtui.engine.session import Session  # cheap: torch loads in the trainer thread

        # Before the UI's imports: the data-prefetch child starts loading scikit-learn at once.
        self.session = Session(config, linger=True, prefetch=True)
        self.config = config
        self.log_path = log_path
        self.outcome = EndWatcher()  # also told of the end when the session stops after the UI
        self._writer = None
        self._closed = False
        if log_path:
            from normtui.engine.log import DASHBOARD_LOG_LAYERS_S, LogWriter

            try:  # layer stats at most once a second: a paced session's every epoch filled disks
                self._writer = LogWriter(
                    log_path, config.to_dict(), layers_every_s=DASHBOARD_LOG_LAYERS_S
                )
            except BaseException:
                self.session.stop(reason="error")  # its data child must not outlive this
                raise
        sinks = (self.outcome,) if self._writer is None else (self._writer, self.outcome)
        self.source = TeeSource(self.session, *sinks)

    def close(self, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.session.stop(reason=reason)
        finally:
            if self._writer is not None:
                self._writer.close()
        if self._writer is not None and self.log_path and not self.outcome.started:
            # nothing trained (bad data, or quit while loading): a log of nothing goes
            with contextlib.suppress(OSError):
                os.remove(self.log_path)

    def notes(self) -> list[str]:
        """The lines for the terminal once the screen is gone (after `close`)."""
        lines = []
        if self._writer is not None and self.log_path and self.outcome.started:
            path = self.log_path
            lines.append(f"normtui: session log: {path} (normtui replay {path})")
        if self.outcome.usage_error:
            lines.append(f"normtui: error: {self.outcome.error}")
        elif self.outcome.error:
            lines.append(f"normtui: error: training failed: {self.outcome.error}")
        return lines

    def code(self, app_code: int | None) -> int:
        """The app's exit code, unless the session ended on an error (said in `notes`)."""
        if self.outcome.usage_error:
            return 2
        if self.outcome.error:
            return app_code or 1
        return app_code or 0


def run_dashboard(
    config: SessionConfig, *, theme: str, log_path: str | None, low_bandwidth: bool
) -> int:
    """Open the live dashboard; returns the process exit code (0 q, 130 Ctrl+C, 129/143 signals).

    The session is stopped and its threads joined on every way out, including a crash of the UI.
    """
    run = LiveRun(config, log_path=log_path)
    reason = "stopped"
    app = None
    try:
        from normtui.tui.app import make_app
        from normtui.tui.theme_loader import resolve_theme

        warning = resolve_theme(theme)[1]
        if warning:  # also shown inside the app; here it survives the screen clear
            print(f"normtui: {warning}", file=sys.stderr)
        app = make_app(
            run.source, config=config, theme=theme, log_path=log_path, low_bandwidth=low_bandwidth
        )
        app.run()
        reason = app.exit_reason
    except KeyboardInterrupt:
        reason = "SIGINT"
        return 130
    finally:
        run.close(reason)
    for line in run.notes():
        print(line, file=sys.stderr)
    return run.code(app.return_code if app is not None else None)
