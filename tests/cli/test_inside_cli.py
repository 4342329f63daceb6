"""`train` with the issue-24 options: input shares in --json and the log, in-network scalers,
hidden norms and the data-aware raw init; bad values are one line and exit 2."""

from __future__ import annotations

import json

import pytest

from normtui.engine.log import read_log


def test_json_reports_what_the_first_layer_listens_to(run_main, tmp_path) -> None:
    log = tmp_path / "run.jsonl"
    code, out, _ = run_main(
        ["train", "--dataset", "wine", "--epochs", "5", "--seeds", "2", "--json", "--log", str(log)]
    )
    assert code == 0
    listens = json.loads(out)["listens"]
    raw = listens["runs"]["raw"]
    assert raw["epoch"] == 5 and raw["top"] == "proline"
    assert sum(raw["shares"].values()) == pytest.approx(1.0)
    assert raw["sentence"].startswith("raw listens to proline for 99.")
    assert set(raw["range"]) == set(raw["shares"])
    # the log carries the shares on the sampled epochs' first layer
    _header, events = read_log(str(log))
    shares = [event.layers[0].input_share for event in events if getattr(event, "layers", ())]
    assert shares and all(s is not None and len(s) == 13 for s in shares)


@pytest.mark.parametrize(
    "options",
    [
        ["--scaler", "batchnorm", "--hidden-norm", "batch", "--batch-size", "32"],
        ["--scaler", "layernorm", "--hidden-norm", "layer"],
        ["--raw-init", "data"],
    ],
)
def test_new_options_train(run_main, options) -> None:
    code, out, _ = run_main(
        ["train", "--dataset", "wine", "--epochs", "3", "--seeds", "2", "--json", *options]
    )
    assert code == 0
    report = json.loads(out)
    assert report["runs"]["normalized"]["val_accuracy"] is not None
    assert set(report["listens"]["runs"]) == {"raw", "normalized"}


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--hidden-norm", "group"], "unknown hidden norm 'group'"),
        (["--raw-init", "lsuv"], "unknown raw init 'lsuv'"),
        (["--scaler", "groupnorm"], "batchnorm, layernorm"),
    ],
)
def test_bad_values_are_one_line(run_main, options, fragment) -> None:
    code, _out, err = run_main(["train", "--epochs", "1", *options])
    assert code == 2
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
