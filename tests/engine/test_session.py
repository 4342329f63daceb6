"""The controlled pair: same init, same batches, commands at the same epoch, honest failures."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest
import torch

from normtui.engine.commands import (
    Pause,
    Restart,
    Resume,
    SetActivation,
    SetLearningRate,
    SetPace,
    Step,
)
from normtui.engine.config import SessionConfig
from normtui.engine.events import (
    ActivationChanged,
    EpochEnd,
    LearningRateChanged,
    PaceChanged,
    Paused,
    Restarted,
    Resumed,
    RunDiverged,
    RunFailed,
    RunFinished,
    SessionEnded,
    SessionStarted,
)
from normtui.engine.run import Run
from normtui.engine.session import Session
from normtui.engine.trainer import PairTrainer

TINY = SessionConfig(dataset="iris", epochs=None, hist_interval_s=0.0)


def linear_weights(trainer: PairTrainer, run: str) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.runs[run].model.linears.parameters()]


def assert_same(left: list[torch.Tensor], right: list[torch.Tensor]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert torch.equal(a, b)


def test_both_runs_start_from_identical_weights() -> None:
    trainer = PairTrainer(SessionConfig(dataset="wine", hidden=(32, 16)))
    raw = trainer.runs["raw"].model.state_dict()
    norm = trainer.runs["normalized"].model.state_dict()
    assert raw.keys() == norm.keys()
    for key in raw:
        assert torch.equal(raw[key], norm[key])
        assert raw[key].data_ptr() != norm[key].data_ptr()  # copies, not shared tensors


def test_runs_see_the_same_batch_order() -> None:
    """Fed identical inputs, the two runs stay bit-identical over shuffled mini-batches."""
    trainer = PairTrainer(SessionConfig(dataset="wine", batch_size=16, parallel=False))
    raw = trainer.runs["raw"]
    trainer.runs["normalized"].X_train = raw.X_train
    trainer.runs["normalized"].X_val = raw.X_val
    for _ in range(3):
        trainer.train_epoch()
    assert_same(linear_weights(trainer, "raw"), linear_weights(trainer, "normalized"))
    # ...and the order really is shuffled: another seed's order differs.
    assert not torch.equal(
        trainer.batch_order(),
        PairTrainer(SessionConfig(dataset="wine", batch_size=16, seed=1)).batch_order(),
    )


def test_raw_run_matches_the_origin_posts_loop_on_its_own_data() -> None:
    """dataset seed, ReLU, 64 hidden, Adam 1e-3, full batch, 100 epochs: same val accuracy."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from torch import nn, optim

    seed = 0
    X, y = make_classification(n_samples=1000, n_features=20, random_state=42)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=y
    )
    X_train = torch.tensor(X_train, dtype=torch.float32)
    y_train = torch.tensor(y_train, dtype=torch.long)
    X_val = torch.tensor(X_val, dtype=torch.float32)
    y_val = torch.tensor(y_val, dtype=torch.long)

    class SimpleNN(nn.Module):  # the post's model, verbatim
        def __init__(self, input_dim: int, hidden_dim: int, output_dim: int) -> None:
            super().__init__()
            self.fc1 = nn.Linear(input_dim, hidden_dim)
            self.activation = nn.ReLU()
            self.fc2 = nn.Linear(hidden_dim, output_dim)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc2(self.activation(self.fc1(x)))

    torch.manual_seed(seed)
    model = SimpleNN(input_dim=20, hidden_dim=64, output_dim=2)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    model.train()
    for _ in range(100):
        optimizer.zero_grad()
        loss = criterion(model(X_train), y_train)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        post_accuracy = (model(X_val).argmax(1) == y_val).float().mean().item()

    config = SessionConfig(dataset="seed", seed=seed, epochs=100, device="cpu")
    trainer = PairTrainer(config)
    for _ in range(100):
        outcome = trainer.train_epoch()
    engine_accuracy = outcome.results["raw"].val_accuracy
    assert abs(engine_accuracy - post_accuracy) <= 1 / len(y_val) + 1e-9


