"""Every figure of the service in one table, against the same throwaway Dovecot and SMTP
server the tests use.

    python benchmarks/run_all.py [--crs 1000] [--replies 10000] [--backlogs 1000,10000,50000]
                                 [--idle-replies 200]

catch-up: CRs are opened by mail, then `--replies` replies (several per CR, from the
stage's actor, carrying their reply tokens) wait in the IMAP inbox. Then the service is
started as its own process (`python -m mailflow run`, as ops run it) and timed from its
start until the inbox is empty and every answer it queued was accepted by the SMTP
server: fetch, handle, file and deliver, start-up included. Beside it, the run's own
floor (benchmarks/catch_up_floor.py): every inbound message's bare parse with mail-parser,
plus every mail the run sent composed again and handed to an SMTP server, each timed
alone; the service's rate is given as a share of the rate that floor allows. peak RSS:
the service's own peak with its helper process's (their VmHWM, read before it is
stopped) over backlogs of each size, one replay per size, and the rate at each size
beside the first size's. That comparison asks whether the service slows as its backlog
grows, so it takes the rate after start-up: from the commit of the first batch (the
ledger grows) to the end. The start-up (imports, opening the database, the IMAP login,
the first fetch) is a fixed cost that weighs on a short run alone; its seconds are
printed beside it.
IDLE: per reply that moves a CR, the daemon's own share from its IDLE announcement to
the next request accepted by SMTP (benchmarks/imap_latency.py). Scale:
benchmarks/scale.py, the CLI and the sweep.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from email.policy import default
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from catch_up_floor import compose_seconds, handoff_seconds, parse_seconds  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from mailflow.app import app_from_settings  # noqa: E402
from mailflow.cli.demo import cast_message  # noqa: E402
from mailflow.config.settings import Settings, load_settings  # noqa: E402
from mailflow.service.daemon import Daemon  # noqa: E402
from mailflow.store.message_tables import OutboxRow  # noqa: E402
from mailflow.store.tables import ChangeRequest  # noqa: E402
from mailflow.transport.imap import ImapSource  # noqa: E402
from mailflow.transport.smtp import SmtpSink  # noqa: E402
from tests.dovecot_server import Dovecot, dovecot_binary, free_port  # noqa: E402
from tests.servers import ImapAccount, SmtpServer  # noqa: E402
from tests.service_process import service_config  # noqa: E402

OPENING = "Customer: acme\n\nPlease add loyalty points to the nightly export."
# the triage actor's reply: the first moves the CR on, later ones are answered
REPLIES = ["IS CR\nIt needs a new export column.", "IS CR", "Approved, thanks!"]


def catch_up(server: Dovecot, account: str, crs: int, replies: int) -> dict[str, float]:
    """Open `crs` CRs, leave `replies` replies waiting, then time the service process."""
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    smtp = SmtpServer()
    smtp.start()
    imap = ImapAccount(server, account)
    config = service_config(folder, imap=imap, smtp=smtp)
    try:
        parse = _backlog(config, imap, crs, replies)
        settings = load_settings(config)
        database = settings.database_url.removeprefix("sqlite:///")
        first_row = _outbox_rows(database)
        sent_before = len(smtp.received)
        took, rss, first, first_size = _serve_until_done(
            config, folder / "service.log", imap, database
        )
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            size = _ledger_size(db)
        handled = size - crs
        compose, handoff = _outbound_floor(settings, database, first_row)
        floor = parse + compose + handoff
        return {
            "handled": handled,
            "seconds": took,
            "rate": handled / took,
            "start_s": first,
            "steady_rate": (size - first_size) / (took - first),
            "floor_rate": handled / floor,
            "parse_ms": parse / replies * 1000,
            "compose_ms": compose / max(1, len(smtp.received) - sent_before) * 1000,
            "handoff_ms": handoff / max(1, len(smtp.received) - sent_before) * 1000,
            "sent": len(smtp.received) - sent_before,
            "rss_mb": rss,
        }
    finally:
        smtp.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _backlog(config: Path, imap: ImapAccount, crs: int, replies: int) -> float:
    """Open the CRs through the daemon loop, then append the replies to them, unhandled;
    returns the seconds their bare parses took, each reply parsed alone as it is made."""
    settings = load_settings(config)
    app = app_from_settings(settings)
    source, sink = ImapSource(settings.imap), SmtpSink(settings.smtp)
    daemon = Daemon(app, source, sink)
    try:
        imap.append(
            cast_message(app, "priya@ft.example", OPENING, "", "new", None).as_bytes()
            for _ in range(crs)
        )
        daemon.process_inbox()
        while daemon.deliver_outbox(limit=1000):
            pass
        with app.db.session() as s:
            ids = list(s.exec(select(ChangeRequest.id).order_by(col(ChangeRequest.id))).all())
            parents = {
                row.cr_id: row.data
                for row in s.exec(select(OutboxRow)).all()
                if "integration@ft.example" in row.recipients
            }
        parse = 0.0
        chunk: list[bytes] = []
        for n in range(replies):
            cr = ids[n % len(ids)]
            parent = email.message_from_bytes(parents[cr], policy=default)
            body = REPLIES[min(n // len(ids), len(REPLIES) - 1)]
            sender = "integration@ft.example" if n // len(ids) < 2 else "dana@acme.example"
            chunk.append(cast_message(app, sender, body, "", "", parent).as_bytes())  # type: ignore[arg-type]
            parse += parse_seconds(chunk[-1])
            if len(chunk) == 1000:
                imap.append(chunk)
                chunk = []
        imap.append(chunk)
        return parse
    finally:
        source.close()
        sink.close()
        app.close()


def _outbox_rows(database: str) -> int:
    """The highest outbox row id now: the rows after it are the run's own."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0])


