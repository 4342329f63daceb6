"""Bounded history: rows kept at a stride that doubles when full, so memory stays flat."""

from __future__ import annotations

from typing import Any

Row = tuple[Any, ...]  # the first value (a number) spaces the rows; the rest are any values


class DecimatingSeries:
    """Rows `(epoch, *values)`; at most `capacity` kept, evenly spaced, plus the latest row.

    When the store fills, every other row is dropped and the stride doubles, so a 100k-epoch
    session costs the same memory as a 1k-epoch one and old history stays evenly sampled.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 4:
            raise ValueError("capacity must be >= 4")
        self.capacity = capacity
        self.stride = 1
        self._rows: list[Row] = []
        self._first: float | None = None
        self._latest: Row | None = None
        self.count = 0  # rows appended since the last clear

    def clear(self) -> None:
        self.stride = 1
        self._rows = []
        self._first = None
        self._latest = None
        self.count = 0

    def append(self, row: Row) -> None:
        self.count += 1
        self._latest = row
        if self._first is None:
            self._first = row[0]
        if (row[0] - self._first) % self.stride:
            return
        self._rows.append(row)
        if len(self._rows) > self.capacity:
            self._rows = self._rows[::2]
            self.stride *= 2

    def rows(self) -> list[Row]:
        """Kept rows, with the latest row appended when it was not kept."""
        if self._latest is not None and (not self._rows or self._rows[-1] is not self._latest):
            return [*self._rows, self._latest]
        return list(self._rows)

    def __len__(self) -> int:
        return len(self._rows) + (
            1
            if self._latest is not None and (not self._rows or self._rows[-1] is not self._latest)
            else 0
        )