def run_until(recorder, session: Session, condition, timeout: float = 120.0) -> None:
    try:
        recorder.wait_for(condition, timeout)
    except AssertionError:
        session.stop()
        raise


def step(recorder, session: Session, epochs: int) -> None:
    """Train a paused session `epochs` more epochs and wait for both runs to report them."""
    target = len(recorder.epochs()) + 2 * epochs
    for _ in range(epochs):
        session.send(Step())
    run_until(recorder, session, lambda: len(recorder.epochs()) == target)


def test_a_session_emits_started_epochs_finished_and_ended(recorder) -> None:
    session = Session(SessionConfig(dataset="iris", epochs=5))
    session.start(recorder)
    assert session.join(30)
    started = recorder.of(SessionStarted)
    assert len(started) == 1 and started[0].dataset == "iris"
    assert [e.epoch for e in recorder.epochs("raw")] == [1, 2, 3, 4, 5]
    assert [e.epoch for e in recorder.epochs("normalized")] == [1, 2, 3, 4, 5]
    assert {e.run for e in recorder.of(RunFinished)} == {"raw", "normalized"}
    ended = recorder.of(SessionEnded)
    assert len(ended) == 1 and ended[0].reason == "completed" and ended[0].error is None
    assert recorder.events[-1] is ended[0]


def test_a_stop_before_training_begins_ends_without_loading_data(recorder) -> None:
    session = Session(SessionConfig(dataset="wine", epochs=5))
    session.request_stop("SIGTERM")  # as a signal during the imports would
    session.start(recorder)
    assert session.join(30)
    assert recorder.of(SessionStarted) == [] and recorder.epochs() == []
    ended = recorder.of(SessionEnded)
    assert len(ended) == 1 and ended[0].reason == "SIGTERM" and ended[0].error is None


def swap_after(recorder, epochs: int, swap: SetActivation) -> None:
    """A paused session stepped `epochs` epochs, then `swap`, then one more epoch, then stopped."""
    session = Session(TINY, linger=True, paused=True)
    session.start(recorder)
    step(recorder, session, epochs)
    session.send(swap)
    step(recorder, session, 1)
    session.stop()


def test_swapping_activation_keeps_linear_weights_and_hits_both_runs_at_the_same_epoch(
    recorder,
) -> None:
    swap_after(recorder, 3, SetActivation("tanh", keep_weights=True))
    (change,) = recorder.of(ActivationChanged)
    assert change.epoch == 3 and change.activation == "tanh" and change.previous == "relu"
    by_epoch = {(e.run, e.epoch): e.activation for e in recorder.epochs()}
    for run in ("raw", "normalized"):
        assert by_epoch[(run, 3)] == "relu"
        assert by_epoch[(run, 4)] == "tanh"
    # keep_weights: epoch numbering continues, no restart happened
    assert not recorder.of(Restarted)
    tanh_layers = [e.layers[0] for e in recorder.epochs() if e.epoch == 4]
    assert all(layer.saturated_fraction is not None for layer in tanh_layers)
    assert all(layer.dead_fraction is None for layer in tanh_layers)


def test_set_activation_keeps_linear_weights_and_optimizer_state() -> None:
    trainer = PairTrainer(SessionConfig(dataset="iris", parallel=False))
    trainer.train_epoch()
    before = linear_weights(trainer, "raw")
    first_weight = trainer.runs["raw"].model.linears[0].weight
    state_before = trainer.runs["raw"].optimizer.state[first_weight]["exp_avg"].clone()
    trainer.set_activation("gelu")
    assert_same(before, linear_weights(trainer, "raw"))
    assert torch.equal(trainer.runs["raw"].optimizer.state[first_weight]["exp_avg"], state_before)
    assert isinstance(trainer.runs["raw"].model.activations[0], torch.nn.GELU)


