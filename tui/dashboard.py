"""`run_dashboard`: build a live Session, run the app, and always stop the session afterwards."""

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

BACK = -1  # not an exit code: the user went back to where the dashboard was opened from


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


def run_dashboard(
    config: SessionConfig,
    *,
    theme: str,
    log_path: str | None,
    low_bandwidth: bool,
    back: bool = False,
) -> int:
    """Open the live dashboard; returns the process exit code (0 q, 130 Ctrl+C, 129/143 signals),
    or BACK where `back` offered esc (to the sweep it was opened from) and the user took it.

    The session is stopped and its threads joined on every way out, including a crash of the UI.
    """
    from normtui.engine.session import Session  # cheap: torch loads inside the trainer thread

    # Before the UI's imports: the data-prefetch child starts loading scikit-learn at once.
    session = Session(config, linger=True, prefetch=True)
    outcome = EndWatcher()  # also told of the end when the session stops after the app is gone
    reason = "stopped"
    writer = None
    try:
        from normtui.tui.app import make_app
        from normtui.tui.theme_loader import resolve_theme

        warning = resolve_theme(theme)[1]
        if warning:  # also shown inside the app; here it survives the screen clear
            print(f"normtui: {warning}", file=sys.stderr)
        if log_path:
            from normtui.engine.log import DASHBOARD_LOG_LAYERS_S, LogWriter

            writer = LogWriter(log_path, config.to_dict(), layers_every_s=DASHBOARD_LOG_LAYERS_S)
        sinks = (outcome,) if writer is None else (writer, outcome)
        app = make_app(
            TeeSource(session, *sinks),
            config=config,
            theme=theme,
            log_path=log_path,
            low_bandwidth=low_bandwidth,
            back=back,
        )
        app.run()
        reason = app.exit_reason
    except KeyboardInterrupt:
        reason = "SIGINT"
        return 130
    finally:
        session.stop(reason=reason)
        if writer is not None:
            writer.close()
    if writer is not None and log_path:
        if outcome.started:
            print(f"normtui: session log: {log_path} (normtui replay {log_path})", file=sys.stderr)
        else:  # nothing trained (bad data, or quit while loading): a log of nothing goes
            with contextlib.suppress(OSError):
                os.remove(log_path)
    code = _exit_code(outcome, app.return_code)
    return BACK if reason == "back" and code == 0 else code


def _exit_code(outcome: EndWatcher, app_code: int | None) -> int:
    """The app's exit code, unless the session ended on an error (said on the terminal)."""
    if outcome.usage_error:
        print(f"normtui: error: {outcome.error}", file=sys.stderr)
        return 2
    if outcome.error:
        print(f"normtui: error: training failed: {outcome.error}", file=sys.stderr)
        return app_code or 1
    return app_code or 0
