"""The strip under the two runs: who is ahead, epochs to the goal, divergence."""

from __future__ import annotations

from normtui.engine.events import RUN_NAMES
from normtui.tui.viewstate.state import DashboardState
from normtui.tui.widgets.format import fmt_pct
from normtui.tui.widgets.text_line import TextLine


def comparison_markup(state: DashboardState) -> str:
    runs = state.runs
    raw, norm = runs[RUN_NAMES[0]], runs[RUN_NAMES[1]]
    if raw.last is None or norm.last is None:
        return "[dim]comparison appears after the first epoch of both runs[/]"
    leader, gap = state.leader()
    if leader is None:
        ahead = "[b]level[/b] on val accuracy"
    else:
        other = RUN_NAMES[1] if leader == RUN_NAMES[0] else RUN_NAMES[0]
        ahead = (
            f"[b][${leader}-color]{leader}[/][/b] ahead by [b]{gap:.1f} pts[/b] val acc "
            f"[dim]({fmt_pct(runs[leader].last.val_accuracy)} vs "
            f"{fmt_pct(runs[other].last.val_accuracy)})[/]"
        )
    goals = []
    for name in RUN_NAMES:
        run = runs[name]
        if run.goal_epoch:
            reached = f"epoch {run.goal_epoch}"
        elif run.status in ("running", "paused", "loading"):
            reached = f"[dim]not yet (e{run.epoch})[/]"
        else:  # finished, diverged, failed or stopped: it will not get there any more
            reached = f"[dim]not reached in {run.epoch} epochs[/]"
        goals.append(f"[${name}-color]{name}[/] {reached}")
    goal = f"to {state.goal_accuracy * 100:g}% val: " + " · ".join(goals)
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
