"""Read a user's table file into typed columns: numbers, text (categories) and the target.

pandas' C parser reads CSV about 20x faster than the csv module with a float() per cell (100k x 50:
see benchmarks/README.md), in chunks so that a big file reports rows read and rows/s while it
loads. Parquet files load too when pyarrow is installed. Empty, `NA`, `NaN`, `?` (and pandas'
other missing spellings) are missing cells; what to do with them is `missing`'s choice. Every
problem a user can cause is one `DataError` line that names the column, the row or both.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from normtui.engine.config import ConfigError

MAX_TABLE_BYTES = 4 << 30  # parsed columns take about as much memory as the text
MIN_ROWS = 10  # below this a train/validation split says nothing useful
FLOAT32_MAX = float(np.finfo(np.float32).max)  # training runs in float32
CHUNK_ROWS = 100_000  # rows parsed between two progress reports
MISSING_TOKENS = ["?"]  # on top of pandas' defaults: "", NA, N/A, NaN, nan, null, None, …
PARQUET_SUFFIXES = (".parquet", ".pq")
# Text cells a Parquet file's columns may hold for "missing": pandas' read_csv defaults + "?"
PARQUET_MISSING = (
    *("", "?", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "<NA>"),
    *("#N/A", "#NA", "#N/A N/A", "-1.#IND", "1.#IND", "-1.#QNAN", "1.#QNAN"),
)
_SNIFF_BYTES = 1 << 16  # read to find the encoding, the delimiter and the header
_SHOW_CHARS = 30  # longest value or name quoted in a message
_SHOW_COLUMNS = 12  # most column names listed in a message
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


class DataError(ConfigError):
    """A user-facing data problem; its message is one line and the CLI exits 2."""

    def __init__(self, message: str) -> None:
        # Safety net: names and values are quoted with repr, but a message must never wrap.
        super().__init__(" ".join(str(message).splitlines()))


@dataclass(frozen=True)
class LoadProgress:
    """How far a file has been read: sent while a big file loads."""

    rows: int
    bytes_read: int
    total_bytes: int  # 0 when unknown (not a regular file)
    elapsed_s: float
    done: bool = False  # the last report: every row is read

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.elapsed_s if self.elapsed_s > 0 else 0.0


ProgressCallback = Callable[[LoadProgress], None]


@dataclass(frozen=True)
class Table:
    """A file's columns by kind, rows in file order (rows with every cell empty left out).

    `numeric` is float64 with NaN for a missing cell; `text` holds str or None (missing);
    `target` is float64 when every target cell is a number, else str objects.
    """

    name: str
    numeric: np.ndarray
    numeric_names: tuple[str, ...]
    text: np.ndarray
    text_names: tuple[str, ...]
    target: np.ndarray
    target_name: str
    dropped_rows: int  # rows left out for a missing cell (missing="drop")


def show(text: str) -> str:
    """Quote a user-supplied name or value on one line, truncated."""
    text = str(text)
    if len(text) > _SHOW_CHARS:
        text = text[: _SHOW_CHARS - 1] + "…"
    return repr(text)


def show_columns(names: Sequence[str]) -> str:
    shown = ", ".join(show(n) for n in names[:_SHOW_COLUMNS])
    extra = len(names) - _SHOW_COLUMNS
    return f"{shown}, … (+{extra} more)" if extra > 0 else shown


def _show_path(path: str) -> str:
    """Quote a path on one line, keeping its end (the file name) when it is long."""
    return repr(path if len(path) <= 80 else "…" + path[-79:])


def _check_file(path: str) -> int:
    """The size of a regular, readable file; DataError for anything else."""
    label = _show_path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"CSV file {label} not found") from None
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL byte
        reason = getattr(error, "strerror", None) or str(error)
        raise DataError(f"CSV file {label} cannot be read: {reason}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"CSV path {label} is a directory, not a file")
    if info.st_size > MAX_TABLE_BYTES and stat.S_ISREG(info.st_mode):
        raise DataError(
            f"CSV file {label} is {info.st_size / 1e9:.1f} GB;"
            f" at most {MAX_TABLE_BYTES / 1e9:.1f} GB can be loaded"
        )
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _open(path: str) -> io.BufferedReader:
    label = _show_path(path)
    try:
        return open(path, "rb")
    except PermissionError:
        raise DataError(f"CSV file {label} cannot be read: permission denied") from None
    except OSError as error:
        raise DataError(f"CSV file {label} cannot be read: {error.strerror or error}") from None


def _encoding(head: bytes, label: str) -> str:
    """UTF-8 (BOM stripped), or UTF-16 with a BOM (Excel's "Unicode text"); else DataError."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise DataError(f"CSV file {label} looks binary (it contains NUL bytes), not CSV text")
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut at the sniff's end
            bad = head[error.start : error.start + 1].hex()
            raise DataError(
                f"CSV file {label} is not UTF-8 text (byte 0x{bad} at offset {error.start})"
            ) from None
    return "utf-8-sig"


def _delimiter(header_line: str) -> str:
    """Comma, unless the header line has none but has semicolons (or tabs): then those."""
    if "," in header_line:
        return ","
    for candidate in (";", "\t"):
        if candidate in header_line:
            return candidate
    return ","


def _header(head: bytes, encoding: str, label: str) -> tuple[list[str], str, int]:
    """(column names, delimiter, blank lines before the header) from the file's first bytes."""
    text = head.decode(encoding, errors="ignore")
    lines = text.splitlines()
    skipped = 0
    for line in lines:
        if line.strip():
            break
        skipped += 1
    else:
        raise DataError(f"CSV file {label} is empty")
    delimiter = _delimiter(lines[skipped])
    reader = csv.reader(io.StringIO("\n".join(lines[skipped:]), newline=""), delimiter=delimiter)
    try:
        cells = next(reader)
    except (csv.Error, StopIteration) as error:
        raise DataError(f"CSV file {label}: the header cannot be read: {error}") from None
    names = [cell.strip() for cell in cells]
    # A comma at the end of every line (some spreadsheet exports): an unnamed last column.
    if len(names) > 1 and not names[-1]:
        names[-1] = ""
    for index, name in enumerate(names[:-1] if not names[-1] else names, start=1):
        if not name:
            raise DataError(
                f"CSV file {label}: header column {index} has no name"
                " (an index column? save it without the index)"
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"CSV file {label}: duplicate column name {show(name)} in the header")
        seen.add(name)
    return names, delimiter, skipped


def _parser_error(error: Exception, label: str) -> DataError:
    text = " ".join(str(error).split())
    match = _FIELD_COUNT.search(text)
    if match:
        expected, line, saw = match.groups()
        return DataError(
            f"CSV file {label}, line {line} has {saw} fields; the header has {expected}"
        )
    if isinstance(error, UnicodeDecodeError):
        bad = error.object[error.start : error.start + 1].hex()
        return DataError(f"CSV file {label} is not UTF-8 text (byte 0x{bad})")
    return DataError(f"CSV file {label} cannot be parsed: {text[:200]}")


def _read_csv(
    path: str, label: str, total: int, progress: ProgressCallback | None
) -> tuple[Any, list[str]]:
    import pandas as pd  # ~0.5 s: only where a table is read, never in the UI's process

    handle = _open(path)
    with handle:
        head = handle.read(_SNIFF_BYTES)
        if not head.strip():
            raise DataError(f"CSV file {label} is empty")
        encoding = _encoding(head, label)
        names, delimiter, skipped = _header(head, encoding, label)
        handle.seek(0)
        started = time.perf_counter()
        chunks = []
        rows = 0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # DtypeWarning: mixed chunks are sorted out below
                reader = pd.read_csv(
                    handle,
                    sep=delimiter,
                    header=0,
                    skiprows=skipped,
                    encoding=encoding,
                    na_values=MISSING_TOKENS,
                    skipinitialspace=True,
                    chunksize=CHUNK_ROWS,
                    engine="c",
                )
                with reader:
                    for chunk in reader:
                        chunks.append(chunk)
                        rows += len(chunk)
                        if progress is not None:
                            elapsed = time.perf_counter() - started
                            progress(LoadProgress(rows, handle.tell(), total, elapsed))
            if progress is not None and rows:
                elapsed = time.perf_counter() - started
                progress(LoadProgress(rows, total, total, elapsed, done=True))
        except DataError:
            raise
        except (pd.errors.EmptyDataError, StopIteration):
            chunks = []
        except (pd.errors.ParserError, ValueError, OverflowError, csv.Error) as error:
            raise _parser_error(error, label) from None
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=names)
    if frame.shape[1] != len(names):
        raise DataError(
            f"CSV file {label} has rows with {frame.shape[1]} fields; the header has {len(names)}"
        )
    frame.columns = names
    frame.attrs["first_data_line"] = skipped + 2
    if names[-1] == "":  # the trailing comma's column: empty, or a nameless column
        if frame[""].notna().any():
            raise DataError(f"CSV file {label}: header column {len(names)} has no name")
        frame = frame.drop(columns=[""])
    return frame, [n for n in names if n]


