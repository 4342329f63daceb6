"""One fold, two surfaces (issue 21 item 1): a real session in the dashboard (Pilot) and the same
options in `normtui train --json` print the same numbers, field by field, a diverged run's too."""

from __future__ import annotations

import json
import math
from typing import Any

from conftest import wait_until

from normtui.engine.config import SessionConfig
from normtui.engine.events import RUN_NAMES
from normtui.engine.session import Session
from normtui.tui.app import make_app
from normtui.tui.widgets.comparison import comparison_markup
from normtui.tui.widgets.format import fmt_pct

RUN_FIELDS = (
    "val_accuracy",
    "val_loss",
    "train_loss",
    "train_accuracy",
    "at_divergence",
    "epochs",
    "best_mean_val_accuracy",
    "best_mean_epoch",
    "epochs_to_goal",
    "members_reached_goal",
    "diverged",
    "diverged_epoch",
    "members_diverged",
    "diverged_reason",
)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return left == right


async def _dashboard(config: SessionConfig) -> tuple[dict[str, Any], dict[str, str], str]:
    """The finished session as the dashboard holds it: each run's fold, each pane's gauges and
    header as drawn, and the comparison strip."""
    session = Session(config, linger=True)
    app = make_app(session, config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.finished, timeout=180)
        app.dashboard.sync()
        await pilot.pause()
        runs = {name: app.state.runs[name].members.to_dict() for name in RUN_NAMES}
        drawn = {
            name: str(app.query_one(f"#{name}-gauges").render())
            + "\n"
            + str(app.query_one(f"#pane-{name} .run-header").render())
            for name in RUN_NAMES
        }
        # the strip as it reads where there is room for the values beside the verdicts
        strip = comparison_markup(app.state, 300)
        await pilot.press("q")
    return json.loads(json.dumps(runs, default=str)), drawn, strip


def _train_json(run_main, config: SessionConfig) -> dict[str, Any]:
    args = ["train", "--dataset", config.dataset, "--epochs", str(config.epochs)]
    args += ["--seeds", str(config.seeds), "--optimizer", config.optimizer]
    args += ["--lr", str(config.lr), "--json"]
    code, out, err = run_main(args)
    assert code == 0, err
    return json.loads(out)["runs"]


def _field_by_field(dashboard: dict[str, Any], train: dict[str, Any]) -> None:
    for name in RUN_NAMES:
        for key in RUN_FIELDS:
            assert _same(dashboard[name][key], train[name][key]), (name, key)
        assert len(dashboard[name]["members"]) == len(train[name]["members"])
        for ours, theirs in zip(dashboard[name]["members"], train[name]["members"], strict=True):
            assert ours.keys() == theirs.keys(), name  # every member field, none left out
            for key in ours:
                assert _same(ours[key], theirs[key]), (name, ours["seed"], key)


async def test_the_dashboard_and_train_json_print_the_same_numbers(run_main) -> None:
    config = SessionConfig(dataset="wine", epochs=25, seeds=3, pace=None)
    dashboard, drawn, strip = await _dashboard(config)
    train = _train_json(run_main, config)
    _field_by_field(dashboard, train)
    for name in RUN_NAMES:
        run = train[name]
        best = f"best mean {fmt_pct(run['best_mean_val_accuracy'])} e{run['best_mean_epoch']}"
        assert f" {fmt_pct(run['val_accuracy'])} " in drawn[name] and best in drawn[name]
        assert f"epoch {run['epochs']}" in drawn[name]
    raw, norm = (fmt_pct(train[name]["val_accuracy"]) for name in RUN_NAMES)
    assert f"raw {raw} · normalized {norm}" in strip


async def test_a_diverged_run_reports_the_same_values_at_divergence_on_both(run_main) -> None:
    """scales, SGD at lr 10: the raw run diverges at epoch 2, the normalized one a few epochs
    later; both surfaces report its members' values at divergence (†) and the same epoch."""
    config = SessionConfig(
        dataset="scales", epochs=15, seeds=3, optimizer="sgd", lr=10.0, pace=None
    )
    dashboard, drawn, strip = await _dashboard(config)
    train = _train_json(run_main, config)
    _field_by_field(dashboard, train)
    for name in RUN_NAMES:
        run = train[name]
        assert run["diverged"] and run["at_divergence"], name
        epoch = run["diverged_epoch"]
        assert run["epochs"] == epoch  # trained up to the epoch it diverged, not one before
        assert max(m["diverged_epoch"] for m in run["members"]) == epoch
        values = [m["val_accuracy"] for m in run["members"] if m["val_accuracy"] is not None]
        assert math.isclose(run["val_accuracy"], sum(values) / len(values))  # every member's
        assert f" {fmt_pct(run['val_accuracy'])}†" in drawn[name]  # the gauge, marked
        assert f"epoch {epoch} " in drawn[name]  # the pane's header says the same epoch
    raw, norm = (train[name] for name in RUN_NAMES)
    # the strip's values, marked as the gauges and the table mark them
    assert f"raw {fmt_pct(raw['val_accuracy'])}†" in strip
    assert f"normalized {fmt_pct(norm['val_accuracy'])}†" in strip
    assert f"raw e{raw['diverged_epoch']}, normalized e{norm['diverged_epoch']}" in strip
