"""Bundled colour themes (TOML files)."""

DEFAULT_THEME = "dark"  # here, not in the loader: the CLI names it without importing textual