def test_prelu_parameters_join_the_optimizer_and_learn() -> None:
    trainer = PairTrainer(SessionConfig(dataset="wine", hidden=(16, 8), parallel=False))
    trainer.train_epoch()
    trainer.set_activation("prelu")
    run: Run = trainer.runs["normalized"]
    slopes = [act.weight for act in run.model.activations]
    optimized = {id(p) for group in run.optimizer.param_groups for p in group["params"]}
    assert all(id(s) in optimized for s in slopes)
    before = [s.detach().clone() for s in slopes]
    for _ in range(5):
        trainer.train_epoch()
    assert all(not torch.equal(b, s) for b, s in zip(before, slopes, strict=True))
    # swapping away removes them from the optimizer again
    trainer.set_activation("relu")
    optimized = {id(p) for group in run.optimizer.param_groups for p in group["params"]}
    assert not any(id(s) in optimized for s in slopes)
    assert all(s not in run.optimizer.state for s in slopes)


def round_trip(recorder, session: Session, lr: float) -> None:
    """Send a command and wait for its answer: every command sent before it has been applied,
    and the trainer has been round its loop since (a no-sleep way to say "nothing more came")."""
    session.send(SetLearningRate(lr))
    recorder.wait_for(lambda: any(e.learning_rate == lr for e in recorder.of(LearningRateChanged)))


def test_pause_stops_epochs_step_advances_exactly_one_resume_continues(recorder) -> None:
    session = Session(TINY, linger=True)
    session.start(recorder)
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= 2)
    session.send(Pause())
    run_until(recorder, session, lambda: len(recorder.of(Paused)) == 1)
    paused_at = recorder.of(Paused)[0].epoch
    round_trip(recorder, session, 1e-3)
    round_trip(recorder, session, 2e-3)
    assert max(e.epoch for e in recorder.epochs()) == paused_at
    session.send(Step())
    run_until(recorder, session, lambda: len(recorder.epochs()) == 2 * (paused_at + 1))
    round_trip(recorder, session, 3e-3)
    round_trip(recorder, session, 4e-3)
    assert max(e.epoch for e in recorder.epochs()) == paused_at + 1
    assert len([e for e in recorder.epochs() if e.epoch == paused_at + 1]) == 2
    session.send(Resume())
    run_until(recorder, session, lambda: max(e.epoch for e in recorder.epochs()) >= paused_at + 5)
    session.stop()
    assert recorder.of(SessionEnded)[-1].reason == "stopped"
    assert not session.running


def test_learning_rate_change_reaches_both_optimizers(recorder) -> None:
    session = Session(TINY, linger=True, paused=True)
    session.start(recorder)
    session.send(SetLearningRate(0.02))
    session.send(Step())
    run_until(recorder, session, lambda: len(recorder.epochs()) == 2)
    session.stop()
    assert recorder.of(LearningRateChanged)[0].learning_rate == 0.02
    assert {e.learning_rate for e in recorder.epochs()} == {0.02}


def assert_on_or_behind_schedule(epochs: list[EpochEnd], start_s: float, pace: float) -> None:
    """The k-th epoch ends no sooner than k-1 intervals after `start_s` (a load only delays)."""
    for k, epoch in enumerate(epochs):
        assert epoch.time_s >= start_s + k / pace - 1e-3, (k, [e.time_s for e in epochs])


def test_pace_limits_epochs_per_second(recorder) -> None:
    session = Session(TINY.replace(pace=20.0), linger=True)
    session.start(recorder)
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= 6)
    session.send(SetPace(None))
    count_at_pace = len(recorder.epochs("raw"))
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= count_at_pace + 50)
    session.stop()
    assert_on_or_behind_schedule(recorder.epochs("raw")[:6], 0.0, 20.0)
    assert recorder.of(PaceChanged)[0].epochs_per_s is None and session.pacer.pace is None


def test_resuming_after_a_pause_keeps_the_pace_instead_of_catching_up(recorder) -> None:
    """The pacer counted the pause as lag: a resume at 5 epochs/s burst ~4 epochs in 10 ms."""
    session = Session(TINY.replace(pace=5.0), linger=True)
    session.start(recorder)
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= 2)
    session.send(Pause())
    run_until(recorder, session, lambda: len(recorder.of(Paused)) == 1)
    time.sleep(1.0)  # sets the scene (a pause of several intervals); nothing is asserted of it
    session.send(Resume())
    run_until(recorder, session, lambda: len(recorder.of(Resumed)) == 1)
    resumed = recorder.of(Resumed)[0]
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= resumed.epoch + 3)
    session.stop()
    after = recorder.epochs("raw")[resumed.epoch : resumed.epoch + 3]
    assert_on_or_behind_schedule(after, resumed.time_s, 5.0)


