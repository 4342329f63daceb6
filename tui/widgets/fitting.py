"""Text that does not fit leaves out words, never the end of a number.

A fixed-width line cut by the terminal (or by `text-overflow: ellipsis`) ends wherever the
width runs out: `(normalized − raw −2.3 to +5…`. `shorten` instead gives up, in order, the
words before the numbers of a trailing parenthesis (`(−2.3 to +5.3 pts)`), that parenthesis
entirely, then whole words from the end, marking the cut with `…`.
"""

from __future__ import annotations

import re

from textual.content import Content

ELLIPSIS = "…"
_NUMBER = re.compile(r"[−+\-]?\d")


def cells(markup: str) -> int:
    return Content.from_markup(markup).cell_length


def _trailing_group(plain: str) -> tuple[int, int] | None:
    """(start, end) of a parenthesis that closes the text (trailing spaces aside), or None."""
    end = len(plain.rstrip())
    if not end or plain[end - 1] != ")":
        return None
    depth = 0
    for index in range(end - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(plain[index], 0)
        if depth == 0:
            return index, end
    return None


def _without(content: Content, start: int, end: int) -> Content:
    return content[:start] + content[end:]


def _word_cut(content: Content, width: int) -> Content:
    """The longest run of whole words that fits with `…` after it."""
    plain = content.plain
    room = width - len(ELLIPSIS)
    cut = plain.rfind(" ", 0, room + 1) if room > 0 else -1
    if cut <= 0:  # one long word: a cut is unavoidable, and marked
        cut = max(room, 0)
    return content[:cut].rstrip() + Content(ELLIPSIS)


def shorten_content(content: Content, width: int) -> Content:
    """`content` in at most `width` cells, leaving out words as the module says."""
    if content.cell_length <= width:
        return content
    group = _trailing_group(content.plain)
    if group is not None:
        start, end = group
        inner = content.plain[start + 1 : end - 1]
        number = _NUMBER.search(inner)
        if number is not None and number.start() > 0:  # "(normalized − raw −2.3 to +5.3)"
            trimmed = _without(content, start + 1, start + 1 + number.start())
            if trimmed.cell_length <= width:
                return trimmed
        dropped = _without(content, start, end).rstrip()
        if dropped.cell_length <= width:
            return dropped
        content = dropped
    return _word_cut(content, width)


def shorten(markup: str, width: int) -> str:
    """`markup` in at most `width` cells (see `shorten_content`), as markup."""
    content = Content.from_markup(markup)
    if width <= 0 or content.cell_length <= width:
        return markup
    return shorten_content(content, width).markup
