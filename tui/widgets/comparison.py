"""The strip under the two runs: what the seeds say about val score, val loss and the goal.

Every verdict is `engine.statistics.compare_metrics` on the paired per-seed values (through
`DashboardState.verdicts`), the rule `train`'s table, `--json` and the sweep use: ahead only
when the corrected 95% interval lies beyond ±δ (or, where a member diverged, an exact sign
test), equivalent when the 90% interval lies inside ±δ, else inconclusive. With one seed the
strip says it cannot tell an effect from noise, and still shows the difference.
"""

from __future__ import annotations

import re

from textual.content import Content

from normtui.engine.events import RUN_NAMES
from normtui.engine.fold import mean
from normtui.engine.numbers import epoch
from normtui.engine.statistics import AHEAD, EQUIVALENT, Comparison, goal_text, ratio_text
from normtui.tui.viewstate.state import DashboardState, RunView
from normtui.tui.viewstate.verdicts import GoalEpochs, Verdicts
from normtui.tui.widgets.fitting import shorten
from normtui.tui.widgets.format import escape, fmt_num, fmt_pct, fmt_r2
from normtui.tui.widgets.text_line import TextLine

WIDE = 200  # columns assumed when the strip's width is not known yet


def cells(markup: str) -> int:
    return Content.from_markup(markup).cell_length


Part = tuple[str, bool] | tuple[str, bool, str]  # markup, required, and its own separator


def fit(parts: list[Part], width: int, sep: str = "  ") -> str:
    """Join `(markup, required)` parts in order; the first optional part that does not fit ends
    the line (so a detail never shows without what it details). Required parts too long for
    the width leave out words (`shorten`), never the end of a number."""
    line = ""
    for markup, required, *own in parts:
        if not markup:
            continue
        candidate = f"{line}{own[0] if own else sep}{markup}" if line else markup
        if not required and cells(candidate) > width:
            break
        line = candidate
    return shorten(line, width)


def colour_runs(text: str) -> str:
    """A verdict's text with its leading run name in that run's colour (escaped otherwise)."""
    text = escape(text)
    for name in RUN_NAMES:
        if text.startswith(f"{name} "):
            return f"[b][${name}-color]{name}[/][/b]{text[len(name) :]}"
    return text


def _live(run: RunView) -> int:
    """Members that have not diverged (its means are theirs)."""
    return run.members.count - run.members.diverged


def comparison_title(state: DashboardState, *, compact: bool = False) -> str:
    """The strip's border title; with a grid, on which rows its verdicts are (the held-out test
    rows: the rates were chosen on the validation rows, so those would flatter both runs)."""
    if not state.has_grid:
        return "comparison"
    if compact:
        return "comparison · test rows, each run at its chosen rate"
    return "comparison · held-out test rows, each run at its rate chosen on the val rows"


def _grid_values(state: DashboardState) -> tuple[tuple[str, str], tuple[str, str]]:
    """A grid's two runs at their chosen rates on the test rows: the live seeds' means."""
    shown = fmt_r2 if state.regression else fmt_pct
    score, loss = [], []
    for name in RUN_NAMES:
        run = state.grid.runs[name]
        scores, losses, _goal = run.test_values(run.chosen) if run.folds else ([], [], [])
        score.append(mean([v for v in scores if v is not None]))
        loss.append(mean([v for v in losses if v is not None]))
    head = "test means: "

    def pair(raw_text: str, norm_text: str) -> tuple[str, str]:
        short = f"{RUN_NAMES[0]} {raw_text} · {RUN_NAMES[1]} {norm_text}"
        return f"[dim]{head}{short}[/]", f"[dim]{short}[/]"

    return (
        pair(shown(score[0]), shown(score[1])),
        pair(fmt_num(loss[0]), fmt_num(loss[1])),
    )