def test_a_restart_trains_its_first_epoch_at_once_even_at_a_slow_pace(recorder) -> None:
    session = Session(TINY.replace(pace=0.01), linger=True)  # one epoch every 100 s
    session.start(recorder)
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= 1)
    session.send(Restart())
    # within the wait's 20 s, so not after the 100 s interval
    run_until(recorder, session, lambda: len(recorder.epochs("raw")) >= 2, timeout=120)
    session.stop()
    assert recorder.epochs("raw")[1].epoch == 1


def test_restart_starts_both_runs_again_from_the_shared_init(recorder) -> None:
    session = Session(TINY.replace(epochs=3), linger=True)
    session.start(recorder)
    run_until(recorder, session, lambda: len(recorder.of(RunFinished)) == 2)
    session.send(Restart())
    run_until(recorder, session, lambda: len(recorder.of(RunFinished)) == 4)
    session.stop()
    assert len(recorder.of(Restarted)) == 1
    first, second = recorder.epochs("raw")[:3], recorder.epochs("raw")[3:]
    assert [e.epoch for e in second] == [1, 2, 3]
    # same seed, same init, same data: a restart reproduces the first pass exactly
    assert [e.train_loss for e in first] == [e.train_loss for e in second]


def test_steps_asked_after_the_end_do_not_train_the_restarted_runs(recorder) -> None:
    session = Session(SessionConfig(dataset="iris", epochs=3), linger=True)
    session.start(recorder)
    recorder.wait_for(lambda: len(recorder.of(RunFinished)) == 2)
    for command in (Step(), Step(), Pause(), Restart()):
        session.send(command)
    recorder.wait_for(lambda: len(recorder.of(Restarted)) == 1)
    assert session.pacer.wait_s() is None  # paused, no step left: waits for the next command
    round_trip(recorder, session, 1e-3)
    round_trip(recorder, session, 2e-3)
    session.stop()
    restarted_at = recorder.events.index(recorder.of(Restarted)[0])
    assert [e for e in recorder.events[restarted_at:] if isinstance(e, EpochEnd)] == []


def test_swap_with_restart_resets_epochs(recorder) -> None:
    swap_after(recorder, 2, SetActivation("sigmoid", keep_weights=False))
    assert recorder.of(ActivationChanged)[0].keep_weights is False
    assert len(recorder.of(Restarted)) == 1
    last = recorder.epochs()[-2:]
    assert {(e.epoch, e.activation) for e in last} == {(1, "sigmoid")}


def test_a_diverging_run_stops_and_the_other_goes_on(recorder) -> None:
    config = SessionConfig(
        dataset="scales", activation="identity", optimizer="sgd", lr=0.1, epochs=30
    )
    session = Session(config)
    session.start(recorder)
    assert session.join(60)
    diverged = recorder.of(RunDiverged)
    assert [d.run for d in diverged] == ["raw"]
    # a runaway loss (engine/divergence.py) is shown as its last epoch; a NaN one is not
    raw_epochs = recorder.epochs("raw")
    if diverged[0].loss in {"nan", "inf"}:
        assert all(e.epoch < diverged[0].epoch for e in raw_epochs)
    else:
        assert raw_epochs[-1].epoch == diverged[0].epoch and diverged[0].reference is not None
    assert recorder.epochs("normalized")[-1].epoch == 30
    assert all(math.isfinite(e.train_loss) for e in recorder.epochs("normalized"))


def test_an_exception_in_one_run_surfaces_and_the_other_run_finishes(recorder, monkeypatch) -> None:
    original = Run.train_epoch

    def flaky(self, order, batch_size, cancel=None):
        if self.name == "normalized":
            raise RuntimeError("simulated device failure")
        return original(self, order, batch_size, cancel)

    monkeypatch.setattr(Run, "train_epoch", flaky)
    session = Session(SessionConfig(dataset="iris", epochs=4))
    session.start(recorder)
    assert session.join(30)
    (failed,) = recorder.of(RunFailed)
    assert failed.run == "normalized" and "simulated device failure" in failed.error
    assert [e.epoch for e in recorder.epochs("raw")] == [1, 2, 3, 4]
    assert recorder.epochs("normalized") == []


