"""Command-line start-up benchmark: how long `influencer-bot --help` and friends take.

Each figure is the median wall time of several fresh processes (`python -m bot ...`,
which is what the `influencer-bot` script runs), next to a bare `python -c pass`, so
the interpreter's own start-up is visible. `--before DIR` times another checkout too
(e.g. `git clone -q . /tmp/cli_before` of the commit before a change), run in the same
session so both see the same machine load.

    python -m bench.cli_bench                                # this checkout
    python -m bench.cli_bench --before /tmp/cli_before       # ... and an older one
    python -m bench.cli_bench --before /tmp/cli_before --write   # update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import write_section

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3

# What a new user types first: the help, a subcommand's help, and two mistakes
# (an argparse error, and a search with no niche).
CASES: dict[str, list[str]] = {
    "influencer-bot --help": ["--help"],
    "influencer-bot find --help": ["find", "--help"],
    "influencer-bot find --limit x (argparse error)": ["find", "--limit", "x"],
    "influencer-bot find (no niche)": ["find"],
}


def _time(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def _env(root: Path, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    # The checkout under test comes first, whatever is installed in the environment.
    env["PYTHONPATH"] = str(root)
    # Never touch the user's data directory or database from a benchmark.
    env["INFLUENCER_BOT_DATA_DIR"] = data_dir
    env["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.db"
    return env


def median_seconds(argv: list[str], cwd: Path, runs: int, env: dict[str, str]) -> float:
    _time(argv, cwd, env)  # warm the file cache and .pyc files: not counted
    return statistics.median(_time(argv, cwd, env) for _ in range(runs))


def measure(roots: dict[str, Path], runs: int) -> dict[str, dict[str, float]]:
    """Median seconds per case (and `python -c pass`) for each named checkout."""
    table: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cli-bench-") as data_dir:
        # The same interpreter for every checkout: timed once, shown in each column.
        bare = median_seconds([sys.executable, "-c", "pass"], ROOT, runs, _env(ROOT, data_dir))
        table["python -c pass"] = dict.fromkeys(roots, bare)
        for case, args in CASES.items():
            table[case] = {
                name: median_seconds(
                    [sys.executable, "-m", "bot", *args], root, runs, _env(root, data_dir)
                )
                for name, root in roots.items()
            }
    return table


def section(table: dict[str, dict[str, float]], names: list[str], runs: int, note: str = "") -> str:
    head = " | ".join(f"{n} (s)" for n in names)
    lines = [
        "## Command line start-up",
        "",
        f"Median wall time of {runs} fresh processes each (`python -m bench.cli_bench`), "
        f"Python {platform.python_version()} on {platform.system()}, "
        f"{os.cpu_count()} cores shared with other work. Target: under {TARGET_SECONDS} s. "
        "`before` imported the database, X and chat libraries to build the parser; "
        "`after` imports only `core.commands` and the standard library until a command "
        "runs." + (f" {note}" if note else ""),
        "",
        f"| command | {head} |",
        "|---|" + "---:|" * len(names),
    ]
    for case, by_name in table.items():
        cells = " | ".join(f"{by_name[n]:.3f}" for n in names)
        lines.append(f"| `{case}` | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=9, help="processes per figure (default 9)")
    parser.add_argument("--before", type=Path, default=None, help="an older checkout to time")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--note", default="", help="a sentence to add under the heading")
    args = parser.parse_args()
    roots = {"after": ROOT} if args.before else {"this checkout": ROOT}
    if args.before:
        roots = {"before": args.before.resolve(), **roots}
    table = measure(roots, args.runs)
    text = section(table, list(roots), args.runs, args.note)
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