def _read_parquet(path: str, label: str) -> tuple[Any, list[str]]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except ImportError:
        raise DataError(
            f"reading the Parquet file {label} needs pyarrow: pip install pyarrow"
        ) from None
    except Exception as error:  # pyarrow's errors have no common base worth naming
        text = " ".join(str(error).split())[:200]
        raise DataError(f"Parquet file {label} cannot be read: {text}") from None
    names = [str(name) for name in frame.columns]
    frame.columns = names
    # The same cells count as missing as in a CSV: a table saved from pandas keeps "?" as text.
    for name in names:
        column = frame[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            stripped = column.astype("string").str.strip()
            frame[name] = column.where(~stripped.isin(PARQUET_MISSING) & column.notna(), None)
    return frame, names


def _is_parquet(path: str) -> bool:
    if path.lower().endswith(PARQUET_SUFFIXES):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def _row(frame: Any, position: int) -> str:
    """Where a row is in the file: its line, exact unless blank lines or cells with line
    breaks come before it (the frame's index is the row's place among the data rows)."""
    first_line = frame.attrs.get("first_data_line", 2)
    return f"line {int(frame.index[position]) + first_line}"


def _text_values(column: Any) -> np.ndarray:
    """A column's cells as str objects, None where missing.

    Each distinct value is stripped once (a text column has few): a `str()` and `strip()` per
    cell took as long as parsing the column.
    """
    import pandas as pd

    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    levels = np.empty(len(uniques) + 1, dtype=object)  # the last one: missing (code -1)
    levels[:-1] = [str(value).strip() for value in uniques]
    levels[-1] = None
    return levels[codes]


def _numbers(column: Any, name: str, frame: Any, label: str) -> np.ndarray:
    """A numeric column as float64 (NaN = missing); DataError for inf or beyond float32."""
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isinf(values) | (np.abs(np.nan_to_num(values)) > FLOAT32_MAX)
    if bad.any():
        position = int(np.argmax(bad))
        cell = column.iloc[position]
        infinite = np.isinf(values[position])
        kind = "is not a finite number" if infinite else "is too large for float32 training"
        raise DataError(
            f"CSV file {label}, {_row(frame, position)}, column {show(name)}: {show(cell)} {kind}"
        )
    return values


def _split_kind(
    column: Any, name: str, frame: Any, label: str, categorical: bool
) -> tuple[str, np.ndarray]:
    """("numeric", float64) or ("text", objects) for one feature column, or DataError."""
    import pandas as pd

    if categorical:
        return "text", _text_values(column)
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        return "numeric", _numbers(column, name, frame, label)
    present = column.notna().to_numpy()
    # Which distinct values are numbers: to_numeric on every cell of a text column took as long
    # as parsing it, and a text column has few distinct values.
    uniques = pd.Series(column[present].unique(), dtype=object)
    is_number = pd.to_numeric(uniques, errors="coerce").notna().to_numpy()
    if is_number.all():  # numbers read as text in some chunk
        return "numeric", _numbers(pd.to_numeric(column, errors="coerce"), name, frame, label)
    text = present & ~column.isin(uniques[is_number]).to_numpy()
    texts = _text_values(column)
    if not is_number.any():
        if all(_DECIMAL_COMMA.match(v) for v in texts[present][:100]):
            position = int(np.argmax(text))
            raise DataError(
                f"CSV file {label}, {_row(frame, position)}, column {show(name)}:"
                f" {show(texts[position])} is not a number (a decimal comma? write decimals"
                " with a point)"
            )
        return "text", texts
    position = int(np.argmax(text))
    raise DataError(
        f"CSV file {label}: column {show(name)} mixes numbers and text ({_row(frame, position)}"
        f" has {show(texts[position])}); fix the cell, or --categorical {name} to treat its"
        " values as categories"
    )


def _missing_policy(frame: Any, target: str, missing: str, label: str) -> tuple[Any, int]:
    """Apply `missing` to the rows: (rows kept, rows dropped); DataError under "error"."""
    holes = frame.isna()
    target_holes = holes[target].to_numpy()
    if missing == "error" and holes.to_numpy().any():
        row, column = np.argwhere(holes.to_numpy())[0]
        raise DataError(
            f"CSV file {label}, {_row(frame, int(row))}, column {show(frame.columns[column])}"
            " is empty; --missing impute (the default) fills gaps, --missing drop leaves such"
            " rows out"
        )
    if missing == "drop":
        keep = ~holes.to_numpy().any(axis=1)
        return frame[keep], int((~keep).sum())
    if target_holes.any():
        first = int(np.argmax(target_holes))
        raise DataError(
            f"CSV file {label}: the target {show(target)} is empty in {int(target_holes.sum())}"
            f" row(s) (first: {_row(frame, first)}); a target is never imputed:"
            " --missing drop leaves those rows out"
        )
    return frame, 0


def _check_names(names: Sequence[str], wanted: Sequence[str], option: str, label: str) -> None:
    for name in wanted:
        if name not in names:
            raise DataError(
                f"{option} names no column {show(name)} in {label}; columns: {show_columns(names)}"
            )


def check_header(
    path: str, target: str, *, categorical: Sequence[str] = (), ignore: Sequence[str] = ()
) -> None:
    """The cheap part of `read_table`'s checks, from the file's first bytes (no pandas): the
    file is readable text with a header that names `target` and the listed columns.

    The dashboard runs it before its first frame, so a CSV that names no such column fails on
    the terminal instead of after the whole UI was drawn. Parquet files are left to the reader.
    """
    label = show(os.path.basename(path) or path)
    if not _check_file(path) or _is_parquet(path):
        return  # an empty or unsized file (a pipe): read_table says what is wrong with it
    with _open(path) as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"CSV file {label} is empty")
    names, _delimiter, _skipped = _header(head, _encoding(head, label), label)
    if target.strip() not in names:
        raise DataError(
            f"CSV file {label} has no column {show(target.strip())}; columns: {show_columns(names)}"
        )
    _check_names(names, categorical, "--categorical", label)
    _check_names(names, ignore, "--ignore", label)


