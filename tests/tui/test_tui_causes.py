"""The cause beside the effect: under each run's histograms, the inputs' scales, how far the
first layer's pre-activations reach, and what that does to its units, in plain words."""

from __future__ import annotations

import html
import re

from conftest import recorded_app, settle

from normtui.engine.events import LayerStats, SessionStarted
from normtui.tui.viewstate.layer_pair import LayerSample
from normtui.tui.widgets.causes import cause_lines

NAMES = ("alcohol", "nonflavanoid_phenols", "proline")
STARTED = SessionStarted(
    time_s=0.0, config={}, dataset="wine", n_train=142, n_val=36, n_features=3, n_classes=3,
    feature_names=NAMES, raw_feature_std=(0.81, 0.12048, 324.1),
    scaled_feature_std=(1.0, 1.0, 1.0), device="cpu", parameters=1,
)  # fmt: skip


def sample(activation: str, reach: float, dead=None, saturated=None, grad=0.1) -> LayerSample:
    layer = LayerStats(
        layer=1, width=64, pre_min=-reach, pre_max=reach * 0.99, pre_mean=0.0, pre_std=1.0,
        dead_fraction=dead, saturated_fraction=saturated, grad_norm=grad, update_ratio=0.0007,
    )  # fmt: skip
    return LayerSample(epoch=10, activation=activation, layers=(layer,))


def wide(run: str, layer: LayerSample, **options) -> list[str]:
    """The cause lines of a 200-column pane."""
    return cause_lines(STARTED, run, layer, width=200, compact=False, **options)


def test_wide_lines_name_the_features_the_reach_and_the_dead_units() -> None:
    raw = wide("raw", sample("relu", 413.06, dead=0.52), show_gradient=False)
    assert raw == [
        "inputs: std ×2,690 (proline 324 vs nonflavanoid_phenols 0.12)",
        "→ L1 pre-activations reach ±413 → 52% of ReLU units never fire",
    ]
    normalized = wide("normalized", sample("relu", 2.5, dead=0.0), show_gradient=False)
    assert normalized == [
        "inputs: every feature std 1.00",
        "→ L1 pre-activations within ±2.5 → 0% of ReLU units never fire",
    ]


def test_narrow_panes_get_shorter_words_never_a_cut() -> None:
    for width in (56, 36):
        lines = cause_lines(
            STARTED, "raw", sample("tanh", 413.0, saturated=0.99), width=width,
            compact=width < 40, show_gradient=True,
        )  # fmt: skip
        assert lines and all(len(line) <= width and not line.endswith("…") for line in lines)
    assert cause_lines(
        STARTED, "raw", sample("tanh", 413.0, saturated=0.99), width=36, compact=True,
        show_gradient=True,
    ) == ["std ×2,690 → L1 ±413 → 99% sat"]  # fmt: skip


def test_a_saturated_layers_small_gradient_is_called_vanishing_a_healthy_ones_is_not() -> None:
    saturated = sample("tanh", 413.0, saturated=0.99, grad=0.001)
    healthy = sample("tanh", 3.0, saturated=0.01, grad=0.13)
    raw = wide("raw", saturated, show_gradient=True, other=healthy)
    assert raw[-1] == "→ L1 gradient 0.001 (vanishing), weights move 0.07% an epoch"
    quiet = sample("tanh", 3.0, saturated=0.01, grad=0.0001)  # converged, not saturated
    normalized = wide("normalized", quiet, show_gradient=True, other=saturated)
    assert "vanishing" not in normalized[-1]


def screen_text(app) -> str:
    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


async def test_the_recorded_wine_session_says_why_at_120x40_and_80x24() -> None:
    expected = {
        (120, 40): (
            "inputs: std ×2,690 (proline 324 vs nonflavanoid_… 0.12)",
            "L1 reaches ±413 → 100% of tanh outputs saturated",
            "inputs: every feature std 1.00",
            "L1 within ±3.2 → 2% of tanh outputs saturated",
            "L1 gradient 0.06, weights move 0.069% an epoch",
        ),
        (80, 24): ("std ×2,690 → L1 ±413 → 100% sat", "std 1.00 → L1 ±3.2 → 2% sat"),
    }
    for size, lines in expected.items():
        app = recorded_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            text = screen_text(app)
        for line in lines:
            assert line in text, (size, line)


def test_constant_features_are_not_called_std_one() -> None:
    """digits has constant pixels: scaled they stay at 0, so 'every feature std 1.00' was false."""
    import dataclasses

    with_constant = dataclasses.replace(
        STARTED,
        n_features=4,
        feature_names=(*NAMES, "pixel_0_0"),
        raw_feature_std=(*STARTED.raw_feature_std, 0.0),
        scaled_feature_std=(1.0, 1.0, 1.0, 0.0),
    )
    lines = cause_lines(
        with_constant, "normalized", sample("relu", 2.5, dead=0.0), width=200, compact=False,
        show_gradient=False,
    )  # fmt: skip
    assert lines[0] == "inputs: std 1.00 (1 constant left out)"
