"""Which layer stats each run's histogram pane shows: both panes on one epoch.

Both runs are sampled at the same epochs (engine/trainer.py), but their events arrive one after
the other, and a redraw between the two showed the raw pane one sample ahead (802 vs 799 after a
step). Each run keeps its last few samples; while both runs train, both panes show the latest
epoch that both have. Once a run has stopped (diverged, failed, finished) each pane shows its
run's last sample (both runs' last epoch is sampled when they finish together).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from normtui.engine.events import RUN_NAMES, LayerStats

if TYPE_CHECKING:
    from normtui.tui.viewstate.state import RunView

SAMPLES_KEPT = 8  # per run: enough to find the epoch both runs have


@dataclass(frozen=True)
class LayerSample:
    """One run's per-layer stats (and histograms) at one epoch, under one activation."""

    epoch: int
    activation: str
    layers: tuple[LayerStats, ...]


def paired_samples(runs: Mapping[str, RunView]) -> dict[str, LayerSample | None]:
    """The sample each run's pane shows: the same epoch for both while both train."""
    latest = {name: (runs[name].samples[-1] if runs[name].samples else None) for name in RUN_NAMES}
    raw, norm = (runs[name] for name in RUN_NAMES)
    if None in latest.values() or not (raw.active and norm.active):
        return latest  # a run that stopped shows its last sample, the other its latest
    epochs = {sample.epoch for sample in raw.samples} & {sample.epoch for sample in norm.samples}
    if not epochs:
        return latest
    common = max(epochs)
    return {
        name: next(s for s in reversed(runs[name].samples) if s.epoch == common)
        for name in RUN_NAMES
    }


def sampling_note(view: RunView) -> str:
    """How often this run's layers are sampled, as its last samples show it (not as configured:
    a paced dashboard samples every epoch, a log may keep one a second): "every epoch", "every
    ~30 epochs", or "" before two samples (issue 25: the title said "every 0.1 s" while 91% of
    epochs were sampled)."""
    samples = view.samples
    if len(samples) < 2 or samples[-1].epoch <= samples[-2].epoch:
        return ""  # one sample, or a restart in between: nothing to measure yet
    gap = samples[-1].epoch - samples[-2].epoch
    if gap == 1:
        return "every epoch"
    rounded = int(float(f"{gap:.1g}")) if gap >= 10 else gap
    return f"every {'~' if rounded != gap else ''}{rounded} epochs"
