"""Checks shared by the tests of data prepared in a child process (prefetch, sweep stream)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Sequence

import numpy as np

from normtui.engine.data.dataset import PreparedData


def assert_same_members(
    mine: Sequence[PreparedData], theirs: Sequence[PreparedData] | None
) -> None:
    """Every member's arrays equal to the bit (and of the same dtype), every other field equal."""
    assert theirs is not None and len(mine) == len(theirs)
    for mine_member, their_member in zip(mine, theirs, strict=True):
        for field in dataclasses.fields(mine_member):
            a, b = getattr(mine_member, field.name), getattr(their_member, field.name)
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a, b, err_msg=field.name)
            else:
                assert a == b, field.name


def run_cli_in_fresh_process(args: list[str], **env: str) -> tuple[str, bool]:
    """`normtui ARGS` in a new interpreter: its stdout, and whether it imported scikit-learn."""
    code = (
        "import sys, json\n"
        "from normtui.tui import cli\n"
        "try:\n"
        f"    cli.main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps({'sklearn': 'sklearn' in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CI": "true", **env},
    )
    assert result.returncode == 0, result.stderr
    output, _, loaded = result.stdout.strip().rpartition("\n")
    return output, json.loads(loaded)["sklearn"]
