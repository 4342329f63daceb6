"""KeyFooter: Textual's Footer with its keys in the first frame, room for `q` when narrow,
`space Resume` while paused, and `r Train again` instead of pause and step once training is over."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Left out of a narrow footer (the `?` help lists every key): at 70-79 columns the live key line
# was ~81 characters, and what it cut off was "? Help" and "q Quit".
HIDDEN_WHEN_NARROW = frozenset({"overlay", "export"})


class KeyFooter(Footer):
    """Textual's Footer, composed with the screen, and shorter when `narrow`.

    Textual's Footer composes empty and fills in after the screen first signals its bindings,
    one or two refreshes later: a replay drawn whole in its first frame then waited ~60 ms for
    its key line. The app's and screen's bindings are known at mount, so compose them at once;
    the signal still recomposes the footer whenever the bindings change. (`_bindings_ready` is
    Textual's flag for this; were it renamed, the footer would just fill in a refresh later.)
    """

    narrow: reactive[bool] = reactive(False, recompose=True)
    paused: reactive[bool] = reactive(False, recompose=True)  # space says what it will do
    # Every run of a live session has stopped: "restart" (it waits for `r`), "ended" (gone);
    # or a replay has played out ("replay": space plays it again). Pause and step have nothing
    # left to act on, so the footer stops offering them.
    over: reactive[str] = reactive("", recompose=True)

    def __init__(self, *, show_command_palette: bool = True) -> None:
        super().__init__(show_command_palette=show_command_palette)
        self._bindings_ready = True

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            action = getattr(widget, "action", None)
            if self.narrow and action in HIDDEN_WHEN_NARROW:
                continue
            if self.over == "replay" and action == "toggle_pause" and isinstance(widget, FooterKey):
                widget.description = "Play again"
                yield widget
                continue
            if self.over and action in ("toggle_pause", "step"):
                if self.over == "restart" and action == "toggle_pause":
                    yield FooterKey("r", "r", "Train again", "restart").data_bind(
                        compact=Footer.compact
                    )
                continue
            if self.paused and action == "toggle_pause" and isinstance(widget, FooterKey):
                widget.description = "Resume"  # FooterKey's label
            yield widget
