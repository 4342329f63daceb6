"""Pilot stories against the fake live source: keys reach the engine and the panes follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import recorded_app, settle, wait_until
from fake_source import FakeSession
from textual.widgets import Static

from normtui.engine import commands as cmd
from normtui.engine.config import ACTIVATIONS, SessionConfig
from normtui.tui.app import NormtuiApp, make_app
from normtui.tui.screens.activation_picker import ActivationPicker
from normtui.tui.screens.help import HelpScreen
from normtui.tui.widgets.loss_plot import LossPlot


def epochs(app: NormtuiApp) -> tuple[int, int]:
    return tuple(run.epoch for run in app.state.runs.values())  # type: ignore[return-value]


async def test_loading_state_shows_before_the_first_event(
    fake_config: SessionConfig, tmp_path: Path
) -> None:
    source = FakeSession(fake_config, held=True)
    app = make_app(source, config=fake_config, export_dir=tmp_path, handle_signals=False)
    async with app.run_test(size=(120, 40)) as pilot:

        def top_bar() -> str:
            return str(app.query_one("#top-bar").render())

        assert "loading torch" in top_bar(), "the very first frame says what it is waiting for"
        await pilot.pause(0.2)
        assert "loading torch" in top_bar() and app.state.started is None
        source.release()
        await wait_until(pilot, lambda: app.state.started is not None)
        await wait_until(pilot, lambda: "loading" not in top_bar())


async def test_swapping_activation_reaches_both_runs_at_the_same_epoch(
    fake_app: NormtuiApp,
) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 3)
        await pilot.press("a")
        expected = "tanh"
        assert cmd.SetActivation(expected, keep_weights=True) in fake_app.source.sent
        runs = fake_app.state.runs.values()
        await wait_until(pilot, lambda: all(run.activation == expected for run in runs))
        markers = [list(run.markers) for run in runs]
        assert markers[0] == markers[1] and markers[0][0][1] == expected
        await pilot.press("A")
        assert fake_app.source.sent[-1] == cmd.SetActivation("relu", keep_weights=True)


async def test_a_reaches_tanh_then_sigmoid_first_then_every_other_activation(
    fake_app: NormtuiApp,
) -> None:
    """Issue 4's story: a new user presses `a` a few times and meets the saturating pair."""
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: fake_app.state.started is not None)
        seen = []
        for _ in range(len(ACTIVATIONS)):
            await pilot.press("a")
            seen.append(fake_app.source.sent[-1].name)
        assert seen[:2] == ["tanh", "sigmoid"]
        assert sorted(seen) == sorted(ACTIVATIONS), "the cycle still visits every activation once"
        assert seen[-1] == "relu"
        await pilot.press("A")
        assert fake_app.source.sent[-1].name == seen[-2]


async def test_k_makes_swaps_restart_both_runs(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 3)
        await pilot.press("k", "a")
        assert fake_app.source.sent[-1] == cmd.SetActivation("tanh", keep_weights=False)
        await wait_until(pilot, lambda: fake_app.state.restarts == 1)


async def test_pause_stops_new_epochs_and_step_advances_exactly_one(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 2)
        await pilot.press("space")
        await wait_until(pilot, lambda: fake_app.state.paused)
        await pilot.pause(0.3)
        paused_at = epochs(fake_app)
        assert paused_at[0] == paused_at[1]
        await pilot.pause(0.4)
        assert epochs(fake_app) == paused_at, "no epochs while paused"
        await pilot.press("n")
        target = (paused_at[0] + 1, paused_at[1] + 1)
        await wait_until(pilot, lambda: epochs(fake_app) == target)
        await pilot.pause(0.4)
        assert epochs(fake_app) == target, "step trains exactly one epoch"
        await pilot.press("space")
        await wait_until(pilot, lambda: min(epochs(fake_app)) > target[0] + 2)


async def test_paused_dashboard_stops_its_timer_and_wakes_on_the_next_event(
    fake_app: NormtuiApp,
) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 2)
        await pilot.press("space")
        await wait_until(pilot, lambda: not fake_app.dashboard.ticking, timeout=120)
        await pilot.press("space")
        await wait_until(pilot, lambda: fake_app.dashboard.ticking and not fake_app.state.paused)


async def test_learning_rate_and_pace_keys(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: fake_app.state.started is not None)
        await pilot.press("space")  # paused: commands still apply, and unlimited pace won't flood
        await wait_until(pilot, lambda: fake_app.state.paused)
        await pilot.press("plus")
        assert fake_app.source.sent[-1] == cmd.SetLearningRate(2e-3)
        await wait_until(pilot, lambda: fake_app.state.learning_rate == 2e-3)
        await pilot.press("minus", "minus")
        await wait_until(pilot, lambda: fake_app.state.learning_rate == 5e-4)
        await pilot.press("right_square_bracket")
        assert fake_app.source.sent[-1] == cmd.SetPace(100)
        for _ in range(5):
            await pilot.press("right_square_bracket")
        assert fake_app.source.sent[-1] == cmd.SetPace(None)
        await wait_until(pilot, lambda: fake_app.state.pace is None)
        await pilot.press("left_square_bracket")
        assert fake_app.source.sent[-1] == cmd.SetPace(1000)


