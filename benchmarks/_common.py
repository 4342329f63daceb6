"""Shared helpers for the benchmarks: workloads, the reference loops, interleaved timing, tables.

Every benchmark times the things it compares side by side in one process, interleaved round by
round (the order rotates each round), and reports medians and ratios of medians: the machine is
shared, so absolute numbers drift while ratios measured this way hold.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from normtui.engine.events import RUN_NAMES  # stdlib only: importing it costs nothing here

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Output


def versions() -> str:
    """One line describing the machine and library versions the numbers were measured on."""
    parts = [f"{os.cpu_count()} cores", f"Python {platform.python_version()}"]
    for module in ("torch", "sklearn", "textual", "plotext"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            parts.append(f"{module} {getattr(loaded, '__version__', '?')}")
    return ", ".join(parts)


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain fixed-width text table (readable in a terminal and pasteable into markdown)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def verdict(value: float, target: float, lower_is_better: bool = True) -> str:
    ok = value <= target if lower_is_better else value >= target
    return "pass" if ok else "FAIL"


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--repeats", type=int, default=5, help="interleaved rounds (median taken)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    return p


# ---------------------------------------------------------------------------------------------
# Timing


def interleaved(
    variants: dict[str, Callable[[], float]], repeats: int, quiet: bool = False
) -> dict[str, list[float]]:
    """Call each variant once per round, rotating the order; return every measurement."""
    names = list(variants)
    results: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(variants[name]())
        if not quiet:
            summary = ", ".join(f"{n} {results[n][-1] * 1e3:.2f}" for n in names)
            print(f"  round {round_index + 1}/{repeats}: {summary} (ms)", flush=True)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)


def wall_times(command: list[str], repeats: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall seconds of a subprocess, `repeats` times (stdout/stderr discarded)."""
    import subprocess

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
        )
        times.append(time.perf_counter() - started)
    return times


# ---------------------------------------------------------------------------------------------
# Workloads


@dataclass(frozen=True)
class Workload:
    """What both runs train: the session config (minus epochs/parallel) and how to time it."""

    name: str
    dataset: str  # preset name, or a CSV path
    hidden: tuple[int, ...]
    batch_size: int | None
    epochs: int  # epochs timed per measurement

    def config(self, device: str, parallel: bool = True, **extra: object):  # -> SessionConfig
        from normtui.engine.config import SessionConfig

        csv = self.dataset.endswith(".csv")
        values: dict[str, object] = {
            "dataset": "csv" if csv else self.dataset,
            "csv_path": self.dataset if csv else None,
            "target": "y" if csv else None,
            "hidden": self.hidden,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "device": device,
            "parallel": parallel,
        }
        values.update(extra)
        return SessionConfig(**values)


def tiny(dataset: str, epochs: int) -> Workload:
    """The origin post's SimpleNN (one hidden layer of 64), full batch."""
    return Workload(f"tiny/{dataset}", dataset, (64,), None, epochs)


def large(rows: int, epochs: int, features: int = 64, batch_size: int = 256) -> Workload:
    """Synthetic rows x features, hidden 512,512,512, mini-batches of `batch_size`."""
    path = synthetic_csv(rows, features)
    return Workload(f"large/{rows}x{features}", str(path), (512, 512, 512), batch_size, epochs)


def synthetic_csv(rows: int, features: int, classes: int = 4) -> Path:
    """A cached CSV of a make_classification problem with feature scales spanning 1e-1..1e1.

    The engine's own CSV loader reads it, so the benchmark needs no special data hook.
    """
    import numpy as np
    from sklearn.datasets import make_classification

    path = Path(tempfile.gettempdir()) / f"normtui-bench-{rows}x{features}-{classes}.csv"
    if path.exists():
        return path
    X, y = make_classification(
        n_samples=rows,
        n_features=features,
        n_informative=features // 2,
        n_classes=classes,
        random_state=0,
    )
    X = X * np.logspace(-1, 1, features) + np.linspace(-5, 5, features)
    header = ",".join([f"x{i}" for i in range(features)] + ["y"])
    partial = path.with_suffix(".tmp")
    np.savetxt(
        partial,
        np.column_stack([X, y]),
        delimiter=",",
        header=header,
        comments="",
        fmt=["%.6g"] * features + ["%d"],
    )
    partial.replace(path)
    return path


# ---------------------------------------------------------------------------------------------
# The engine, headless


def engine_epoch_s(config, sink: Callable | None = None) -> float:
    """Seconds per pair-epoch of a headless Session, timed between its first and last epoch.

    Set-up (imports, data, models) and the first epoch (warm-up) are excluded, as in the loops.
    """
    from normtui.engine.events import EpochEnd, SessionEnded
    from normtui.engine.session import Session

    stamps: list[float] = []
    errors: list[str] = []

    def record(event: object) -> None:
        if isinstance(event, EpochEnd) and event.run == "normalized":
            stamps.append(time.perf_counter())
        if sink is not None:
            sink(event)
        if isinstance(event, SessionEnded) and event.error:
            errors.append(event.error)

    session = Session(config)
    session.start(record)
    session.join()
    if errors:
        raise RuntimeError(errors[0])
    if len(stamps) < 2:
        raise RuntimeError(f"only {len(stamps)} epochs ran (a run diverged?)")
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


