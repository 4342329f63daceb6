"""What a sweep cell shows for each metric, and the headless reports (text, markdown, CSV, JSON).

Shared by the live sweep screen and the headless output, so both say the same thing. A cell is
called better or worse only where its comparison names a winner after the matrix's verdicts are
controlled together (`controlled`: Benjamini–Hochberg over every compared cell of one metric,
engine/statistics.py), and equivalent (=) where its interval lies inside ±δ; dead/saturated
shares carry no per-seed pairing, so they are called only when every seed of one run is below
every seed of the other.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from normtui.engine.events import RUN_NAMES
from normtui.engine.grid import CHOICE_RULE, Band, band_text, rate_text
from normtui.engine.numbers import epoch
from normtui.engine.statistics import CONTROL_METHOD, EQUIVALENT, control, ratio_text
from normtui.engine.sweep.plan import BASELINE, Cell, SweepPlan
from normtui.engine.sweep.results import CellResult, RateGrid, share_kind

RAW, NORMALIZED = RUN_NAMES

# "rates": a learning-rate grid's working band per run (sweep --lrs only, `metrics_for`)
METRICS: tuple[str, ...] = ("accuracy", "speed", "loss", "share", "rates")
METRIC_TITLES: dict[str, str] = {
    "accuracy": "val accuracy: normalized − raw (pts)",
    "speed": "epochs to the goal: speed-up of normalized (raw ÷ normalized)",
    "loss": "val loss: normalized ÷ raw",
    "share": "dead / saturated units: normalized − raw (pts)",
    "rates": "rates that work: raw → normalized",
}
# A grid's verdicts are on the held-out test rows, each run at its own chosen rate.
TUNED_TITLES: dict[str, str] = {
    "accuracy": "test accuracy at chosen rates: normalized − raw (pts)",
    "speed": "epochs to the goal (test rows, chosen rates): speed-up of normalized",
    "loss": "test loss at chosen rates: normalized ÷ raw",
}


def metrics_for(plan: SweepPlan) -> tuple[str, ...]:
    """The metrics a sweep can show: the working band only where it trained a grid."""
    return METRICS if plan.lrs else tuple(m for m in METRICS if m != "rates")


def metric_title(metric: str, tasks: Iterable[str] = (), *, rows: str = "val") -> str:
    """The metric's title; the score says R² where the datasets are regression (both where a
    grid mixes tasks: its cells say which in their own units); `rows` "test": a grid's tuned
    verdicts."""
    kinds = set(tasks)
    titles = {**METRIC_TITLES, **TUNED_TITLES} if rows == "test" else METRIC_TITLES
    if metric != "accuracy" or "regression" not in kinds:
        return titles[metric]
    if kinds == {"regression"}:
        return f"{rows} R²: normalized − raw" + (" at chosen rates" if rows == "test" else "")
    return f"{rows} accuracy (pts) or R² (regression): normalized − raw"


BETTER, WORSE, SAME, UNCLEAR, BASE, PENDING, FAILED, NOT_APPLICABLE, MEASURED = (
    "better",
    "worse",
    "equivalent",
    "unclear",
    "baseline",
    "pending",
    "error",
    "n/a",
    "measured",  # a number with no verdict (a grid's working band: no test compares bands)
)
MARKS = {BETTER: "▲", WORSE: "▼", SAME: "="}  # readable without colour (NO_COLOR)


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
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:  # never "−0" or "+0.0": a value that rounds to zero is 0
        return "0"
    return f"{'+' if value > 0 else '−'}{text}"


def _digits(value: float) -> int:
    magnitude = abs(value)
    return 0 if magnitude >= 10 else 1 if magnitude >= 1 else 2 if magnitude >= 0.1 else 3


def _tone(winner: str | None, answer: str | None = None) -> str:
    if answer == EQUIVALENT:
        return SAME
    return BETTER if winner == NORMALIZED else WORSE if winner == RAW else UNCLEAR


def _interval(ci: tuple[float, float] | None, scale: float) -> str:
    """'−20 to −0.4': each end with enough digits that neither reads as a signed zero."""
    if ci is None:
        return ""
    low, high = ci[0] * scale, ci[1] * scale
    digits = _digits(max(abs(low), abs(high))) if (low or high) else 0
    return f"{_signed(low, _enough(low, digits))} to {_signed(high, _enough(high, digits))}"


def _enough(value: float, digits: int) -> int:
    """`digits`, or the few more a small non-zero end needs to keep its sign (−0.04, not −0)."""
    if value and float(f"{abs(value):.{digits}f}") == 0:
        return _digits(value)
    return digits


def _ratios(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"{ratio_text(ci[0])} to {ratio_text(ci[1])}"


def controlled(results: Mapping[str, CellResult]) -> dict[str, CellResult]:
    """The results with each metric's verdicts re-decided together over the matrix
    (statistics.control: Benjamini–Hochberg): a matrix of 60 cells would otherwise mark about
    three by chance at 95% each."""
    shown = dict(results)
    compared = [r for r in results.values() if r.error is None and r.normalized is not None]
    metrics = {name for r in compared for name in r.comparisons}
    for name in sorted(metrics):
        family = [r for r in compared if name in r.comparisons]
        for result, comparison in zip(
            family, control([r.comparisons[name] for r in family]), strict=True
        ):
            current = shown[result.cell.key]
            comparisons = {**current.comparisons, name: comparison}
            shown[result.cell.key] = dataclasses.replace(current, comparisons=comparisons)
    return shown


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def cell_view(result: CellResult | None, metric: str) -> CellView:
    """The matrix entry of one cell for one metric."""
    if result is None:
        return CellView("·", PENDING)
    if result.error is not None:
        return CellView("error", FAILED, detail=result.error)
    view = _cell_view(result, metric)
    if result.lr_grid and metric != "rates":  # the chosen rates beside every verdict
        view = dataclasses.replace(view, detail=f"{view.detail}; {chosen_text(result)}")
    return view


def _cell_view(result: CellResult, metric: str) -> CellView:
    seeds = len(result.seeds)
    if metric == "rates":
        return _rates_view(result)
    if result.normalized is None:
        return _baseline_view(result, metric, seeds)
    regression = result.task == "regression"
    if metric == "accuracy":
        comparison = result.comparisons.get(result.score_metric)
        if comparison is None:
            return CellView("—", UNCLEAR)
        tone = _tone(comparison.winner, comparison.answer)
        if comparison.mean_difference is None:  # decided by divergences alone, or nothing
            return CellView("—", tone, detail=comparison.verdict)
        scale = 1.0 if regression else 100.0
        shown = comparison.mean_difference * scale
        return CellView(
            _signed(shown, _digits(shown) if regression else 0 if abs(shown) >= 1 else 1),
            tone,
            _interval(comparison.ci95, scale),
            comparison.verdict,
        )
    if metric == "loss":
        comparison = result.comparisons.get(result.loss_metric)
        if comparison is None:
            return CellView("—", UNCLEAR)
        tone = _tone(comparison.winner, comparison.answer)
        if comparison.mean_difference is None:
            return CellView("—", tone, detail=comparison.verdict)
        return CellView(
            ratio_text(comparison.mean_difference),
            tone,
            _ratios(comparison.ci95),
            comparison.verdict,
        )
    if metric == "speed":
        return _speed_view(result, seeds)
    return _share_view(result, seeds)


def _goal_text(result: CellResult) -> str:
    goal = "the goal R²" if result.task == "regression" else "the goal accuracy"
    return f"{goal} on the test rows" if result.rows == "test" else goal


def chosen_text(result: CellResult) -> str:
    """'rates chosen on val: raw 1e-2, normalized 1e-3; judged on 36 held-out test rows'."""
    names = ", ".join(f"{name} {rate_text(grid.chosen)}" for name, grid in result.lr_grid.items())
    return f"rates chosen on val: {names}; judged on {result.n_test} held-out test rows"


def band_words(name: str, grid: RateGrid, rates: tuple[float, ...]) -> str:
    """`train --lrs`'s words for a run's band: 'raw works at 1e-2 only', 'normalized works at
    1e-3–1e-1 (5 of 7 rates, 2.0 decades)'."""
    works = tuple(i for i, rate in enumerate(rates) if rate in grid.works)
    if not works:
        return f"{name} works at no rate"
    best = rates.index(grid.chosen) if grid.chosen in rates else works[0]
    return band_text(name, Band(works, best, 0.0, grid.margin), rates)


