"""What the classes are, so a score can be read: the labels with their counts, the accuracy of
always predicting the largest class, and labels that differ only in case or surrounding spaces
(`Yes`, `yes `: one answer written two ways, which silently becomes two classes).

No torch, no textual: the session-start event carries these and every surface reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_LISTED = 6  # classes named one by one in a line; the rest are counted


def class_counts(codes: np.ndarray, n_classes: int) -> tuple[int, ...]:
    """Rows per class code 0..n_classes-1."""
    return tuple(int(count) for count in np.bincount(codes, minlength=n_classes)[:n_classes])


def majority_baseline(splits: Sequence[tuple[np.ndarray, np.ndarray]], n_classes: int) -> float:
    """Validation accuracy of always predicting the training split's largest class, averaged
    over the (train codes, val codes) splits: the score a model that learned nothing gets."""
    shares = []
    for train, val in splits:
        largest = int(np.argmax(np.bincount(train, minlength=n_classes)))
        shares.append(float(np.mean(val == largest)) if len(val) else 0.0)
    return float(np.mean(shares))


def case_clashes(names: Sequence[str]) -> list[tuple[str, ...]]:
    """Groups of labels equal but for letter case or surrounding spaces, in label order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.strip().casefold(), []).append(name)
    return [tuple(group) for group in groups.values() if len(group) > 1]


def _label(name: str) -> str:
    return repr(name) if name != name.strip() or not name else name


def clash_warning(names: Sequence[str]) -> str | None:
    """One line when labels differ only in case or surrounding spaces; None otherwise."""
    clashes = case_clashes(names)
    if not clashes:
        return None
    shown = ", ".join("/".join(_label(name) for name in group) for group in clashes[:3])
    more = f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
    merged = len({name.strip().casefold() for name in names})
    return (
        f"warning: {len(names)} classes, not {merged}: labels differ only in case or spaces"
        f" ({shown}{more})"
    )


def classes_line(names: Sequence[str], counts: Sequence[int], *, limit: int = MAX_LISTED) -> str:
    """`3 classes: class_0 (59) · class_1 (71) · class_2 (48)` (largest first past `limit`)."""
    pairs = list(zip(names, counts, strict=True))
    if len(pairs) > limit:
        pairs = sorted(pairs, key=lambda pair: -pair[1])[:limit]
        rest = f" · +{len(names) - limit} more"
    else:
        rest = ""
    listed = " · ".join(f"{_label(name)} ({count:,})" for name, count in pairs)
    return f"{len(names)} classes: {listed}{rest}"


def baseline_line(baseline: float) -> str:
    """The baseline in words, as the table and the dashboard say it."""
    return f"always predicting the largest class: {baseline:.0%}"
