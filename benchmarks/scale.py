"""The service at scale on SQLite: the reminder sweep with nothing due, and the commands a
person types, at 1,000 and 100,000 CRs (with ten timeline events per CR).

    python benchmarks/scale.py [--crs 100000] [--events 1000000] [--keep FOLDER]
    python benchmarks/scale.py --reuse FOLDER [--rounds 11]

The databases are built with bulk inserts (SQLAlchemy core, executemany), not through the
service, so building 100,000 CRs takes seconds; each CR's due time is computed by the
same code the service uses (reminder_due.next_reminder). Then it prints: the idle sweep
cycle (median of 5) at both sizes, the one-off recomputation of every due time that
follows a change of the reminder settings, and each command run as a subprocess as a user
would, paired with its floor: `python -c "import sqlmodel"`, the import of the library the
store is built on, which any command that reads the database pays before its own code
runs. Command and floor run in turn (A/B, then B/A), so that a busy machine slows both
alike; the figures are medians over the rounds, the ratio the median of each round's own.
Both run with their bytecode cached, as installed code has it (a first run of each, not
timed, writes it), even when PYTHONDONTWRITEBYTECODE is set in the calling shell.
Then the same for imports alone: the configuration's schema and the read store with its
tables, which every command that reads CRs loads before its own work, and SQLModel with
the CR table classes, which they no longer load.
`--reuse` times the commands only, on the databases an earlier `--keep` left in FOLDER.
Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailflow.app import App, app_from_settings  # noqa: E402
from mailflow.config.settings import load_settings  # noqa: E402
from mailflow.service.reminders import retime, sweep  # noqa: E402
from mailflow.workflow.engine import CRState  # noqa: E402
from mailflow.workflow.reminder_due import next_reminder  # noqa: E402

# the commands read the real clock, so the CRs wait as they would now
NOW = datetime.now(UTC)
CHUNK = 50_000
SOME = "CR-2000-0042"  # a CR the commands show
KINDS = ("decision", "mail", "mail", "mail", "reminder", "refusal", "mail", "decision")


def config(folder: Path) -> Path:
    """The example configuration with its data folder in `folder`."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('data_dir = "mailflow-data"', f'data_dir = "{folder / "data"}"')
    path = folder / "mailflow.toml"
    path.write_text(text, encoding="utf-8")
    return path


def stored(at: datetime) -> str:
    """A UTC time as SQLAlchemy keeps it in SQLite (naive text), for the raw inserts."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def cr_id(n: int) -> str:
    return f"CR-{2000 + n // 10_000}-{n % 10_000 + 1:04d}"


def build(folder: Path, crs: int, events: int) -> App:
    """A database of `crs` CRs spread over the workflow's stages and `events` timeline lines.

    The schema comes from the service itself; the rows go in by the driver's executemany
    (building an ORM object costs about a millisecond each, longer than its insert).
    """
    folder.mkdir(parents=True, exist_ok=True)
    app = app_from_settings(load_settings(config(folder)))
    wf, rng = app.workflow, random.Random(11)
    stages = [s.name for s in wf.stages]
    waiting, ends = [s for s in stages if s != wf.start], list(wf.ends)
    accounts = [a.key for a in app.settings.accounts]
    calendar = app.settings.schedule.calendar
    rows = []
    for n in range(crs):
        # most CRs of a long-running service are done; the open ones wait recently
        ended = rng.random() < 0.8
        stage = rng.choice(ends if ended else waiting)
        entered = NOW - timedelta(hours=rng.uniform(0, 9000 if ended else 40))
        held = rng.random() < 0.02
        due = next_reminder(wf, CRState(stage=stage, entered_at=entered, held=held), calendar)
        rows.append((cr_id(n), rng.choice(accounts), f"Change {n}", "", stage, held, "{}", "[]",
                     stored(entered), 0, None, stored(due) if due else None, None,
                     "priya@ft.example", "", "", stored(entered - timedelta(days=3)),
                     stored(entered)))  # fmt: skip
    raw = app.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.executemany(
            "INSERT INTO change_request (id, account, title, description, stage, held, fields, "
            "votes, entered_at, reminders, reminded_at, next_reminder_at, assignee, opened_by, "
            "thread_root, source_ref, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        years = sorted({2000 + n // 10_000 for n in range(crs)})
        cursor.executemany(
            "INSERT INTO cr_sequence (year, last) VALUES (?, ?)", [(y, 10_000) for y in years]
        )
        for first in range(0, events, CHUNK):
            cursor.executemany(
                "INSERT INTO audit_event (cr_id, at, stage, kind, detail, actor) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        cr_id(i % crs),
                        stored(NOW - timedelta(minutes=events - i)),
                        stages[i % len(stages)],
                        KINDS[i % len(KINDS)],
                        f"event {i}",
                        "priya@ft.example",
                    )
                    for i in range(first, min(first + CHUNK, events))
                ),  # fmt: skip
            )
        raw.commit()
    finally:
        raw.close()
    return app


def timed(run: Callable[[], object], times: int) -> float:
    spans = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spans.append(time.perf_counter() - start)
    return statistics.median(spans)


def idle_sweep(app: App) -> float:
    """One reminder sweep with nothing due (a moment before anything falls due)."""
    return timed(lambda: sweep(app, NOW - timedelta(days=1)), 5)


FLOOR = ("python -c 'import sqlmodel'", "import sqlmodel")


def compiled_once() -> dict[str, str]:
    """The environment of the timed runs: bytecode kept (in a folder of its own), as an
    installed mailflow and its libraries have it, even where this shell turned it off."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "mailflow-scale-bytecode")
    return env