def _outbound_floor(settings: Settings, database: str, after: int) -> tuple[float, float]:
    """Seconds to compose again, then hand over, every mail the run sent, each alone."""
    app = app_from_settings(settings)
    compose = 0.0

    def sent() -> Iterator[tuple[list[str], bytes]]:
        nonlocal compose
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT recipients, data FROM outbox WHERE id > ? AND status = 'sent'", (after,)
            )
            for recipients, data in rows:
                compose += compose_seconds(app.composer, data)
                yield json.loads(recipients), data

    try:
        _, handoff = handoff_seconds(sent())
    finally:
        app.close()
    return compose, handoff


def _serve_until_done(
    config: Path, log: Path, imap: ImapAccount, database: str
) -> tuple[float, float, float, int]:
    """Run the service until the inbox is empty and nothing waits to be sent; stop it with
    SIGTERM. Returns the seconds from its start, its peak RSS in MB, and the moment (in
    seconds from its start) its first batch was committed with the ledger's size then."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        before = _ledger_size(db)
    with log.open("wb") as out:
        start = time.perf_counter()
        service = subprocess.Popen(
            [sys.executable, *_profiled(), "-m", "mailflow", "run", "--config", str(config)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    client = imap.client()
    try:
        first, first_size = _first_commit(service, database, before, start, log)
        while True:
            if service.poll() is not None:
                raise SystemExit(f"the service stopped early:\n{log.read_text()[-2000:]}")
            left = client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                waiting = db.execute(
                    "SELECT count(*) FROM outbox WHERE status = 'pending'"
                ).fetchone()[0]
            if left == 0 and waiting == 0:
                break
            time.sleep(0.2)
        took = time.perf_counter() - start
        peak = _peak_rss_mb(service.pid)
    finally:
        client.logout()
        service.send_signal(signal.SIGTERM)
    service.wait()
    return took, peak, first, first_size


def _ledger_size(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM message_ledger").fetchone()[0])


def _first_commit(
    service: subprocess.Popen[bytes], database: str, before: int, start: float, log: Path
) -> tuple[float, int]:
    """When the service's first batch was committed, and the ledger's size then: the end
    of its start-up (imports, the database, the IMAP login, the first fetch)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        while (size := _ledger_size(db)) == before:
            if service.poll() is not None:
                raise SystemExit(f"the service stopped early:\n{log.read_text()[-2000:]}")
            time.sleep(0.005)
    return time.perf_counter() - start, size


def _profiled() -> list[str]:
    """`-m cProfile -o FILE` when MAILFLOW_BENCH_PROFILE names a file: the service's own
    profile, written when SIGTERM stops it, to find where its time goes."""
    target = os.environ.get("MAILFLOW_BENCH_PROFILE")
    return ["-m", "cProfile", "-o", target] if target else []


