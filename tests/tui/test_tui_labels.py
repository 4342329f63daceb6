"""Everything on screen says what it is: legends, axis modes, rates only while they are true."""

from __future__ import annotations

from conftest import FIXTURE, recorded_app, settle, wait_until
from fake_source import ReplaySource, read_events

from normtui.engine import commands as cmd
from normtui.engine.config import SessionConfig
from normtui.tui.app import NormtuiApp, make_app
from normtui.tui.widgets.loss_plot import LossPlot
from normtui.tui.widgets.run_pane import RunPane


def header_text(app: NormtuiApp, run: str) -> str:
    return str(app.query_one(f"#pane-{run} .run-header").render())


async def test_a_paused_run_shows_no_training_rate(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: fake_app.state.runs["raw"].epoch >= 3)
        await wait_until(pilot, lambda: "ep/s" in header_text(fake_app, "raw"))
        await pilot.press("space")
        await wait_until(pilot, lambda: fake_app.state.paused)
        fake_app.dashboard.sync()
        await pilot.pause()
        assert "paused" in header_text(fake_app, "raw")
        assert "ep/s" not in header_text(fake_app, "raw"), "a paused run trains 0 epochs/s"


async def test_plot_titles_say_log_or_linear_and_smoothed() -> None:
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        plot = app.query_one("#pane-raw LossPlot", LossPlot)
        assert "(log)" in str(plot.border_title)
        await pilot.press("l", "s")
        await settle(pilot)
        assert "(linear, smoothed)" in str(plot.border_title)
        await pilot.press("o")
        await settle(pilot)
        overlay = app.query_one("#overlay", LossPlot)
        assert "(log, smoothed)" in str(overlay.border_title)
        await pilot.press("l")
        await settle(pilot)
        assert "(linear, smoothed)" in str(overlay.border_title)


async def test_compact_layout_keeps_the_loss_legend_and_whole_pane_titles() -> None:
    """At 80x24 the plots lose their title row: the legend moves to the pane's bottom border."""
    app = recorded_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.query_one("#pane-normalized", RunPane)
        assert "━ val" in str(pane.border_subtitle) and "━ train" in str(pane.border_subtitle)
        assert str(pane.border_title) == "[b]normalized[/b] · standard scaler"
        assert len("normalized · standard scaler") < pane.size.width - 4, "fits, no ellipsis"
        await pilot.press("o")  # overlay: the per-run plots are hidden, so is their legend
        await settle(pilot)
        assert "━ val" not in str(pane.border_subtitle)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert "normalized inputs" in str(pane.border_title)