ENV = compiled_once()


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    # `status` exits 1 when no daemon has run here: still a full answer, timed alike
    subprocess.run(argv, cwd=ROOT, env=ENV, check=False, capture_output=True)
    return time.perf_counter() - start


def paired(argv: list[str], floor: list[str], rounds: int) -> tuple[float, float, float]:
    """Median seconds of the command and of the floor, and the median of their ratios.

    Each round runs both, the command first in every other round, so that what else the
    machine does at that moment weighs on both sides of the ratio.
    """
    spans, floors, ratios = [], [], []
    wall(argv), wall(floor)  # the first run of each writes its bytecode: not timed
    for n in range(rounds):
        if n % 2:
            spent, under = wall(argv), wall(floor)
        else:
            under, spent = wall(floor), wall(argv)
        spans.append(spent)
        floors.append(under)
        ratios.append(spent / under)
    return statistics.median(spans), statistics.median(floors), statistics.median(ratios)


_READING = "import mailflow.config.settings, mailflow.store.read_store, mailflow.store.read_tables"


# What every command that reads the database loads before its own work, beside the floor:
# the configuration's schema (pydantic models, built at import) and the tables as Core
# reads them; and, for comparison, the table classes the daemon writes with.
NEEDS = (
    ("the configuration's schema", "import mailflow.config.settings"),
    ("schema + the read store and tables", _READING),
    ("sqlmodel + the CR table classes", "import sqlmodel, mailflow.store.cr_tables"),
)


def commands(cfg: Path, some: str, stage: str, rounds: int) -> None:
    """Each command a person types beside the import floor, in A/B turns; then what every
    such command must import, beside the same floor."""
    mailflow = [sys.executable, "-m", "mailflow"]
    floor = [sys.executable, "-c", FLOOR[1]]
    print(f"each command beside {FLOOR[0]}, {rounds} rounds in turn, medians:")
    print(f"{'command':<40} {'seconds':>8} {'floor':>8} {'ratio':>6}")
    for label, args in (
        ("mailflow --help", ("--help",)),
        (f"mailflow cr show {some}", ("cr", "show", some)),
        (f"mailflow cr list --stage {stage}", ("cr", "list", "--stage", stage)),
        ("mailflow status", ("status",)),
        ("mailflow cr report", ("cr", "report")),
    ):
        argv = [*mailflow, *args] + ([] if args == ("--help",) else ["--config", str(cfg)])
        spent, under, ratio = paired(argv, floor, rounds)
        print(f"{label:<40} {spent:>8.2f} {under:>8.2f} {ratio:>5.2f}x")
    print("imported alone, beside the same floor:")
    for label, code in NEEDS:
        spent, under, ratio = paired([sys.executable, "-c", code], floor, rounds)
        print(f"{label:<40} {spent:>8.2f} {under:>8.2f} {ratio:>5.2f}x")
    for label, code in (("python -c 'import sqlalchemy'", "import sqlalchemy"), FLOOR):
        alone = timed(lambda c=code: wall([sys.executable, "-c", c]), rounds)
        print(f"{label:<40} {alone:>8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crs", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--reuse", type=Path, help="time the commands on an earlier --keep")
    parser.add_argument("--rounds", type=int, default=11, help="A/B rounds per command")
    args = parser.parse_args()
    if args.reuse is not None:
        cfg = args.reuse / "large" / "mailflow.toml"
        commands(cfg, SOME, stage_to_list(cfg), args.rounds)
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mailflow-scale-"))
    try:
        start = time.perf_counter()
        small = build(folder / "small", 1_000, 10_000)
        large = build(folder / "large", args.crs, args.events)
        print(f"built {args.crs:,} CRs and {args.events:,} events in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        # the databases hold no settings digest yet: the first sweep recomputes every
        # open CR's due time, as after a change of reminder hours or business days
        start = time.perf_counter()
        retime(large, NOW)
        print(f"due times recomputed after a settings change: {time.perf_counter() - start:.1f} s "
              f"at {args.crs:,} CRs")  # fmt: skip
        retime(small, NOW)
        cycle_small, cycle_large = idle_sweep(small), idle_sweep(large)
        print(f"idle reminder sweep: {cycle_small * 1000:.1f} ms at 1,000 CRs, "
              f"{cycle_large * 1000:.1f} ms at {args.crs:,} CRs")  # fmt: skip
        small.close()
        large.close()
        cfg = folder / "large" / "mailflow.toml"
        commands(cfg, SOME, stage_to_list(cfg), args.rounds)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def stage_to_list(cfg: Path) -> str:
    """A stage with CRs waiting in it (the workflow's third), for `cr list --stage`."""
    return app_from_settings(load_settings(cfg)).workflow.stages[2].name


if __name__ == "__main__":
    sys.exit(main())
