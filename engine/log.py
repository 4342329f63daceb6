"""The JSONL session log: a header line, then one event per line, flushed as written.

A path ending in `.gz` is written gzip-compressed, each line flushed whole (`Z_SYNC_FLUSH`), so
`watch` reads it as it grows and `zcat run.jsonl.gz | jq` reads it too: the dashboard's own
logs are written so (issue 25: a default session wrote ~386 MB an hour uncompressed). Readers
tell the two apart by the file's first bytes, not its name.

Pure stdlib (no torch): `replay` and `watch` read logs without loading the training stack.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import json
import math
import os
import threading
import time
import zlib
from typing import IO, Any

from normtui.engine.errors import UsageError
from normtui.engine.events import (
    EVENT_TYPES,
    READABLE_SCHEMAS,
    SCHEMA_VERSION,
    EpochEnd,
    Event,
    GridEpoch,
    event_from_dict,
    strict_json,
)

LOG_MARKER = "normtui_log"
GZIP_MAGIC = b"\x1f\x8b"
# The dashboard paces every epoch's layer stats for its own panes (20 per second per run); its
# log keeps them at most this often (plus the epochs in `LogWriter._keeps_layers`): measured with
# benchmarks/log_size.py, every epoch's layers were 91% of the log's bytes.
DASHBOARD_LOG_LAYERS_S = 1.0
# ...and writes its numbers with 9 significant digits, as many as a float32 (what the model
# computes in) needs to come back unchanged: 17-digit float64 reprs of float32 values were most
# of the remaining bytes with 10 seeds (members' losses and scores on every line).
DASHBOARD_LOG_DIGITS = 9


def rounded(value: Any, digits: int) -> Any:
    """`value` with every float written to `digits` significant digits (dicts and lists too)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


class LogError(UsageError):
    """A log that cannot be written or is not a normtui log; one line for the terminal."""


def _package_version() -> str:
    from normtui import __version__

    return __version__


def make_header(config: dict[str, Any], layers_every_s: float | None = None) -> dict[str, Any]:
    header = {LOG_MARKER: SCHEMA_VERSION, "version": _package_version(), "config": config}
    if layers_every_s is not None:  # what the epoch lines' `layers` really hold: said, not implied
        header["layers_every_s"] = layers_every_s
        header["float_digits"] = DASHBOARD_LOG_DIGITS
        if config.get("lrs"):  # a grid's lines are thinned the same way (LogWriter)
            header["grid_every_s"] = layers_every_s
    return header


