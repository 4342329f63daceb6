"""Issue 10, items 8-16: what the screen says must not mislead (Pilot stories)."""

from __future__ import annotations

from collections.abc import Callable

from conftest import settle
from fake_source import ReplaySource, fake_epoch, session_started

from normtui.engine import commands as cmd
from normtui.engine.config import SessionConfig
from normtui.engine.events import RUN_NAMES, Event, RunFinished
from normtui.tui.app import NormtuiApp, make_app


def finished_session(config: SessionConfig, epochs: int) -> list[Event]:
    """A live session whose runs reached --epochs and which waits for `r` (it lingers)."""
    events: list[Event] = [session_started(config, 0.0)]
    for epoch in range(1, epochs + 1):
        for run in RUN_NAMES:
            t = epoch * 0.05
            events.append(fake_epoch(run, epoch, config.activation, config.lr, 64, 1, t, t))
    events += [RunFinished(epochs * 0.05, run, epochs) for run in RUN_NAMES]
    return events


def live_app(events: list[Event], config: SessionConfig) -> NormtuiApp:
    return make_app(ReplaySource(events, live=True), config=config, handle_signals=False)


def footer_text(app: NormtuiApp) -> str:
    from normtui.tui.widgets.key_footer import KeyFooter

    footer = app.screen.query_one(KeyFooter)
    return " ".join(f"{key.key_display} {key.description}" for key in footer.query("FooterKey"))


def notices(app: NormtuiApp) -> list[str]:
    return app.notices


