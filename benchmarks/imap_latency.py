"""How long from a reply landing in the mailbox to mailflow having handled it and sent the
answer, with the real daemon loop against a throwaway Dovecot and an aiosmtpd server.

    python benchmarks/imap_latency.py [--messages 30] [--mode idle|poll]

Prints the median, p95 and maximum of: APPEND → ledger row (handled), and APPEND → the
answer accepted by the SMTP server (sent). Needs Dovecot (apt-get install dovecot-imapd).
Dovecot itself waits 500 ms before telling an IDLE client about new mail.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import func, select  # noqa: E402

from mailflow.app import app_from_settings  # noqa: E402
from mailflow.config import load_settings  # noqa: E402
from mailflow.daemon import Daemon  # noqa: E402
from mailflow.store.tables import LedgerEntry  # noqa: E402
from mailflow.transport.imap import ImapSource  # noqa: E402
from mailflow.transport.smtp import SmtpSettings, SmtpSink  # noqa: E402
from tests.dovecot_server import Dovecot, dovecot_binary, free_port  # noqa: E402
from tests.servers import ImapAccount, SmtpServer  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--mode", choices=("idle", "poll"), default="idle")
    args = parser.parse_args()
    if dovecot_binary() is None:
        print("Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    folder.chmod(0o755)
    server = Dovecot(dir=folder / "dovecot", port=free_port(), lmtp_port=free_port())
    server.dir.mkdir()
    server.setup()
    server.start()
    smtp = SmtpServer()
    smtp.start()
    try:
        account = ImapAccount(server, "user1")
        settings = load_settings(ROOT / "config.example.toml")
        settings = dataclasses.replace(
            settings,
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'mailflow.db'}",
            source_kind="imap",
            imap=account.settings(idle=args.mode == "idle", poll_seconds=0.25),
            sink_kind="smtp",
            smtp=SmtpSettings(host=smtp.host, port=smtp.port, security="plain"),
            poll_seconds=60 if args.mode == "idle" else 1,
        )
        app = app_from_settings(settings)
        source = ImapSource(settings.imap)
        daemon = Daemon(app, source, SmtpSink(settings.smtp), source_name="bench")
        thread = threading.Thread(target=daemon.run, daemon=True)
        thread.start()
        time.sleep(1.0)
        handled, sent = [], []
        for n in range(args.messages):
            before = len(smtp.received)
            data = (
                f"From: someone{n}@elsewhere.example\r\nTo: approvals@ft.example\r\n"
                f"Subject: question {n}\r\nMessage-ID: <bench-{n}@elsewhere.example>\r\n"
                f"\r\nHello {n}\r\n"
            ).encode()
            start = time.monotonic()
            account.append([data])
            done_at = None
            while time.monotonic() - start < 30:
                with app.db.session() as s:
                    count = s.exec(select(func.count()).select_from(LedgerEntry)).one()
                if count > n and done_at is None:
                    done_at = time.monotonic()
                if done_at is not None and len(smtp.received) > before:
                    break
                time.sleep(0.005)
            handled.append((done_at or time.monotonic()) - start)
            sent.append(time.monotonic() - start)
        daemon.stop()
        thread.join(timeout=30)
        source.close()
        app.close()
    finally:
        smtp.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"mode {args.mode}, {args.messages} messages, one at a time")
    print(f"{'':24}{'median':>9}{'p95':>9}{'max':>9}   (seconds)")
    for name, values in (("APPEND → handled", handled), ("APPEND → answer sent", sent)):
        print(
            f"{name:<24}{statistics.median(values):>9.3f}{percentile(values, 0.95):>9.3f}"
            f"{max(values):>9.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