class LogWriter:
    """A sink that appends every event to a JSONL file and flushes each line.

    `layers_every_s` > 0: an epoch line keeps its per-layer stats at most that often (session
    time), so a paced dashboard's every-epoch stats do not fill the disk, and its numbers are
    written to DASHBOARD_LOG_DIGITS significant digits; the header says both. A learning-rate
    grid's GridEpoch lines (every rate's seeds: ~7x a 7-rate grid's log, measured with
    benchmarks/log_size.py --lrs) are kept as often, at the same epochs for both runs, and the
    latest one not kept is written before any other event (a pause, a `+`, the session's end)
    and at close, so a replay's grid is the live one at every change and at the end; the
    header says `grid_every_s`. `train --log` (no `layers_every_s`) keeps every line.
    A path ending in `.gz` is written gzip-compressed, line by line (module docstring).
    """

    def __init__(
        self, path: str, config: dict[str, Any], *, layers_every_s: float | None = None
    ) -> None:
        self.path = path
        if not path:
            raise LogError("--log needs a file path, e.g. --log run.jsonl")
        self._zip = zlib.compressobj(6, zlib.DEFLATED, 31) if path.endswith(".gz") else None
        try:
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise LogError(f"cannot write log {path}: directory {directory} does not exist")
            if os.path.isdir(path):
                raise LogError(f"cannot write log {path}: it is a directory")
            self._file: IO[bytes] | None = open(path, "wb")  # noqa: SIM115
        except OSError as error:
            raise LogError(f"cannot write log {path}: {error.strerror or error}") from None
        self._lock = threading.Lock()
        self.lines = 0
        self.bytes = 0  # written to the file so far
        self.error: str | None = None  # set when a write failed (disk full): logging stopped
        self.layers_every_s = layers_every_s or 0.0
        self._epochs = config.get("epochs") if isinstance(config.get("epochs"), int) else None
        self._kept: tuple[int, float] | None = None  # (epoch, time_s) whose layers were kept
        self._grid_kept: tuple[int, float] | None = None  # the same for GridEpoch lines
        self._grid_held: dict[str, GridEpoch] = {}  # per run, the latest grid line not written
        self._activation: dict[str, str] = {}
        self._write(make_header(config, layers_every_s))

    def _encode(self, record: dict[str, Any]) -> bytes:
        line = json.dumps(strict_json(record), separators=(",", ":"), allow_nan=False) + "\n"
        data = line.encode("utf-8")
        if self._zip is None:
            return data
        return self._zip.compress(data) + self._zip.flush(zlib.Z_SYNC_FLUSH)

    def _write(self, record: dict[str, Any]) -> None:
        """Append one line; a failed write closes the log and raises LogError once."""
        with self._lock:
            if self._file is None:
                return
            data = self._encode(record)
            try:
                self._file.write(data)
                self._file.flush()
            except OSError as error:
                self.error = f"cannot write log {self.path}: {error.strerror or error}"
                self._file, broken = None, self._file
                with contextlib.suppress(OSError):
                    broken.close()
                raise LogError(self.error) from None
            self.lines += 1
            self.bytes += len(data)

    def _keeps_layers(self, event: EpochEnd) -> bool:
        """Whether this epoch line keeps its layer stats: at most every `layers_every_s`, and
        always the first epoch after a start, restart or swap and the last of `--epochs`; both
        runs keep the same epochs, so a replay's two panes show one epoch."""
        swapped = self._activation.get(event.run, event.activation) != event.activation
        self._activation[event.run] = event.activation
        if self._kept is not None and self._kept[0] == event.epoch:
            return True  # the other run's same epoch
        due = self._kept is None or event.time_s - self._kept[1] >= self.layers_every_s - 1e-9
        if due or swapped or event.epoch == 1 or event.epoch == self._epochs:
            self._kept = (event.epoch, event.time_s)
            return True
        return False

    def _keeps_grid(self, event: GridEpoch) -> bool:
        """A grid line is written at most every `layers_every_s` (both runs' of one epoch), and
        always on the first epoch after a start or restart and the last of `--epochs`."""
        if self._grid_kept is not None and self._grid_kept[0] == event.epoch:
            return True
        kept = self._grid_kept
        due = kept is None or event.time_s - kept[1] >= self.layers_every_s - 1e-9
        if due or event.epoch == 1 or event.epoch == self._epochs:
            self._grid_kept = (event.epoch, event.time_s)
            return True
        return False

    def _release_grid(self) -> None:
        """Write the grid lines held back, oldest run first (they are the latest epoch's)."""
        held, self._grid_held = self._grid_held, {}
        for event in held.values():
            self._write(rounded(event.to_dict(), DASHBOARD_LOG_DIGITS))

    def __call__(self, event: Event) -> None:
        if self.layers_every_s and isinstance(event, GridEpoch):
            if not self._keeps_grid(event):
                self._grid_held[event.run] = event
                return
            self._grid_held.pop(event.run, None)
        elif self._grid_held and not isinstance(event, EpochEnd):
            self._release_grid()  # a change or the end: the grid as it was just before it
        thin = self.layers_every_s and isinstance(event, EpochEnd) and event.layers
        if thin and not self._keeps_layers(event):  # type: ignore[arg-type]
            event = dataclasses.replace(event, layers=())
        record = event.to_dict()
        self._write(rounded(record, DASHBOARD_LOG_DIGITS) if self.layers_every_s else record)

    def close(self) -> None:
        if self._grid_held:
            with contextlib.suppress(LogError):
                self._release_grid()
        with self._lock:
            if self._file is not None:
                with contextlib.suppress(OSError):  # every line was flushed as it was written
                    if self._zip is not None:
                        self._file.write(self._zip.flush(zlib.Z_FINISH))
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


