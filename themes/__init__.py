"""Bundled colour themes (TOML files)."""
