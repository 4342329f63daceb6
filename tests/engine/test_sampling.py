"""Layer stats are sampled so the screen can show both runs on the epoch the status shows: a
stepped epoch, the epoch a pause stops at, and (under a pace with time to spare) every epoch."""

from __future__ import annotations

import time

from normtui.engine.commands import Pause, Step
from normtui.engine.config import SessionConfig
from normtui.engine.events import Paused
from normtui.engine.session import Session

# a sampling interval nothing reaches: only the rules under test sample
RARE = SessionConfig(dataset="iris", epochs=None, hist_interval_s=1000.0)


def wait(recorder, session: Session, condition) -> None:
    try:
        recorder.wait_for(condition, 120.0)
    except AssertionError:
        session.stop()
        raise


def sampled(recorder, epoch: int) -> dict[str, bool]:
    return {e.run: bool(e.layers) for e in recorder.epochs() if e.epoch == epoch}


def test_the_epoch_a_pause_stops_at_carries_both_runs_layers(recorder) -> None:
    session = Session(RARE, linger=True)  # unlimited pace
    session.start(recorder)
    wait(recorder, session, lambda: len(recorder.epochs("raw")) >= 20)
    session.send(Pause())
    wait(recorder, session, lambda: len(recorder.of(Paused)) == 1)
    paused_at = recorder.of(Paused)[0].epoch
    wait(recorder, session, lambda: len(sampled(recorder, paused_at)) == 2)
    session.stop()
    assert max(e.epoch for e in recorder.epochs()) == paused_at
    assert sampled(recorder, paused_at) == {"raw": True, "normalized": True}


def test_a_step_while_paused_carries_both_runs_layers(recorder) -> None:
    session = Session(RARE, linger=True, paused=True)
    session.start(recorder)
    for target in (1, 2, 3):
        session.send(Step())
        wait(recorder, session, lambda t=target: len(sampled(recorder, t)) == 2)
        assert sampled(recorder, target) == {"raw": True, "normalized": True}
    session.stop()


def test_under_a_pace_with_time_to_spare_every_epoch_is_sampled(recorder) -> None:
    # 4 epochs/s: 250 ms an epoch, of which a sampled iris epoch needs a few ms once warm. A slow
    # first (warm-up) epoch under load skips a few samples; then every epoch is sampled again.
    session = Session(RARE.replace(pace=4.0), linger=True)
    session.start(recorder)
    wait(recorder, session, lambda: len(recorder.epochs("raw")) >= 12)
    session.stop()
    tail = [e for e in recorder.epochs() if e.epoch > len(recorder.epochs("raw")) - 4]
    assert tail and all(e.layers for e in tail)


def test_one_slow_sampled_epoch_does_not_stop_paced_sampling_for_good() -> None:
    """Unsampled epochs never re-measure what a sample costs: a slow warm-up epoch used to leave
    a paced session unsampled for the rest of its life."""
    from normtui.engine.trainer import PairTrainer

    trainer = PairTrainer(RARE)
    try:
        trainer.budget_s = 0.25  # 4 epochs/s
        trainer._sample_next = False
        trainer._last_sample_s = time.perf_counter()  # the interval (1000 s) is not due
        trainer._sampled_epoch_s = 2.0  # the warm-up epoch took 2 s
        due = [trainer._sample_due() for _ in range(8)]
        assert due[0] is False and any(due)
    finally:
        trainer.close()
