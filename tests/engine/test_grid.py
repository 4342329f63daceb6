"""A learning-rate grid: seeds × rates members of one batched model, each at its own rate.

Member (seed k, rate r) must train like a one-seed run with seed k at rate r, epoch by epoch,
for every optimizer, through an activation swap. The per-member rate is one step at lr 1 whose
move is scaled per member (engine/rates.py): exact in arithmetic (in float64 the difference is
1e-13 of a move), so what differs is float32 rounding, which the batched model already has
(tests/engine/test_seeds.py: 1e-5). Measured over the cases below (12 epochs): at most 1.5e-6
(Adam), 1.6e-5 (AdamW), 2.6e-7 (SGD), 1.1e-6 (RMSprop) relative on a val loss. The tolerance
is 1e-4: AdamW's decay 1 − lr·wd is itself rounded in float32 in the one-seed run (at lr 1e-3
its decay term carries a 5e-3 relative error), and a rate's move is up to 1000x smaller than
the lr-1 step it is cut from, so its last bits are coarser than a one-seed run's.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from normtui.engine.config import ConfigError, SessionConfig
from normtui.engine.data.prepare import prepare_members
from normtui.engine.grid import band, choose, margin, mean_score
from normtui.engine.seeds import member_seeds
from normtui.engine.trainer import PairTrainer

RUNS = ("raw", "normalized")
RATES = (1e-3, 1e-2, 3e-2)
SEEDS = 2
EPOCHS = 12
SWAP_AT = 5
REL_TOL = 1e-4


def _epochs(config: SessionConfig, swap: str | None, grid: bool) -> list[dict]:
    """Per epoch and run: the grid (every rate's seeds), or the run's own host numbers."""
    trainer = PairTrainer(config)
    rows = []
    for epoch in range(EPOCHS):
        if swap is not None and epoch == SWAP_AT:
            trainer.set_activation(swap)
        outcome = trainer.train_epoch()
        assert not outcome.failed
        source = outcome.grids if grid else outcome.results
        rows.append({name: source[name] for name in RUNS})
    return rows


@pytest.mark.parametrize(
    ("optimizer", "activation", "swap", "batch_size"),
    [
        ("adam", "relu", "prelu", None),
        ("adamw", "prelu", None, 32),
        ("sgd", "relu", "tanh", 32),
        ("rmsprop", "tanh", None, None),
    ],
)
def test_member_seed_k_rate_r_trains_like_a_one_seed_run_at_that_rate(
    optimizer: str, activation: str, swap: str | None, batch_size: int | None
) -> None:
    base = SessionConfig(
        dataset="wine",
        optimizer=optimizer,
        activation=activation,
        batch_size=batch_size,
        hidden=(16,),
        parallel=False,
        hist_interval_s=0,
        test_split=0.2,
    )
    grid = _epochs(base.replace(seeds=SEEDS, lrs=RATES), swap, grid=True)
    seeds = member_seeds(base.seed, SEEDS)
    for k, seed in enumerate(seeds):
        for r, rate in enumerate(RATES):
            single = _epochs(base.replace(seed=seed, lr=rate), swap, grid=False)
            for epoch, (mine, theirs) in enumerate(zip(grid, single, strict=True)):
                for name in RUNS:
                    ours = mine[name]["val_loss"][r][k]
                    alone = theirs[name].val_loss
                    assert math.isclose(ours, alone, rel_tol=REL_TOL), (name, epoch + 1, k, rate)
                    assert mine[name]["test_loss"][r][k] == pytest.approx(
                        theirs[name].test_loss, rel=REL_TOL
                    )


def test_changing_only_the_test_labels_changes_no_choice_and_no_validation_number() -> None:
    config = SessionConfig(
        dataset="wine",
        seeds=3,
        lrs=(1e-3, 1e-2, 1e-1),
        test_split=0.25,
        hidden=(16,),
        parallel=False,
    )
    members = prepare_members(config)
    rng = np.random.default_rng(0)
    shuffled = tuple(dataclasses.replace(m, y_test=rng.permutation(m.y_test)) for m in members)
    outcomes = []
    for data in (members, shuffled):
        trainer = PairTrainer(config, data=data)
        outcomes.append([trainer.train_epoch() for _ in range(15)])
    test_differs = False
    for first, second in zip(*outcomes, strict=True):
        for name in RUNS:
            a, b = first.grids[name], second.grids[name]
            assert a["chosen"] == b["chosen"]
            assert a["val_score"] == b["val_score"] and a["val_loss"] == b["val_loss"]
            assert first.rates[name] == second.rates[name]
            test_differs |= a["test_score"] != b["test_score"]
    assert test_differs  # the labels did change what the test rows say


def test_the_run_reports_its_chosen_rates_seeds_and_every_rate_in_its_grid() -> None:
    config = SessionConfig(
        dataset="wine",
        seeds=2,
        lrs=(1e-4, 1e-2),
        test_split=0.2,
        hidden=(16,),
        parallel=False,
        hist_interval_s=0,
    )
    trainer = PairTrainer(config)
    for _ in range(10):
        outcome = trainer.train_epoch()
    for name in RUNS:
        grid = outcome.grids[name]
        chosen = grid["chosen"]
        assert chosen == choose(grid["val_score"], grid["val_loss"])
        assert outcome.rates[name] == config.lrs[chosen]
        host = outcome.results[name]
        assert host.members is not None
        assert host.members.val_score == grid["val_score"][chosen]
        # the per-layer numbers are the chosen rate's seeds' (their histograms pool 2 seeds)
        assert host.layers and host.layers[0].pre_hist is not None
        rows = sum(host.layers[0].pre_hist.counts)
        assert rows == 2 * trainer.runs[name].X_val.shape[1] * 16


def test_the_grid_shifts_as_a_whole() -> None:
    config = SessionConfig(dataset="wine", seeds=1, lrs=(1e-3, 1e-2), test_split=0.2, lr=1e-3)
    trainer = PairTrainer(config)
    trainer.set_lr(3e-3)
    assert trainer.rates_now() == pytest.approx((3e-3, 3e-2))
    rates = trainer.runs["raw"].rates
    assert rates is not None
    assert rates.rates.tolist() == pytest.approx([3e-3, 3e-2])


def test_split_sizes_are_equal_across_seeds_and_parts_disjoint() -> None:
    config = SessionConfig(dataset="wine", seeds=4, lrs=(1e-3, 1e-2), test_split=0.2)
    members = prepare_members(config)
    assert len({(len(m.y_train), len(m.y_val), m.n_test) for m in members}) == 1
    assert members[0].n_test == 36 and len(members[0].y_val) == 36  # ceil(0.2 * 178)
    # stratified: every class in the test rows of every seed
    for m in members:
        assert set(m.y_test.tolist()) == {0, 1, 2}


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lrs": (1e-3,)}, "2..16 rates"),
        ({"lrs": (1e-2, 1e-3)}, "increasing order"),
        ({"lrs": (1e-3, 20.0)}, "out of range"),
        ({"lrs": (1e-3, 1e-2), "test_split": 0.0}, "--test-split"),
        ({"lrs": (1e-3, 1e-2), "test_split": 0.5, "val_split": 0.4}, "leave under 20%"),
        ({"test_split": 0.7}, "out of range"),
    ],
)
def test_bad_grids_are_config_errors(changes: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        SessionConfig(**changes)


# -- the rules on constructed cases -----------------------------------------------------------


def test_choice_counts_a_diverged_seed_as_zero_and_breaks_ties_by_loss_then_rate() -> None:
    scores = [[0.80, 0.82], [0.98, None], [0.95, 0.95]]
    losses = [[0.5, 0.5], [0.1, None], [0.2, 0.2]]
    assert choose(scores, losses) == 2  # 0.95 beats 0.49 (0.98 and a diverged seed)
    assert choose([[0.9, 0.9], [0.9, 0.9]], [[0.3, 0.3], [0.2, 0.2]]) == 1
    assert choose([[0.9], [0.9]], [[0.2], [0.2]]) == 0
    assert mean_score([-3.0, 0.5]) == 0.25  # R² clipped at 0


def test_band_margin_is_one_val_row_or_the_seed_noise_whichever_is_larger() -> None:
    quiet = [[0.5] * 4, [0.97, 0.97, 0.97, 0.97], [0.96] * 4, [0.90] * 4]
    loss = [[1.0] * 4] * 4
    result = band(quiet, loss, resolution=1 / 36)
    assert result.best == 1 and result.margin == pytest.approx(1 / 36)
    assert result.works == (1, 2)
    noisy = [[0.5] * 4, [1.0, 0.9, 1.0, 0.9], [0.90] * 4, [0.80] * 4]
    wide = band(noisy, loss, resolution=1 / 36)
    assert wide.margin == pytest.approx(margin(noisy[1], 1 / 36))
    assert wide.margin > 1 / 36 and wide.works == (1, 2)
    assert wide.decades([1e-4, 1e-3, 1e-2, 1e-1]) == pytest.approx(1.0)


def test_no_rate_works_where_none_beats_the_trivial_predictor() -> None:
    from normtui.engine.grid import band_text

    scores = [[-2.0, -1.0], [-0.5, -0.1]]  # R² below 0 at every rate: clipped, all 0
    result = band(scores, [[5.0, 5.0], [1.0, 1.0]], resolution=0.01)
    assert result.works == () and result.best == 1
    assert "works at no rate" in band_text("raw", result, [1e-3, 1e-2])
