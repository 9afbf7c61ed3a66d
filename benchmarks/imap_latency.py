"""How long mailflow itself takes to answer a reply that arrives while it waits in IMAP IDLE,
per message, on the real path: a reply carrying its reply token that moves a CR on and
makes mailflow send the next stage's request.

    python benchmarks/imap_latency.py [--messages 200] [--verbose]

First `--messages` CRs are opened through the daemon loop (each one's request goes to the
triage actor). Then the daemon runs in IDLE against a throwaway Dovecot and an aiosmtpd
server in a process of its own (as a real server is: its work is not the service's), and
the triage actor's reply to each CR is APPENDed, one at a time, each while the daemon's
connection is idling; the benchmark then waits, without polling, until the daemon idles
again. Two hooks give each message its own timestamps, on the machine's one monotonic
clock:

- the daemon's own IMAP connection records when the response announcing new mail arrived
  (in IDLE, or in the answer to DONE when the daemon's wait was ending just then);
- the SMTP server records when it accepted each mail, and tells the benchmark by a pipe.

mailflow's own share for a message is the time from its announcement to the SMTP server
accepting the mail it caused: the first request to the next stage's actors, and the last of
all its mails (the replier's receipt and the copies included). Dovecot itself waits 500 ms
before telling an IDLE client of new mail; that share, APPEND → announced, is shown apart.
Needs Dovecot (apt-get install dovecot-imapd).
"""

from __future__ import annotations

import argparse
import dataclasses
import email
import multiprocessing
import shutil
import socket
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.policy import default
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from mailflow.app import App, app_from_settings  # noqa: E402
from mailflow.cli.demo import cast_message  # noqa: E402
from mailflow.config.settings import load_settings  # noqa: E402
from mailflow.service.daemon import Daemon  # noqa: E402
from mailflow.store.message_tables import OutboxRow  # noqa: E402
from mailflow.store.tables import ChangeRequest  # noqa: E402
from mailflow.transport.imap import ImapSource  # noqa: E402
from mailflow.transport.smtp import SmtpSettings, SmtpSink  # noqa: E402
from tests.dovecot_server import Dovecot, dovecot_binary, free_port  # noqa: E402
from tests.servers import ImapAccount, RecordingHandler, SmtpServer  # noqa: E402

OPENING = "Customer: acme\n\nPlease add loyalty points to the nightly export."
TRIAGE = "integration@ft.example"  # the triage actor in config.example.toml
MOVE_ON = "IS CR"  # the triage reply that moves a CR on to its next stage
NEW_MAIL = (b"EXISTS", b"RECENT")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class TimedSmtp(RecordingHandler):
    """Sends, for each accepted mail, its recipients and when the server accepted it down a
    pipe to the benchmark (before the client hears 250, so it is there once the send returns)."""

    def __init__(self, pipe: Connection) -> None:
        super().__init__()
        self.pipe = pipe

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        self.pipe.send((tuple(envelope.rcpt_tos), time.monotonic()))
        self.received.clear()  # nothing here reads them
        return reply


def _serve_smtp(port: int, pipe: Connection, stop: Any) -> None:
    """The SMTP server's own process: as a real server is, apart from the service."""
    smtp = SmtpServer()
    smtp.port, smtp.handler = port, TimedSmtp(pipe)
    smtp.start()
    stop.wait()
    smtp.stop()