def read_table(
    path: str,
    target: str,
    *,
    categorical: Sequence[str] = (),
    ignore: Sequence[str] = (),
    missing: str = "impute",
    progress: ProgressCallback | None = None,
) -> Table:
    """Read a CSV (or Parquet) file with a header row; `target` names the column to predict.

    Fields are separated by commas, or by semicolons or tabs when the header has no comma.
    """
    import pandas as pd

    label = show(os.path.basename(path) or path)
    total = _check_file(path)
    if total and _is_parquet(path):
        frame, names = _read_parquet(path, label)
    else:
        frame, names = _read_csv(path, label, total, progress)
    target = target.strip()
    if target not in names:
        raise DataError(
            f"CSV file {label} has no column {show(target)}; columns: {show_columns(names)}"
        )
    _check_names(names, categorical, "--categorical", label)
    _check_names(names, ignore, "--ignore", label)
    if target in ignore:
        raise DataError(f"--ignore names the target {show(target)}")
    frame = frame.drop(columns=list(ignore))
    features = [name for name in frame.columns if name != target]
    if not features:
        raise DataError(f"CSV file {label} has no feature columns besides the target")
    frame = frame[frame.notna().any(axis=1)]  # blank or all-delimiter lines
    if frame.empty:
        raise DataError(f"CSV file {label} has a header but no data rows")
    for name in features:
        if frame[name].isna().all():
            raise DataError(
                f"CSV file {label}: column {show(name)} has no values (all {len(frame)} cells"
                f" are missing); --ignore {name} leaves it out"
            )
    frame, dropped = _missing_policy(frame, target, missing, label)
    numeric: list[np.ndarray] = []
    numeric_names: list[str] = []
    text: list[np.ndarray] = []
    text_names: list[str] = []
    for name in features:
        kind, values = _split_kind(frame[name], name, frame, label, name in categorical)
        if kind == "numeric":
            numeric.append(values)
            numeric_names.append(name)
        else:
            text.append(values)
            text_names.append(name)
    if len(frame) < MIN_ROWS:
        after = f" after {dropped} with missing cells were dropped" if dropped else ""
        raise DataError(
            f"CSV file {label} has {len(frame)} data rows{after}; at least {MIN_ROWS} are needed"
        )
    target_column = frame[target]
    target_numbers = pd.to_numeric(target_column, errors="coerce")
    if target_numbers.notna().all():
        target_values = _numbers(target_numbers, target, frame, label)
    else:
        target_values = _text_values(target_column)
    n_rows = len(frame)
    return Table(
        name=os.path.basename(path),
        numeric=np.column_stack(numeric) if numeric else np.empty((n_rows, 0)),
        numeric_names=tuple(numeric_names),
        text=np.column_stack(text) if text else np.empty((n_rows, 0), dtype=object),
        text_names=tuple(text_names),
        target=target_values,
        target_name=target,
        dropped_rows=dropped,
    )