def _peak_rss_mb(pid: int) -> float:
    """The service's peak resident set: its own VmHWM plus its helper processes' (the
    helper that parses and composes during a backlog, and multiprocessing's resource
    tracker), read while they still run. A sum of peaks, so never less than the peak of
    the sum.

    Not the child's ru_maxrss: on Linux that also holds the peak of the process that
    started it, as it was at the moment of exec, here the benchmark with its backlog.
    """
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sum(_vm_hwm_mb(p) for p in [pid, *map(int, children)])


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmHWM for process {pid}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crs", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=10000)
    parser.add_argument("--backlogs", default="1000,10000,50000")
    parser.add_argument("--idle-replies", type=int, default=200)
    parser.add_argument("--scale-crs", type=int, default=100_000)
    parser.add_argument(
        "--parts", default="catch-up,floor,idle,scale", help="which parts to run (default: all)"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if dovecot_binary() is None:
        print("Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    if "catch-up" in parts:
        _catch_up_table(args, [])
    if "floor" in parts:
        print("\nthe floor under catch-up (benchmarks/catch_up_floor.py):")
        print(_run("catch_up_floor.py"))
    if "idle" in parts:
        print("\nIDLE reaction (benchmarks/imap_latency.py --mode idle):")
        print(_run("imap_latency.py", "--messages", str(args.idle_replies), "--mode", "idle"))
    if "scale" in parts:
        print(f"\nscale (benchmarks/scale.py --crs {args.scale_crs}):")
        print(_run("scale.py", "--crs", str(args.scale_crs)))
    return 0


def _catch_up_table(args: argparse.Namespace, rows: list[tuple[str, str, str]]) -> None:
    """The catch-up at the main size against its own floor, then the service's peak RSS
    and rate at each backlog size, the rate as a share of the first size's."""
    main_run = with_dovecot(lambda d: catch_up(d, "user1", args.crs, args.replies))
    rows.append(
        (
            f"catch-up, {args.replies:,} replies over {args.crs:,} CRs",
            f"{main_run['rate']:.0f} msg/s ({main_run['seconds']:.0f} s, "
            f"{main_run['sent']:.0f} mails sent)",
            f"its floor {main_run['floor_rate']:.0f} msg/s (parse {main_run['parse_ms']:.2f} ms "
            f"a message; compose {main_run['compose_ms']:.2f}, hand-off "
            f"{main_run['handoff_ms']:.2f} ms a mail); "
            f"ratio {main_run['rate'] / main_run['floor_rate']:.0%} (target >= 50%)",
        )
    )
    runs = {args.replies: main_run}
    sizes = [int(b) for b in args.backlogs.split(",")]
    for size in sizes:
        if size not in runs:  # the catch-up run above is the backlog of its own size
            runs[size] = with_dovecot(lambda d, n=size: catch_up(d, "user1", max(1, n // 10), n))
    first = runs[sizes[0]]
    for size in sizes:
        run = runs[size]
        rows.append(
            (
                f"service peak RSS, backlog of {size:,}",
                f"{run['rss_mb']:.0f} MB",
                f"{run['rate']:.0f} msg/s over {run['seconds']:.0f} s "
                f"({run['rate'] / run['floor_rate']:.0%} of its floor); after its "
                f"{run['start_s']:.1f} s start-up {run['steady_rate']:.0f} msg/s, "
                f"{run['steady_rate'] / first['steady_rate']:.0%} of that rate at "
                f"{sizes[0]:,}; RSS {run['rss_mb'] / first['rss_mb']:.0%} of the first",
            )
        )
    width, value_width = (max(len(r[i]) for r in rows) + 2 for i in (0, 1))
    print(f"{'measure':{width}}{'mailflow':{value_width}}beside it")
    for name, value, note in rows:
        print(f"{name:{width}}{value:{value_width}}{note}")
    print(
        "targets: catch-up >= 50% of its floor; rate at the largest backlog within 15% of "
        "the first (after start-up, a fixed cost that weighs on a short run alone); peak "
        "RSS within 10% across the sizes and <= 150 MB"
    )


def with_dovecot(work: Callable[[Dovecot], dict[str, float]]) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(dir=folder, port=free_port(), lmtp_port=free_port())
    server.setup()
    server.start()
    try:
        return work(server)
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return (done.stdout.strip() or done.stderr.strip()[-500:]).rstrip()


if __name__ == "__main__":
    raise SystemExit(main())