def _values(state: DashboardState, seeds: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """The two runs' latest val score and val loss (the live members' means, engine/fold.py:
    the numbers `train` prints), as `raw … · normalized …`, saying over how many seeds when
    there are several."""
    runs = [state.runs[name] for name in RUN_NAMES]
    raw, norm = (run.members for run in runs)
    shown = fmt_r2 if state.regression else fmt_pct
    live = [_live(run) for run in runs]
    counts = ("", "")
    head = f"means of {seeds}: " if seeds > 1 else ""
    if seeds > 1 and live != [seeds, seeds]:  # some members diverged: say whose means
        head, counts = "means: ", tuple(f" ({count}/{seeds} seeds)" for count in live)
    # every member diverged: its members' values at divergence (†, as the gauges and train)
    marks = tuple("†" if run.members.at_divergence else "" for run in runs)
    counts = tuple(
        " (at divergence)" if mark else count for mark, count in zip(marks, counts, strict=True)
    )

    def pair(raw_text: str, norm_text: str) -> tuple[str, str]:
        """In full, and without the 'means of' words where the full form does not fit."""
        short = f"{RUN_NAMES[0]} {raw_text} · {RUN_NAMES[1]} {norm_text}"
        full = f"{head}{RUN_NAMES[0]} {raw_text}{counts[0]} · {RUN_NAMES[1]} {norm_text}{counts[1]}"
        return f"[dim]{full}[/]", f"[dim]{short}[/]"

    return (
        pair(shown(raw.val_score) + marks[0], shown(norm.val_score) + marks[1]),
        pair(fmt_num(raw.val_loss) + marks[0], fmt_num(norm.val_loss) + marks[1]),
    )


def shorter(verdict: str) -> list[str]:
    """The verdict, then without its sign test, then without its parenthesis: words are left
    out whole where the line is narrow, never cut mid-number."""
    forms = [verdict]
    no_sign = re.sub(r"; (exact )?sign test p [^;)]*", "", verdict)
    forms.append(no_sign)
    forms.append(re.sub(r" \([^()]*\)", "", no_sign, count=1))
    return list(dict.fromkeys(forms))


def metric_line(comparison: Comparison, values: tuple[str, ...], width: int) -> str:
    """One metric: the statistics' verdict (its longest form that fits), then the runs' values
    in the first form that fits."""
    forms = shorter(comparison.verdict)
    verdict = next((form for form in forms if cells(escape(form)) <= width), forms[-1])
    head = colour_runs(verdict)
    one_pair = comparison.seeds == 1 and comparison.test == "t"
    if one_pair and comparison.metric == "val_loss" and comparison.mean_difference is not None:
        # the first line already says one seed cannot tell; this one keeps the loss ratio
        head = f"val loss: normalized ÷ raw {ratio_text(comparison.mean_difference)}"
    for form in values:
        line = fit([(head, True), (form, False)], width)
        if line != head:
            return line
    return shorten(head, width)


def _goal_piece(run: RunView, goals: GoalEpochs, seeds: int) -> str:
    name = f"[${run.name}-color]{run.name}[/]"
    reached = goals.reached
    if seeds < 2:  # one seed: the epoch, or why there is none
        if reached:
            return f"{name} epoch {reached[0]}"
        if run.active:
            return f"{name} [dim]not yet (e{run.epoch})[/]"
        return f"{name} [dim]not reached in {run.epoch} epochs[/]"
    if not goals.live:
        return f"{name} [dim]— (every seed diverged)[/]"
    middle = goals.median  # None exactly when no member reached the goal
    if middle is None:
        return f"{name} [dim]0/{goals.live} seeds by e{run.epoch}[/]"
    median = f"e{epoch(middle)}"  # a median of whole epochs: e350, not e349.5
    count = f", {len(reached)}/{seeds}" if len(reached) < seeds else ""
    if len(reached) == 1:
        return f"{name} {median} [dim](1/{seeds})[/]"
    return f"{name} median {median} [dim]({reached[0]}–{reached[-1]}{count})[/]"


def speed_up(verdicts: Verdicts, epochs: tuple[int, int]) -> str:
    """Which run got there sooner, how many times sooner (medians; a run that never got there
    counts at least its epochs), and what the seeds say (statistics.compare_goal)."""
    goal = verdicts.goal
    medians = tuple(g.median for g in verdicts.goals)
    if goal.answer == AHEAD and goal.winner is not None:
        there = 1 if goal.winner == RUN_NAMES[1] else 0
        fast, slow = medians[there], medians[1 - there]
        ahead = goal.wins if there else goal.losses
        ratio = ""
        if fast and slow:
            ratio = f"{slow / fast:.1f}× "
        elif fast and epochs[1 - there] > fast:  # the other never got there: at least this
            ratio = f"≥{epochs[1 - there] / fast:.1f}× "
        return (
            f"[b][${goal.winner}-color]{goal.winner}[/][/b] {ratio}sooner in {ahead}/{goal.seeds}"
            " seeds"
        )
    if verdicts.seeds < 2:
        raw, norm = medians
        if not (raw and norm) or raw == norm:
            for there in (1, 0):
                median, other = medians[there], 1 - there
                if median and medians[other] is None and epochs[other] > median:
                    ratio = epochs[other] / median
                    return f"[dim]{RUN_NAMES[there]} ≥{ratio:.1f}× sooner in this one seed[/]"
            return ""
        sooner, ratio = (RUN_NAMES[1], raw / norm) if raw > norm else (RUN_NAMES[0], norm / raw)
        return f"[dim]{sooner} {ratio:.1f}× sooner in this one seed[/]"
    if goal.test == "sign" and goal.wins + goal.losses:  # some seed never got there
        there = 1 if goal.wins >= goal.losses else 0
        fast, slow = medians[there], medians[1 - there]
        ratio = ""
        if fast and slow:
            ratio = f"{slow / fast:.1f}× "
        elif fast and epochs[1 - there] > fast:  # the other's median is past its epochs
            ratio = f"≥{epochs[1 - there] / fast:.1f}× "
        ahead, known = (goal.wins if there else goal.losses), goal.wins + goal.losses
        p = goal.p_ahead if goal.p_ahead is not None else 1.0
        return f"[dim]{RUN_NAMES[there]} median {ratio}sooner ({ahead}/{known}, p {p:.2g})[/]"
    if goal.ci95 is None:
        return ""
    low, high = goal.ci95
    if goal.answer == EQUIVALENT:
        return f"[dim]equivalent within ±{goal.delta:g} ep[/]"
    return f"[dim]inconclusive ({fmt_num(low)} to {fmt_num(high)} ep)[/]"


def goal_interval(verdicts: Verdicts) -> str:
    """The interval behind a named speed-up, in epochs sooner (restricted mean time)."""
    goal = verdicts.goal
    if goal.winner is None or goal.ci95 is None:
        return ""
    low, high = sorted(abs(bound) for bound in goal.ci95)
    return f"[dim](95% CI {fmt_num(low)} to {fmt_num(high)} ep sooner)[/]"


def trouble(state: DashboardState) -> str:
    """Diverged and failed runs (and diverged members): the reasons a number is missing."""
    epochs = [state.runs[name].diverged_epoch for name in RUN_NAMES]
    if None not in epochs:  # one phrase for both: two fitted in no line at 120 columns
        raw, norm = epochs
        return f"[$error]both diverged ({RUN_NAMES[0]} e{raw}, {RUN_NAMES[1]} e{norm})[/]"
    parts = []
    for name in RUN_NAMES:
        run = state.runs[name]
        if run.diverged_epoch is not None:
            parts.append(f"[$error]{name} diverged at e{run.diverged_epoch}[/]")
        elif run.members.diverged:
            parts.append(
                f"[$error]{name}: {run.members.diverged}/{run.members.count} seeds diverged[/]"
            )
        if run.status == "failed":
            parts.append(f"[$error]{name} failed[/]")
    return "  ".join(parts)


def comparison_markup(state: DashboardState, width: int = WIDE) -> str:
    runs = state.runs
    raw, norm = runs[RUN_NAMES[0]], runs[RUN_NAMES[1]]
    verdicts = state.verdicts()
    if raw.last is None or norm.last is None or verdicts is None:
        return "[dim]comparison appears after the first epoch of both runs[/]"
    seeds = verdicts.seeds
    score_values, loss_values = _grid_values(state) if state.has_grid else _values(state, seeds)
    first = metric_line(verdicts.score, score_values, width)
    second = metric_line(verdicts.loss, loss_values, width)
    regression = state.regression
    n_val = state.started.n_val if state.started is not None else 0
    if state.has_grid:  # the grid's verdicts are on the held-out test rows
        n_val = state.started.n_test if state.started is not None else 0
    full = goal_text(state.goal_accuracy, regression, n_val)  # "35/36 = 97.2%": what it needs
    pieces = " · ".join(
        _goal_piece(run, goals, seeds)
        for run, goals in zip((raw, norm), verdicts.goals, strict=True)
    )
    problems = trouble(state)
    lines = []
    for target in dict.fromkeys((full, full.split(" = ")[0])):  # "35/36" where it must fit
        third = fit(
            [
                (f"to {target}: {pieces}", True),
                (problems, True),
                (speed_up(verdicts, (raw.epoch, norm.epoch)), False),
                (goal_interval(verdicts), False, " "),
                ("" if problems else "[dim]no divergence[/]", False),
            ],
            width,
            sep="   ",
        )
        lines.append(third)
    # the full goal unless the short one lets more of the line show (or the full one overflows)
    fitting = [line for line in lines if cells(line) <= width] or lines[-1:]
    third = max(fitting, key=lambda line: (cells(line) - 8 * (line is not lines[0]), -len(line)))
    return f"{first}\n{second}\n{third}"


class ComparisonStrip(TextLine):
    """Three lines comparing the runs; repainted only when its text changes."""

    def show(self, state: DashboardState) -> None:
        width = self.content_size.width or WIDE
        self.show_markup(comparison_markup(state, width))