def _rates_view(result: CellResult) -> CellView:
    """The width of each run's working band: how many of the grid's rates work, raw → norm."""
    if not result.lr_grid:
        return CellView("n/a", NOT_APPLICABLE, detail="no learning-rate grid (sweep --lrs)")
    raw = result.lr_grid.get(RAW)
    norm = result.lr_grid.get(NORMALIZED)
    if raw is None:
        return CellView("—", UNCLEAR)
    rates = result.rates
    words = [f"{band_words(RAW, raw, rates)}, chose {rate_text(raw.chosen)}"]
    if norm is None:
        return CellView(f"{len(raw.works)}", BASE, f"{raw.decades:.1f} dec", words[0])
    words.append(f"{band_words(NORMALIZED, norm, rates)}, chose {rate_text(norm.chosen)}")
    interval = f"{raw.decades:.1f}→{norm.decades:.1f} dec"
    detail = "; ".join(words) + " (band widths are measured, not tested)"
    return CellView(f"{len(raw.works)}→{len(norm.works)}", MEASURED, interval, detail)


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
    tone = _tone(comparison.winner, comparison.answer) if comparison else UNCLEAR
    interval = _interval(comparison.ci95, 1.0) + " ep" if comparison and comparison.ci95 else ""
    if comparison is not None and comparison.test == "sign" and comparison.p_ahead is not None:
        interval = f"sign p {comparison.p_ahead:.2g}"  # censored: the known orders decide
    bound, speedup = speedup_bound(result)
    if speedup is None:
        return CellView("never", UNCLEAR, interval, detail)
    # a bound (one run's median is past the epochs trained) is marked by the censored test too
    return CellView(f"{bound}{speedup:.1f}×", tone, interval, detail)