async def test_restart_key(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 5)
        await pilot.press("r")
        await wait_until(pilot, lambda: fake_app.state.restarts == 1)
        assert cmd.Restart() in fake_app.source.sent


async def test_picker_jumps_to_any_activation(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: fake_app.state.started is not None)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(fake_app.screen, ActivationPicker))
        for _ in range(ACTIVATIONS.index("tanh")):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(fake_app.screen, ActivationPicker))
        assert fake_app.source.sent[-1] == cmd.SetActivation("tanh", keep_weights=True)
        await wait_until(pilot, lambda: fake_app.state.activation == "tanh")


async def test_help_opens_and_closes_and_lists_every_key(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(fake_app.screen, HelpScreen))
        descriptions = (
            "Pause / resume",
            "Next activation",
            "Learning rate ×2",
            "Overlay",
            "Slower",
        )

        def help_text() -> str:
            text = " ".join(str(c.render()) for c in fake_app.screen.query(".help-column"))
            return " ".join(text.split())

        await wait_until(pilot, lambda: all(d in help_text() for d in descriptions))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(fake_app.screen, HelpScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(fake_app.screen, HelpScreen))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: not isinstance(fake_app.screen, HelpScreen))


async def test_a_long_key_description_wraps_under_itself_not_under_the_keys() -> None:
    """At 120x40 "Next page of features in the inputs pane" wrapped "pane" to the key column."""
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        columns = list(app.screen.query(".help-column"))
        key_width = max(len(key) for key, _ in app.screen._keys)
        text = ""
        for column in columns:
            width = column.region.width
            lines = str(column.render()).splitlines()
            assert len(lines) == column.region.height
            for line in lines:
                assert len(line) <= width  # nothing left for the widget to wrap
                if not line[:key_width].strip():  # a continuation: under the description
                    assert line[: key_width + 2] == " " * (key_width + 2)
            text += " ".join(lines)
        assert "inputs pane" in " ".join(text.split())


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_help_on_a_narrow_terminal_stacks_its_key_columns(size: tuple[int, int]) -> None:
    app = recorded_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        first, second = app.screen.query(".help-column")
        assert first.region.x == second.region.x  # one above the other, not side by side
        assert second.region.y >= first.region.bottom
        width = first.region.width
        for line in str(first.render()).splitlines():  # every key line fits unwrapped
            assert len(line) <= width


