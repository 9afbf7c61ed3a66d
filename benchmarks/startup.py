"""How long `python3 run.py` takes, on an installed checkout, to check the mailbox once.

    python benchmarks/startup.py [--runs 5]

Starts the service as a user would (`python3 run.py`, from the checkout, its .venv
already installed) on the embedded default (SQLite, Maildir) with one new-request mail
waiting in the inbox, and times from the start of the process until that mail has been
handled and filed out of the inbox: the first mailbox check, seen from outside. Then
stops it with SIGTERM. Also `python3 run.py --once` start to exit, and `mailflow --help`,
where only the start-up counts. Medians; figures only, nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailflow.config.settings import load_settings  # noqa: E402
from mailflow.transport.maildir import deliver  # noqa: E402


def wall(argv: list[str], runs: int) -> float:
    spans = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        spans.append(time.perf_counter() - start)
    return statistics.median(spans)


def filed(root: Path) -> int:
    """Messages filed out of the inbox so far (handled or quarantined)."""
    return sum(
        len(os.listdir(root / folder / sub))
        for folder in ("processed", "quarantine")
        for sub in ("new", "cur")
        if (root / folder / sub).is_dir()
    )


def first_check(run: list[str], root: Path, runs: int) -> float:
    """Process start to the waiting mail filed, for a service left running (then stopped)."""
    spans = []
    for n in range(runs):
        mail = EmailMessage()
        mail["From"], mail["To"] = "priya@ft.example", "approvals@ft.example"
        mail["Subject"] = f"Change request: export column {n}"
        mail.set_content("Customer: acme\n\nPlease add loyalty points to the nightly export.")
        deliver(root, mail.as_bytes())
        before = filed(root)
        start = time.perf_counter()
        service = subprocess.Popen(
            run, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while filed(root) == before:
                if service.poll() is not None or time.perf_counter() - start > 60:
                    raise SystemExit(f"the service did not file the waiting mail: {run}")
                time.sleep(0.005)
            spans.append(time.perf_counter() - start)
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=30)
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
        root = load_settings(config).maildir_root
        service = [python3, "run.py", "--config", str(config)]
        print(
            "python3 run.py, start to the first waiting mail filed: "
            f"{first_check(service, root, args.runs):.2f} s"
        )
        print(f"python3 run.py --once, start to exit: {wall(run, args.runs):.2f} s")
        helped = [sys.executable, "-m", "mailflow", "--help"]
        print(f"mailflow --help: {wall(helped, args.runs):.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
