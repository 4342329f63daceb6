"""The range test on a real pair: wine, 2 seeds, 40 steps."""

from __future__ import annotations

import math
import threading

import pytest

from normtui.engine.config import ConfigError, SessionConfig
from normtui.engine.lr_find import Cancelled, check_range, range_test
from normtui.engine.seeds import member_seeds

CONFIG = SessionConfig(dataset="wine", seeds=2, seed=0)


@pytest.fixture(scope="module")
def result():
    return range_test(CONFIG, steps=40, lr_min=1e-5, lr_max=1.0)


def test_every_member_of_both_runs_has_a_curve_over_the_schedule(result) -> None:
    assert len(result.rates) == 40
    assert result.rates[0] == pytest.approx(1e-5) and result.rates[-1] == pytest.approx(1.0)
    assert result.seeds == member_seeds(0, 2)
    for run in result.runs.values():
        assert [m.seed for m in run.members] == list(result.seeds)
        assert len(run.median) == 40
        for member in run.members:
            assert 0 < len(member.smoothed) <= 40
            assert all(math.isfinite(x) for x in member.smoothed)


def test_raw_and_normalized_get_different_curves_from_one_init(result) -> None:
    raw, normalized = result.runs["raw"], result.runs["normalized"]
    # wine's raw inputs (proline ~750) start the raw run far above the normalized one
    assert raw.members[0].losses[0] > 10 * normalized.members[0].losses[0]
    assert normalized.suggestion is not None or normalized.why is not None


def test_the_same_seed_gives_the_same_test(result) -> None:
    again = range_test(CONFIG, steps=40, lr_min=1e-5, lr_max=1.0)
    assert again.to_dict() == result.to_dict()


def test_json_has_rates_and_per_member_curves(result) -> None:
    out = result.to_dict()
    assert set(out["runs"]) == {"raw", "normalized"}
    member = out["runs"]["raw"]["members"][0]
    assert {"seed", "smoothed", "suggestion", "usable", "stop"} <= set(member)
    assert {"suggestion", "spread_decades", "usable", "usable_decades", "why"} <= set(
        out["runs"]["raw"]
    )


def test_cancel_stops_between_steps() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        range_test(CONFIG, steps=20, cancel=cancel)


@pytest.mark.parametrize(
    ("steps", "lr_min", "lr_max", "words"),
    [(5, 1e-6, 10.0, "at least 10"), (50, 1.0, 0.1, "above --lr-min"), (50, 0.0, 1.0, "positive")],
)
def test_bad_schedules_are_refused_in_one_line(steps, lr_min, lr_max, words) -> None:
    with pytest.raises(ConfigError, match=words):
        check_range(steps, lr_min, lr_max)


def test_mini_batches_cycle_through_the_trainers_batch_order() -> None:
    config = SessionConfig(dataset="wine", seeds=2, batch_size=32)
    out = range_test(config, steps=12, lr_min=1e-4, lr_max=1e-2)  # 142 rows: 5 steps a pass
    assert all(len(m.losses) == 12 for m in out.runs["normalized"].members)
    assert out.to_dict() == range_test(config, steps=12, lr_min=1e-4, lr_max=1e-2).to_dict()
