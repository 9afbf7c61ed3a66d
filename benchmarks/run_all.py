"""Every figure of the service in one table, against the same throwaway Dovecot and SMTP
server the tests use.

    python benchmarks/run_all.py [--crs 1000] [--replies 10000] [--backlogs 1000,10000,50000]
                                 [--idle-replies 200]

catch-up: CRs are opened by mail, then `--replies` replies (several per CR, from the
stage's actor, carrying their reply tokens) wait in the IMAP inbox; one daemon pass
fetches, handles, files them and delivers every answer over SMTP. Beside it, the rate
of mail-parser parsing the same messages alone, and the ratio. peak RSS: the same
catch-up at each backlog size, in this process (ru_maxrss). IDLE: the daemon's loop
from APPEND to the answer accepted by SMTP (benchmarks/imap_latency.py). The scale
figures of the CLI and the sweep come from benchmarks/scale.py when it is present.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import subprocess
import sys
import tempfile
import time
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

        mails = []
        for n in range(replies):
            cr = ids[n % len(ids)]
            parent = email.message_from_bytes(parents[cr], policy=default)
            body = REPLIES[min(n // len(ids), len(REPLIES) - 1)]
            sender = "integration@ft.example" if n // len(ids) < 2 else "dana@acme.example"
            mails.append(cast_message(app, sender, body, "", "", parent).as_bytes())  # type: ignore[arg-type]
        imap.append(mails)
        sent_before = len(smtp.received)
        start = time.perf_counter()
        handled = daemon.process_inbox()
        drain(daemon, app)
        took = time.perf_counter() - start
        sent = len(smtp.received) - sent_before
        start = time.perf_counter()
        for data in mails:
            parsed = mailparser.parse_from_bytes(data)
            _ = parsed.subject, parsed.message_id, parsed.text_plain
        parse = time.perf_counter() - start
        return {
            "handled": handled,
            "rate": handled / took,
            "parse_rate": len(mails) / parse,
            "sent": sent,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
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
    args = parser.parse_args()
    if dovecot_binary() is None:
        print("Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(dir=folder, port=free_port(), lmtp_port=free_port())
    server.setup()
    server.start()
    rows: list[tuple[str, str, str]] = []
    try:
        main_run = catch_up(server, "user1", args.crs, args.replies)
        ratio = main_run["rate"] / main_run["parse_rate"]
        rows.append(
            (
                f"catch-up, {args.replies:,} replies over {args.crs:,} CRs",
                f"{main_run['rate']:.0f} msg/s ({main_run['sent']:.0f} mails sent)",
                f"bare mail-parser {main_run['parse_rate']:.0f} msg/s; "
                f"ratio {ratio:.0%} (target >= 50%)",
            )
        )
        for n, size in enumerate(int(b) for b in args.backlogs.split(",")):
            run = catch_up(server, f"user{n + 2}", max(1, size // 10), size)
            rows.append((f"peak RSS after a backlog of {size:,}", f"{run['rss_mb']:.0f} MB", ""))
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
    idle = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "imap_latency.py"),
            "--messages",
            str(args.idle_replies),
            "--mode",
            "idle",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    scale = ROOT / "benchmarks" / "scale.py"
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measure':{width}}{'mailflow':32}beside it")
    for name, value, note in rows:
        print(f"{name:{width}}{value:32}{note}")
    print("\nIDLE reaction (benchmarks/imap_latency.py):\n" + idle)
    print(
        "\nscale at 100,000 CRs: "
        + ("see benchmarks/scale.py" if scale.exists() else "benchmarks/scale.py is not there yet")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