class SmtpClock:
    """The SMTP server, started in a process of its own, and what it accepted when: its
    work is not counted in the service's share, as it would not be in production.
    The clock is CLOCK_MONOTONIC, one for the whole machine."""

    def __init__(self) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe(duplex=False)
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve_smtp, args=(self.port, child, self._stop), daemon=True
        )
        self.accepted: list[tuple[tuple[str, ...], float]] = []

    def start(self) -> None:
        self._process.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((self.host, self.port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("the SMTP server process did not start")

    def read(self) -> list[tuple[tuple[str, ...], float]]:
        """Every acceptance reported so far."""
        while self._pipe.poll():
            self.accepted.append(self._pipe.recv())
        return self.accepted

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=10)


class WatchedImapSource(ImapSource):
    """The service's ImapSource, with its connection noting when new mail was announced and
    whether it is idling now. Only the benchmark's hooks differ; the reading is the service's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.announced: list[tuple[float, str]] = []  # (when, "IDLE" or "DONE")
        self.idling = threading.Event()
        self.idle_started = 0.0
        self.idles = 0  # IDLE commands begun, under `self.changed`
        self.changed = threading.Condition()

    def _prepare(self, client: IMAPClient) -> None:
        super()._prepare(client)
        idle, idle_check, idle_done = client.idle, client.idle_check, client.idle_done

        def start() -> Any:
            result = idle()
            with self.changed:
                self.idle_started = time.monotonic()
                self.idles += 1
                self.idling.set()
                self.changed.notify_all()
            return result

        def check(timeout: float | None = None) -> Any:
            responses = idle_check(timeout)
            self._note(responses, "IDLE")
            return responses

        def done() -> Any:
            self.idling.clear()
            result = idle_done()
            self._note(result[1], "DONE")
            return result

        client.idle, client.idle_check, client.idle_done = start, check, done

    def _note(self, responses: list[Any], how: str) -> None:
        if any(len(r) > 1 and r[1] in NEW_MAIL for r in responses):
            self.announced.append((time.monotonic(), how))


@dataclasses.dataclass
class Timing:
    """One reply's timestamps (monotonic seconds)."""

    appended: float
    announced: float
    how: str
    first_request: float
    last_mail: float
    mails: int


def open_crs(app: App, daemon: Daemon, imap: ImapAccount, count: int) -> list[EmailMessage]:
    """Open `count` CRs through the daemon loop; returns each one's request to triage."""
    imap.append(
        cast_message(app, "priya@ft.example", OPENING, "", "new", None).as_bytes()
        for _ in range(count)
    )
    daemon.process_inbox()
    while daemon.deliver_outbox(limit=1000):
        pass
    with app.db.session() as s:
        ids = list(s.exec(select(ChangeRequest.id).order_by(col(ChangeRequest.id))).all())
        parents = {
            row.cr_id: row.data
            for row in s.exec(select(OutboxRow)).all()
            if TRIAGE in row.recipients
        }
    return [email.message_from_bytes(parents[cr], policy=default) for cr in ids]


def stages(app: App) -> dict[str, str]:
    with app.db.session() as s:
        return {cr.id: cr.stage for cr in s.exec(select(ChangeRequest)).all()}


def measure_one(
    app: App, source: WatchedImapSource, smtp: SmtpClock, client: IMAPClient, parent: EmailMessage
) -> Timing | None:
    """APPEND one reply while the daemon idles; wait, without polling, until it idles again
    (the pass, sending included, is over); read that message's timestamps. None: no IDLE
    announced it (the daemon's wait ended just then and its next check found the message)."""
    reply = cast_message(app, TRIAGE, MOVE_ON, "", "", parent).as_bytes()
    if not source.idling.wait(30):
        raise SystemExit("the daemon never went back to IDLE")
    mails_before, notes_before = len(smtp.read()), len(source.announced)
    with source.changed:
        idles = source.idles
    appended = time.monotonic()
    client.append("INBOX", reply)
    mails: list[tuple[tuple[str, ...], float]] = []
    while not any(TRIAGE not in rcpt for rcpt, _ in mails):
        with source.changed:
            if not source.changed.wait_for(lambda seen=idles: source.idles > seen, timeout=30):
                raise SystemExit(f"no request followed the reply to {parent['Subject']}")
            idles = source.idles
        mails = smtp.read()[mails_before:]
    requests = [at for rcpt, at in mails if TRIAGE not in rcpt]
    notes = [(at, how) for at, how in source.announced[notes_before:] if at < mails[0][1]]
    if not notes:
        return None
    announced, how = notes[0]
    return Timing(appended, announced, how, requests[0], mails[-1][1], len(mails))


def run(folder: Path, messages: int, verbose: bool) -> list[Timing | None]:
    """Start the servers and the daemon, open the CRs, then time each reply."""
    server = Dovecot(dir=folder / "dovecot", port=free_port(), lmtp_port=free_port())
    server.dir.mkdir()
    server.setup()
    server.start()
    smtp = SmtpClock()
    smtp.start()
    try:
        account = ImapAccount(server, "user1")
        settings = load_settings(ROOT / "config.example.toml")
        settings = dataclasses.replace(
            settings,
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'mailflow.db'}",
            source_kind="imap",
            imap=account.settings(idle=True),
            sink_kind="smtp",
            smtp=SmtpSettings(host=smtp.host, port=smtp.port, security="plain"),
            poll_seconds=60,
            # every CR copies the same CSM: room for the benchmark's mail, limits still checked
            limits=dataclasses.replace(
                settings.limits, per_address_per_hour=100_000, total_per_hour=1_000_000
            ),
        )
        app = app_from_settings(settings)
        source = WatchedImapSource(settings.imap)
        daemon = Daemon(app, source, SmtpSink(settings.smtp), source_name="bench")
        parents = open_crs(app, daemon, account, messages)
        opened_at = stages(app)
        thread = threading.Thread(target=daemon.run, daemon=True)
        thread.start()
        client = account.client()
        timings = []
        for n, parent in enumerate(parents):
            timings.append(measure_one(app, source, smtp, client, parent))
            if verbose and (t := timings[-1]) is not None:
                print(f"{n}: announced {t.announced - t.appended:.3f}, own "
                      f"{t.first_request - t.announced:.3f} / {t.last_mail - t.announced:.3f}"
                      f" ({t.how}, {t.mails} mails)", file=sys.stderr)  # fmt: skip
        client.logout()
        daemon.stop()
        thread.join(timeout=30)
        source.close()
        now = stages(app)
        moved = sum(1 for cr, stage in opened_at.items() if now[cr] != stage)
        app.close()
        print(f"{moved} of {messages} CRs moved to their next stage by the reply")
        return timings
    finally:
        smtp.stop()
        server.stop()


