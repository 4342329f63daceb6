"""Seeds, not anecdotes: the screen folds each run's members, draws their band, and names a run
ahead only when the paired per-seed interval says so (engine/statistics.py, the one rule)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from conftest import settle, wait_until
from fake_source import FakeSession, ReplaySource, member_epoch, scripted_session, session_started

from normtui.engine.config import SessionConfig
from normtui.engine.events import Event, RunDiverged, RunFinished, SessionEnded
from normtui.engine.statistics import INTERVAL_METHOD
from normtui.tui.app import NormtuiApp, make_app
from normtui.tui.viewstate.state import DashboardState
from normtui.tui.widgets.comparison import ComparisonStrip, comparison_markup
from normtui.tui.widgets.gauges import spread_bar
from normtui.tui.widgets.loss_plot import BAND_GLYPH, LossPlot

CONFIG = SessionConfig(dataset="wine", epochs=None, pace=20.0)  # 36 validation rows: 2.8 pts


def seeded_app(events: Sequence[Event], config: SessionConfig = CONFIG) -> NormtuiApp:
    return make_app(ReplaySource(events, live=True), config=config, handle_signals=False)


def final_epoch(
    raw: Sequence[float],
    norm: Sequence[float],
    *,
    raw_loss: Sequence[float] | None = None,
    norm_loss: Sequence[float] | None = None,
    epoch: int = 1,
) -> list[Event]:
    """Both runs' epoch `epoch` with the members' val accuracies (and losses) given outright."""
    raw_loss = raw_loss or [1.0 - value for value in raw]
    norm_loss = norm_loss or [1.0 - value for value in norm]
    return [
        member_epoch("raw", epoch, tuple(raw), tuple(raw_loss)),
        member_epoch("normalized", epoch, tuple(norm), tuple(norm_loss)),
    ]


async def strip_of(events: Sequence[Event], size: tuple[int, int] = (120, 40)) -> str:
    app = seeded_app(events)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        return app.query_one(ComparisonStrip).render().plain


async def test_one_seed_cannot_tell_an_effect_from_noise_but_shows_the_difference() -> None:
    text = await strip_of([session_started(CONFIG), *final_epoch([0.6], [0.9])])
    first = text.splitlines()[0]
    assert first.startswith("one seed: cannot tell an effect from noise")
    assert "+30 pts val accuracy" in first and "raw 60.0% · normalized 90.0%" in first
    assert "ahead" not in text


async def test_one_seed_at_the_same_accuracy_still_says_the_loss_differs() -> None:
    """wine at 100% vs 100%: val loss 0.113 vs 0.0016 must not read as 'level'."""
    events = final_epoch([1.0], [1.0], raw_loss=[0.113], norm_loss=[0.0016])
    text = await strip_of([session_started(CONFIG), *events])
    loss = text.splitlines()[1]
    assert "level" not in text
    assert "val loss: normalized ÷ raw 0.014×" in loss and "raw 0.113 · normalized 0.0016" in loss


async def test_a_winner_is_named_with_its_interval_over_five_seeds() -> None:
    raw, norm = [0.6, 0.55, 0.7, 0.8, 0.65], [0.97, 1.0, 0.94, 1.0, 1.0]
    losses = {"raw_loss": [0.4, 0.45, 0.3, 0.2, 0.35], "norm_loss": [0.04, 0.03, 0.05, 0.02, 0.03]}
    text = await strip_of([session_started(CONFIG), *final_epoch(raw, norm, **losses)])
    first, loss, _goal = text.splitlines()
    assert first.startswith("normalized ahead in 5/5 seeds: +32 pts val accuracy (95% CI +")
    assert "sign test p 0.062" in first
    assert loss.startswith("normalized ahead in 5/5 seeds: val loss 0.099× raw's (95% CI")
    wide = await strip_of([session_started(CONFIG), *final_epoch(raw, norm, **losses)], (200, 40))
    assert "means of 5: raw 66.0% · normalized 98.2%" in wide.splitlines()[0]


async def test_some_ties_and_an_interval_over_zero_name_no_winner() -> None:
    raw, norm = [0.5, 0.5, 0.6, 0.6], [0.5, 0.9, 0.6, 0.95]  # 2 tied seeds, 2 wins
    text = await strip_of([session_started(CONFIG), *final_epoch(raw, norm)])
    first = text.splitlines()[0]
    assert first.startswith("inconclusive on val accuracy over 4 seeds (normalized − raw")
    assert "ahead" not in first


async def test_all_members_tied_is_equivalent_within_delta() -> None:
    scores = [0.5, 0.7, 0.8, 0.9, 1.0]
    text = await strip_of([session_started(CONFIG), *final_epoch(scores, scores)])
    first, loss, _goal = text.splitlines()
    assert first.startswith("equivalent on val accuracy within ±2.8 pts over 5 seeds")
    assert loss.startswith("equivalent on val loss within ×1.1 over 5 seeds")


async def test_a_consistent_gap_under_one_validation_row_names_no_winner() -> None:
    raw = [0.6, 0.61, 0.62, 0.63, 0.64]
    norm = [value + 0.5 / 36 for value in raw]  # half a row of 36, in every seed
    text = await strip_of([session_started(CONFIG), *final_epoch(raw, norm)])
    first = text.splitlines()[0]
    assert first.startswith("equivalent on val accuracy within ±2.8 pts over 5 seeds")


async def test_a_diverged_member_is_marked_and_left_out() -> None:
    diverged = (False, False, True, False, False)
    events = [
        session_started(CONFIG),
        member_epoch("raw", 1, (0.6, 0.55, 0.7, 0.8, 0.65), (0.4, 0.45, 0.3, 0.2, 0.35)),
        member_epoch("normalized", 1, (0.97, 1.0, 0.94, 1.0, 1.0), (0.05,) * 5),
        RunDiverged(1.0, "raw", 2, "inf", member=2),
        member_epoch(
            "raw",
            2,
            (0.6, 0.55, math.nan, 0.8, 0.65),
            (0.4, 0.45, 1e30, 0.2, 0.35),
            diverged=diverged,
        ),
        member_epoch("normalized", 2, (0.97, 1.0, 0.94, 1.0, 1.0), (0.05,) * 5),
    ]
    app = seeded_app(events)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        raw = app.state.runs["raw"]
        assert raw.status != "diverged", "the other four members go on"
        assert max(row[4] for row in raw.plot.rows()) < 1.0, "no band to the diverged loss"
        header = str(app.query_one("#pane-raw .run-header").render())
        assert "4/5 seeds, 1 diverged" in header
        first, _loss, goal = app.query_one(ComparisonStrip).render().plain.splitlines()
        # the diverged member is not left out: its pair goes to normalized (an exact sign test)
        assert first.startswith("inconclusive on val accuracy: raw diverged in 1/5; normalized")
        assert "raw: 1/5 seeds diverged" in goal
        wide = comparison_markup(app.state, 300)
        assert "means: raw 65.0% (4/5 seeds) · normalized 98.2% (5/5 seeds)" in wide
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        header = str(app.query_one("#pane-raw .run-header").render())
        assert "1/5 diverged" in header


async def test_a_run_is_diverged_only_when_every_member_has() -> None:
    state = DashboardState(CONFIG)
    state.apply(session_started(CONFIG))
    for event in final_epoch([0.5, 0.6], [0.9, 0.95]):
        state.apply(event)
    state.apply(RunDiverged(1.0, "raw", 1, "nan", member=0))
    assert state.runs["raw"].status == "running"
    state.apply(RunDiverged(1.0, "raw", 1, "nan", member=1))
    assert state.runs["raw"].status == "diverged"
    first, _loss, goal = comparison_markup(state, 300).splitlines()
    assert first.startswith("inconclusive on val accuracy: raw diverged in 2/2; normalized better")
    assert "raw[/] [dim]— (every seed diverged)" in goal and "raw diverged at e1" in goal
    early = DashboardState(CONFIG.replace(seeds=3))  # a member diverges before any epoch shows
    early.apply(RunDiverged(0.5, "raw", 1, "nan", member=1))
    assert early.runs["raw"].status != "diverged"


async def test_a_member_that_never_reaches_the_goal_is_counted_not_hidden() -> None:
    events: list[Event] = [session_started(CONFIG)]
    for epoch in range(1, 41):
        raw = tuple(0.96 if epoch >= 20 + 5 * k and k != 3 else 0.7 for k in range(5))
        norm = tuple(0.96 if epoch >= 4 + k else 0.7 for k in range(5))
        events += [
            member_epoch("raw", epoch, raw, (0.3,) * 5),
            member_epoch("normalized", epoch, norm, (0.05,) * 5),
        ]
    events += [RunFinished(9.0, "raw", 40), RunFinished(9.0, "normalized", 40)]
    events.append(SessionEnded(9.0, "completed", 40))
    text = await strip_of(events)
    goal = text.splitlines()[2]
    # raw members reached at 20, 25, 30, (never), 40; normalized at 4..8
    assert "raw median e28 (20–40, 4/5)" in goal
    assert "normalized median e6 (4–8)" in goal
    # the member that never got there is censored at e40: its pair's order is still known, and
    # the exact sign test on 5 orders cannot reach 5% (p 0.0625)
    assert "normalized median 4.6× sooner (5/5, p 0.062)" in goal


async def test_the_band_is_drawn_under_the_median_and_named_in_the_legend(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # the band must read without colour: a glyph, not a hue
    app = seeded_app(scripted_session(CONFIG.replace(seeds=5), 60, {}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        plot = app.query_one("#pane-raw LossPlot", LossPlot)
        drawn = "".join(plot._lines)
        assert BAND_GLYPH in drawn and any("⠁" <= c <= "⣿" for c in drawn), "band and braille"
        assert f"{BAND_GLYPH} 5 seeds min–max" in str(plot.border_title)
        normalized = "".join(app.query_one("#pane-normalized LossPlot", LossPlot)._lines)
        assert any("⠁" <= c <= "⣿" for c in normalized), "its val median is braille, train dots"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        pane = app.query_one("#pane-raw")
        assert f"{BAND_GLYPH} 5 seeds" in str(pane.border_subtitle)
        # on the plots' shared y-axis the raw band is two rows under its lines at this size;
        # the normalized run's spans a decade and shows
        plots = ("#pane-raw LossPlot", "#pane-normalized LossPlot")
        assert any(BAND_GLYPH in "".join(app.query_one(p, LossPlot)._lines) for p in plots)


async def test_the_plot_title_leaves_words_out_instead_of_cutting_the_legend() -> None:
    """At 120x40 with `l` and `s` the title read '… 5 seeds min–max ━ tr…': cut mid-word."""
    from textual.content import Content

    app = seeded_app(scripted_session(CONFIG.replace(seeds=5), 60, {}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l", "s")
        await settle(pilot)
        for selector in ("#pane-raw LossPlot", "#pane-normalized LossPlot"):
            plot = app.query_one(selector, LossPlot)
            title = Content.from_markup(str(plot.border_title)).plain
            assert "linear, smoothed" in title and title.endswith("train")
            assert len(title) <= plot.size.width - 2, title
            assert f"{BAND_GLYPH} 5 seeds" in title


async def test_gauges_show_the_mean_and_the_spread_and_hists_the_member_range() -> None:
    app = seeded_app(scripted_session(CONFIG.replace(seeds=5), 60, {}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        gauges = str(app.query_one("#raw-gauges").render())
        low, high = app.state.runs["raw"].members.score_spread()
        assert f"{low * 100:.1f}–{high * 100:.1f}%" in gauges and "░" in gauges  # the spread
        assert "best mean" in gauges  # the best of the mean curve, as train labels it
        hists = str(app.query_one("#raw-hists").render())
        assert "dead 48% [dim](38–55)[/]" in hists


def test_the_spread_bar_shades_lowest_mean_highest() -> None:
    assert spread_bar(0.5, (0.3, 0.7), 10) == "███▓▓░░"
    assert spread_bar(0.5, None, 10) == "█████"


async def test_the_help_screen_states_the_interval_and_the_band() -> None:
    app = seeded_app(scripted_session(CONFIG.replace(seeds=5), 5, {}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        guide = str(app.screen.query_one("#help-guide").render())
        assert INTERVAL_METHOD in guide
        assert "min–max over seeds" in guide and "medians" in guide


async def test_a_live_session_of_three_seeds_draws_bands_and_judges_over_three(tmp_path) -> None:
    config = CONFIG.replace(seeds=3, pace=None)
    app = make_app(FakeSession(config), config=config, export_dir=tmp_path, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.runs["raw"].epoch >= 30, timeout=120)
        app.dashboard.sync()
        await pilot.pause()
        assert "· 3 seeds" in str(app.query_one("#top-bar").render())
        assert app.state.runs["raw"].members.count == 3
        strip = app.query_one(ComparisonStrip).render().plain
        assert "3/3 seeds" in strip or "over 3 seeds" in strip
        await pilot.press("space")
        await wait_until(pilot, lambda: app.state.paused, timeout=120)
        app.dashboard.sync()
        await pilot.pause()
        assert BAND_GLYPH in "".join(app.query_one("#pane-raw LossPlot", LossPlot)._lines)


def test_the_strip_and_train_judge_the_same_events_the_same_way() -> None:
    """One rule (issue 11 item 3): the dashboard's fold and train's Summarizer give the same
    three comparisons for the same events: seeds, ties, a diverged member, a missed goal, and a
    one-seed run that diverged whole."""
    from normtui.engine.summary import Summarizer

    sessions: list[list[Event]] = []
    events: list[Event] = [session_started(CONFIG)]
    for epoch in range(1, 31):
        raw = tuple(0.96 if epoch >= 10 + 5 * k and k != 3 else 0.7 + k / 100 for k in range(5))
        norm = tuple(0.96 if epoch >= 4 + k else 0.7 for k in range(5))
        diverged = (False, False, epoch >= 20, False, False)
        events += [
            member_epoch(
                "raw", epoch, raw, tuple(0.3 + k / 10 for k in range(5)), diverged=diverged
            ),
            member_epoch("normalized", epoch, norm, (0.05, 0.06, 0.05, 0.07, 0.05)),
        ]
        if epoch == 20:
            events.append(RunDiverged(1.0, "raw", 20, "inf", member=2))
    sessions.append(events)
    one_seed = [session_started(CONFIG), *final_epoch([0.6], [0.9])]
    sessions.append(
        [*one_seed, *final_epoch([0.7], [0.95], epoch=2), RunDiverged(2.0, "raw", 2, "nan")]
    )
    sessions.append([session_started(CONFIG), *final_epoch([0.5, 0.7, 0.8], [0.5, 0.7, 0.8])])
    for session in sessions:
        state, summary = DashboardState(CONFIG), Summarizer(goal_accuracy=CONFIG.goal_accuracy)
        for event in session:
            state.apply(event)
            summary(event)
        verdicts = state.verdicts()
        assert verdicts is not None
        assert (verdicts.score, verdicts.loss, verdicts.goal) == summary.comparisons()


def test_the_runs_values_drop_their_label_before_they_drop_out() -> None:
    from normtui.engine.statistics import compare_paired
    from normtui.tui.widgets.comparison import colour_runs, metric_line

    result = compare_paired(
        [0.9, 0.92, 0.95, 0.97, 0.94],
        [0.97, 0.97, 1.0, 0.97, 1.0],
        metric="val_accuracy",
        higher_is_better=True,
    )
    forms = (
        "[dim]means of 5: raw 94.4% · normalized 98.9%[/]",
        "[dim]raw 94.4% · normalized 98.9%[/]",
    )
    head = colour_runs(result.verdict)
    assert head.startswith("[b][$normalized-color]normalized[/][/b] ahead in 4/5")
    assert metric_line(result, forms, len(result.verdict) + 45).endswith(
        "means of 5: raw 94.4% · normalized 98.9%[/]"
    )
    assert metric_line(result, forms, len(result.verdict) + 32).endswith(
        "  [dim]raw 94.4% · normalized 98.9%[/]"
    )
    assert metric_line(result, forms, len(result.verdict) + 5) == head
