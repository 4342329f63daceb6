"""Every bad input a user can type: one line naming the problem, exit code 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from normtui.engine.events import EpochEnd
from normtui.engine.log import read_log


def assert_usage_error(result: tuple[int, str, str], *fragments: str) -> None:
    code, out, err = result
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert err.startswith("normtui: error: ")
    assert "Traceback" not in err and out == ""
    for fragment in fragments:
        assert fragment in err


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def good_rows(n: int = 30) -> str:
    return "".join(f"{i % 7},{(i * 3) % 11},{'a' if i % 2 else 'b'}\n" for i in range(n))


@pytest.mark.parametrize(
    ("content", "target", "fragments"),
    [
        ("", "label", ("empty",)),
        ("x,y,label\n", "label", ("no data rows",)),
        ("x,y,label\n" + good_rows(), "species", ("no column 'species'", "label")),
        (
            "x,y,label\n" + good_rows(5) + "1,oops,a\n" + good_rows(20),
            "label",
            ("line 7", "'y'", "oops"),
        ),
        # the new paths of issue 14: gaps in the target, empty columns, mixed types, levels
        (
            "x,y,label\n" + good_rows(5) + "1,2,\n" + good_rows(20),
            "label",
            ("target 'label' is empty", "line 7", "--missing drop"),
        ),
        ("x,y,label\n" + "".join(f"{i},,{i % 2}\n" for i in range(20)), "label", ("'y' has no",)),
        (
            "x,y,price\n" + "".join(f"{i},{i * 2},99.5\n" for i in range(30)),
            "price",
            ("target column 'price' is constant",),
        ),
        (
            "x,id,label\n" + "".join(f"{i},u{i},{i % 2}\n" for i in range(80)),
            "label",
            ("'id' has 80 distinct values", "--ignore id"),
        ),
        ("x,y,label\n" + good_rows(5) + "inf,2,a\n" + good_rows(20), "label", ("line 7", "'x'")),
        ("x,y,label\n" + "".join(f"{i},{i},a\n" for i in range(30)), "label", ("one class",)),
        ("x,y,label\n1,2,a\n3,4,b\n", "label", ("2 data rows", "at least 10")),
        ("x,y,label\n" + good_rows(12) + "5,5,c\n", "label", ("too small",)),
    ],
)
def test_bad_csv_files(run_main, tmp_path, content, target, fragments) -> None:
    path = write(tmp_path, "data.csv", content)
    result = run_main(["train", "--dataset", path, "--target", target, "--epochs", "2"])
    assert_usage_error(result, *fragments)


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--missing", "error"], ("line 2", "column 'y' is empty")),
        (["--task", "regression"], ("'label' has text", "regression needs numbers")),
        (["--categorical", "nosuch"], ("--categorical names no column 'nosuch'",)),
        (["--ignore", "label"], ("--ignore names the target",)),
        (["--missing", "sometimes"], ("unknown missing-value policy",)),
        (["--target-scaler", "quantile"], ("unknown target scaler",)),
    ],
)
def test_bad_table_options(run_main, tmp_path, options, fragments) -> None:
    path = write(tmp_path, "data.csv", "x,y,label\n1,,a\n" + good_rows(20))
    result = run_main(["train", "--dataset", path, "--target", "label", *options])
    assert_usage_error(result, *fragments)


def test_missing_csv_file(run_main, tmp_path) -> None:
    result = run_main(["train", "--dataset", str(tmp_path / "absent.csv"), "--target", "y"])
    assert_usage_error(result, "absent.csv")


def test_binary_garbage_csv(run_main, tmp_path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert_usage_error(run_main(["train", "--dataset", str(path), "--target", "y"]))


def test_csv_without_target_option(run_main, tmp_path) -> None:
    path = write(tmp_path, "data.csv", "x,y,label\n" + good_rows())
    assert_usage_error(run_main(["train", "--dataset", path]), "--target")


def test_a_good_csv_trains(run_main, tmp_path) -> None:
    path = write(tmp_path, "data.csv", "x,y,label\n" + good_rows(60))
    code, out, err = run_main(
        ["train", "--dataset", path, "--target", "label", "--epochs", "3", "--json"]
    )
    assert code == 0, err
    assert json.loads(out)["dataset"]["n_features"] == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_device_cuda_without_a_gpu(run_main) -> None:
    assert_usage_error(run_main(["train", "--device", "cuda", "--epochs", "2"]), "cuda")


@pytest.mark.skipif(
    sys.platform == "darwin" and torch.backends.mps.is_available(), reason="MPS is present"
)
def test_device_mps_without_mps(run_main) -> None:
    assert_usage_error(run_main(["train", "--device", "mps", "--epochs", "2"]), "mps")


@pytest.mark.parametrize("command", ["replay", "watch"])
def test_replay_and_watch_refuse_files_that_are_not_logs(run_main, tmp_path, command) -> None:
    path = write(tmp_path, "notes.jsonl", "just some notes\n")
    assert_usage_error(run_main([command, path]), "not a normtui log")
    assert_usage_error(
        run_main([command, str(tmp_path / "no-such-dir" / "x.jsonl")]), "cannot read"
    )
    assert_usage_error(run_main([command, str(tmp_path)]), "is a directory")
    if command == "replay":  # watch waits for a missing log to appear instead
        assert_usage_error(run_main([command, str(tmp_path / "absent.jsonl")]), "cannot read log")


def test_unknown_theme_lists_the_themes(run_main) -> None:
    assert_usage_error(run_main(["replay", "--theme", "neon", "x.jsonl"]), "neon", "dark")


def test_a_missing_theme_file_is_named_as_a_file(run_main, tmp_path) -> None:
    missing = str(tmp_path / "mine.toml")
    assert_usage_error(run_main(["--theme", missing]), f"theme file '{missing}' not found", "dark")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        # 4.3 billion weights per model: the OOM killer ended the process (exit 137), silently
        (["train", "--hidden", "65536,65536", "--epochs", "1"], ("43 billion weights",)),
        (["train", "--hidden", "65536,65536", "--seeds", "1"], ("4.3 billion weights per model",)),
        (["train", "--seeds", "0"], ("seeds 0 out of range 1..256",)),
        (["train", "--hist-interval", "nan", "--epochs", "1"], ("histogram interval",)),
        (["train", "--log", "", "--epochs", "1"], ("--log needs a file path",)),
        (["--log", "", "--epochs", "1"], ("--log needs a file path",)),
        (["replay", "x.jsonl", "--speed", "nan"], ("speed nan out of range",)),
    ],
)
def test_more_bad_options(run_main, args, fragments) -> None:
    assert_usage_error(run_main(args), *fragments)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_log_on_a_full_disk_is_a_usage_error(run_main) -> None:
    result = run_main(["train", "--epochs", "2", "--log", "/dev/full"])
    assert_usage_error(result, "cannot write log /dev/full: No space left on device")


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_a_log_that_fills_up_mid_run_is_one_line_and_keeps_what_was_written(tmp_path) -> None:
    """A file-size limit stands in for a disk that fills up while the runs train."""
    import resource

    def limit_file_size() -> None:  # Python ignores SIGXFSZ, so writes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))  # 5 seeds: longer lines

    log = tmp_path / "run.jsonl"
    command = [sys.executable, "-m", "normtui", "train", "--epochs", "500", "--log", str(log)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, preexec_fn=limit_file_size
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"cannot write log {log}: File too large" in done.stderr
    header, events = read_log(str(log))
    # how many epochs fit in 40 kB depends on how many carried histograms (sampled by time)
    assert header["config"]["epochs"] == 500
    assert any(isinstance(event, EpochEnd) for event in events)


def test_batch_size_full_is_case_insensitive(run_main) -> None:
    code, out, err = run_main(["train", "--batch-size", "FULL", "--epochs", "2", "--json"])
    assert code == 0, err
    assert json.loads(out)["config"]["batch_size"] is None


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["--no-log"], "the dashboard needs a terminal"),
        (["replay", "tests/tui/fixtures/wine_relu_tanh.jsonl"], "replay needs a terminal"),
        (["watch", "tests/tui/fixtures/wine_relu_tanh.jsonl"], "watch needs a terminal"),
    ],
)
def test_the_dashboard_refuses_to_draw_into_a_pipe_or_file(run_main, args, what) -> None:
    # pytest's captured stdin/stdout are not terminals, as under `nohup normtui > out`
    assert_usage_error(run_main(args), what)


def test_the_dashboard_checks_a_csv_header_before_drawing(run_main, tmp_path) -> None:
    """Issue 10 item 14: a wrong --target is found from the header before the UI is drawn (here
    without a terminal, so it is checked before the dashboard would ask for one)."""
    path = write(tmp_path, "t.csv", "a,b,label\n" + "1,2,0\n" * 20)
    assert_usage_error(run_main(["--dataset", path, "--target", "lable"]), "no column 'lable'")
    args = ["--dataset", path, "--target", "label", "--ignore", "c"]
    assert_usage_error(run_main(args), "--ignore names no column 'c'")
    assert_usage_error(run_main(["--dataset", write(tmp_path, "e.csv", "\n\n")]), "")
