"""Every figure of the service in one table, against the same throwaway Dovecot and SMTP
server the tests use.

    python benchmarks/run_all.py [--crs 1000] [--replies 10000] [--backlogs 1000,10000,50000]
                                 [--idle-replies 200]

catch-up: CRs are opened by mail, then `--replies` replies (several per CR, from the
stage's actor, carrying their reply tokens) wait in the IMAP inbox; one daemon pass
fetches, handles, files them and delivers every answer over SMTP. Beside it, the rate
of mail-parser parsing the same messages alone, and the ratio. peak RSS: the same
catch-up at each backlog size, each in a process of its own (ru_maxrss), with the peak
before handling began beside it (the benchmark's own share). IDLE: the daemon's loop
from APPEND to the answer accepted by SMTP beside a bare imapclient IDLE
(benchmarks/imap_latency.py). Scale: benchmarks/scale.py, the CLI and the sweep.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mailparser  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from mailflow.app import app_from_settings  # noqa: E402
from mailflow.config import load_settings  # noqa: E402
from mailflow.daemon import Daemon  # noqa: E402
from mailflow.demo import cast_message  # noqa: E402
from mailflow.store.tables import ChangeRequest, OutboxRow  # noqa: E402
from mailflow.transport.imap import ImapSource  # noqa: E402
from mailflow.transport.smtp import SmtpSettings, SmtpSink  # noqa: E402
from tests.dovecot_server import Dovecot, dovecot_binary, free_port  # noqa: E402
from tests.servers import ImapAccount, SmtpServer  # noqa: E402

OPENING = "Customer: acme\n\nPlease add loyalty points to the nightly export."
# the triage actor's reply: the first moves the CR on, later ones are answered
REPLIES = ["IS CR\nIt needs a new export column.", "IS CR", "Approved, thanks!"]


def catch_up(server: Dovecot, account: str, crs: int, replies: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    smtp = SmtpServer()
    smtp.start()
    imap = ImapAccount(server, account)
    settings = load_settings(ROOT / "config.example.toml")
    settings = dataclasses.replace(
        settings,
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'mailflow.db'}",
        source_kind="imap",
        imap=imap.settings(batch_size=500),
        sink_kind="smtp",
        smtp=SmtpSettings(host=smtp.host, port=smtp.port, security="plain"),
        # a benchmark sends far more to one address than the per-hour limits allow
        limits=dataclasses.replace(settings.limits, per_address_per_hour=0, total_per_hour=0),
    )
    app = app_from_settings(settings)
    source, sink = ImapSource(settings.imap), SmtpSink(settings.smtp)
    daemon = Daemon(app, source, sink)
    try:
        imap.append(
            cast_message(app, "priya@ft.example", OPENING, "", "new", None).as_bytes()
            for _ in range(crs)
        )
        daemon.process_inbox()
        drain(daemon, app)
        with app.db.session() as s:
            ids = list(s.exec(select(ChangeRequest.id).order_by(col(ChangeRequest.id))).all())
            parents = {
                row.cr_id: row.data
                for row in s.exec(select(OutboxRow)).all()
                if "integration@ft.example" in row.recipients
            }
        import email
        from email.policy import default

        sample: list[bytes] = []  # kept for the bare parse rate; the rest is not held
        chunk: list[bytes] = []
        for n in range(replies):
            cr = ids[n % len(ids)]
            parent = email.message_from_bytes(parents[cr], policy=default)
            body = REPLIES[min(n // len(ids), len(REPLIES) - 1)]
            sender = "integration@ft.example" if n // len(ids) < 2 else "dana@acme.example"
            chunk.append(cast_message(app, sender, body, "", "", parent).as_bytes())  # type: ignore[arg-type]
            if len(sample) < 2000:
                sample.append(chunk[-1])
            if len(chunk) == 1000:
                imap.append(chunk)
                chunk = []
        imap.append(chunk)
        del parents, chunk
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sent_before = len(smtp.received)
        start = time.perf_counter()
        handled = daemon.process_inbox()
        drain(daemon, app)
        took = time.perf_counter() - start
        sent = len(smtp.received) - sent_before
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        for data in sample:
            parsed = mailparser.parse_from_bytes(data)
            _ = parsed.subject, parsed.message_id, parsed.text_plain
        parse = time.perf_counter() - start
        return {
            "handled": handled,
            "rate": handled / took,
            "parse_rate": len(sample) / parse,
            "sent": sent,
            "rss_mb": rss,
            "rss_before_mb": rss_before,
        }
    finally:
        source.close()
        sink.close()
        smtp.stop()
        app.close()
        shutil.rmtree(folder, ignore_errors=True)


def drain(daemon: Daemon, app) -> None:  # type: ignore[no-untyped-def]
    """Deliver until nothing is due (a deferred row waits for its retry, not for us)."""
    while daemon.deliver_outbox(limit=1000):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crs", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=10000)
    parser.add_argument("--backlogs", default="1000,10000,50000")
    parser.add_argument("--idle-replies", type=int, default=200)
    parser.add_argument("--scale-crs", type=int, default=100_000)
    parser.add_argument("--one-backlog", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if dovecot_binary() is None:
        print("Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    if args.one_backlog:
        run = with_dovecot(lambda d: catch_up(d, "user1", max(1, args.one_backlog // 10),
                                              args.one_backlog))  # fmt: skip
        print(json.dumps(run))
        return 0
    rows: list[tuple[str, str, str]] = []
    main_run = with_dovecot(lambda d: catch_up(d, "user1", args.crs, args.replies))
    ratio = main_run["rate"] / main_run["parse_rate"]
    rows.append(
        (
            f"catch-up, {args.replies:,} replies over {args.crs:,} CRs",
            f"{main_run['rate']:.0f} msg/s ({main_run['sent']:.0f} mails sent)",
            f"bare mail-parser {main_run['parse_rate']:.0f} msg/s; "
            f"ratio {ratio:.1%} (target >= 50%)",
        )
    )
    for size in (int(b) for b in args.backlogs.split(",")):
        # each backlog in a process of its own, so each peak is its own
        out = subprocess.run(
            [sys.executable, __file__, "--one-backlog", str(size)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            rows.append((f"peak RSS, backlog of {size:,}", "failed", out.stderr[-200:]))
            continue
        run = json.loads(out.stdout.strip().splitlines()[-1])
        before = f"{run['rss_before_mb']:.0f} MB before handling (target flat, <= 150 MB)"
        rows.append((f"peak RSS, backlog of {size:,}", f"{run['rss_mb']:.0f} MB", before))
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measure':{width}}{'mailflow':32}beside it")
    for name, value, note in rows:
        print(f"{name:{width}}{value:32}{note}")
    print("\nIDLE reaction (benchmarks/imap_latency.py --mode idle):")
    print(_run("imap_latency.py", "--messages", str(args.idle_replies), "--mode", "idle"))
    scale = ROOT / "benchmarks" / "scale.py"
    if scale.exists():
        print(f"\nscale (benchmarks/scale.py --crs {args.scale_crs}):")
        print(_run("scale.py", "--crs", str(args.scale_crs)))
    return 0


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
