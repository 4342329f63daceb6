"""`normtui sweep`: a grid of controlled comparisons, one cell per (dataset, activation, scaler).

A cell is the pair `normtui train` would train with the same options: raw vs that scaler, every
seed. The scaler `none` is the raw baseline: it trains nothing of its own, its cell is the raw run
of its row. Where each job lives:

- `plan`: the grid (`SweepPlan`, `Cell`), parsed and validated from the CLI's options.
- `results`: what a cell gives (`CellResult`): each scaler's pair of events folded by the engine's
  own `Summarizer` (the fold `normtui train` uses), then compared over seeds by
  `engine/statistics.py`'s `compare_metrics` (mean difference, 95% interval, winner, verdict).
  With a learning-rate grid (`--lrs`) also by engine/grid_fold.py's `GridFold`: each run's chosen
  rate and working band, and the tuned verdict on the held-out test rows.
- `rows`: the unit of work, a row (one dataset and activation), and `RowRunner`, which runs rows
  in one process with their data prepared ahead.
- `row`: a row trained as one batched model (torch): the raw run once, every scaler beside it
  (with a grid, each run's seeds × rates, seed-major).
- `run`: where rows run (this process, worker processes, a Dask cluster), the results file that
  keeps each cell as it finishes, resume, and the progress line.

No torch at import time (except `row`, imported when a row trains) and no textual ever: the CLI
validates a grid before anything heavy.
"""