async def test_after_the_last_epoch_pause_and_step_say_training_is_over() -> None:
    config = SessionConfig(dataset="wine", epochs=3)
    app = live_app(finished_session(config, 3), config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        source = app.source
        assert "Pause" not in footer_text(app) and "Step" not in footer_text(app)
        assert "Train again" in footer_text(app)
        assert "■ finished" in str(app.screen.query_one("#top-bar").render())
        for key in ("space", "n"):
            await pilot.press(key)
        await pilot.pause()
        assert source.sent == [], "a pause or a step of runs that have stopped does nothing"
        assert any("training finished at epoch 3" in text for text in notices(app))
        await pilot.press("r")
        assert source.sent == [cmd.Restart()]


async def test_settings_changed_after_the_last_epoch_are_taken_for_the_next_start() -> None:
    """Issue 25: a lower rate (or another activation) once the runs have stopped was refused
    ("r trains both runs again"), and `r` then trained with the old one."""
    config = SessionConfig(dataset="wine", epochs=3, lr=10.0)
    app = live_app(finished_session(config, 3), config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("minus", "a")
        await pilot.pause()
        assert app.source.sent == [cmd.SetLearningRate(5.0), cmd.SetActivation("tanh", True)]
        assert "learning rate 10 → 5 for both runs: r trains them with it" in notices(app)
        assert "activation tanh: r trains both runs with it" in notices(app)
        await pilot.press("r")
        assert app.source.sent[-1] == cmd.Restart()


def running_session(config: SessionConfig, epochs: int) -> list[Event]:
    """A live session frozen mid-run (the source records commands without obeying them)."""
    return finished_session(config, epochs)[: -len(RUN_NAMES)]


async def test_repeated_presses_keep_one_notification_per_kind_below_the_plots() -> None:
    config = SessionConfig(dataset="wine", lr=10.0)
    app = live_app(running_session(config, 5), config)
    notify = app.notify
    # Toasts live 2-4 s; eleven presses on a loaded machine can outlast that. What is tested is
    # one toast per kind, replaced in place, so none may expire mid-test.
    app.notify = lambda message, **options: notify(message, **{**options, "timeout": 600})
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(*["plus"] * 8)
        await pilot.pause()
        assert notices(app) == ["learning rate already at its limit (10)"]
        await pilot.press(*["left_square_bracket"] * 10, "minus")
        await pilot.pause()
        texts = notices(app)
        assert len(texts) == 2, texts  # the lr kind replaced in place, one pace notice
        assert texts[-1] == "learning rate 10 → 5 for both runs"
        await pilot.pause(0.2)
        toasts = list(app.screen.query("Toast"))
        assert len(toasts) == 2
        plots_bottom = max(
            plot.region.bottom for plot in app.screen.query("LossPlot") if plot.display
        )
        for toast in toasts:
            assert toast.region.y >= plots_bottom, "a notification covers the plots or header"


def test_a_learning_rate_change_marks_both_plots_like_a_swap() -> None:
    from normtui.engine.events import LearningRateChanged
    from normtui.tui.viewstate.state import DashboardState

    config = SessionConfig(dataset="wine")
    state = DashboardState(config)
    for event in running_session(config, 4):
        state.apply(event)
    state.apply(LearningRateChanged(1.0, 4, 2e-3))
    state.apply(LearningRateChanged(1.1, 4, 4e-3))  # pressed twice at one epoch: one marker
    assert [list(run.markers) for run in state.runs.values()] == [[(4, "lr 4e-3")]] * 2


async def test_a_swap_while_paused_keeps_the_histograms_labelled_with_their_activation() -> None:
    from normtui.engine.events import ActivationChanged, Paused

    config = SessionConfig(dataset="wine")
    app = live_app([*running_session(config, 4), Paused(0.3, 4)], config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.dashboard.ingest([ActivationChanged(0.4, 4, "tanh", "relu", True)])
        app.dashboard.sync()
        await pilot.pause()
        for run in RUN_NAMES:
            hists = app.screen.query_one(f"#{run}-hists")
            text = str(hists.render())
            assert "dead" in text and "sat" not in text, "relu's numbers under relu's name"
            assert "relu, before the swap" in str(hists.border_title)
        # the next epoch brings tanh's own stats: the note goes
        app.dashboard.ingest(
            [fake_epoch(run, 5, "tanh", config.lr, 64, 1, 0.5, 0.5) for run in RUN_NAMES]
        )
        app.dashboard.sync()
        await pilot.pause()
        for run in RUN_NAMES:
            hists = app.screen.query_one(f"#{run}-hists")
            assert "sat" in str(hists.render())
            assert "before the swap" not in str(hists.border_title)


def swapped_with_a_restart(
    config: SessionConfig, lr: float, loss: Callable[[int], float]
) -> list[Event]:
    """Three relu epochs, a swap to tanh that restarts both runs at `lr`, two tanh epochs."""
    from normtui.engine.events import ActivationChanged, Restarted

    events = running_session(config, 3)
    events += [ActivationChanged(0.2, 3, "tanh", "relu", False), Restarted(0.2, "tanh", lr)]
    events += [
        fake_epoch(run, e, "tanh", lr, 64, 1, loss(e), loss(e)) for e in (1, 2) for run in RUN_NAMES
    ]
    return events


async def test_export_after_a_restart_holds_every_epoch_with_segment_activation_and_lr(
    tmp_path,
) -> None:
    import csv

    config = SessionConfig(dataset="wine")
    events = swapped_with_a_restart(config, lr=2e-3, loss=lambda epoch: 0.3)
    app = make_app(
        ReplaySource(events, live=True), config=config, handle_signals=False, export_dir=tmp_path
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        (path,) = tmp_path.glob("*.csv")
    rows = list(csv.DictReader(path.open()))
    raw = [(r["segment"], r["epoch"], r["activation"], r["lr"]) for r in rows if r["run"] == "raw"]
    assert raw == [
        ("0", "1", "relu", "0.001"),
        ("0", "2", "relu", "0.001"),
        ("0", "3", "relu", "0.001"),
        ("1", "1", "tanh", "0.002"),
        ("1", "2", "tanh", "0.002"),
    ]


def write_log(path, events: list[Event], config: SessionConfig) -> None:
    from normtui.engine.log import LogWriter

    writer = LogWriter(str(path), config.to_dict())
    for event in events:
        writer(event)
    writer.close()


async def test_a_replay_shows_the_recorded_swap_mode_its_own_speed_and_plays_again(
    tmp_path,
) -> None:
    from conftest import wait_until

    from normtui.engine.events import SessionEnded
    from normtui.engine.replay import ReplaySource as LogReplay

    config = SessionConfig(dataset="wine")
    events = swapped_with_a_restart(config, lr=1e-3, loss=float)
    events.append(SessionEnded(3.0, "completed", 2))
    log = tmp_path / "restart-swap.jsonl"
    write_log(log, events, config)
    source = LogReplay(str(log), epochs_per_s=200)
    app = make_app(source, config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "Play again" in footer_text(app), timeout=120)
        app.dashboard.sync()
        await pilot.pause()
        bar = str(app.screen.query_one("#top-bar").render())
        assert "swap: restart" in bar and "keep weights" not in bar
        assert "n Step" not in footer_text(app)
        first_view = app.state.runs["raw"]
        await pilot.press("space")  # plays again from the first epoch, into a fresh state
        await wait_until(pilot, lambda: app.state.runs["raw"] is not first_view, timeout=120)
        await wait_until(pilot, lambda: app.state.ended is not None, timeout=120)
        await wait_until(pilot, lambda: "Play again" in footer_text(app), timeout=120)
        assert app.state.restarts == 1 and app.state.runs["raw"].epoch == 2


def test_a_replayed_pane_shows_the_replay_speed_not_the_recorded_rate() -> None:
    from normtui.tui.viewstate.state import DashboardState
    from normtui.tui.widgets.run_pane import RunPane

    config = SessionConfig(dataset="wine")
    state = DashboardState(config)
    for event in running_session(config, 4):
        state.apply(event)
    shown: list[str] = []
    pane = RunPane("raw", "raw")
    header = type("T", (), {"show_markup": shown.append, "fits": lambda self, markup: True})
    pane.query_one = lambda *a: header()  # type: ignore
    pane._show_subtitle = lambda: None  # type: ignore[method-assign]
    pane.show_scalars(state.runs["raw"], replay_speed=5.0)
    assert "5 ep/s" in shown[-1] and "20 ep/s" not in shown[-1]
    pane.show_scalars(state.runs["raw"])
    assert "20 ep/s" in shown[-1]


async def test_watch_waits_for_a_log_that_does_not_exist_yet_and_says_so(tmp_path) -> None:
    from conftest import FIXTURE, wait_until

    from normtui.engine.replay import FollowSource

    log = tmp_path / "later.jsonl"
    source = FollowSource(str(log))
    assert source.missing
    app = make_app(source, config=SessionConfig(), handle_signals=False, missing_log=str(log))
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.screen.query_one("#top-bar")
        await wait_until(pilot, lambda: "to appear" in str(bar.render()))
        assert str(log) in str(bar.render()) and "wine" not in str(bar.render())
        log.write_text("\n".join(FIXTURE.read_text().splitlines()[:4]) + "\n")
        await wait_until(pilot, lambda: app.state.started is not None, timeout=120)
        await wait_until(pilot, lambda: "to appear" not in str(bar.render()))
    source.stop()


async def test_watch_of_a_file_that_appears_but_is_not_a_log_ends_with_exit_2(tmp_path) -> None:
    from conftest import wait_until

    from normtui.engine.replay import FollowSource

    log = tmp_path / "later.jsonl"
    source = FollowSource(str(log))
    app = make_app(source, config=SessionConfig(), handle_signals=False, missing_log=str(log))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        log.write_text("just some notes\n")
        await wait_until(pilot, lambda: app.return_code == 2, timeout=120)
    assert "not a normtui log" in str(source.error)


async def test_themes_are_normtuis_only_and_t_cycles_in_the_readmes_order() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (line,) = [row for row in readme.splitlines() if row.startswith("| `t` |")]
    listed = re.findall(r"`([a-z-]+)`", line.split("|")[2])
    config = SessionConfig(dataset="wine")
    app = live_app(running_session(config, 2), config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert list(app.available_themes) == listed, "the palette's Theme entry lists these"
        seen = [app.theme]
        for _ in listed:
            await pilot.press("t")
            seen.append(app.theme)
        assert seen == [*listed, listed[0]]


async def test_every_feature_is_reachable_with_i_and_the_bars_are_explained() -> None:
    import dataclasses

    config = SessionConfig(dataset="wine")
    events = running_session(config, 2)
    started = events[0]
    names = tuple(f"feature_{n:02d}" for n in range(30))
    events[0] = dataclasses.replace(
        started,
        n_features=30,
        feature_names=names,
        raw_feature_std=tuple(10.0 ** (n / 6) for n in range(30)),
        scaled_feature_std=(1.0,) * 30,
    )
    app = live_app(events, config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        inputs = app.screen.query_one("#inputs")
        assert "log scale" in str(inputs.border_title) and "▪" in str(inputs.border_title)
        seen: set[str] = set()
        for _ in range(3):
            text = str(inputs.render())
            seen |= {name for name in names if name in text}
            await pilot.press("i")
            await pilot.pause()
        assert seen == set(names), f"never shown: {sorted(set(names) - seen)}"
        assert "of 30" in text and "i next" in text.replace("[b]", "").replace("[/b]", "")


async def test_hiding_every_pane_says_how_to_bring_them_back() -> None:
    config = SessionConfig(dataset="wine")
    app = live_app(running_session(config, 2), config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        hint = app.screen.query_one("#all-hidden")
        assert not hint.display or hint.region.height == 0
        await pilot.press("1", "2", "3", "4", "5")
        await pilot.pause()
        assert hint.region.height > 0 and "every pane is hidden" in str(hint.render())
        await pilot.press("3")
        await pilot.pause()
        assert hint.region.height == 0


async def test_long_numbers_and_a_restart_count_leave_out_words_instead_of_cutting_them() -> None:
    from normtui.engine.events import PaceChanged, Restarted

    config = SessionConfig(dataset="wine", activation="leaky_relu")
    events = running_session(config, 2)
    events[1:1] = [PaceChanged(0.0, None), Restarted(0.0, "leaky_relu", 1e-3)]
    source = ReplaySource(events, live=True)
    app = make_app(source, config=config, handle_signals=False, low_bandwidth=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.state.runs["raw"].epoch = 12345  # a long header: epoch, activation, loss, rate
        app.dashboard.sync()
        await pilot.pause()
        from normtui.tui.widgets.text_line import TextLine

        lines = [app.screen.query_one("#top-bar", TextLine)]
        lines += list(app.screen.query(".run-header").results(TextLine))
        for line in lines:
            rendered = line._content.plain
            assert "…" not in rendered, rendered
            assert len(rendered) <= line.content_size.width, rendered
        assert "restarts 1" in lines[0]._content.plain


async def test_pane_titles_follow_the_scaler_the_session_reports() -> None:
    """A watched log that did not exist yet had no header: the panes said the default scaler."""
    recorded = SessionConfig(dataset="wine", scaler="robust")
    app = live_app(running_session(recorded, 2), SessionConfig(dataset="wine"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        title = str(app.screen.query_one("#pane-normalized").border_title)
        assert "robust scaler" in title and "standard" not in title
