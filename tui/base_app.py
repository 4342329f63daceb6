"""What every normtui app shares, written once: normtui's themes (only those), notifications one
per kind, the stopping signals (SIGHUP included) and the deadline on an exit they ask for.

`NormtuiApp` (the dashboard) and `SweepApp` (the matrix, with a cell's dashboard pushed over
it) are this base plus their first screen; keys and actions live on the screens.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import time
from asyncio import AbstractEventLoop
from dataclasses import dataclass
from typing import ClassVar

from textual.app import App, AutopilotCallbackType
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.theme import Theme

from normtui.tui.signals import SIGNAL_EXIT_CODES, install_loop_handlers, remove_loop_handlers
from normtui.tui.theme_loader import RUN_VARIABLES, themes_with

MAX_NOTICES = 3  # notifications on screen at once, one per kind (the newest kinds)
# The deadline for an exit after a signal, armed by `run` (a real terminal). Textual's output
# thread can block for good on a terminal that hung up (seen: SSH dropped ~0.5 s after start,
# 3 runs in 8), leaving a process that trains on with no one watching; past this, the work is
# stopped and the process ends.
SIGNAL_EXIT_DEADLINE_S = 5.0
FUNCTION_KEY = re.compile(r"f\d+")


@dataclass(frozen=True)
class Notice:
    """One kind's notification, as last asked for."""

    message: str
    title: str
    severity: SeverityLevel
    timeout: float
    markup: bool
    until: float  # time.monotonic() when it is gone

    def left_s(self, now: float) -> float:
        return self.until - now