async def test_the_picker_says_in_full_what_enter_will_do(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k", "p")
        picker = fake_app.screen.query_one("#activation-list")
        await pilot.pause()
        subtitle = str(picker.border_subtitle)
        assert "restarting both runs" in subtitle
        assert len(subtitle) + 4 <= picker.size.width + 2, "the subtitle is not cut short"


class CutOffReplay(ReplaySource):
    """A replay of a log that stops mid-session (no session_ended), like the test fixture."""

    playback = True


async def test_a_replay_that_runs_out_of_log_says_so_instead_of_running() -> None:
    header, events = read_events(FIXTURE)
    config = SessionConfig.from_dict(header["config"])
    app = make_app(CutOffReplay(events), config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "end of log" in str(app.query_one("#top-bar").render()))
        await wait_until(pilot, lambda: "end of log" in header_text(app, "raw"))
        assert "running" not in header_text(app, "raw")
        assert "ep/s" not in header_text(app, "normalized")


class PacedReplay(CutOffReplay):
    """A replay that records speed changes the way `normtui replay --speed N` obeys them."""

    pace: float | None = 100.0

    def send(self, command: cmd.Command) -> None:
        super().send(command)
        if isinstance(command, cmd.SetPace):
            self.pace = command.epochs_per_s


async def test_replay_speed_keys_start_from_the_replay_speed_and_the_bar_shows_it() -> None:
    """`]` at --speed 100 goes to 200/s (not from the recorded 20/s pace to 50/s)."""
    header, events = read_events(FIXTURE)
    config = SessionConfig.from_dict(header["config"])
    source = PacedReplay(events)
    app = make_app(source, config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = str(app.query_one("#top-bar").render())
        assert "replay 100/s" in bar and "pace 20/s" not in bar
        await pilot.press("right_square_bracket")
        assert source.sent[-1] == cmd.SetPace(200)
        app.dashboard.sync()
        await pilot.pause()
        assert "replay 200/s" in str(app.query_one("#top-bar").render())


async def test_help_in_a_replay_describes_the_replay_not_training() -> None:
    header, events = read_events(FIXTURE)
    config = SessionConfig.from_dict(header["config"])
    app = make_app(PacedReplay(events), config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = dict(app.dashboard.key_table())
        assert table["space"] == "Pause / resume the replay"
        assert table["q"] == "Quit", "quitting a replay stops no training"
        assert "Show the rest of the log" in table["G / end"]
        assert not any("training" in text for text in table.values())


async def test_help_in_watch_does_not_claim_quitting_stops_training(tmp_path) -> None:
    """`watch` follows another process's log: `q` leaves that training running."""
    from normtui.engine.replay import FollowSource

    log = tmp_path / "live.jsonl"
    log.write_text(FIXTURE.read_text())
    config = SessionConfig.from_dict(read_events(FIXTURE)[0]["config"])
    app = make_app(FollowSource(str(log)), config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        quit_text = dict(app.dashboard.key_table())["q"]
        assert "stops training" not in quit_text and "goes on" in quit_text


async def test_a_log_with_only_its_header_says_so_in_replay_and_waits_in_watch(tmp_path) -> None:
    from normtui.engine.replay import FollowSource
    from normtui.engine.replay import ReplaySource as LogReplay

    log = tmp_path / "header-only.jsonl"
    log.write_text(FIXTURE.read_text().splitlines()[0] + "\n")
    config = SessionConfig.from_dict(read_events(FIXTURE)[0]["config"])

    replay = make_app(LogReplay(str(log)), config=config, handle_signals=False)
    async with replay.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "no events" in header_text(replay, "raw"))
        assert "loading torch" not in str(replay.query_one("#top-bar").render())

    follow = FollowSource(str(log))
    watch = make_app(follow, config=config, handle_signals=False)
    async with watch.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "waiting for the first event" in header_text(watch, "raw"))
        with log.open("a") as handle:  # the trainer writes its first events
            handle.write("\n".join(FIXTURE.read_text().splitlines()[1:4]) + "\n")
        await wait_until(pilot, lambda: watch.state.started is not None)
        await wait_until(pilot, lambda: "waiting" not in header_text(watch, "raw"))


async def test_a_replay_without_a_speed_is_whole_in_its_first_frame(monkeypatch) -> None:
    from normtui.engine.replay import ReplaySource as LogReplay
    from normtui.tui.screens import session as app_module

    # the app waits at most PRELOAD_JOIN_S for the source; a loaded machine may need longer, and
    # what is tested is that the fold happens before the first frame, not how fast
    monkeypatch.setattr(app_module, "PRELOAD_JOIN_S", 120.0)

    source = LogReplay(str(FIXTURE))
    last_epoch = max(e.epoch for e in source.events if hasattr(e, "epoch"))
    config = SessionConfig.from_dict(source.header["config"])
    app = make_app(source, config=config, handle_signals=False)
    async with app.run_test(size=(120, 40)):
        # no pause, no tick: folded in before the first frame instead of on a later tick
        assert app.state.runs["raw"].epoch == last_epoch
        assert f"epoch {last_epoch}" in header_text(app, "raw")


async def test_a_replay_at_a_speed_is_not_called_ended_while_it_plays() -> None:
    from normtui.engine.replay import ReplaySource as LogReplay

    source = LogReplay(str(FIXTURE), epochs_per_s=40)
    config = SessionConfig.from_dict(source.header["config"])
    app = make_app(source, config=config, handle_signals=False)
    start_source = app.dashboard._start_source
    app.dashboard._start_source = lambda: None  # a real terminal ticks before it starts
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(3 * 0.05)  # a few ticks
        start_source()
        await wait_until(pilot, lambda: app.state.runs["raw"].epoch >= 3)
        app.dashboard.sync()
        await pilot.pause()
        assert "end of log" not in header_text(app, "raw")
        assert "end of log" not in str(app.query_one("#top-bar").render())


async def test_no_color_draws_the_second_line_of_each_plot_dotted(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # every line is the same grey: shape must tell them apart
    app = recorded_app()
    assert app.no_color
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        plot = app.query_one("#pane-raw LossPlot", LossPlot)
        assert "• train" in str(plot.border_title)
        assert "•" in "".join(plot._lines)  # the training loss is drawn in dots
        await pilot.press("o")
        await settle(pilot)
        overlay = app.query_one("#overlay", LossPlot)
        assert "• normalized" in str(overlay.border_title)
        assert "•" in "".join(overlay._lines)


async def test_with_colour_every_line_is_braille() -> None:
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        plot = app.query_one("#pane-raw LossPlot", LossPlot)
        assert "━ train" in str(plot.border_title) and "•" not in "".join(plot._lines)


async def test_after_a_restart_the_layers_title_names_no_stale_epoch() -> None:
    from normtui.engine.events import Restarted
    from normtui.tui.widgets.histograms import LayerHistograms

    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        hists = app.query_one("#pane-raw LayerHistograms", LayerHistograms)
        assert "layers at epoch" in str(hists.border_title)
        app.dashboard.ingest([Restarted(99.0, "relu", 1e-3)])
        app.dashboard.sync()
        await pilot.pause()
        assert str(hists.border_title) == "layers"
