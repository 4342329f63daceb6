"""Run every benchmark in sequence with small defaults (`--full` for the issue's sizes)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--full", action="store_true", help="50000-row large workload, 100k epochs")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    full = {
        "headless.py": ["--rows", "50000", "--large-epochs", "3", "--repeats", "3"],
        "dashboard.py": [
            "--memory-epochs",
            "100000",
            "--large",
            "--rows",
            "50000",
            "--seconds",
            "20",
        ],
        "watch.py": ["--repeats", "5", "--seconds", "15", "--memory-seconds", "60"],
        "seeds.py": ["--full", "--repeats", "3"],
        "members.py": ["--repeats", "9"],
    }
    small = {
        "stop.py": ["--repeats", "2"],
        "watch.py": ["--repeats", "2", "--seconds", "10", "--memory-seconds", "20"],
        "seeds.py": ["--repeats", "3"],
        "members.py": ["--repeats", "3"],
    }
    failed = []
    scripts = ("headless.py", "startup.py", "dashboard.py", "watch.py", "stop.py", "seeds.py")
    for script in (*scripts, "members.py"):
        command = [sys.executable, str(HERE / script), "--device", args.device]
        command += (full if args.full else small).get(script, [])
        print(f"\n=== {' '.join(command[1:])}", flush=True)
        if subprocess.run(command).returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
