"""Stand-ins for `engine.Session` that speak the same source protocol, without torch.

`FakeSession` trains nothing: it emits wine-like events from closed-form curves in its own
thread, and obeys the same commands (pause, step, swap, lr, pace, restart, stop).
`ReplaySource` plays a recorded list of events (live = False), for deterministic snapshots.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import time
import zlib
from collections.abc import Iterable
from pathlib import Path

from normtui.engine import commands as cmd
from normtui.engine.config import RELU_FAMILY, SATURATING, SessionConfig
from normtui.engine.events import (
    RUN_NAMES,
    ActivationChanged,
    EpochEnd,
    Event,
    Histogram,
    LayerStats,
    LearningRateChanged,
    Members,
    Paused,
    Restarted,
    RunFinished,
    SessionEnded,
    SessionStarted,
    event_from_dict,
)
from normtui.engine.pacer import PACING_COMMANDS, Pacer
from normtui.engine.source_thread import Sink, SourceThread

WINE_FEATURES = (
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
)
WINE_STD = (0.81, 1.12, 0.27, 3.34, 14.3, 0.63, 1.0, 0.12, 0.57, 2.32, 0.23, 0.71, 315.0)


def _asinh_edges(limit: float, bins: int) -> tuple[float, ...]:
    lo, hi = -math.asinh(limit), math.asinh(limit)
    return tuple(math.sinh(lo + (hi - lo) * i / bins) for i in range(bins + 1))


def _bell(edges: tuple[float, ...], centre: float, spread: float, total: int) -> tuple[int, ...]:
    mids = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    weights = [math.exp(-(((m - centre) / spread) ** 2) / 2) for m in mids]
    scale = total / (sum(weights) or 1)
    return tuple(round(w * scale) for w in weights)


def stable_seed(*parts: object) -> int:
    """The same seed in every process (`hash` of a str changes with PYTHONHASHSEED), so the
    snapshots of scripted sessions are deterministic."""
    return zlib.crc32(repr(parts).encode())


def _curve(run: str, epoch: int, speed: float, rng: random.Random) -> tuple[float, float]:
    """(val loss, val accuracy): raw learns slowly from a big loss, normalized converges fast."""
    if run == "raw":
        val_loss = 0.45 + 9.0 * math.exp(-epoch * speed / 60) + rng.uniform(0, 0.08)
        val_acc = min(0.97, 0.38 + 0.6 * (1 - math.exp(-epoch * speed / 220)))
    else:
        val_loss = 0.02 + 1.05 * math.exp(-epoch * speed / 14) + rng.uniform(0, 0.01)
        val_acc = min(1.0, 0.4 + 0.6 * (1 - math.exp(-epoch * speed / 9)))
    return val_loss, val_acc


def member_speeds(seeds: int) -> tuple[float, ...]:
    """How fast each fake member learns relative to the one-seed curve (0.6x … 1.4x)."""
    if seeds < 2:
        return (1.0,)
    return tuple(0.6 + 0.8 * k / (seeds - 1) for k in range(seeds))


def fake_members(
    run: str, epoch: int, activation: str, lr: float, seeds: int, base_seed: int = 0
) -> Members:
    """`seeds` members on the closed-form curves, each at its own speed (deterministic)."""
    losses, scores = [], []
    for k, factor in enumerate(member_speeds(seeds)):
        rng = random.Random(stable_seed(run, epoch, activation, k))
        val_loss, val_acc = _curve(run, epoch, lr / 1e-3 * factor, rng)
        losses.append(val_loss)
        scores.append(val_acc)
    return Members(
        seeds=tuple(base_seed + k for k in range(seeds)),
        train_loss=tuple(loss * 0.9 for loss in losses),
        val_loss=tuple(losses),
        train_score=tuple(min(1.0, score + 0.01) for score in scores),
        val_score=tuple(scores),
        diverged=(False,) * seeds,
    )


def _mean(values: tuple[float, ...]) -> float:
    return sum(values) / len(values)


def fake_epoch(
    run: str,
    epoch: int,
    activation: str,
    lr: float,
    width: int,
    layers: int,
    time_s: float,
    elapsed_s: float,
    hist: bool = True,
    seeds: int = 1,
) -> EpochEnd:
    """Closed-form curves: raw learns slowly from a big loss, normalized converges fast.

    With `seeds` > 1 the event carries Members and its scalars are the member means, as the
    engine's are; the layers' dead/saturated shares get a member range.
    """
    rng = random.Random(stable_seed(run, epoch, activation))
    members = None
    if seeds > 1:
        members = fake_members(run, epoch, activation, lr, seeds)
        val_loss, val_acc = _mean(members.val_loss), _mean(members.val_score)
    else:
        val_loss, val_acc = _curve(run, epoch, lr / 1e-3, rng)
    spread, dead, sat = (240.0, 0.48, 0.97) if run == "raw" else (2.5, 0.02, 0.03)
    train_loss = val_loss * 0.9
    train_acc = min(1.0, val_acc + 0.01)
    edges = _asinh_edges(800.0, 32)
    post_edges = (
        _asinh_edges(800.0, 32)
        if activation not in SATURATING
        else tuple(-1 + 2 * i / 32 for i in range(33))
    )
    stats = []
    for layer in range(1, layers + 1):
        pre = Histogram(edges, _bell(edges, 0.0, spread, width * 36))
        if activation in SATURATING:
            half = width * 36 * sat / 2
            counts = [0] * 32
            counts[0], counts[-1] = round(half), round(half)
            for i in range(1, 31):
                counts[i] = round(width * 36 * (1 - sat) / 30)
            post = Histogram(post_edges, tuple(counts))
        else:
            counts = list(_bell(edges, spread / 2, spread, width * 36))
            zero = 16
            counts = [0] * zero + counts[zero:]
            counts[zero] += width * 36 // 2
            post = Histogram(post_edges, tuple(counts))
        relu, saturating = activation in RELU_FAMILY, activation in SATURATING
        dead_range = (dead * 0.8, min(1.0, dead * 1.15)) if relu and seeds > 1 else None
        sat_range = (sat * 0.9, min(1.0, sat * 1.02)) if saturating and seeds > 1 else None
        stats.append(
            LayerStats(
                layer=layer,
                width=width,
                pre_min=-spread * 3,
                pre_max=spread * 3.2,
                pre_mean=spread * 0.1,
                pre_std=spread,
                dead_fraction=dead if relu else None,
                saturated_fraction=sat if saturating else None,
                grad_norm=0.1,
                update_ratio=0.001,
                pre_hist=pre if hist else None,
                post_hist=post if hist else None,
                dead_range=dead_range,
                saturated_range=sat_range,
            )
        )
    return EpochEnd(
        time_s=time_s,
        run=run,
        epoch=epoch,
        train_loss=train_loss,
        val_loss=val_loss,
        train_accuracy=train_acc,
        val_accuracy=val_acc,
        learning_rate=lr,
        activation=activation,
        elapsed_s=elapsed_s,
        layers=tuple(stats),
        members=members,
    )


def member_epoch(
    run: str,
    epoch: int,
    val_score: tuple[float, ...],
    val_loss: tuple[float, ...],
    *,
    diverged: tuple[bool, ...] | None = None,
    time_s: float = 0.0,
) -> EpochEnd:
    """An epoch with the members' values given outright (the verdict tests' exact numbers);
    one value each is a one-seed run (members None). Scalars: the live members' means."""
    seeds = len(val_score)
    diverged = diverged or (False,) * seeds
    live = [k for k in range(seeds) if not diverged[k]]

    def mean(values: tuple[float, ...]) -> float:
        return sum(values[k] for k in live) / len(live) if live else math.nan

    members = None
    if seeds > 1:
        members = Members(
            seeds=tuple(range(seeds)),
            train_loss=val_loss,
            val_loss=val_loss,
            train_score=val_score,
            val_score=val_score,
            diverged=diverged,
        )
    return EpochEnd(
        time_s=time_s,
        run=run,
        epoch=epoch,
        train_loss=mean(val_loss),
        val_loss=mean(val_loss),
        train_accuracy=mean(val_score),
        val_accuracy=mean(val_score),
        learning_rate=1e-3,
        activation="relu",
        elapsed_s=time_s,
        members=members,
    )