def speedup_bound(result: CellResult) -> tuple[str, float | None]:
    """The speed-up the matrix shows: ('', exact), ('>', at least) where raw's median is past
    the epochs trained, ('<', at most) where normalized's is; ('', None) where neither got
    there. The same number goes to the CSV."""
    norm = result.normalized
    if norm is None:
        return "", None
    if result.speedup is not None:
        return "", result.speedup
    raw_median, norm_median = result.raw.median_epochs_all, norm.median_epochs_all
    if math.isfinite(norm_median) and norm_median:
        return ">", result.epochs / norm_median
    if math.isfinite(raw_median):
        return "<", raw_median / result.epochs
    return "", None


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
    rows = result.rows  # "test": a grid's chosen rate on the held-out rows
    if metric == "accuracy":
        score = raw.mean(raw.val_score)
        if result.task == "regression":
            text = "—" if score is None else f"{score:.2f}"
            return CellView(text, BASE, detail=f"{what}: {rows} R² {text}")
        return CellView(_percent(score), BASE, detail=f"{what}: {rows} accuracy {_percent(score)}")
    if metric == "loss":
        loss = raw.mean(raw.val_loss)
        text = "—" if loss is None else f"{loss:.{_digits(loss) + 1}f}"
        return CellView(text, BASE, detail=f"{what}: {rows} loss {text}")
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
    results = controlled(results)
    lines: list[str] = []
    for dataset in plan.datasets:
        tasks = [r.task for r in results.values() if r.cell.dataset == dataset and not r.error]
        rows_of = "test" if plan.lrs else "val"
        title = (
            f"{dataset_title(dataset)}: {metric_title(metric, tasks, rows=rows_of)},"
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
    if plan.lrs:
        lines += rates_report(plan, results, markdown=markdown)
    lines.append(
        "▲ normalized better, ▼ worse: where the corrected 95% interval of the per-seed paired"
        " differences lies beyond ±δ (or, where a member diverged, an exact sign test), after"
        f" {CONTROL_METHOD} at 5% over the matrix's cells; = equivalent within ±δ (90% interval"
        " inside); epochs to goal where a seed never got there: the exact sign test on the seeds'"
        " known orders (sign p); dead/saturated: where the seeds' ranges do not overlap."
    )
    return "\n".join(lines) + "\n"


def rates_report(
    plan: SweepPlan, results: Mapping[str, CellResult], *, markdown: bool = False
) -> list[str]:
    """Which rate each run of each cell chose, and the rates it works at (sweep --lrs)."""
    lines = [
        f"Learning rates {', '.join(rate_text(r) for r in plan.lrs)}: each run's rate chosen on"
        f" the validation rows ({CHOICE_RULE}); the accuracy, loss and epochs-to-goal verdicts are"
        f" on the held-out test rows ({plan.test_split:g} of the rows, never used to choose), raw"
        " at its chosen rate against normalized at its own, seed by seed.",
        "",
    ]
    header = [
        "dataset",
        "activation",
        "scaler",
        "raw chose",
        "raw works",
        "norm chose",
        "norm works",
    ]
    table = []
    for cell in plan.cells():
        result = results.get(cell.key)
        if result is None or result.error is not None or not result.lr_grid:
            continue
        row = [dataset_title(cell.dataset), cell.activation, column_name(cell.scaler)]
        for name in RUN_NAMES:
            grid = result.lr_grid.get(name)
            if grid is None:
                row += ["", ""]
                continue
            if not grid.works:
                works = "none"
            elif len(grid.works) == 1:
                works = rate_text(grid.works[0])
            else:
                works = (
                    f"{rate_text(grid.works[0])}–{rate_text(grid.works[-1])}"
                    f" ({len(grid.works)}, {grid.decades:.1f} dec)"
                )
            row += [rate_text(grid.chosen), works]
        table.append(row)
    if markdown:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in table]
    else:
        widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
        for row in [header, *table]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return [*lines, ""]


