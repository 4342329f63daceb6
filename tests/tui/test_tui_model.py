"""The UI's plain-Python parts: bounded history, the event hand-over, the reducer, themes."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from fake_source import fake_epoch, scripted_session, session_started

from normtui.engine.config import SessionConfig
from normtui.engine.events import Restarted, RunDiverged, SessionEnded
from normtui.tui.theme_loader import ThemeError, list_themes, load_theme
from normtui.tui.viewstate.buffer import EventBuffer
from normtui.tui.viewstate.series import DecimatingSeries
from normtui.tui.viewstate.state import Changed, DashboardState
from normtui.tui.widgets.format import resample, sparkline
from normtui.tui.widgets.histograms import zero_bin
from normtui.tui.widgets.loss_plot import label_positions, sticky_range, sticky_upper

CONFIG = SessionConfig(dataset="wine", epochs=None, pace=20.0)


def test_history_stays_bounded_and_evenly_spaced_over_100k_epochs() -> None:
    series = DecimatingSeries(200)
    for epoch in range(1, 100_001):
        series.append((epoch, 1.0 / epoch))
    rows = series.rows()
    assert len(rows) <= 201
    assert rows[-1][0] == 100_000, "the latest epoch is always shown"
    steps = {b[0] - a[0] for a, b in itertools.pairwise(rows[:-1])}
    assert steps == {series.stride}


def test_buffer_wakes_a_sleeping_ui_once() -> None:
    buffer = EventBuffer()
    wakes: list[int] = []
    assert buffer.wake_on_append(lambda: wakes.append(1))
    thread = threading.Thread(
        target=lambda: [buffer.append(session_started(CONFIG)) for _ in range(5)]
    )
    thread.start()
    thread.join()
    assert wakes == [1]
    assert len(buffer.drain()) == 5
    buffer.append(session_started(CONFIG))
    assert not buffer.wake_on_append(lambda: None), "no sleeping while events wait"


def test_reducer_tracks_best_goal_restart_and_divergence() -> None:
    state = DashboardState(CONFIG)
    changed = Changed.NONE
    for event in scripted_session(CONFIG, 60, {30: "tanh"}):
        changed |= state.apply(event)
    assert changed & Changed.PLOTS and state.paused
    norm, raw = state.runs["normalized"], state.runs["raw"]
    assert norm.members.epochs_to_goal is not None and raw.members.epochs_to_goal is None
    verdicts = state.verdicts()
    assert verdicts is not None and verdicts.seeds == 1
    assert verdicts.score.winner is None, "one seed names no winner"
    assert verdicts.score.mean_difference > 0 and verdicts.score.verdict.startswith("one seed")
    assert list(norm.markers) == [(30, "tanh")] == list(raw.markers)
    state.apply(RunDiverged(9.0, "raw", 61, float("inf")))
    assert raw.status == "diverged" and raw.diverged_epoch == 61
    state.apply(Restarted(10.0, "relu", 1e-3))
    assert state.restarts == 1 and raw.epoch == 0 and len(raw.plot) == 0
    state.apply(fake_epoch("raw", 1, "relu", 1e-3, 64, 1, 10.1, 0.01))
    assert raw.epoch == 1 and raw.status == "paused"
    state.apply(SessionEnded(11.0, "stopped", 1))
    assert state.finished


def test_the_state_takes_the_engines_config_from_session_started() -> None:
    """What was asked for is shown while loading; the session's own config replaces it whole."""
    state = DashboardState(CONFIG)
    assert state.pace == 20.0 and state.runs["raw"].activation == "relu"
    engine = CONFIG.replace(activation="tanh", lr=0.01, pace=None, goal_accuracy=0.5, hidden=(8,))
    state.apply(session_started(engine))
    assert state.config == engine
    assert (state.activation, state.learning_rate, state.pace, state.goal_accuracy) == (
        "tanh",
        0.01,
        None,
        0.5,
    )
    assert {run.activation for run in state.runs.values()} == {"tanh"}


def test_sparkline_keeps_small_bins_visible_next_to_a_huge_one() -> None:
    line = sparkline([10_000, 3, 0, 40])
    assert line[0] == "█" and line[1] != " " and line[2] == " " and line[3] != " "
    assert resample([1, 2, 3, 4], 2) == [3, 7]


