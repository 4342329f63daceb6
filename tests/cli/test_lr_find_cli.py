"""`normtui lr-find`: help, bad input refused in one line, the printed report and --json."""

from __future__ import annotations

import json

import pytest

SMALL = ["lr-find", "--dataset", "wine", "--seeds", "2", "--steps", "30", "--lr-min", "1e-5"]


def test_help_names_the_range_options(run_main) -> None:
    code, out, _ = run_main(["lr-find", "--help"])
    assert code == 0
    for option in ("--steps", "--lr-min", "--lr-max", "--json", "--seeds", "--optimizer"):
        assert option in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--steps", "5"], "--steps 5 is too few: at least 10"),
        (["--lr-min", "1", "--lr-max", "0.1"], "--lr-max 0.1 must be above --lr-min 1"),
        (["--lr-min", "0"], "--lr-min 0 must be a positive number"),
        (["--dataset", "nosuch"], "nosuch"),
        (["--seeds", "0"], "seeds 0 out of range"),
        (["--lrs", "1e-3,1e-2"], "lr-find sweeps the rate itself: leave out --lrs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_main, args, fragment) -> None:
    code, out, err = run_main(["lr-find", *args])
    assert code == 2, err
    assert err.startswith("normtui: error: ") and err.count("\n") == 1, err
    assert fragment in err
    assert out == ""


def test_report_has_a_chart_and_a_line_per_run(run_main, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run_main(SMALL)
    assert code == 0
    assert "\x1b[" not in out  # not a terminal: plain text
    lines = out.splitlines()
    assert lines[0].startswith("lr-find · wine · adam · relu · standard scaler · 2 seeds")
    assert any("raw" in line and "normalized" in line for line in lines[1:3])  # side by side
    assert any(line.startswith("raw: ") for line in lines)
    assert any(line.startswith("normalized: ") for line in lines)


def test_narrow_terminal_stacks_the_charts(run_main, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_main(SMALL)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert not any("raw" in line and "normalized" in line for line in out.splitlines()[1:3])


def test_json_is_one_object_with_rates_and_both_runs(run_main) -> None:
    code, out, _ = run_main([*SMALL, "--json"])
    assert code == 0
    result = json.loads(out)
    assert len(result["rates"]) == 30
    assert set(result["runs"]) == {"raw", "normalized"}
    for run in result["runs"].values():
        assert len(run["members"]) == 2
        assert "suggestion" in run and "usable_decades" in run and "why" in run
        assert len(run["median"]) == 30


def test_lr_find_help_imports_no_torch_sklearn_or_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from normtui.tui import cli\n"
        "try:\n    cli.main(['lr-find', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('torch', 'sklearn', 'textual') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "LOADED []" in result.stdout
    assert "Usage: normtui lr-find" in result.stdout