# ---------------------------------------------------------------------------------------------
# The reference loops: the origin post's way (bare) and the TensorBoard way


class Pair:
    """The two models and their data, built the way the post does, on the engine's split."""

    def __init__(self, config) -> None:
        import torch

        from normtui.engine.data.prepare import prepare
        from normtui.engine.models import resolve_device

        self.torch = torch
        self.device = resolve_device(config.device)
        data = prepare(config)
        self.batch_size = config.batch_size
        self.n_train = len(data.y_train)

        def put(array, dtype):
            return torch.as_tensor(array, dtype=dtype).to(self.device)

        y_train, y_val = put(data.y_train, torch.long), put(data.y_val, torch.long)
        self.data = {
            "raw": (
                put(data.X_train_raw, torch.float32),
                y_train,
                put(data.X_val_raw, torch.float32),
                y_val,
            ),
            "normalized": (
                put(data.X_train_scaled, torch.float32),
                y_train,
                put(data.X_val_scaled, torch.float32),
                y_val,
            ),
        }
        self.shape = (len(data.feature_names), config.hidden, data.n_classes)

    def model(self):
        """nn.Sequential(Linear, ReLU, ..., Linear): the post's SimpleNN generalised to depth."""
        from torch import nn

        n_in, hidden, n_out = self.shape
        layers: list = []
        for width in hidden:
            layers += [nn.Linear(n_in, width), nn.ReLU()]
            n_in = width
        layers.append(nn.Linear(n_in, n_out))
        return nn.Sequential(*layers).to(self.device)

    def batches(self, X, y, generator):
        """Full batch as in the post, or a shuffled pass in mini-batches by index."""
        if self.batch_size is None or self.batch_size >= self.n_train:
            yield X, y
            return
        order = self.torch.randperm(self.n_train, generator=generator).to(self.device)
        for start in range(0, self.n_train, self.batch_size):
            index = order[start : start + self.batch_size]
            yield X[index], y[index]

    def sync(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()


def post_setup(pair: Pair, fused: bool = False) -> tuple:
    """(model, loss, Adam at 1e-3, batch-order generator) as the post builds them, seeded 0."""
    torch = pair.torch
    torch.manual_seed(0)
    model = pair.model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused or None)
    return model, torch.nn.CrossEntropyLoss(), optimizer, torch.Generator().manual_seed(0)


def post_step(model, criterion, optimizer, inputs, targets) -> tuple:
    """One optimizer step of the post's loop: (outputs, loss)."""
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
    return outputs, loss


def bare_epoch_s(pair: Pair, epochs: int, fused: bool = False) -> float:
    """The origin post's loop for both runs, one after the other: loss.item() every 20 epochs.

    `fused` swaps in Adam's fused kernel (what the engine uses) to show what that alone buys.
    """
    torch = pair.torch
    torch.set_num_threads(os.cpu_count() or 1)
    total = 0.0
    for name in RUN_NAMES:
        X, y, _, _ = pair.data[name]
        model, criterion, optimizer, generator = post_setup(pair, fused)
        model.train()
        started = 0.0
        for epoch in range(epochs + 1):
            if epoch == 1:  # epoch 0 is warm-up, as in the engine's timing
                pair.sync()
                started = time.perf_counter()
            for inputs, targets in pair.batches(X, y, generator):
                _, loss = post_step(model, criterion, optimizer, inputs, targets)
            if (epoch + 1) % 20 == 0:
                loss.item()
        pair.sync()
        total += time.perf_counter() - started
    return total / epochs


def tensorboard_epoch_s(pair: Pair, epochs: int, logdir: str) -> float:
    """The loop instrumented as people do today: SummaryWriter scalars + activation histograms.

    Per epoch: train loss/accuracy, a validation pass with forward hooks on the hidden
    activations, four add_scalar calls and one add_histogram per hidden layer.
    """
    from torch.utils.tensorboard import SummaryWriter

    torch = pair.torch
    torch.set_num_threads(os.cpu_count() or 1)
    total = 0.0
    for name in RUN_NAMES:
        X, y, X_val, y_val = pair.data[name]
        model, criterion, optimizer, generator = post_setup(pair)
        writer = SummaryWriter(log_dir=os.path.join(logdir, name))
        captured: dict[str, object] = {}
        for index, module in enumerate(model):
            if isinstance(module, torch.nn.ReLU):
                module.register_forward_hook(
                    lambda _m, _i, out, key=f"hidden{index}", store=captured: store.__setitem__(
                        key, out
                    )
                )
        started = 0.0
        for epoch in range(epochs + 1):
            if epoch == 1:
                pair.sync()
                started = time.perf_counter()
            model.train()
            loss_sum, correct = 0.0, 0
            for inputs, targets in pair.batches(X, y, generator):
                outputs, loss = post_step(model, criterion, optimizer, inputs, targets)
                loss_sum += loss.item() * len(targets)
                correct += (outputs.argmax(1) == targets).sum().item()
            model.eval()
            captured.clear()
            with torch.no_grad():
                logits = model(X_val)
                val_loss = criterion(logits, y_val).item()
                val_accuracy = (logits.argmax(1) == y_val).float().mean().item()
            writer.add_scalar("loss/train", loss_sum / len(y), epoch)
            writer.add_scalar("accuracy/train", correct / len(y), epoch)
            writer.add_scalar("loss/val", val_loss, epoch)
            writer.add_scalar("accuracy/val", val_accuracy, epoch)
            for key, value in captured.items():
                writer.add_histogram(f"activations/{key}", value, epoch)
        writer.close()
        pair.sync()
        total += time.perf_counter() - started
    return total / epochs


