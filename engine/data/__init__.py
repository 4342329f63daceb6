"""Datasets for the paired runs: offline presets or a user CSV, split once and scaled once.

Imports no torch and no textual, and scikit-learn (~1 s) only inside the functions that use it:
the CLI and tests can load and check data cheaply, and a process whose data is prepared elsewhere
(see `prefetch`) never loads it. Every problem a user can cause surfaces as a one-line
`DataError` (engine/table.py), never a traceback. Where each job lives:

- `dataset`: `Dataset` (loaded, not yet split) and `PreparedData` (split, raw and scaled).
- `presets`: the built-in datasets and their summaries (`normtui datasets`).
- `load`: the session's dataset, a preset or a user table (CSV/Parquet via engine/table.py).
- `target`: a user table's target decides the task (classes or regression) and is scaled.
- `split`: the seeded (stratified) split and the scalers, fitted on the training rows only.
- `prepare`: imputation and one-hot encoding, then the split and scaled arrays of each member.
"""