def test_histograms_share_bin_edges_between_runs(recorder) -> None:
    session = Session(SessionConfig(dataset="wine", hidden=(32, 16), epochs=3, hist_interval_s=0))
    session.start(recorder)
    assert session.join(30)
    for epoch in (1, 2, 3):
        raw, norm = (
            next(e for e in recorder.epochs(r) if e.epoch == epoch) for r in ("raw", "normalized")
        )
        for layer_raw, layer_norm in zip(raw.layers, norm.layers, strict=True):
            assert layer_raw.pre_hist.edges == layer_norm.pre_hist.edges
            assert layer_raw.post_hist.edges == layer_norm.post_hist.edges
            assert sum(layer_raw.pre_hist.counts) == 36 * layer_raw.width  # every value binned
            assert layer_raw.pre_hist.edges[0] <= layer_raw.pre_min + 1e-3


def test_wine_raw_run_has_dead_relus_and_saturated_tanh_the_normalized_run_does_not(
    recorder, new_recorder
) -> None:
    session = Session(SessionConfig(dataset="wine", epochs=10), linger=False)
    session.start(recorder)
    assert session.join(30)
    raw, norm = recorder.epochs("raw")[-1], recorder.epochs("normalized")[-1]
    assert raw.layers[0].dead_fraction > norm.layers[0].dead_fraction + 0.2
    assert raw.layers[0].pre_max - raw.layers[0].pre_min > 10 * (
        norm.layers[0].pre_max - norm.layers[0].pre_min
    )

    tanh = new_recorder()
    session = Session(SessionConfig(dataset="wine", epochs=10, activation="tanh"))
    session.start(tanh)
    assert session.join(30)
    raw, norm = tanh.epochs("raw")[-1], tanh.epochs("normalized")[-1]
    assert raw.layers[0].saturated_fraction > 0.8 > 0.2 > norm.layers[0].saturated_fraction


def test_device_cuda_without_a_gpu_is_a_usage_error(recorder) -> None:
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    session = Session(SessionConfig(dataset="iris", device="cuda"))
    session.start(recorder)
    assert session.join(30)
    (ended,) = recorder.of(SessionEnded)
    assert ended.reason == "error" and ended.usage_error and "cuda" in ended.error.lower()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_session_trains_on_the_gpu(recorder) -> None:
    session = Session(SessionConfig(dataset="wine", device="cuda", epochs=5))
    session.start(recorder)
    assert session.join(60)
    assert recorder.of(SessionStarted)[0].device.startswith("cuda")
    assert len(recorder.epochs()) == 10


def test_importing_the_engine_leaves_textual_and_torch_unloaded() -> None:
    code = (
        "import sys, normtui.engine, normtui.engine.session, normtui.engine.events, "
        "normtui.engine.log, normtui.engine.summary, normtui.engine.config; "
        "print(sorted(m for m in ('textual', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_post_activation_histograms_stay_readable_for_both_runs_and_zeros_are_exact(
    recorder,
) -> None:
    session = Session(SessionConfig(dataset="wine", epochs=5, hist_interval_s=0))
    session.start(recorder)
    assert session.join(60)
    raw, norm = recorder.epochs("raw")[-1].layers[0], recorder.epochs("normalized")[-1].layers[0]
    assert raw.post_hist.edges == norm.post_hist.edges  # still one axis for both runs
    assert raw.post_hist.edges[-1] > 50  # the raw run's ReLU outputs reach the hundreds
    # ...yet the normalized run's outputs (a few units) spread over several bins, not one bar
    assert sum(1 for count in norm.post_hist.counts if count) >= 4
    # ReLU: about half the normalized run's outputs are exactly zero, and it says so exactly
    assert 0.2 < norm.zero_fraction < 0.8
    assert norm.zero_fraction < norm.post_hist.counts[0] / sum(norm.post_hist.counts) + 1e-9