def parse_event(line: str, where: str = "") -> Event | None:
    """An event from one line; None for a line that is not JSON (cut off mid-write).

    A line that is JSON but not a valid event (a field missing or of the wrong type, e.g.
    `"val_r2": "x"`) raises LogError naming `where` (the file and line) and the field: a
    damaged log is bad input, refused where it is read rather than failing on screen.
    """
    try:
        data = json.loads(line)
    except ValueError:
        return None
    kind = data.get("event") if isinstance(data, dict) else None
    what = f" ({kind} event)" if isinstance(kind, str) and kind in EVENT_TYPES else ""
    if not isinstance(data, dict):
        raise LogError(f"{where or 'a line'}{what}: not an event object")
    try:
        return event_from_dict(data)
    except (ValueError, TypeError) as error:  # FieldTypeError is a ValueError
        raise LogError(f"{where or 'a line'}{what}: {error}") from None


def _open_for_reading(path: str) -> IO[bytes]:
    if os.path.isdir(path):
        raise LogError(f"{path} is a directory, not a normtui log")
    try:
        return open(path, "rb")
    except OSError as error:
        raise LogError(f"cannot read log {path}: {error.strerror or error}") from None


class _Text:
    """Bytes of a log, plain or gzip (told by its first bytes), as text as far as it goes: a
    gzip stream still being written (or cut off) yields every line flushed so far."""

    def __init__(self) -> None:
        self._head = b""
        self._zip: Any = None  # zlib decompressor once the file is known to be gzip
        self._known = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> str:
        if not self._known:
            self._head += data
            if len(self._head) < len(GZIP_MAGIC):
                return ""
            data, self._head, self._known = self._head, b"", True
            if data.startswith(GZIP_MAGIC):
                self._zip = zlib.decompressobj(31)
        if self._zip is not None:
            try:
                data = self._zip.decompress(data)
            except zlib.error:
                raise LogError("its gzip stream is damaged") from None
        return self._decoder.decode(data)


def read_log(path: str) -> tuple[dict[str, Any], list[Event]]:
    """Header and events of a log; a line cut short is skipped, a damaged event is a LogError."""
    with _open_for_reading(path) as file:
        try:
            text = _Text().feed(file.read())
        except LogError as error:
            raise LogError(f"{path}: {error}") from None
    lines = text.split("\n")
    if not lines[0]:
        raise LogError(f"{path} is empty, not a normtui log")
    header = parse_header(lines[0], path)
    events = []
    for number, line in enumerate(lines[1:], start=2):
        event = parse_event(line, f"{path} line {number}") if line.strip() else None
        if event is not None:
            events.append(event)
    return header, events


class LogFollower:
    """Reads a log that another process is still writing; only whole lines become events."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = _open_for_reading(path)
        self._text = _Text()
        self._partial = ""
        self._line = 0  # whole lines read so far, for an error's line number
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
        data = self._file.read()
        if not data:
            return pending
        try:
            chunk = self._text.feed(data)
        except LogError as error:
            raise LogError(f"{self.path}: {error}") from None
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        events: list[Event] = pending
        for line in lines:
            self._line += 1
            if not line.strip():
                continue
            if self.header is None:
                self.header = parse_header(line, self.path)
                continue
            event = parse_event(line, f"{self.path} line {self._line}")
            if event is not None:
                events.append(event)
        return events

    def close(self) -> None:
        self._file.close()
