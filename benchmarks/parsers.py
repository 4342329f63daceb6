"""CSV readers side by side (issue 14 item 4) on a 100k x 50 table, interleaved round by round.

The table is `_common.table_csv`: 45 numeric columns (scales 1e-2..1e5, 1% empty cells), four
text columns and a `price`. Compared, each reading the whole file into typed columns:

- `csv module`: `csv.reader` and a `float()` per cell (text kept as str): what normtui had;
- `pandas C`: `pd.read_csv(engine="c")`, the ecosystem's convention;
- `normtui read_table`: what normtui runs now: pandas' C parser in chunks (progress between
  them), the text columns found and kept as str, the numbers as float64;
- `pandas pyarrow`: `pd.read_csv(engine="pyarrow")` (multi-threaded; needs pyarrow);
- `parquet`: `pd.read_parquet` of the same table saved as Parquet (what `--dataset x.parquet`
  reads; needs pyarrow).
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved, median, parser, table, table_csv, versions


def _csv_module(path: Path) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        columns: list[list[object]] | None = None
        for row in reader:
            if columns is None:
                columns = [[] for _ in row]
            for column, cell in zip(columns, row, strict=True):
                try:
                    column.append(float(cell) if cell else None)
                except ValueError:
                    column.append(cell)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--features", type=int, default=50)
    args = p.parse_args(argv)
    import pandas as pd

    from normtui.engine.table import read_table

    path = table_csv(args.rows, args.features)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB), {args.repeats} rounds; {versions()}")

    def timed(read):
        def run() -> float:
            started = time.perf_counter()
            read()
            return time.perf_counter() - started

        return run

    variants = {
        "csv module": timed(lambda: _csv_module(path)),
        "pandas C": timed(lambda: pd.read_csv(path, engine="c", na_values=["?"])),
        "normtui read_table": timed(lambda: read_table(str(path), "price")),
    }
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("pyarrow not installed: the pyarrow engine and Parquet are left out")
    else:
        parquet = path.with_suffix(".parquet")
        if not parquet.exists():
            pd.read_csv(path).to_parquet(parquet)
        variants["pandas pyarrow"] = timed(
            lambda: pd.read_csv(path, engine="pyarrow", na_values=["?", ""])
        )
        variants["parquet"] = timed(lambda: pd.read_parquet(parquet))
    results = interleaved(variants, args.repeats)
    base = median(results["csv module"])
    rows = [
        [name, median(times), base / median(times), median(times) / median(results["pandas C"])]
        for name, times in results.items()
    ]
    print(table(["reader", "median s", "x csv module", "/ pandas C"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