def session_started(config: SessionConfig, time_s: float = 0.0) -> SessionStarted:
    return SessionStarted(
        time_s=time_s,
        config=config.to_dict(),
        dataset=config.source_name,
        n_train=142,
        n_val=36,
        n_features=len(WINE_FEATURES),
        n_classes=3,
        feature_names=WINE_FEATURES,
        raw_feature_std=WINE_STD,
        scaled_feature_std=tuple(1.0 for _ in WINE_STD),
        device="cpu",
        parameters=13 * 64 + 64 + 64 * 3 + 3,
    )


class FakeSession(SourceThread):
    """Threaded fake trainer. `sent` records every command; `epoch` is the last epoch emitted."""

    live = True
    thread_name = "fake-trainer"

    def __init__(
        self, config: SessionConfig, *, start_delay_s: float = 0.0, held: bool = False
    ) -> None:
        """`held`: nothing is emitted until `release()` (a test sees the screen before the
        first event without racing the trainer thread)."""
        super().__init__()
        self.config = config
        self.sent: list[cmd.Command] = []
        self.epoch = 0
        self.stopped = False
        self.pacer = Pacer(config.pace)
        self._start_delay_s = start_delay_s
        self._released = threading.Event()
        if not held:
            self._released.set()
        self._t0 = 0.0
        self._activation, self._lr = config.activation, config.lr
        self._elapsed_s = 0.0

    @property
    def pace(self) -> float | None:
        return self.pacer.pace

    def start(self, sink: Sink) -> None:
        self._t0 = time.monotonic()
        super().start(sink)

    def release(self) -> None:
        """Let a `held` session emit its first event."""
        self._released.set()

    def send(self, command: cmd.Command) -> None:
        self.sent.append(command)
        super().send(command)

    # -- the fake trainer ---------------------------------------------------------------------
    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _main(self) -> None:
        while not self._released.wait(0.02) and not self._stopping.is_set():
            pass
        self._stopping.wait(self._start_delay_s)
        self._sink(session_started(self.config, self._now()))
        reason = self._loop()
        self._sink(SessionEnded(self._now(), reason, self.epoch))
        self.stopped = True

    def _loop(self) -> str:
        self.pacer.from_now()
        while True:
            command = self._channel.get(self.pacer.wait_s())
            if isinstance(command, cmd.Stop):
                return command.reason
            if command is not None:
                self._apply(command)
                continue
            self._train_epoch()
            self.pacer.epoch_done()
            if self.config.epochs is not None and self.epoch >= self.config.epochs:
                for run in RUN_NAMES:
                    self._sink(RunFinished(self._now(), run, self.epoch))
                return "completed"

    def _apply(self, command: cmd.Command) -> None:
        if isinstance(command, PACING_COMMANDS):
            event = self.pacer.apply(command, time_s=self._now(), epoch=self.epoch)
            if event is not None:
                self._sink(event)
        elif isinstance(command, cmd.SetActivation):
            previous, self._activation = self._activation, command.name
            self._sink(
                ActivationChanged(
                    self._now(), self.epoch, command.name, previous, command.keep_weights
                )
            )
            if not command.keep_weights:
                self._restart()
        elif isinstance(command, cmd.SetLearningRate):
            self._lr = command.lr
            self._sink(LearningRateChanged(self._now(), self.epoch, self._lr))
        elif isinstance(command, cmd.Restart):
            self._restart()

    def _restart(self) -> None:
        self.epoch = 0
        self.pacer.restart()
        self._sink(Restarted(self._now(), self._activation, self._lr))

    def _train_epoch(self) -> None:
        self.epoch += 1
        self._elapsed_s += 0.002
        for run in RUN_NAMES:
            self._sink(
                fake_epoch(
                    run,
                    self.epoch,
                    self._activation,
                    self._lr,
                    self.config.hidden[0],
                    len(self.config.hidden),
                    self._now(),
                    self._elapsed_s,
                    seeds=self.config.seeds,
                )
            )


