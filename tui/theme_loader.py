"""Colour themes: TOML data files in normtui/themes loaded into Textual `Theme` objects.

`list_themes()` names the bundled ones; `load_theme(name_or_path)` loads one of them or a user's
own file and raises `ThemeError` (a one-line, user-facing message) when it cannot;
`resolve_theme` falls back to the default instead, and `themes_with` is what the app registers.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from normtui.themes import DEFAULT_THEME, THEME_ORDER

THEME_PACKAGE = "normtui.themes"
# Variables every normtui theme defines (the CSS and plots use them); defaults if a file omits one.
# `rule-color` (pane borders and rules) is one too; its default depends on the theme's colours.
RUN_VARIABLES: dict[str, str] = {
    "raw-color": "#ff8a65",
    "normalized-color": "#4fc3f7",
    "train-color": "#7d8590",
    "marker-color": "#e0af68",
}
# Theme variables that must parse as colours: the run colours and the border/rule colour.
_COLOUR_VARIABLES = frozenset({*RUN_VARIABLES, "rule-color"})
_COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_OTHER_KEYS = ("name", "dark", "luminosity_spread", "text_alpha", "variables")


class ThemeError(ValueError):
    """A theme that cannot be used; the message is one line meant for the terminal."""


def list_themes() -> list[str]:
    """Names of the bundled themes in THEME_ORDER (the README's), the default first."""
    names = sorted(
        entry.name[: -len(".toml")]
        for entry in resources.files(THEME_PACKAGE).iterdir()
        if entry.name.endswith(".toml")
    )
    order = [DEFAULT_THEME, *(name for name in THEME_ORDER if name != DEFAULT_THEME)]
    return sorted(names, key=lambda name: order.index(name) if name in order else len(order))


def resolve_theme(name_or_path: str) -> tuple[Theme, str | None]:
    """The theme asked for, or the default one and a line saying why (a broken file)."""
    try:
        return load_theme(name_or_path), None
    except ThemeError as error:
        return load_theme(DEFAULT_THEME), f"{error}; using the {DEFAULT_THEME} theme"


def themes_with(chosen: Theme) -> list[Theme]:
    """Every bundled theme, `chosen` in place of the bundled one of its name (a user's edited
    copy of `dark` wins) or after them, so `t` cycles through all of them."""
    bundled = [load_theme(name) for name in list_themes()]
    names = [theme.name for theme in bundled]
    if chosen.name in names:
        bundled[names.index(chosen.name)] = chosen
    else:
        bundled.append(chosen)
    return bundled


def load_theme(name_or_path: str) -> Theme:
    """A bundled theme by name, or a user's TOML file by path."""
    if name_or_path in list_themes():
        text = resources.files(THEME_PACKAGE).joinpath(f"{name_or_path}.toml").read_text("utf-8")
        return theme_from_toml(text, default_name=name_or_path, origin=f"theme {name_or_path!r}")
    path = Path(name_or_path).expanduser()
    looks_like_path = os.sep in name_or_path or path.suffix == ".toml"
    if not path.is_file():
        if looks_like_path:
            raise ThemeError(f"theme file {name_or_path} not found")
        choices = ", ".join(list_themes())
        raise ThemeError(f"unknown theme {name_or_path!r}; choose from: {choices}, or a .toml path")
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeError(f"theme file {path}: cannot read ({exc})") from None
    return theme_from_toml(text, default_name=path.stem, origin=f"theme file {path}")


def theme_from_toml(text: str, *, default_name: str, origin: str) -> Theme:
    """Parse and validate one theme; `origin` starts every error message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{origin}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(_COLOUR_KEYS) - set(_OTHER_KEYS))
    if unknown:
        raise ThemeError(f"{origin}: unknown key(s) {', '.join(unknown)}")
    if "primary" not in data:
        raise ThemeError(f"{origin}: missing required colour 'primary'")
    colours = {key: _colour(origin, key, data[key]) for key in _COLOUR_KEYS if key in data}
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeError(f"{origin}: [variables] must be a table")
    merged = dict(RUN_VARIABLES)
    for key, value in variables.items():
        if not isinstance(value, str):
            raise ThemeError(f"{origin}: variable {key!r} must be a string")
        merged[key] = _colour(origin, key, value) if key in _COLOUR_VARIABLES else value
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{origin}: 'name' must be a non-empty string")
    extra: dict[str, Any] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            if not isinstance(data[key], (int, float)):
                raise ThemeError(f"{origin}: {key!r} must be a number")
            extra[key] = float(data[key])
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{origin}: 'dark' must be true or false")
    options: dict[str, Any] = {**colours, **extra}  # keys checked above against Theme's fields
    theme = Theme(name=name.strip(), dark=dark, variables=merged, **options)
    if "rule-color" not in variables:
        theme.variables["rule-color"] = default_rule_color(theme)
    return theme


def default_rule_color(theme: Theme) -> str:
    """Pane borders and rules: a step off the panel colour, away from the background.

    `$panel-lighten-2` is ~2:1 against a dark background but pure white on a light one (1.04:1
    on light's #fafafa: invisible); a light theme darkens instead (~2.3:1).
    """
    shades = theme.to_color_system().generate()
    return shades["panel-lighten-2" if theme.dark else "panel-darken-3"]


def _colour(origin: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ThemeError(f'{origin}: {key!r} must be a colour string like "#4fc3f7"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{origin}: {key!r} is not a colour: {value!r}") from None
    return value