def tensorboard_available() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# A real terminal: the app in a pseudo-terminal, as `script` would record it


class Pty:
    """Run a command in a pty of `cols` x `rows`; time and count what it writes to the screen."""

    def __init__(self, command: list[str], cols: int = 120, rows: int = 40) -> None:
        import fcntl
        import pty
        import struct
        import termios

        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        self.started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.execvpe(command[0], command, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.chunks: list[tuple[float, int]] = []  # (seconds since start, bytes)
        self.text = bytearray()

    def read_for(self, seconds: float, until: Callable[[Pty], bool] | None = None) -> bool:
        """Read output for up to `seconds`; stop early (True) once `until` holds."""
        import select

        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return False
                if not data:
                    return False
                self.chunks.append((time.perf_counter() - self.started, len(data)))
                self.text += data
            if until is not None and until(self):
                return True
        return False

    def bytes_between(self, start_s: float, end_s: float) -> int:
        return sum(n for t, n in self.chunks if start_s <= t < end_s)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self, quit_keys: str = "q") -> None:
        import signal

        with _suppress():
            self.send(quit_keys)
            self.read_for(3.0)
        with _suppress():
            os.kill(self.pid, signal.SIGTERM)
        with _suppress():
            os.waitpid(self.pid, 0)
        with _suppress():
            os.close(self.fd)


def _suppress():
    import contextlib

    return contextlib.suppress(OSError, ChildProcessError)


def normtui_command() -> list[str]:
    """The installed console script next to this interpreter."""
    return [str(Path(sys.executable).with_name("normtui"))]


def ui_importable() -> str | None:
    """None when the dashboard pieces the UI benchmarks drive exist, else what is missing."""
    try:
        from normtui.tui.app import make_app  # noqa: F401
        from normtui.tui.dashboard import run_dashboard  # noqa: F401
    except Exception as error:  # ImportError, or a half-built module
        return f"{type(error).__name__}: {error}"
    return None


def table_csv(rows: int, features: int = 50) -> Path:
    """A cached "real-looking" table: numbers on scales 1e-2..1e5 with 1% gaps, four text
    columns (a few levels each, some gaps), and a `price` to predict. Kept in the temp dir.
    """
    import numpy as np

    path = Path(tempfile.gettempdir()) / f"normtui-bench-table-{rows}x{features}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    n_text = 4
    n_numeric = features - n_text - 1
    scales = np.logspace(-2, 5, n_numeric)
    X = rng.standard_normal((rows, n_numeric)) * scales + scales
    levels = [
        np.array(["north", "south", "east", "west"]),
        np.array(["new", "good", "fair", "poor", "ruin"]),
        np.array([f"type-{i}" for i in range(12)]),
        np.array(["yes", "no"]),
    ]
    codes = [rng.integers(0, len(names), rows) for names in levels]
    price = 2e5 + 4e4 * (X[:, :10] / scales[:10]).sum(axis=1) + 3e4 * codes[0]
    price += rng.normal(0, 1e4, rows)
    partial = path.with_suffix(".tmp")
    with open(partial, "w", encoding="utf-8") as out:
        names = [f"x{i}" for i in range(n_numeric)] + ["region", "state", "kind", "garage"]
        out.write(",".join([*names, "price"]) + "\n")
        block = 50_000
        for start in range(0, rows, block):
            stop = min(start + block, rows)
            numbers = np.char.mod("%.6g", X[start:stop]).astype(object)
            numbers[rng.random(numbers.shape) < 0.01] = ""
            text = np.column_stack(
                [kinds[c[start:stop]] for kinds, c in zip(levels, codes, strict=True)]
            )
            text = text.astype(object)
            text[rng.random(text.shape) < 0.01] = ""
            target = np.char.mod("%.0f", price[start:stop]).astype(object)
            cells = np.column_stack([numbers, text, target])
            out.write("\n".join(",".join(row) for row in cells) + "\n")
    partial.replace(path)
    return path
