"""A fixed-size markup widget that repaints without a layout pass.

`Static.update` asks for a full layout refresh, which makes Textual repaint far more than the
changed text; at 10 Hz that alone wrote ~80 KB/s at 120x40. These widgets keep their size (set in
CSS) and only repaint themselves, and only when the text really changed.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget


class TextLine(Widget):
    """Markup text of a fixed height; `show_markup` repaints only on change."""

    def __init__(
        self, markup: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._markup = markup
        self._content = Content.from_markup(markup)

    @property
    def markup(self) -> str:
        return self._markup

    def show_markup(self, markup: str) -> bool:
        """Set the text; returns whether it changed (and so was repainted)."""
        if markup == self._markup:
            return False
        self._markup = markup
        self._content = Content.from_markup(markup)
        self.refresh()
        return True

    def fits(self, markup: str) -> bool:
        """Whether `markup` fits on one line of this widget (True before its first layout)."""
        width = self.content_size.width
        return width <= 0 or Content.from_markup(markup).cell_length <= width

    def render(self) -> RenderResult:
        return self._content
