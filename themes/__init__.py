"""Bundled colour themes (TOML files)."""

DEFAULT_THEME = "dark"  # here, not in the loader: the CLI names it without importing textual
# The order `t` cycles through, `normtui themes` lists and the README states: the default, its
# light twin, then the two accessibility themes. A bundled file not named here comes after them.
THEME_ORDER = ("dark", "light", "high-contrast", "colour-blind-safe")