def test_zero_bin_and_plot_axes() -> None:
    from normtui.engine.events import Histogram

    assert zero_bin(Histogram((0.0, 1.0, 2.0), (5, 1))) == 0
    assert zero_bin(Histogram((-2.0, -1.0, 1.0), (5, 1))) == 1
    assert sticky_upper(101) == 150 and sticky_upper(10) == 10
    assert sticky_range(0.02, 3.0, log=True) == pytest.approx((10**-2, 10**0.5))
    close = [(10, "tanh"), (11, "sigmoid")]
    assert [label for _x, label, _a, _r in label_positions(close, 0, 100, 50)] == ["sigmoid"]
    # with room for a second text row, the older label drops below the newer one
    assert [(label, row) for _x, label, _a, row in label_positions(close, 0, 100, 50, rows=2)] == [
        ("sigmoid", 0),
        ("tanh", 1),
    ]


def test_bundled_themes_load_and_name_the_run_colours() -> None:
    names = list_themes()
    assert names[0] == "dark"
    assert {"light", "high-contrast", "colour-blind-safe"} <= set(names)
    for name in names:
        theme = load_theme(name)
        assert theme.variables["raw-color"] != theme.variables["normalized-color"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("primary = ", "not valid TOML"),
        ("primary = 'nope'", "'primary' is not a colour"),
        ("secondary = '#fff'", "missing required colour 'primary'"),
        ("primary = '#fff'\ncolour = 1", "unknown key(s) colour"),
        ("primary = '#fff'\n[variables]\nraw-color = 'bad'", "'raw-color' is not a colour"),
        ("primary = '#fff'\n[variables]\nrule-color = 'x'", "'rule-color' is not a colour"),
    ],
)
def test_broken_theme_files_give_one_line_messages(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ThemeError, match=None) as error:
        load_theme(str(path))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_unknown_theme_names_the_choices() -> None:
    with pytest.raises(ThemeError, match="choose from: dark"):
        load_theme("solarized")
    with pytest.raises(ThemeError, match="not found"):
        load_theme("./missing.toml")


def test_user_theme_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "ocean.toml"
    path.write_text("primary = '#336699'\n[variables]\nraw-color = '#ff0000'\n")
    theme = load_theme(str(path))
    assert theme.name == "ocean" and theme.variables["raw-color"] == "#ff0000"
    assert theme.variables["normalized-color"], "missing run colours fall back to defaults"
    assert theme.variables["rule-color"], "and the border colour to one made from the panel"


def test_finished_runs_keep_their_activation_and_are_not_shown_paused() -> None:
    from normtui.engine.events import ActivationChanged, Paused, RunFinished
    from normtui.tui.widgets.top_bar import Controls, top_bar_markup

    state = DashboardState(CONFIG)
    for event in scripted_session(CONFIG, 10, {}):
        state.apply(event)
    state.apply(Restarted(5.0, "relu", 1e-3))
    state.apply(Paused(5.0, 0))
    state.apply(fake_epoch("raw", 1, "relu", 1e-3, 64, 1, 5.1, 0.01))
    state.apply(fake_epoch("normalized", 1, "relu", 1e-3, 64, 1, 5.1, 0.01))
    for run in ("raw", "normalized"):
        state.apply(RunFinished(6.0, run, 1))
    state.apply(ActivationChanged(6.1, 1, "tanh", "relu", True))  # `a` after the end
    assert state.activation == "tanh"  # what `r` will train with
    assert {run.activation for run in state.runs.values()} == {"relu"}  # what they trained with
    assert "paused" not in top_bar_markup(state, Controls(), 0)


def test_only_relu_units_are_called_dead_and_flagged() -> None:
    from normtui.engine.events import LayerStats
    from normtui.tui.screens.activation_picker import _hint
    from normtui.tui.widgets.histograms import _alarming

    layer = LayerStats(1, 64, -3.0, 3.0, 0.0, 1.0, 0.6, None, 1.0, 0.01)
    assert _alarming(layer, "relu") and not _alarming(layer, "leaky_relu")
    assert _hint("relu") == "can die" and "off" in _hint("elu") and _hint("tanh") == "saturates"


