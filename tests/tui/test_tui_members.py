"""Seeds you can see (issue 25, item 6): `m` draws each member's val loss line over the band, and
the export CSV holds each member's rows beside the run's mean."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import SEEDS_FIXTURE, recorded_app, settle

from normtui.tui.widgets.loss_plot import LossPlot


def _val_lines(app, run: str) -> list:
    plot = app.screen.query_one(f"#pane-{run}").query_one(LossPlot)
    return [line for line in plot._data.lines if line.colour == f"{run}-color"]


async def test_m_draws_every_members_line_over_the_band_and_takes_them_away() -> None:
    app = recorded_app(fixture=SEEDS_FIXTURE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = {run: _val_lines(app, run) for run in ("raw", "normalized")}
        await pilot.press("m")
        await pilot.pause()
        for run in ("raw", "normalized"):
            lines = _val_lines(app, run)
            assert len(lines) == len(before[run]) + 5, run  # one per seed, the median kept
            members = [line for line in lines if line.fade > 0]
            assert len({(line.fade, line.dotted) for line in members}) == 1, "one style"
            plot = app.screen.query_one(f"#pane-{run}").query_one(LossPlot)
            band = plot._data.bands[0]
            for line in members:  # each seed's line lies inside the band it makes up
                for x, y in zip(line.xs, line.ys, strict=True):
                    at = band.xs.index(x)
                    assert band.lows[at] <= y <= band.highs[at]
        await pilot.press("o")  # the overlay draws them too
        await pilot.pause()
        overlay = app.screen.query_one("#overlay", LossPlot)
        assert len(overlay._data.lines) == 2 + 10
        await pilot.press("o", "m")
        await pilot.pause()
        assert {run: _val_lines(app, run) for run in ("raw", "normalized")} == before


async def test_the_export_holds_each_members_rows(tmp_path: Path) -> None:
    app = recorded_app(fixture=SEEDS_FIXTURE, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
    (path,) = tmp_path.glob("*.csv")
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0])[-1] == "member"
    first = [row for row in rows if row["run"] == "raw" and row["epoch"] == "1"]
    assert [row["member"] for row in first] == ["mean", "0", "1", "2", "3", "4"]
    losses = [float(row["val_loss"]) for row in first[1:]]
    assert abs(sum(losses) / 5 - float(first[0]["val_loss"])) < 1e-3 * float(first[0]["val_loss"])
    assert len(set(losses)) == 5, "each seed its own loss"
