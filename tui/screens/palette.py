"""Command-palette entries (Ctrl+P): every activation, plus the view toggles, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from normtui.engine.config import ACTIVATIONS

COMMANDS: tuple[tuple[str, str, str], ...] = (
    *(
        (f"activation: {name}", f"set_activation('{name}')", f"switch both runs to {name}")
        for name in ACTIVATIONS
    ),
    ("pause / resume", "toggle_pause", "pause or resume training"),
    ("restart both runs", "restart", "from the same initial weights"),
    ("overlay view", "overlay", "both runs' validation loss in one plot"),
    ("log scale", "log_scale", "toggle log scale on loss plots"),
    ("export", "export", "SVG screenshot and CSV of the metrics"),
)


class DashboardCommands(Provider):
    """Runs the dashboard screen's actions by name (`screen`: the one the palette opened on)."""

    async def discover(self) -> Hits:
        for title, action, help_text in COMMANDS:
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.screen.run_action, action),
                    help=help_text,
                )