def test_the_top_bar_says_paused_before_anything_long_can_push_it_off_screen() -> None:
    from normtui.engine.events import Paused
    from normtui.tui.widgets.top_bar import Controls, top_bar_markup

    state = DashboardState(CONFIG)
    for event in list(scripted_session(CONFIG, 5, {}))[:3]:
        state.apply(event)
    state.apply(Paused(1.0, 1))
    markup = top_bar_markup(state, Controls(), 0)
    assert "paused" in markup
    assert markup.index("paused") < markup.index(state.started.dataset)


async def test_low_bandwidth_says_how_often_the_plots_are_redrawn() -> None:
    """The plots sat on their first point for 10 s with nothing saying they redraw that rarely."""
    from conftest import recorded_app, wait_until

    app = recorded_app(low_bandwidth=True)
    async with app.run_test(size=(120, 40)) as pilot:
        # the top bar says "loading …" until the recorded session has started: wait for that,
        # not for one frame (on a fresh clone the first frame came before the start)
        await wait_until(pilot, lambda: app.state.started is not None)
        await wait_until(pilot, lambda: "loading" not in str(app.query_one("#top-bar").render()))
        assert "low-bw: plots every 10 s" in str(app.query_one("#top-bar").render())


@pytest.mark.parametrize("name", ["dark", "light", "high-contrast", "colour-blind-safe"])
def test_pane_borders_stand_out_from_the_background_in_every_bundled_theme(name: str) -> None:
    """Light drew its borders and rules in `$panel-lighten-2`: white on #fafafa, invisible."""
    from textual.color import Color

    from normtui.tui.theme_loader import load_theme

    theme = load_theme(name)
    shades = theme.to_color_system().generate()
    rule = Color.parse(theme.variables["rule-color"])
    for backdrop in ("background", "surface"):
        assert _contrast(rule, Color.parse(shades[backdrop])) >= 1.8, backdrop


def _contrast(a, b) -> float:
    def luminance(colour) -> float:
        def channel(value: int) -> float:
            x = value / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def test_the_light_theme_draws_pane_borders_in_its_rule_colour() -> None:
    from conftest import recorded_app
    from textual.color import Color

    app = recorded_app(theme="light")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        background = app.screen.styles.background
        for selector in ("#comparison", "#inputs"):
            _, colour = app.query_one(selector).styles.border_top
            assert colour == Color.parse(app.current_theme.variables["rule-color"])
            assert _contrast(colour, background) >= 1.8, selector


def test_the_goal_line_says_not_reached_once_a_run_can_no_longer_reach_it() -> None:
    """A finished replay said "raw not yet (e300)", as if it were still training."""
    from fake_source import read_events

    from normtui.engine.events import EpochEnd, RunFinished
    from normtui.tui.widgets.comparison import comparison_markup

    header, events = read_events(Path(__file__).parent / "fixtures" / "wine_relu_tanh.jsonl")
    state = DashboardState(SessionConfig.from_dict(header["config"]))
    for event in events:
        state.apply(event)
    last = max(e.epoch for e in events if isinstance(e, EpochEnd))
    assert state.runs["raw"].members.epochs_to_goal is None  # raw wine never gets to 95% here
    assert f"raw[/] [dim]not yet (e{last})" in comparison_markup(state)
    state.apply(RunFinished(time_s=99.0, run="raw", epoch=last))
    assert f"raw[/] [dim]not reached in {last} epochs" in comparison_markup(state)


def test_the_loading_screen_says_how_far_a_big_file_has_been_read() -> None:
    from normtui.engine.events import DataLoading
    from normtui.tui.widgets.top_bar import Controls, top_bar_markup

    state = DashboardState(CONFIG)
    assert "loading torch and scikit-learn" in top_bar_markup(state, Controls(), 0)
    state.apply(DataLoading(1.0, "homes.csv", 340_000, 410_000.0, 0.34, 0.83))
    assert "340,000 rows read (34%) · 410,000 rows/s · homes.csv" in top_bar_markup(
        state, Controls(), 0
    )
    state.apply(DataLoading(3.0, "homes.csv", 1_000_000, 400_000.0, 1.0, 2.5, done=True))
    assert "1,000,000 rows read in 2.5 s · encoding and scaling… · homes.csv" in top_bar_markup(
        state, Controls(), 0
    )
