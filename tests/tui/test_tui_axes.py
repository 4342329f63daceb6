"""Side by side, the two loss plots share one y-range, so equal heights are equal losses;
`y` gives each plot its own, and both plots then say so."""

from __future__ import annotations

from conftest import recorded_app, settle, wait_until

from normtui.tui.widgets.loss_plot import LossPlot


def pane_plots(app) -> list[LossPlot]:
    return [plot for plot in app.query(LossPlot) if plot.id != "overlay"]


async def redrawn(pilot, key: str) -> None:
    await pilot.press(key)
    await pilot.pause()
    pilot.app.dashboard.sync()
    await pilot.pause()


async def test_both_loss_plots_share_one_y_range_on_log_and_linear_axes() -> None:
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        raw, normalized = pane_plots(app)
        await wait_until(pilot, lambda: raw.y_range is not None and normalized.y_range is not None)
        # the recorded wine session: raw val loss ~0.8, normalized ~0.0025, hundreds apart
        assert raw.y_range == normalized.y_range
        low, high = raw.y_range
        assert low <= 0.0025 and high >= 0.8
        await redrawn(pilot, "l")  # linear
        await wait_until(pilot, lambda: raw.y_range[0] == 0 or raw.y_range[0] < 0.001)
        assert raw.y_range == normalized.y_range
        assert "own y-axis" not in str(raw.border_title)


async def test_y_unlinks_the_axes_and_each_plot_then_says_so() -> None:
    app = recorded_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        raw, normalized = pane_plots(app)
        await redrawn(pilot, "y")
        await wait_until(pilot, lambda: raw.y_range != normalized.y_range)
        assert all("own y-axis" in str(plot.border_title) for plot in (raw, normalized))
        await redrawn(pilot, "y")
        await wait_until(pilot, lambda: raw.y_range == normalized.y_range)
        assert not any("own y-axis" in str(plot.border_title) for plot in (raw, normalized))


async def test_at_80x24_the_unlinked_axes_are_named_on_the_panes_border() -> None:
    app = recorded_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await redrawn(pilot, "y")
        panes = list(app.query(".run-pane"))
        await wait_until(pilot, lambda: all("own y" in str(p.border_subtitle) for p in panes))