def report(timings: list[Timing | None]) -> None:
    measured = [t for t in timings if t is not None]
    at_done = sum(1 for t in measured if t.how == "DONE")
    mails = sorted({t.mails for t in measured})
    print(
        f"{len(measured)} replies timed one at a time ({at_done} announced in the answer to"
        f" DONE, the rest in IDLE; {len(timings) - len(measured)} found by the check between"
        " two IDLEs, not timed);"
        f" mails caused per reply: {', '.join(map(str, mails))}"
    )
    rows = [
        ("APPEND → announced (Dovecot)", [t.announced - t.appended for t in measured]),
        ("APPEND → last mail accepted", [t.last_mail - t.appended for t in measured]),
        ("own: → next request accepted", [t.first_request - t.announced for t in measured]),
        ("own: → last mail accepted", [t.last_mail - t.announced for t in measured]),
    ]
    print(f"{'per message':<32}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   (seconds)")
    for name, values in rows:
        cells = [percentile(values, q) for q in (0.5, 0.95, 0.99)] + [max(values)]
        print(f"{name:<32}" + "".join(f"{v:>8.3f}" for v in cells))
    print("targets for mailflow's own share: p50 <= 0.050, p99 <= 0.200")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--mode", choices=("idle",), default="idle", help="only IDLE is timed")
    parser.add_argument("--verbose", action="store_true", help="print each message's times")
    args = parser.parse_args()
    if dovecot_binary() is None:
        print("Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    folder.chmod(0o755)
    try:
        timings = run(folder, args.messages, args.verbose)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(timings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
