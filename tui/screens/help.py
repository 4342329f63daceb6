"""The help screen: every key generated from the app's bindings, plus how to read the panes."""

from __future__ import annotations

import textwrap
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from normtui.engine.config import SATURATION_DERIVATIVE
from normtui.engine.divergence import RUNAWAY_MULTIPLE
from normtui.engine.statistics import INTERVAL_METHOD
from normtui.tui.viewstate.members import BAND_HELP
from normtui.tui.widgets.loss_plot import BAND_GLYPH

READING_GUIDE = f"""\
[b]Reading the panes[/b]
• Left: the run on [$raw-color]raw inputs[/]; right: the same network on [$normalized-color]\
scaled inputs[/]. Same seed, same initial weights, same batches.
• Loss: [$raw-color]━[/] [$normalized-color]━[/] validation, [$train-color]━[/] training;\
 [$marker-color]│[/] marks an activation switch (or a divergence). [b]l[/b] toggles the log\
 axis. Both plots share one y-axis, so equal heights are equal losses; [b]y[/b] gives each its\
 own, and each then says [$warning]own y-axis[/]. A run [b]diverged[/b] when its loss is not a\
 number or exceeds {RUNAWAY_MULTIPLE:,.0f}× the trivial predictor's (ln C; var(y) for\
 regression), one bar for both runs; it stops there.
• Histograms: both runs on the same bins (an asinh axis), log counts. [b]dead[/b] = share of\
 units never positive on any training row (ReLU only; leaky/PReLU/ELU/SELU still pass a\
 gradient), [b]=0[/b] = outputs exactly zero, [b]sat[/b] = share of tanh/sigmoid units whose\
 derivative is under {SATURATION_DERIVATIVE:.0%} of its largest on every training row (per unit,\
 as dead); the dim cell is the zero bin.
• Under the histograms, the why: the inputs' spread of std, how far the first layer's\
 pre-activations reach and what that does to its units; while a layer is dead or saturated,\
 its gradient (vanishing: under a tenth of the other run's) and how far its weights move.
• Inputs: each feature's standard deviation before → after the scaler; the classes and their\
 rows. [b]│[/b] on a val gauge: the accuracy of always predicting the largest class.
• Seeds ([b]--seeds N[/b]): each run is N members: --seed and seeds drawn from it (another\
 --seed shares none); member k of raw and of normalized share weights, split and batches.\
 Loss lines are the members' medians; {BAND_HELP}, [b]{BAND_GLYPH}[/b] shaded ([b]m[/b]: each\
 seed's own line). Gauges: the mean; [b]█[/b] up to the lowest member, [b]▓[/b] to the mean,\
 [b]░[/b] to the highest; [b]best mean[/b]: the peak of the mean while every member was live, as\
 [b]train[/b]'s table. dead/sat: the member mean (min–max). A diverged member is marked and\
 left out of medians and bands (in a verdict it loses its pair); [b]†[/b]: every member\
 diverged, the values are theirs at divergence.
• Comparison: per-seed paired differences with the {INTERVAL_METHOD}. [b]ahead[/b]: the 95%\
 interval lies beyond ±δ (one validation row, at least 1 point; ×1.1 for val loss; R² clipped\
 at 0); [b]equivalent[/b]: the 90% interval inside ±δ (TOST); else [b]inconclusive[/b]. A pair\
 decided by a divergence, or a goal some seed never reached, is an exact sign test (6+ seeds to\
 reach p < 0.05). The goal reads as this split needs it (35/36 = 97.2%). One seed cannot tell\
 an effect from noise: no winner, the difference shown.
• Learning-rate grid ([b]--lrs auto[/b]): each run trains every rate for every seed; the rate\
 it shows (panes, gauges, histograms: [b]@1e-2[/b]) is its best mean val score at this epoch.\
 [b]g[/b]: the rates view, on by default: mean val score per rate of the live seeds, both runs\
 on one y-axis and a log x-axis ([b]●[/b] raw, [b]◆[/b] normalized, [b]│[/b] the seeds'\
 lowest–highest), under it per run [b]─[/b] the rates that work, [b]▲[/b] the chosen one,\
 [b]†n[/b] seeds diverged at a rate. The rates were chosen on the val rows, so the verdicts\
 (its first line, the comparison) are on the held-out test rows. [b]+[/b]/[b]-[/b] shift the\
 whole grid; every key acts on all its rates at once."""


NARROW_BELOW = 90  # screen columns: below this the key columns are stacked


def key_column(rows: list[tuple[str, str]], key_width: int, width: int = 0) -> Content:
    """One column of `keys  description` lines; keys are substituted, so `[` stays literal.

    Given a `width`, a long description wraps under itself (a hanging indent): left to the
    widget, its second line started under the keys and read as a key ("pane", "its own")."""
    indent = " " * (key_width + 2)
    text_width = width - len(indent) if width > len(indent) + 10 else 0
    lines = []
    for key, text in rows:
        parts = textwrap.wrap(text, text_width) if text_width else [text]
        lines.append(
            Content.from_markup(
                "[b $accent]$key[/]  $description",
                key=key.rjust(key_width),
                description=f"\n{indent}".join(parts),
            )
        )
    return Content("\n").join(lines)


class KeyColumn(Widget):
    """A column of keys that wraps each description under itself at the column's width."""

    def __init__(self, rows: list[tuple[str, str]], key_width: int) -> None:
        super().__init__(classes="help-column")
        self._rows = rows
        self._key_width = key_width

    def render(self) -> Content:
        return key_column(self._rows, self._key_width, self.size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(key_column(self._rows, self._key_width, width).split("\n"))


class HelpScreen(ModalScreen[None]):
    """Keys and a short guide; closes with Esc, ?, F1 or q."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "close", "Close help", id="close-help"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "normtui · keys"
            body.border_subtitle = "Esc / ? / F1 closes"
            width = max((len(key) for key, _ in self._keys), default=4)
            half = (len(self._keys) + 1) // 2
            with Horizontal(id="help-keys"):
                yield KeyColumn(self._keys[:half], width)
                yield KeyColumn(self._keys[half:], width)
            yield Static(READING_GUIDE, id="help-guide")

    def on_resize(self, event: events.Resize) -> None:
        """Below ~90 columns two key columns wrap into each other: stack them instead."""
        self.query_one("#help-keys").set_class(event.size.width < NARROW_BELOW, "-narrow")

    def action_close(self) -> None:
        self.dismiss(None)
