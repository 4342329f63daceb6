"""`run_dashboard`: build a live Session, run the app, and always stop the session afterwards."""

from __future__ import annotations

import sys

from normtui.engine.commands import Command
from normtui.engine.config import SessionConfig
from normtui.engine.events import Event
from normtui.tui.viewstate.source import EventSource, Sink


class LoggedSource:
    """Wraps a source so every event is also written to a JSONL log (same thread, same order)."""

    def __init__(self, source: EventSource, log: Sink) -> None:
        self._source = source
        self._log = log
        self.live = source.live

    def start(self, sink: Sink) -> None:
        log = self._log

        def tee(event: Event) -> None:
            log(event)
            sink(event)

        self._source.start(tee)

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
) -> int:
    """Open the live dashboard; returns the process exit code (0 q, 130 Ctrl+C, 129/143 signals).

    The session is stopped and its threads joined on every way out, including a crash of the UI.
    """
    from normtui.engine.session import Session  # cheap: torch loads inside the trainer thread

    # Before the UI's imports: the data-prefetch child starts loading scikit-learn at once.
    session = Session(config, linger=True, prefetch=True)
    reason = "stopped"
    writer = None
    try:
        from normtui.tui.app import make_app
        from normtui.tui.theme_loader import DEFAULT_THEME, ThemeError, load_theme

        try:
            load_theme(theme)
        except ThemeError as exc:  # also shown inside the app; here it survives the screen clear
            print(f"normtui: {exc}; using the {DEFAULT_THEME} theme", file=sys.stderr)

        source: EventSource = session
        if log_path:
            from normtui.engine.log import LogWriter

            writer = LogWriter(log_path, config.to_dict())
            source = LoggedSource(session, writer)
        app = make_app(
            source, config=config, theme=theme, log_path=log_path, low_bandwidth=low_bandwidth
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
    if writer is not None:
        print(f"normtui: session log: {log_path} (normtui replay {log_path})", file=sys.stderr)
    if session.error and session.usage_error:
        print(f"normtui: error: {session.error}", file=sys.stderr)
        return 2
    if session.error:
        print(f"normtui: error: training failed: {session.error}", file=sys.stderr)
        return app.return_code or 1
    return app.return_code or 0