class ReplaySource:
    """Plays recorded events into the sink at once, like `normtui replay` (live=False).

    With `live=True` it poses as a live session frozen mid-run: commands are recorded, not obeyed
    (the snapshots use this to show the live footer deterministically).
    """

    playback = False  # a subclass poses as `normtui replay`
    pace: float | None = None  # all at once

    def __init__(self, events: Iterable[Event], *, live: bool = False) -> None:
        self.events = list(events)
        self.live = live
        self.sent: list[cmd.Command] = []

    def start(self, sink: Sink) -> None:
        for event in self.events:
            sink(event)

    def send(self, command: cmd.Command) -> None:
        self.sent.append(command)

    def stop(self, reason: str = "stopped", timeout: float = 5.0) -> None:
        pass

    def join(self, timeout: float | None = None) -> bool:
        return True


def read_events(path: Path) -> tuple[dict, list[Event]]:
    """Header and events of a JSONL session log (the header line is optional)."""
    header: dict = {}
    events: list[Event] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        if "event" not in data:
            header = data
            continue
        events.append(event_from_dict(data))
    return header, events


def scripted_session(config: SessionConfig, epochs: int, switches: dict[int, str]) -> list[Event]:
    """A deterministic event list (no threads): `switches` maps epoch -> new activation; each
    run has `config.seeds` members."""
    events: list[Event] = [session_started(config, 0.0)]
    activation, t = config.activation, 0.0
    for epoch in range(1, epochs + 1):
        if epoch - 1 in switches:
            new = switches[epoch - 1]
            events.append(ActivationChanged(t, epoch - 1, new, activation, True))
            activation = new
        t = round(epoch * 0.05, 4)
        for run in RUN_NAMES:
            events.append(
                fake_epoch(
                    run,
                    epoch,
                    activation,
                    config.lr,
                    config.hidden[0],
                    len(config.hidden),
                    t,
                    t,
                    hist=epoch % 2 == 0,
                    seeds=config.seeds,
                )
            )
    events.append(Paused(t, epochs))
    return events
