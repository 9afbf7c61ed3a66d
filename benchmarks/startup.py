"""How long `python3 run.py` takes, on an installed checkout, to check the mailbox once.

    python benchmarks/startup.py [--runs 5]

Runs `python3 run.py --once` as a user would (from the checkout, its .venv already
installed) on a fresh data folder with the embedded default (SQLite, Maildir): start,
open the database, read the inbox once, deliver, exit. The median wall time is an upper
bound of the time to the first mailbox check. Also `mailflow --help`, where only the
start-up counts. Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(argv: list[str], runs: int) -> float:
    spans = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        spans.append(time.perf_counter() - start)
    return statistics.median(spans)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mailflow-startup-"))
    try:
        text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
        config = folder / "mailflow.toml"
        config.write_text(text.replace('data_dir = "mailflow-data"', f'data_dir = "{folder}"'))
        python3 = shutil.which("python3") or sys.executable
        run = [python3, "run.py", "--once", "--config", str(config)]
        subprocess.run(run, cwd=ROOT, check=True, capture_output=True)  # creates the database
        print(
            f"python3 run.py --once (first mailbox check, then exit): {wall(run, args.runs):.2f} s"
        )
        helped = [sys.executable, "-m", "mailflow", "--help"]
        print(f"mailflow --help: {wall(helped, args.runs):.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