async def test_number_keys_hide_and_show_panes(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        plots = list(fake_app.query(".loss-plot"))
        assert all(plot.display for plot in plots)
        await pilot.press("1")
        assert not any(plot.display for plot in plots)
        await pilot.press("1")
        assert all(plot.display for plot in plots)
        for key, selector in (("4", "#comparison"), ("5", "#inputs"), ("2", "AccuracyGauges")):
            widget = fake_app.query_one(selector)
            assert widget.display
            await pilot.press(key)
            assert not widget.display


async def test_overlay_view_and_log_scale(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 3)
        overlay = fake_app.query_one("#overlay", LossPlot)
        assert not overlay.display
        await pilot.press("o")
        assert overlay.display
        assert not any(plot.display for plot in fake_app.query(".loss-plot"))
        await wait_until(pilot, lambda: overlay.builds > 0)
        raw_plot = fake_app.query_one("#pane-raw .loss-plot", LossPlot)
        await pilot.press("o")
        assert raw_plot._data is not None and raw_plot._data.log_y  # log axis by default
        await pilot.press("l")
        assert not raw_plot._data.log_y


async def test_too_small_terminal_shows_a_message_not_a_garbled_screen(
    fake_app: NormtuiApp,
) -> None:
    async with fake_app.run_test(size=(60, 15)) as pilot:
        await pilot.pause()
        message = fake_app.query_one("#too-small", Static)
        assert message.display
        assert "terminal too small" in str(message.render())
        assert not fake_app.query_one("#dashboard").display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not message.display and fake_app.query_one("#dashboard").display


async def test_compact_layout_at_80x24(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 2)
        assert fake_app.query_one("#dashboard").has_class("-compact")
        assert not fake_app.query_one("#inputs").display  # hidden by default when compact
        await pilot.press("5")
        assert fake_app.query_one("#inputs").display


async def test_theme_key_cycles_themes(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        assert fake_app.theme == "dark"
        await pilot.press("t")
        assert fake_app.theme != "dark"


async def test_export_writes_svg_and_csv(fake_app: NormtuiApp, tmp_path: Path) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: min(epochs(fake_app)) >= 3)
        await pilot.press("e")
        svgs, csvs = list(tmp_path.glob("*.svg")), list(tmp_path.glob("*.csv"))
        assert len(svgs) == 1 and len(csvs) == 1
        assert "<svg" in svgs[0].read_text()
        lines = csvs[0].read_text().splitlines()
        assert lines[0].startswith("run,segment,epoch,train_loss")
        assert {line.split(",")[0] for line in lines[1:]} == {"raw", "normalized"}
        await pilot.press("e")  # a second export in the same second keeps the first
        assert len(list(tmp_path.glob("*.svg"))) == 2 and len(list(tmp_path.glob("*.csv"))) == 2
        assert svgs[0].exists() and csvs[0].read_text().splitlines() == lines


async def test_q_quits_with_0_and_stops_the_source(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: fake_app.state.started is not None)
        await pilot.press("q")
    assert fake_app.return_code == 0
    assert fake_app.source.stopped  # type: ignore[attr-defined]


async def test_ctrl_c_quits_with_130(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+c")
    assert fake_app.return_code == 130


async def test_replay_hides_the_training_controls() -> None:
    app = recorded_app(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("space", "a", "plus")
        assert app.source.sent == []  # type: ignore[attr-defined]
        assert all("Pause" not in desc for _key, desc in app.dashboard.key_table())


async def test_bad_theme_falls_back_to_default_with_a_message(tmp_path: Path) -> None:
    broken = tmp_path / "mine.toml"
    broken.write_text("primary = 'not a colour'\n")
    app = recorded_app(theme=str(broken))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: any("is not a colour" in n for n in app.notices))
        assert app.theme == "dark"


async def test_picker_cancels_with_escape_or_q(fake_app: NormtuiApp) -> None:
    async with fake_app.run_test(size=(120, 40)) as pilot:
        for key in ("escape", "q"):
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(fake_app.screen, ActivationPicker))
            await pilot.press(key)
            await wait_until(pilot, lambda: not isinstance(fake_app.screen, ActivationPicker))
        assert fake_app.return_code is None
        assert not any(isinstance(c, cmd.SetActivation) for c in fake_app.source.sent)


async def test_an_edited_copy_of_a_bundled_theme_is_the_one_shown(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[2] / "themes" / "dark.toml"
    mine = tmp_path / "mydark.toml"  # still says name = "dark", as the README's recipe leaves it
    mine.write_text(bundled.read_text().replace("#ff8a65", "#ff0000"))
    app = recorded_app(theme=str(mine))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "dark"
        assert app.theme_variables["raw-color"].lower() == "#ff0000"


@pytest.mark.parametrize(("width", "narrow"), [(72, True), (100, False)])
async def test_a_narrow_footer_keeps_help_and_quit_and_every_key_still_works(
    fake_app: NormtuiApp, width: int, narrow: bool
) -> None:
    """At 70-79 columns the key line overflowed and cut off "? Help" and "q Quit"."""
    async with fake_app.run_test(size=(width, 24)) as pilot:

        def shown() -> set[str]:
            return {key.action for key in fake_app.screen.query("FooterKey")}

        # the footer recomposes once the session has started: wait for its keys, not a frame
        await wait_until(pilot, lambda: {"help", "quit_app", "toggle_pause"} <= shown())
        assert ({"overlay", "export"} <= shown()) is not narrow
        footer = fake_app.screen.query_one("Footer")
        assert sum(key.outer_size.width for key in footer.query("FooterKey")) <= width
        await pilot.press("o")  # left out of the footer, not out of the keymap
        await wait_until(pilot, lambda: fake_app.query_one("#overlay", LossPlot).display)


async def test_a_replay_footer_fits_at_70_columns_with_every_key() -> None:
    app = recorded_app(live=False)
    async with app.run_test(size=(70, 24)) as pilot:
        await settle(pilot)
        keys = list(app.screen.query("FooterKey"))
        assert {"overlay", "export", "help", "quit_app"} <= {key.action for key in keys}
        assert sum(key.outer_size.width for key in keys) <= 70


async def test_while_paused_the_footer_offers_resume(fake_app: NormtuiApp) -> None:
    def label() -> str | None:
        """The pause key's label; None while the footer recomposes (it has no keys then)."""
        keys = [k for k in fake_app.screen.query("FooterKey") if k.action == "toggle_pause"]
        return keys[0].description if keys else None

    async with fake_app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: fake_app.state.started is not None)
        await wait_until(pilot, lambda: label() == "Pause")
        await pilot.press("space")
        await wait_until(pilot, lambda: label() == "Resume")
        await pilot.press("space")
        await wait_until(pilot, lambda: label() == "Pause")
