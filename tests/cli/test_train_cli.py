"""`normtui train`, `datasets`, `--version` and the one-line usage errors, via click's CliRunner."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from normtui import __version__
from normtui.engine.log import read_log
from normtui.tui.cli import cli

RUN_KEYS = {
    "val_accuracy",
    "val_loss",
    "train_loss",
    "epochs",
    "best_mean_epoch",
    "epochs_to_goal",
    "diverged",
    "seconds",
    "dead_fraction",
    "saturated_fraction",
}


def test_train_json_prints_one_object_with_both_runs(run_main) -> None:
    code, out, err = run_main(["train", "--dataset", "iris", "--epochs", "30", "--json"])
    assert code == 0, err
    report = json.loads(out)  # exactly one JSON document on stdout
    assert set(report) >= {"config", "runs"}
    assert report["config"]["dataset"] == "iris" and report["config"]["epochs"] == 30
    assert set(report["runs"]) == {"raw", "normalized"}
    for run in report["runs"].values():
        assert set(run) >= RUN_KEYS
        assert run["epochs"] == 30
        assert 0.0 <= run["val_accuracy"] <= 1.0
        assert run["diverged"] is False
        assert len(run["dead_fraction"]) == 1


def test_train_on_wine_shows_the_normalized_run_clearly_ahead(run_main) -> None:
    code, out, _ = run_main(["train", "--dataset", "wine", "--json"])
    assert code == 0
    report = json.loads(out)
    runs = report["runs"]
    assert report["dataset"]["n_numeric"] == report["dataset"]["n_features"] == 13  # not null
    assert runs["normalized"]["val_accuracy"] >= runs["raw"]["val_accuracy"] + 0.15
    assert runs["normalized"]["epochs_to_goal"] is not None
    assert runs["raw"]["epochs_to_goal"] is None or (
        runs["raw"]["epochs_to_goal"] > runs["normalized"]["epochs_to_goal"]
    )


def test_train_on_the_posts_own_data_shows_the_runs_close(run_main) -> None:
    code, out, _ = run_main(["train", "--dataset", "seed", "--json"])
    assert code == 0
    runs = json.loads(out)["runs"]
    assert abs(runs["normalized"]["val_accuracy"] - runs["raw"]["val_accuracy"]) <= 0.03


def test_train_prints_a_side_by_side_table(run_main) -> None:
    code, out, _ = run_main(["train", "--dataset", "iris", "--epochs", "5"])
    assert code == 0
    assert "raw" in out and "normalized (standard)" in out
    for row in (
        "val accuracy",
        "val loss",
        "train loss",
        "best mean epoch",
        "epochs to 95%",
        "epochs",
        "seconds",
        "diverged",
    ):
        assert row in out


def test_train_log_writes_a_header_and_every_event(run_main, tmp_path) -> None:
    path = tmp_path / "session.jsonl"
    code, _, err = run_main(["train", "--dataset", "iris", "--epochs", "4", "--log", str(path)])
    assert code == 0
    header, events = read_log(str(path))
    assert header["normtui_log"] == 2 and header["version"] == __version__
    assert header["config"]["dataset"] == "iris"
    kinds = [e.kind for e in events]
    assert kinds[0] == "session_started" and kinds[-1] == "session_ended"
    assert kinds.count("epoch") == 8
    assert str(path) in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--dataset", "nope"], "unknown dataset 'nope'; choose from: wine"),
        (["train", "--activation", "swish"], "unknown activation 'swish'; choose from: relu"),
        (["train", "--scaler", "zscore"], "unknown scaler 'zscore'; choose from: standard"),
        (["train", "--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'; choose from: adam"),
        (["train", "--device", "tpu"], "unknown device 'tpu'; choose from: auto"),
        (["train", "--epochs", "0"], "epochs 0 out of range"),
        (["train", "--lr", "-1"], "lr -1.0 out of range"),
        (["train", "--lr", "nan"], "lr nan out of range"),
        (["train", "--batch-size", "0"], "batch size 0 out of range"),
        (["train", "--batch-size", "big"], "batch size 'big' is not an integer"),
        (["train", "--val-split", "0.99"], "val split 0.99 out of range"),
        (["train", "--hidden", "64,x"], "hidden '64,x' is not a comma-separated list"),
        (["train", "--hidden", "0"], "hidden width 0 out of range"),
        (["train", "--epochs", "ten"], "'ten' is not a valid integer"),
        (["train", "--bogus"], "No such option '--bogus'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["train", "--log", "/nonexistent-dir/x.jsonl"], "cannot write log"),
        (["train", "--target", "label"], "--target applies to CSV files only"),
        (["train", "--seed", "-1"], "seed -1 out of range"),
        (["--pace", "-2", "--no-log"], "pace -2.0 out of range"),
        (["--log", "/nonexistent-dir/x.jsonl"], "cannot write log"),
    ],
)
def test_bad_options_are_one_line_errors_with_exit_code_2(
    run_main, monkeypatch, args, fragment
) -> None:
    # as in a terminal: the dashboard's own checks come after the terminal check
    monkeypatch.setattr("normtui.tui.cli.require_terminal", lambda what: None)
    code, out, err = run_main(args)
    assert code == 2
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


def test_version_and_help() -> None:
    runner = CliRunner()
    assert __version__ in runner.invoke(cli, ["--version"]).output
    help_text = runner.invoke(cli, ["train", "--help"]).output
    for option in (
        "--dataset",
        "--target",
        "--scaler",
        "--activation",
        "--hidden",
        "--optimizer",
        "--lr",
        "--batch-size",
        "--epochs",
        "--seed",
        "--val-split",
        "--device",
        "--goal-accuracy",
        "--json",
        "--log",
    ):
        assert option in help_text


def test_datasets_lists_every_preset_with_its_scale_spread() -> None:
    result = CliRunner().invoke(cli, ["datasets"])
    assert result.exit_code == 0
    for name in ("wine", "breast_cancer", "digits", "iris", "seed", "scales", "moons", "circles"):
        assert name in result.output
    wine = next(line for line in result.output.splitlines() if line.startswith("wine"))
    assert int(wine.split()[1]) == 178


def test_help_starts_without_importing_torch_sklearn_or_textual() -> None:
    code = (
        "import sys\n"
        "from normtui.tui import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('torch', 'sklearn', 'textual') if m in sys.modules))"
    )
    env = {**os.environ, "COLUMNS": "100"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "LOADED []" in result.stdout
    assert "Usage: normtui" in result.stdout


def test_python_dash_m_normtui_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "normtui", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and __version__ in result.stdout


def test_json_report_of_a_diverged_run_is_strict_json() -> None:
    """A loss that overflowed (inf, NaN) made --json an internal error with no output at all."""
    from normtui.engine.config import SessionConfig
    from normtui.engine.events import EpochEnd, RunDiverged
    from normtui.engine.summary import Summarizer
    from normtui.tui.headless import json_report

    summary = Summarizer()
    for run, loss in (("raw", 0.5), ("normalized", float("inf"))):
        summary(EpochEnd(0.1, run, 1, float("nan"), loss, 0.5, 0.5, 10.0, "relu", 0.1))
    summary(RunDiverged(0.2, "normalized", 2, "nan"))
    text = json.dumps(json_report(summary, SessionConfig(), "completed"), allow_nan=False)
    runs = json.loads(text)["runs"]
    assert runs["normalized"]["val_loss"] is None and runs["normalized"]["diverged"] is True
    assert runs["raw"]["val_loss"] == 0.5 and runs["raw"]["train_loss"] is None


def test_train_json_with_a_diverging_learning_rate_prints_one_object(run_main) -> None:
    args = ["train", "--lr", "10", "--optimizer", "sgd", "--epochs", "30", "--json"]
    code, out, err = run_main(args)
    assert code == 0, err
    report = json.loads(out)
    assert set(report["runs"]) == {"raw", "normalized"} and report["ended"] == "completed"


@pytest.mark.parametrize("closed", [">&-", "2>&-"], ids=["stdout", "stderr"])
def test_train_with_a_closed_output_stream_neither_crashes_nor_fails(closed: str) -> None:
    """`>&-` crashed with a traceback from flush(); `2>&-` made the progress line exit 1."""
    command = f"'{sys.executable}' -m normtui train --dataset iris --epochs 3 --json {closed}"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    if closed == "2>&-":
        assert json.loads(result.stdout)["runs"]["raw"]["epochs"] == 3


def test_train_says_where_a_slow_load_stands_without_a_terminal_and_nothing_when_quick(
    capsys,
) -> None:
    from normtui.engine.config import SessionConfig
    from normtui.engine.events import DataLoading
    from normtui.engine.summary import Summarizer
    from normtui.tui.headless import Progress

    def loading(elapsed_s: float, rows: int, done: bool = False) -> DataLoading:
        return DataLoading(elapsed_s, "big.csv", rows, rows / elapsed_s, None, elapsed_s, done)

    progress = Progress(Summarizer(SessionConfig().goal_accuracy), None)
    assert not progress.enabled  # pytest's stderr is no terminal
    for event in (loading(0.6, 100_000), loading(1.2, 200_000, done=True)):
        progress(event)
        progress.update(force=True)
    assert capsys.readouterr().err == ""  # a quick load: not a word
    progress = Progress(Summarizer(SessionConfig().goal_accuracy), None)
    for event in (loading(4.0, 400_000), loading(5.5, 550_000), loading(6.0, 600_000)):
        progress(event)
        progress.update(force=True)
    progress(loading(9.0, 900_000, done=True))
    progress.update(force=True)
    assert capsys.readouterr().err.splitlines() == [
        "normtui: 550,000 rows read · 100,000 rows/s · big.csv",
        "normtui: 900,000 rows read in 9.0 s · encoding and scaling… · big.csv",
    ]


def test_an_exploding_run_is_diverged_in_the_table_and_json_with_compact_numbers(run_main) -> None:
    """The issue's command: the normalized run's loss runs away (it reached 1.5e21 unchecked)."""
    args = ["train", "--dataset", "scales", "--optimizer", "sgd", "--lr", "10", "--epochs", "50"]
    code, out, err = run_main(args)
    assert code == 0, err
    diverged_row = next(line for line in out.splitlines() if line.startswith("diverged"))
    assert diverged_row.split()[-2:] != ["no", "no"] and "yes (epoch" in diverged_row
    assert "normalized run diverged at epoch" in out and "> 10,000 × epoch 1's" in out
    for line in out.splitlines()[1:]:  # no 22-digit number widens the table
        assert all(len(word) <= 12 for word in line.split()), line
    code, out, err = run_main([*args, "--json"])
    normalized = json.loads(out)["runs"]["normalized"]
    assert normalized["diverged"] is True and normalized["diverged_epoch"] < 50
    assert normalized["diverged_loss"] > 10_000 and "10,000" in normalized["diverged_reason"]


COMPARISON_KEYS = {
    "metric",
    "seeds",
    "wins",
    "losses",
    "mean_difference",
    "ci95",
    "winner",
    "verdict",
    "excluded",
}
MEMBER_KEYS = {
    "seed",
    "val_accuracy",
    "val_loss",
    "train_loss",
    "train_accuracy",
    "val_accuracy_at_best_mean_epoch",
    "epochs_to_goal",
    "diverged",
    "diverged_epoch",
}


def test_train_json_with_seeds_has_member_means_members_and_a_comparison(run_main) -> None:
    args = ["train", "--dataset", "wine", "--epochs", "60", "--seeds", "3", "--seed", "4"]
    code, out, err = run_main([*args, "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["config"]["seeds"] == 3 and report["config"]["seed"] == 4
    for run in report["runs"].values():
        assert set(run) >= RUN_KEYS | {"members", "members_reached_goal"}
        members = run["members"]
        assert [m["seed"] for m in members] == [4, 5, 6]
        assert all(set(m) == MEMBER_KEYS for m in members)
        mean = sum(m["val_accuracy"] for m in members) / 3
        assert abs(run["val_accuracy"] - mean) < 1e-9  # the run's field is the member mean
        reached = sorted(m["epochs_to_goal"] for m in members if m["epochs_to_goal"] is not None)
        assert run["members_reached_goal"] == len(reached)
        if len(reached) == 3:
            assert run["epochs_to_goal"] == reached[1]  # the median
    comparison = report["comparison"]
    assert set(comparison) == {"val_accuracy", "val_loss", "epochs_to_goal"}
    for metric, entry in comparison.items():
        assert set(entry) == COMPARISON_KEYS and entry["metric"] == metric
    accuracy = comparison["val_accuracy"]
    assert accuracy["seeds"] == 3 and accuracy["ci95"] is not None
    assert accuracy["winner"] in ("normalized", None)
    # the table says the same, with mean ± spread
    code, out, _ = run_main(args)
    assert code == 0 and "3 seeds (4..6)" in out and " ± " in out
    assert accuracy["verdict"] in out


def test_train_with_one_seed_says_it_cannot_tell_an_effect_from_noise(run_main) -> None:
    code, out, _ = run_main(["train", "--dataset", "iris", "--epochs", "5", "--seeds", "1"])
    assert code == 0
    assert "one seed: cannot tell an effect from noise" in out and " ± " not in out
    code, out, _ = run_main(
        ["train", "--dataset", "iris", "--epochs", "5", "--seeds", "1", "--json"]
    )
    report = json.loads(out)
    assert len(report["runs"]["raw"]["members"]) == 1
    assert report["comparison"]["val_accuracy"]["ci95"] is None
    assert report["comparison"]["val_accuracy"]["winner"] is None


def test_the_default_is_five_seeds_and_one_for_a_large_table_file(
    run_main, tmp_path, monkeypatch
) -> None:
    from normtui.engine import config

    code, out, _ = run_main(["train", "--dataset", "iris", "--epochs", "2", "--json"])
    assert json.loads(out)["config"]["seeds"] == config.DEFAULT_SEEDS == 5
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(40)))
    args = ["train", "--dataset", str(table), "--target", "label", "--epochs", "2", "--json"]
    code, out, err = run_main(args)
    assert code == 0, err
    assert json.loads(out)["config"]["seeds"] == 5  # a small table: the default
    monkeypatch.setattr(config, "LARGE_TABLE_BYTES", table.stat().st_size - 1)
    code, out, err = run_main(args)
    assert json.loads(out)["config"]["seeds"] == 1  # a large one: one seed...
    code, out, err = run_main([*args, "--seeds", "3"])
    assert json.loads(out)["config"]["seeds"] == 3  # ...unless asked


def test_a_regression_table_writes_each_mean_and_its_spread_in_one_notation(run_main) -> None:
    """scales_regression printed '40095.9306 ± 7328.8285' and '1.29e9 ± 366,746,682': four
    decimals on a loss in the tens of thousands, and a mean and its spread in two notations."""
    import re

    args = ["train", "--dataset", "scales_regression", "--epochs", "3", "--seeds", "2"]
    code, out, err = run_main(args)
    assert code == 0, err
    labels = ("val R²", "val loss", "train loss", "best mean val R²")
    rows = [line for line in out.splitlines() if line.startswith(labels)]
    assert len(rows) == 4 and all(" ± " in line for line in rows)
    for line in rows:
        assert not re.search(r"\d{4,}\.\d", line), line  # no decimals on a number ≥ 1000
        for mean, spread in re.findall(r"(\S+) ± (\S+)", line):
            assert ("e" in mean) == ("e" in spread), line


def test_a_directory_or_missing_file_without_target_says_so_first(run_main, tmp_path) -> None:
    """`--dataset DIR` asked for --target, and only then said DIR is a directory."""
    for path, words in ((tmp_path, "is a directory"), (tmp_path / "nosuch.csv", "not found")):
        code, out, err = run_main(["train", "--dataset", str(path)])
        assert code == 2 and out == ""
        assert err.startswith("normtui: error: CSV") and words in err and err.count("\n") == 1
        assert "Traceback" not in err


def test_train_lists_the_classes_and_warns_of_labels_differing_in_case(run_main, tmp_path) -> None:
    """Issue 25: `Yes`/`yes`/`No`/`no` silently became 4 classes and nothing said so."""
    rows = ["x,y,label"]
    for n in range(40):
        answer = ("Yes", "yes", "No", "no")[n % 4] if n < 36 else "No"
        rows.append(f"{n},{n * 100 % 37},{answer}")
    data = tmp_path / "answers.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["train", "--dataset", str(data), "--target", "label", "--epochs", "2", "--seeds", "2"]
    code, out, err = run_main(args)
    assert code == 0, err
    assert "4 classes: No (13) · Yes (9) · no (9) · yes (9)" in out
    assert "always predicting the largest class: " in out
    assert "warning: 4 classes, not 2: labels differ only in case or spaces (No/no, Yes/yes)" in out
    code, out, err = run_main([*args, "--json"])
    assert code == 0, err
    dataset = json.loads(out)["dataset"]
    assert dataset["classes"] == [
        {"label": "No", "rows": 13}, {"label": "Yes", "rows": 9},
        {"label": "no", "rows": 9}, {"label": "yes", "rows": 9},
    ]  # fmt: skip
    assert 0.2 <= dataset["majority_baseline"] <= 0.5
    assert "labels differ only in case" in err
