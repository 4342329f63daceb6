"""What a sweep cell shows for each metric, and the headless reports (text, markdown, CSV, JSON).

Shared by the live sweep screen and the headless output, so both say the same thing. A cell is
called better or worse only where its comparison names a winner (the 95% interval excludes
zero, see engine/statistics.py); dead/saturated shares carry no per-seed pairing, so they are
called only when every seed of one run is below every seed of the other.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from normtui.engine.events import RUN_NAMES
from normtui.engine.numbers import epoch, interval
from normtui.engine.sweep.plan import BASELINE, Cell, SweepPlan
from normtui.engine.sweep.results import CellResult, share_kind

RAW, NORMALIZED = RUN_NAMES

METRICS: tuple[str, ...] = ("accuracy", "speed", "loss", "share")
METRIC_TITLES: dict[str, str] = {
    "accuracy": "val accuracy: normalized − raw (pts)",
    "speed": "epochs to the goal: speed-up of normalized (raw ÷ normalized)",
    "loss": "val loss: normalized − raw",
    "share": "dead / saturated units: normalized − raw (pts)",
}


def metric_title(metric: str, tasks: Iterable[str] = ()) -> str:
    """The metric's title; the score says R² where the datasets are regression (both where a
    grid mixes tasks: its cells say which in their own units)."""
    kinds = set(tasks)
    if metric != "accuracy" or "regression" not in kinds:
        return METRIC_TITLES[metric]
    if kinds == {"regression"}:
        return "val R²: normalized − raw"
    return "val accuracy (pts) or R² (regression): normalized − raw"


BETTER, WORSE, UNCLEAR, BASE, PENDING, FAILED, NOT_APPLICABLE = (
    "better",
    "worse",
    "unclear",
    "baseline",
    "pending",
    "error",
    "n/a",
)
MARKS = {BETTER: "▲", WORSE: "▼"}  # readable without colour (NO_COLOR)


@dataclass(frozen=True)
class CellView:
    text: str  # a few characters: fits a matrix cell at 80 columns
    tone: str  # better / worse / unclear / baseline / pending / error / n/a
    interval: str = ""  # the 95% interval, when there is one
    detail: str = ""  # one sentence: the verdict

    @property
    def marked(self) -> str:
        return self.text + MARKS.get(self.tone, "")


def _signed(value: float, digits: int = 0) -> str:
    if value == 0:
        return "0"
    return f"{'+' if value > 0 else '−'}{abs(value):.{digits}f}"


def _digits(value: float) -> int:
    magnitude = abs(value)
    return 0 if magnitude >= 10 else 1 if magnitude >= 1 else 2 if magnitude >= 0.1 else 3


def _tone(winner: str | None) -> str:
    return BETTER if winner == NORMALIZED else WORSE if winner == RAW else UNCLEAR


def _interval(ci: tuple[float, float] | None, scale: float) -> str:
    if ci is None:
        return ""
    low, high, _ = interval(ci[0] * scale, ci[1] * scale)  # by its width: engine/numbers.py
    return f"{low} to {high}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def cell_view(result: CellResult | None, metric: str) -> CellView:
    """The matrix entry of one cell for one metric."""
    if result is None:
        return CellView("·", PENDING)
    if result.error is not None:
        return CellView("error", FAILED, detail=result.error)
    seeds = len(result.seeds)
    if result.normalized is None:
        return _baseline_view(result, metric, seeds)
    regression = result.task == "regression"
    if metric == "accuracy":
        comparison = result.comparisons.get(result.score_metric)
        if comparison is None or comparison.mean_difference is None:
            return CellView("—", UNCLEAR, detail=comparison.verdict if comparison else "")
        scale = 1.0 if regression else 100.0
        shown = comparison.mean_difference * scale
        return CellView(
            _signed(shown, _digits(shown) if regression else 0 if abs(shown) >= 1 else 1),
            _tone(comparison.winner),
            _interval(comparison.ci95, scale),
            comparison.verdict,
        )
    if metric == "loss":
        comparison = result.comparisons.get("val_loss")
        if comparison is None or comparison.mean_difference is None:
            return CellView("—", UNCLEAR, detail=comparison.verdict if comparison else "")
        shown = comparison.mean_difference
        return CellView(
            _signed(shown, _digits(shown)),
            _tone(comparison.winner),
            _interval(comparison.ci95, 1.0),
            comparison.verdict,
        )
    if metric == "speed":
        return _speed_view(result, seeds)
    return _share_view(result, seeds)


def _goal_text(result: CellResult) -> str:
    return "the goal R²" if result.task == "regression" else "the goal accuracy"


def _speed_view(result: CellResult, seeds: int) -> CellView:
    norm = result.normalized
    assert norm is not None
    comparison = result.comparisons.get("epochs_to_goal")
    raw_median, norm_median = result.raw.median_epochs_all, norm.median_epochs_all
    reached = (
        f"reached {_goal_text(result)} in raw {result.raw.reached}/{seeds} seeds"
        f" (median {_epochs(raw_median)}), normalized {norm.reached}/{seeds}"
        f" (median {_epochs(norm_median)}) within {result.epochs} epochs"
    )
    detail = f"{reached}; {comparison.verdict}" if comparison else reached
    tone = _tone(comparison.winner if comparison else None)
    interval = _interval(comparison.ci95, 1.0) + " ep" if comparison and comparison.ci95 else ""
    if result.speedup is not None:
        return CellView(f"{result.speedup:.1f}×", tone, interval, detail)
    if math.isfinite(norm_median):  # raw's median needs more than every epoch trained
        return CellView(f">{result.epochs / norm_median:.1f}×", UNCLEAR, interval, detail)
    if math.isfinite(raw_median):
        return CellView(f"<{raw_median / result.epochs:.1f}×", UNCLEAR, interval, detail)
    return CellView("never", UNCLEAR, interval, detail)


def _epochs(value: float | None) -> str:
    return "never" if value is None or not math.isfinite(value) else epoch(value)


def _share_view(result: CellResult, seeds: int) -> CellView:
    norm = result.normalized
    assert norm is not None
    kind = share_kind(result.cell.activation)
    if kind is None or result.raw.share is None or norm.share is None:
        return CellView(
            "n/a", NOT_APPLICABLE, detail=f"{result.cell.activation}: no dead/saturated measure"
        )
    difference = (norm.share - result.raw.share) * 100
    winner = result.share_winner
    tone = BETTER if winner == NORMALIZED else WORSE if winner == RAW else UNCLEAR
    raw_range, norm_range = result.raw.share_range, norm.share_range
    detail = (
        f"{kind} units: raw {_percent(result.raw.share)}"
        f" ({_range(raw_range)}), normalized {_percent(norm.share)} ({_range(norm_range)})"
        f" over {seeds} seed(s); "
        + (
            f"{winner} lower in every seed"
            if winner
            else "ranges overlap: cannot tell"
            if seeds > 1
            else "one seed: cannot tell an effect from noise"
        )
    )
    return CellView(_signed(difference, 0 if abs(difference) >= 1 else 1), tone, "", detail)


def _range(span: tuple[float, float] | None) -> str:
    return "—" if span is None else f"{_percent(span[0])}–{_percent(span[1])}"


def _baseline_view(result: CellResult, metric: str, seeds: int) -> CellView:
    raw = result.raw
    what = f"raw baseline, mean of {seeds} seed(s)"
    if metric == "accuracy":
        score = raw.mean(raw.val_score)
        if result.task == "regression":
            text = "—" if score is None else f"{score:.2f}"
            return CellView(text, BASE, detail=f"{what}: val R² {text}")
        return CellView(_percent(score), BASE, detail=f"{what}: val accuracy {_percent(score)}")
    if metric == "loss":
        loss = raw.mean(raw.val_loss)
        text = "—" if loss is None else f"{loss:.{_digits(loss) + 1}f}"
        return CellView(text, BASE, detail=f"{what}: val loss {text}")
    if metric == "speed":
        median = raw.median_epochs_all
        text = "never" if not math.isfinite(median) else f"{median:g}ep"
        return CellView(
            text,
            BASE,
            detail=f"{what}: median epochs to {_goal_text(result)} {_epochs(median)}"
            f" ({raw.reached}/{seeds} seeds reached it in {result.epochs})",
        )
    kind = share_kind(result.cell.activation)
    if kind is None or raw.share is None:
        return CellView("n/a", NOT_APPLICABLE, detail=f"{result.cell.activation}: no measure")
    return CellView(
        _percent(raw.share),
        BASE,
        detail=f"{what}: {kind} {_percent(raw.share)} ({_range(raw.share_range)})",
    )


# -- headless reports --------------------------------------------------------------------------


def dataset_title(dataset: str) -> str:
    return os.path.basename(dataset)


def text_report(
    plan: SweepPlan, results: Mapping[str, CellResult], metric: str, *, markdown: bool = False
) -> str:
    """Per dataset a matrix activations × scalers of one metric, with intervals and ▲/▼."""
    lines: list[str] = []
    for dataset in plan.datasets:
        tasks = [r.task for r in results.values() if r.cell.dataset == dataset and not r.error]
        title = (
            f"{dataset_title(dataset)}: {metric_title(metric, tasks)},"
            f" {plan.seeds} seed(s), {plan.epochs} epochs"
        )
        rows = []
        for activation in plan.activations:
            row = [activation]
            for scaler in plan.scalers:
                view = cell_view(results.get(Cell(dataset, activation, scaler).key), metric)
                text = view.marked + (f" ({view.interval})" if view.interval else "")
                row.append(f"**{text}**" if markdown and view.tone in MARKS else text)
            rows.append(row)
        header = ["", *(f"{s} (raw)" if s == BASELINE else s for s in plan.scalers)]
        if markdown:
            lines += [f"### {title}", "", "| " + " | ".join(header) + " |"]
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(row) + " |" for row in rows]
        else:
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
            lines.append(title)
            for row in [header, *rows]:
                lines.append(
                    "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                )
        lines.append("")
    lines.append(
        "▲ normalized better, ▼ worse: only where the 95% interval of the per-seed paired"
        " differences excludes zero (dead/saturated: where the seeds' ranges do not overlap)."
    )
    return "\n".join(lines) + "\n"


CSV_FIELDS = (
    "dataset",
    "activation",
    "scaler",
    "seeds",
    "epochs",
    "raw_val_score",
    "normalized_val_score",
    "score_difference",
    "score_ci_low",
    "score_ci_high",
    "score_winner",
    "raw_val_loss",
    "normalized_val_loss",
    "loss_difference",
    "loss_ci_low",
    "loss_ci_high",
    "loss_winner",
    "raw_epochs_to_goal",
    "normalized_epochs_to_goal",
    "speedup",
    "epochs_winner",
    "share_kind",
    "raw_share",
    "normalized_share",
    "share_winner",
    "seconds",
    "error",
    "verdict",
)


def _csv_row(result: CellResult) -> dict[str, Any]:
    row: dict[str, Any] = {
        **result.cell.to_dict(),
        "seeds": len(result.seeds),
        "epochs": result.epochs,
        "raw_val_score": result.raw.mean(result.raw.val_score),
        "raw_val_loss": result.raw.mean(result.raw.val_loss),
        "raw_epochs_to_goal": result.raw.median_epochs_to_goal,
        "share_kind": share_kind(result.cell.activation),
        "raw_share": result.raw.share,
        "seconds": round(result.seconds, 3),
        "error": result.error,
    }
    norm = result.normalized
    if norm is not None:
        row["normalized_val_score"] = norm.mean(norm.val_score)
        row["normalized_val_loss"] = norm.mean(norm.val_loss)
        row["normalized_epochs_to_goal"] = norm.median_epochs_to_goal
        row["normalized_share"] = norm.share
        row["speedup"] = result.speedup
        row["share_winner"] = result.share_winner
        for prefix, name in (("score", result.score_metric), ("loss", "val_loss")):
            comparison = result.comparisons.get(name)
            if comparison is not None:
                row[f"{prefix}_difference"] = comparison.mean_difference
                if comparison.ci95:
                    row[f"{prefix}_ci_low"], row[f"{prefix}_ci_high"] = comparison.ci95
                row[f"{prefix}_winner"] = comparison.winner
        epochs = result.comparisons.get("epochs_to_goal")
        row["epochs_winner"] = epochs.winner if epochs else None
        score = result.comparisons.get(result.score_metric)
        row["verdict"] = score.verdict if score else None
    return {key: ("" if value is None else value) for key, value in row.items()}


def ordered(plan: SweepPlan, results: Mapping[str, CellResult]) -> list[CellResult]:
    return [results[c.key] for c in plan.cells() if c.key in results]


def csv_report(plan: SweepPlan, results: Mapping[str, CellResult]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for result in ordered(plan, results):
        writer.writerow(_csv_row(result))
    return out.getvalue()


def json_report(
    plan: SweepPlan, results: Mapping[str, CellResult], *, path: str | None, ended: str
) -> str:
    cells = [result.to_dict() for result in ordered(plan, results)]
    report = {
        "plan": plan.to_dict(),
        "results_file": path,
        "cells": cells,
        "cells_total": len(plan.cells()),
        "ended": ended,
    }
    return json.dumps(report, allow_nan=False) + "\n"


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