class NormtuiBase(App[None]):
    """Themes, notifications, signals and the exit deadline; subclasses add their first screen
    and say in `stop_work` how to stop what trains."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+c",
            "interrupt",
            "Quit",
            id="interrupt",
            show=False,
            priority=True,
            tooltip="Quit (exit code 130)",
        ),
    ]

    def __init__(self, *, theme: Theme, theme_error: str | None, handle_signals: bool) -> None:
        super().__init__()
        self._theme_error = theme_error
        self._handle_signals = handle_signals
        self.themes = self._register_themes(theme)
        self.exit_reason = "quit"
        self.exit_deadline_s: float | None = None  # run() sets SIGNAL_EXIT_DEADLINE_S
        self._run_finished = threading.Event()
        self._signals: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._notices: dict[str, Notice] = {}  # the one notification on screen per kind
        self._notices_due = False

    # -- themes ------------------------------------------------------------------------------
    def _register_themes(self, chosen: Theme) -> list[Theme]:
        """The bundled themes, with `chosen` in its place (a user's edited copy of one wins)."""
        themes = themes_with(chosen)
        for each in themes:
            self.register_theme(each)
        self.theme = chosen.name
        # Textual's own themes (dracula, nord, …) lack normtui's run colours and gave a
        # half-styled screen from the palette's Theme entry: offer normtui's themes only
        ours = {each.name for each in themes}
        for name in list(self.available_themes):
            if name not in ours:
                self.unregister_theme(name)
        return themes

    def next_theme(self) -> str:
        """`t`: the next of normtui's themes; returns its name."""
        names = [t.name for t in self.themes]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2, kind="theme")
        return self.theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # A theme without normtui's variables (a user's TOML that leaves some out) gets these; a
        # mid grey rule reads on dark and light backgrounds alike.
        return {**RUN_VARIABLES, "rule-color": "#808080"}

    def get_key_display(self, binding: Binding) -> str:
        """Textual's display, with `ctrl+c` spelled out and function keys as `F1`."""
        if binding.key_display is None:
            modifiers, key = binding.parse_key()
            if modifiers:
                return binding.key
            if FUNCTION_KEY.fullmatch(key):
                return key.upper()
        return super().get_key_display(binding)

    # -- notifications -----------------------------------------------------------------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        kind: str | None = None,
    ) -> None:
        """Textual's notify, but one notification per `kind` (default: its title, or "info"),
        replaced in place: pressing `+` at the limit eight times, or `[` ten times, showed eight
        or ten toasts stacked up over the plots and header. At most MAX_NOTICES kinds at once.

        Public API only: the kinds alive are kept here, and shown once per burst of presses
        (`clear_notifications`, then one `notify` each), after the burst's last press.
        """
        kind = kind or title or "info"
        now = time.monotonic()
        timeout = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        alive = {k: n for k, n in self._notices.items() if n.left_s(now) > 0 and k != kind}
        for old in list(alive)[: max(0, len(alive) - MAX_NOTICES + 1)]:
            del alive[old]
        alive[kind] = Notice(message, title, severity, timeout, markup, now + timeout)
        self._notices = alive
        if not self._notices_due:
            self._notices_due = True
            self.call_later(self._show_notices)

    def _show_notices(self) -> None:
        self._notices_due = False
        now = time.monotonic()
        self.clear_notifications()
        for notice in self._notices.values():
            left = notice.left_s(now)
            if left > 0:
                super().notify(
                    notice.message,
                    title=notice.title,
                    severity=notice.severity,
                    timeout=left,
                    markup=notice.markup,
                )

    @property
    def notices(self) -> list[str]:
        """The messages on screen now, one per kind (tests read them)."""
        now = time.monotonic()
        return [n.message for n in self._notices.values() if n.left_s(now) > 0]

    # -- signals and the exit deadline -------------------------------------------------------
    # Textual calls `on_mount` / `on_unmount` of every class in the MRO: a subclass's own
    # handlers run too, without calling these.
    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._handle_signals and threading.current_thread() is threading.main_thread():
            self._signals = install_loop_handlers(self._loop, self._on_signal)
        if self._theme_error:
            self.notify(self._theme_error, title="theme", severity="warning", timeout=8)

    def on_unmount(self) -> None:
        if self._loop is not None:
            remove_loop_handlers(self._loop, self._signals)
        self.stop_work()

    def stop_work(self) -> None:
        """Stop and join whatever trains (idempotent; also called from the deadline's thread)."""

    def _on_signal(self, name: str) -> None:
        if self.exit_reason in SIGNAL_EXIT_CODES:  # a second signal: the clean exit is stuck
            os._exit(SIGNAL_EXIT_CODES[name])  # logs are flushed line by line: nothing is lost
        self.exit_reason = name
        if self.exit_deadline_s is not None:
            self._force_exit_after(self.exit_deadline_s, SIGNAL_EXIT_CODES[name])
        self.exit(return_code=SIGNAL_EXIT_CODES[name])

    def _force_exit_after(self, seconds: float, code: int) -> None:
        """Unless `run` has returned within `seconds`, stop the work and end the process."""

        def deadline() -> None:
            if self._run_finished.wait(seconds):
                return
            with contextlib.suppress(Exception):
                self.stop_work()  # the session log gets its last event
            os._exit(code)

        threading.Thread(target=deadline, name="normtui-exit-deadline", daemon=True).start()

    def run(
        self,
        *,
        headless: bool = False,
        inline: bool = False,
        inline_no_clear: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        auto_pilot: AutopilotCallbackType | None = None,
        loop: AbstractEventLoop | None = None,
    ) -> None:
        """App.run (its own signature), with the exit bounded on a real terminal."""
        if self.exit_deadline_s is None:  # a real terminal (tests use run_test): bound the exit
            self.exit_deadline_s = SIGNAL_EXIT_DEADLINE_S
        try:
            return super().run(
                headless=headless,
                inline=inline,
                inline_no_clear=inline_no_clear,
                mouse=mouse,
                size=size,
                auto_pilot=auto_pilot,
                loop=loop,
            )
        finally:
            self._run_finished.set()

    def action_interrupt(self) -> None:
        """Ctrl+C: quit with 130, logged as SIGINT (the reason `normtui train` logs for it)."""
        self.exit_reason = "SIGINT"
        self.exit(return_code=130)
