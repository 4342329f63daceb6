"""`python -m normtui` runs the same CLI as the `normtui` command."""

from normtui.tui.cli import run

if __name__ == "__main__":
    run()
