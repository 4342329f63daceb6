"""KeyFooter: Textual's Footer with its keys in the first frame, not a refresh later."""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer, composed with the screen.

    Textual's Footer composes empty and fills in after the screen first signals its bindings,
    one or two refreshes later: a replay drawn whole in its first frame then waited ~60 ms for
    its key line. The app's and screen's bindings are known at mount, so compose them at once;
    the signal still recomposes the footer whenever the bindings change. (`_bindings_ready` is
    Textual's flag for this; were it renamed, the footer would just fill in a refresh later.)
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._bindings_ready = True
