"""`normtui replay` and `normtui watch`: the dashboard fed from a session log, without torch."""

from __future__ import annotations

import sys

from normtui.engine.config import SessionConfig
from normtui.engine.replay import FollowSource, ReplaySource


def config_from_header(header: dict) -> SessionConfig:
    """The recorded config, or the defaults when a log's config is unreadable."""
    try:
        return SessionConfig.from_dict(header.get("config") or {})
    except (TypeError, ValueError):  # ConfigError is a ValueError
        return SessionConfig()


def run_viewer(
    source: ReplaySource | FollowSource, *, theme: str, low_bandwidth: bool = False
) -> int:
    """Show a log in the dashboard; returns the exit code (0 q, 129/143 signals, 130 Ctrl+C)."""
    from normtui.tui.app import make_app

    app = make_app(
        source,
        config=config_from_header(source.header),
        theme=theme,
        low_bandwidth=low_bandwidth,
        missing_log=source.path if isinstance(source, FollowSource) and source.missing else None,
    )
    try:
        app.run()
    except KeyboardInterrupt:
        return 130
    finally:
        source.stop()
    # A follower that could not read on is the viewer's own failure; a failure of the recorded
    # session is in its events, on screen.
    if isinstance(source, FollowSource) and source.error:
        print(f"normtui: error: {source.error}", file=sys.stderr)
        return 2 if app.return_code == 2 else 1  # 2: what appeared was not a log
    return app.return_code or 0