def column_name(scaler: str) -> str:
    return f"{scaler} (raw)" if scaler == BASELINE else scaler


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
    "score_answer",
    "raw_val_loss",
    "normalized_val_loss",
    "loss_difference",
    "loss_ci_low",
    "loss_ci_high",
    "loss_winner",
    "loss_answer",
    "raw_epochs_to_goal",
    "normalized_epochs_to_goal",
    "speedup",
    "speedup_bound",
    "epochs_winner",
    "epochs_answer",
    "share_kind",
    "raw_share",
    "normalized_share",
    "share_winner",
    "seconds",
    "error",
    "verdict",
    # sweep --lrs: the values and verdicts above are on `rows` ("test": held-out rows, each run
    # at its chosen rate); each run's chosen rate and its working band
    "rows",
    "chosen_rate_raw",
    "chosen_rate_normalized",
    "works_raw",
    "works_normalized",
    "works_rates_raw",
    "works_rates_normalized",
    "decades_raw",
    "decades_normalized",
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
        "rows": result.rows,
    }
    for name, grid in result.lr_grid.items():
        row[f"chosen_rate_{name}"] = grid.chosen
        row[f"works_{name}"] = len(grid.works)
        row[f"works_rates_{name}"] = " ".join(f"{rate:g}" for rate in grid.works)
        row[f"decades_{name}"] = round(grid.decades, 3)
    norm = result.normalized
    if norm is not None:
        row["normalized_val_score"] = norm.mean(norm.val_score)
        row["normalized_val_loss"] = norm.mean(norm.val_loss)
        row["normalized_epochs_to_goal"] = norm.median_epochs_to_goal
        row["normalized_share"] = norm.share
        row["speedup_bound"], row["speedup"] = speedup_bound(result)
        row["share_winner"] = result.share_winner
        for prefix, name in (("score", result.score_metric), ("loss", result.loss_metric)):
            comparison = result.comparisons.get(name)
            if comparison is not None:
                row[f"{prefix}_difference"] = comparison.mean_difference
                if comparison.ci95:
                    row[f"{prefix}_ci_low"], row[f"{prefix}_ci_high"] = comparison.ci95
                row[f"{prefix}_winner"] = comparison.winner
                row[f"{prefix}_answer"] = comparison.answer
        epochs = result.comparisons.get("epochs_to_goal")
        row["epochs_winner"] = epochs.winner if epochs else None
        row["epochs_answer"] = epochs.answer if epochs else None
        score = result.comparisons.get(result.score_metric)
        row["verdict"] = score.verdict if score else None
    return {key: ("" if value is None else value) for key, value in row.items()}


def ordered(plan: SweepPlan, results: Mapping[str, CellResult]) -> list[CellResult]:
    return [results[c.key] for c in plan.cells() if c.key in results]


def csv_report(plan: SweepPlan, results: Mapping[str, CellResult]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for result in ordered(plan, controlled(results)):
        writer.writerow(_csv_row(result))
    return out.getvalue()


def json_report(
    plan: SweepPlan, results: Mapping[str, CellResult], *, path: str | None, ended: str
) -> str:
    cells = [result.to_dict() for result in ordered(plan, controlled(results))]
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
