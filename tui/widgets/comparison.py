"""The strip under the two runs: who is ahead, epochs to the goal, divergence."""

from __future__ import annotations

from normtui.engine.events import RUN_NAMES
from normtui.tui.viewstate.state import DashboardState
from normtui.tui.widgets.format import fmt_pct, fmt_r2
from normtui.tui.widgets.text_line import TextLine


def comparison_markup(state: DashboardState) -> str:
    runs = state.runs
    raw, norm = runs[RUN_NAMES[0]], runs[RUN_NAMES[1]]
    if raw.last is None or norm.last is None:
        return "[dim]comparison appears after the first epoch of both runs[/]"
    leader, gap = state.leader()
    regression = state.regression
    metric, shown = ("val R²", fmt_r2) if regression else ("val acc", fmt_pct)
    if leader is None:
        ahead = f"[b]level[/b] on {metric}"
    else:
        other = RUN_NAMES[1] if leader == RUN_NAMES[0] else RUN_NAMES[0]
        margin = f"{gap / 100:.3f}" if regression else f"{gap:.1f} pts"
        ahead = (
            f"[b][${leader}-color]{leader}[/][/b] ahead by [b]{margin}[/b] {metric} "
            f"[dim]({shown(runs[leader].last.val_score)} vs "
            f"{shown(runs[other].last.val_score)})[/]"
        )
    goals = []
    for name in RUN_NAMES:
        run = runs[name]
        if run.goal_epoch:
            reached = f"epoch {run.goal_epoch}"
        elif run.active:
            reached = f"[dim]not yet (e{run.epoch})[/]"
        else:  # finished, diverged, failed or stopped: it will not get there any more
            reached = f"[dim]not reached in {run.epoch} epochs[/]"
        goals.append(f"[${name}-color]{name}[/] {reached}")
    target = f"R² {state.goal_accuracy:g}" if regression else f"{state.goal_accuracy * 100:g}%"
    goal = f"to {target} val: " + " · ".join(goals)
    diverged = [
        f"[$error]{name} diverged at e{runs[name].diverged_epoch}[/]"
        for name in RUN_NAMES
        if runs[name].diverged_epoch is not None
    ]
    failed = [f"[$error]{name} failed[/]" for name in RUN_NAMES if runs[name].status == "failed"]
    trouble = "  ".join(diverged + failed) or "[dim]no divergence[/]"
    return f"{ahead}\n{goal}   {trouble}"


class ComparisonStrip(TextLine):
    """Two lines comparing the runs; repainted only when its text changes."""

    def show(self, state: DashboardState) -> None:
        self.show_markup(comparison_markup(state))
