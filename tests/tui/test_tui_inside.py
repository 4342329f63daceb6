"""Inside the network on screen: the "listens to" line under each run's histograms and the
layers pane's learning view (`h`): per layer, update ratio and gradient over the epochs."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

from conftest import FIXTURE, settle
from fake_source import ReplaySource, read_events
from sample_events import layer_stats
from textual.pilot import Pilot

from normtui.engine.config import SessionConfig
from normtui.engine.events import EpochEnd, Event, LayerStats, SessionStarted
from normtui.tui.app import NormtuiApp, make_app
from normtui.tui.viewstate.layer_pair import LayerSample
from normtui.tui.viewstate.learning import LearningHistory
from normtui.tui.widgets.causes import cause_lines, share_bar
from normtui.tui.widgets.histograms import LayerHistograms
from normtui.tui.widgets.learning import LearningLines, learning_rows, line_cells

# wine's 13 features: the raw run listens to proline (the last), the normalized one to all
RAW_SHARES = (*(0.002 / 12,) * 12, 0.998)
NORM_SHARES = tuple((8 + i % 3) / sum(8 + j % 3 for j in range(13)) for i in range(13))


def _with_shares(event: Event) -> Event:
    if not isinstance(event, EpochEnd) or not event.layers:
        return event
    shares = RAW_SHARES if event.run == "raw" else NORM_SHARES
    first = dataclasses.replace(event.layers[0], input_share=shares)
    return dataclasses.replace(event, layers=(first, *event.layers[1:]))


def inside_app(export_dir: Path | None = None) -> NormtuiApp:
    """The recorded wine session, its sampled first layers given input shares (deterministic)."""
    header, events = read_events(FIXTURE)
    config = SessionConfig.from_dict(header["config"])
    source = ReplaySource([_with_shares(e) for e in events], live=True)
    return make_app(source, config=config, handle_signals=False, export_dir=export_dir)


async def _learning(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)


def test_listens_line_120x40(snap_compare) -> None:
    assert snap_compare(inside_app(), terminal_size=(120, 40), run_before=settle)


def test_learning_view_120x40(snap_compare) -> None:
    assert snap_compare(inside_app(), terminal_size=(120, 40), run_before=_learning)


def test_learning_view_80x24(snap_compare) -> None:
    assert snap_compare(inside_app(), terminal_size=(80, 24), run_before=_learning)


async def test_h_switches_the_layers_pane_and_back() -> None:
    app = inside_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        hists = app.query_one("#raw-hists", LayerHistograms)
        learning = app.query_one("#raw-learning", LearningLines)
        assert hists.display and not learning.display
        await pilot.press("h")
        await settle(pilot)
        assert learning.display and not hists.display
        text = str(learning.render())
        assert "L1 Δw/w" in text and "‖∇‖" in text
        causes = str(app.query_one("#raw-causes").render())
        assert "listens to proline" in causes and "99.8%" in causes
        await pilot.press("h")
        await settle(pilot)
        assert hists.display and not learning.display


def _layer(ratio: float, grad: float) -> LayerStats:
    return layer_stats(grad_norm=grad, update_ratio=ratio)


def test_both_runs_share_the_axes() -> None:
    """The same value draws at the same height in both panes, on the span of both runs."""
    raw, norm = LearningHistory(), LearningHistory()
    for epoch in range(1, 11):
        raw.add(epoch, [_layer(1e-3, 100.0)])
        norm.add(epoch, [_layer(1e-2 if epoch > 5 else 1e-3, 0.1)])
    raw_rows = learning_rows(raw, norm, 80, "red", compact=False)
    norm_rows = learning_rows(norm, raw, 80, "blue", compact=False)
    # the span (log10 -3 to -2) is both runs', so raw's flat -3 is the lowest level
    assert "(−3.0…−2.0)" in raw_rows[0] and "(−3.0…−2.0)" in norm_rows[0]
    assert "▁" in raw_rows[0] and "█" not in raw_rows[0]
    assert "█" in norm_rows[0]
    assert "0.1…100" in raw_rows[1]


def test_line_cells_carry_values_forward_and_thin_history() -> None:
    line = line_cells([1, 5, 10], [0.0, 1.0, math.nan], 10, 10, (0.0, 1.0))
    assert line == "▁▁▁▁█████ "  # epoch 5 from cell 4 on; the NaN at epoch 10 is a gap
    history = LearningHistory(max_points=4)
    for epoch in range(1, 7):
        history.add(epoch, [_layer(1e-3, 1.0)])
    assert len(history.epochs) <= 4 and history.epochs[0] == 1
    history.add(1, [_layer(1e-3, 1.0)])  # a restart: epochs count from 1 again
    assert history.epochs == [1]


def test_listens_line_fits_and_shortens() -> None:
    started = SessionStarted(
        time_s=0.0,
        config={},
        dataset="wine",
        n_train=142,
        n_val=36,
        n_features=13,
        n_classes=3,
        feature_names=(*(f"f{i}" for i in range(12)), "proline"),
        raw_feature_std=(1.0,) * 13,
        scaled_feature_std=(1.0,) * 13,
        device="cpu",
        parameters=1091,
    )
    layer = dataclasses.replace(
        _layer(1e-3, 1.0),
        input_share=RAW_SHARES,
        input_share_range=((0, 0),) * 12 + ((0.997, 0.999),),
    )
    sample = LayerSample(1, "relu", (layer,))
    wide = cause_lines(started, "raw", sample, width=200, compact=False, show_gradient=False)
    assert wide[-1].startswith("L1 listens to proline ████ 99.8% [dim](99.7–99.9)[/] · f0 ▏")
    narrow = cause_lines(started, "raw", sample, width=40, compact=False, show_gradient=False)
    assert "proline" in narrow[-1]
    assert share_bar(0.5, 4) == "██" and share_bar(0.001, 4) == "▏"


async def test_export_writes_the_input_shares(tmp_path: Path) -> None:
    app = inside_app(export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
    (listens,) = tmp_path.glob("*-listens.csv")
    rows = list(csv.DictReader(listens.open(encoding="utf-8")))
    raw = [row for row in rows if row["run"] == "raw" and row["feature"] == "proline"]
    assert raw and float(raw[-1]["share"]) == 0.998
    assert {row["run"] for row in rows} == {"raw", "normalized"}


def test_in_network_scaler_says_where_the_raw_inputs_go() -> None:
    started = SessionStarted(
        time_s=0.0,
        config={"scaler": "batchnorm"},
        dataset="wine",
        n_train=142,
        n_val=36,
        n_features=2,
        n_classes=3,
        feature_names=("alcohol", "proline"),
        raw_feature_std=(0.8, 324.0),
        scaled_feature_std=(0.8, 324.0),
        device="cpu",
        parameters=1091,
    )
    wide = cause_lines(started, "normalized", None, width=200, compact=False, show_gradient=False)
    assert wide[0].endswith("→ batchnorm")
    compact = cause_lines(started, "normalized", None, width=200, compact=True, show_gradient=False)
    assert compact[0].endswith("→BN")
    raw = cause_lines(started, "raw", None, width=200, compact=False, show_gradient=False)
    assert "batchnorm" not in raw[0]
