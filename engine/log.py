"""The JSONL session log: a header line, then one event per line, flushed as written.

Pure stdlib (no torch): `replay` and `watch` read logs without loading the training stack.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from typing import IO, Any

from normtui.engine.errors import UsageError
from normtui.engine.events import (
    READABLE_SCHEMAS,
    SCHEMA_VERSION,
    Event,
    event_from_dict,
    strict_json,
)

LOG_MARKER = "normtui_log"


class LogError(UsageError):
    """A log that cannot be written or is not a normtui log; one line for the terminal."""


def _package_version() -> str:
    from normtui import __version__

    return __version__


def make_header(config: dict[str, Any]) -> dict[str, Any]:
    return {LOG_MARKER: SCHEMA_VERSION, "version": _package_version(), "config": config}


class LogWriter:
    """A sink that appends every event to a JSONL file and flushes each line."""

    def __init__(self, path: str, config: dict[str, Any]) -> None:
        self.path = path
        if not path:
            raise LogError("--log needs a file path, e.g. --log run.jsonl")
        try:
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise LogError(f"cannot write log {path}: directory {directory} does not exist")
            if os.path.isdir(path):
                raise LogError(f"cannot write log {path}: it is a directory")
            self._file: IO[str] | None = open(path, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise LogError(f"cannot write log {path}: {error.strerror or error}") from None
        self._lock = threading.Lock()
        self.lines = 0
        self.error: str | None = None  # set when a write failed (disk full): logging stopped
        self._write(make_header(config))

    def _write(self, record: dict[str, Any]) -> None:
        """Append one line; a failed write closes the log and raises LogError once."""
        line = json.dumps(strict_json(record), separators=(",", ":"), allow_nan=False) + "\n"
        with self._lock:
            if self._file is None:
                return
            try:
                self._file.write(line)
                self._file.flush()
            except OSError as error:
                self.error = f"cannot write log {self.path}: {error.strerror or error}"
                self._file, broken = None, self._file
                with contextlib.suppress(OSError):
                    broken.close()
                raise LogError(self.error) from None
            self.lines += 1

    def __call__(self, event: Event) -> None:
        self._write(event.to_dict())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                with contextlib.suppress(OSError):  # every line was flushed as it was written
                    self._file.close()
                self._file = None


def parse_header(line: str, path: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or LOG_MARKER not in header:
        raise LogError(f"{path} is not a normtui log (its first line is not a normtui header)")
    schema = header[LOG_MARKER]
    if schema not in READABLE_SCHEMAS or not isinstance(schema, int) or isinstance(schema, bool):
        newer = isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION
        writer = header.get("version")
        by = f" (written by normtui {writer[:30]})" if isinstance(writer, str) and writer else ""
        advice = ": upgrade normtui to read it" if newer else ""
        raise LogError(
            f"{path} uses log schema {schema!r}{by}; this normtui {_package_version()}"
            f" reads schema {' and '.join(map(str, READABLE_SCHEMAS))}{advice}"
        )
    return header


def parse_event(line: str) -> Event | None:
    """An event from one line, or None for a line that is damaged (e.g. cut off mid-write)."""
    try:
        data = json.loads(line)
        return event_from_dict(data) if isinstance(data, dict) else None
    except (ValueError, TypeError, KeyError):
        return None


def _open_for_reading(path: str) -> IO[str]:
    if os.path.isdir(path):
        raise LogError(f"{path} is a directory, not a normtui log")
    try:
        return open(path, encoding="utf-8", errors="replace")
    except OSError as error:
        raise LogError(f"cannot read log {path}: {error.strerror or error}") from None


def read_log(path: str) -> tuple[dict[str, Any], list[Event]]:
    """Header and events of a log; a truncated or damaged line is skipped, not fatal."""
    with _open_for_reading(path) as file:
        first = file.readline()
        if not first:
            raise LogError(f"{path} is empty, not a normtui log")
        header = parse_header(first, path)
        events = [e for e in (parse_event(line) for line in file if line.strip()) if e]
    return header, events


class LogFollower:
    """Reads a log that another process is still writing; only whole lines become events."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = _open_for_reading(path)
        self._partial = ""
        self._pending: list[Event] = []
        self.header: dict[str, Any] | None = None

    def poll_header(self, timeout_s: float = 2.0) -> dict[str, Any]:
        """Wait briefly for the header line (a writer writes it first); LogError if none."""
        deadline = time.monotonic() + timeout_s
        while self.header is None:
            events = self.poll()  # poll() swaps self._pending: read it first, then extend
            self._pending.extend(events)
            if self.header is not None:
                break
            if time.monotonic() > deadline:
                what = "is not a normtui log" if self._partial else "is empty, not a normtui log"
                raise LogError(f"{self.path} {what}")
            time.sleep(0.02)
        return self.header

    def poll(self) -> list[Event]:
        """Events completed since the last poll (a line without its newline waits)."""
        pending, self._pending = self._pending, []
        chunk = self._file.read()
        if not chunk:
            return pending
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        events: list[Event] = pending
        for line in lines:
            if not line.strip():
                continue
            if self.header is None:
                self.header = parse_header(line, self.path)
                continue
            event = parse_event(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> None:
        self._file.close()
