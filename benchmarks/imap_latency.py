"""How long from a reply landing in the mailbox to mailflow having handled it and sent the
answer, with the real daemon loop against a throwaway Dovecot and an aiosmtpd server.

    python benchmarks/imap_latency.py [--messages 30] [--mode idle|poll]

Prints p50, p95, p99 and maximum of: APPEND → ledger row (handled), and APPEND → the
answer accepted by the SMTP server (sent). In IDLE mode it first measures a bare
imapclient IDLE on the same server seeing the same kind of APPEND, and prints
mailflow's own share: its figure minus the bare one at each percentile. Dovecot
itself waits 500 ms before telling an IDLE client about new mail, which the bare
figure shows. Needs Dovecot (apt-get install dovecot-imapd).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import func, select  # noqa: E402

from mailflow.app import app_from_settings  # noqa: E402
from mailflow.config.settings import load_settings  # noqa: E402
from mailflow.service.daemon import Daemon  # noqa: E402
from mailflow.store.tables import LedgerEntry  # noqa: E402
from mailflow.transport.imap import ImapSource  # noqa: E402
from mailflow.transport.smtp import SmtpSettings, SmtpSink  # noqa: E402
from tests.dovecot_server import Dovecot, dovecot_binary, free_port  # noqa: E402
from tests.servers import ImapAccount, SmtpServer  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _mail(n: int, who: str) -> bytes:
    return (
        f"From: {who}{n}@elsewhere.example\r\nTo: approvals@ft.example\r\n"
        f"Subject: question {n}\r\nMessage-ID: <bench-{who}-{n}@elsewhere.example>\r\n"
        f"\r\nHello {n}\r\n"
    ).encode()


def bare_idle(account: ImapAccount, messages: int) -> list[float]:
    """APPEND → a plain imapclient connection in IDLE hears of it: the server's own share."""
    client = account.client()
    client.select_folder("INBOX")
    seen = []
    try:
        for n in range(messages):
            client.idle()
            start = time.monotonic()
            account.append([_mail(n, "bare")])
            while time.monotonic() - start < 30:
                responses = client.idle_check(timeout=0.05)
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                    break
            seen.append(time.monotonic() - start)
            client.idle_done()
        client.delete_messages(client.search("ALL"))
        client.expunge()
    finally:
        client.logout()
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--mode", choices=("idle", "poll"), default="idle")
    parser.add_argument("--verbose", action="store_true", help="print each message's time")
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
        bare = bare_idle(ImapAccount(server, "user2"), args.messages) if args.mode == "idle" else []
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
            data = _mail(n, "someone")
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
            if "--verbose" in sys.argv:
                print(f"{n}: {sent[-1]:.3f}", file=sys.stderr)
        daemon.stop()
        thread.join(timeout=30)
        source.close()
        app.close()
    finally:
        smtp.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"mode {args.mode}, {args.messages} messages, one at a time")
    print(f"{'':30}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   (seconds)")
    rows = [("APPEND → handled", handled), ("APPEND → answer sent", sent)]
    if bare:
        rows.append(("bare imapclient IDLE sees it", bare))
    for name, values in rows:
        cells = [percentile(values, q) for q in (0.5, 0.95, 0.99)] + [max(values)]
        print(f"{name:<30}" + "".join(f"{v:>8.3f}" for v in cells))
    if bare:
        own = [percentile(sent, q) - percentile(bare, q) for q in (0.5, 0.95, 0.99)]
        print(f"{'mailflow own share (sent)':<30}" + "".join(f"{v:>8.3f}" for v in own))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
