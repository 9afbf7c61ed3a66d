"""The least a catch-up can cost, measured step by step on this machine.

    python benchmarks/catch_up_floor.py [--messages 2000]

Every inbound message the service handles must be parsed (mail-parser, the same parse the
catch-up compares against), and every mail it sends must be composed (the standard
library's email package, through mailflow's Composer) and handed to an SMTP server. Each
step is timed alone, with nothing else of mailflow around it: the parse of realistic
replies, the build of one answer, and its delivery over one reused SMTP connection to an
aiosmtpd server in a process of its own. For one catch-up the floor is the sum over its
own messages: every inbound message's parse plus every outbound mail's compose and
hand-off (benchmarks/run_all.py times them on the run's own mail with the functions here).
Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import email
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mailparser  # noqa: E402

from mailflow.app import build_app  # noqa: E402
from mailflow.mail.compose import Composer  # noqa: E402
from tests.dovecot_server import free_port  # noqa: E402

BODY = (
    "IS CR\n\nIt needs a new export column; the nightly job reads it.\n\n"
    "Thanks,\nIan\n\n"
    "On Mon, 2 Nov, mailflow wrote:\n"
    + "".join(
        f"> line {n} of the request we were sent, quoted as mail programs do\n" for n in range(25)
    )
)


def replies(count: int) -> list[bytes]:
    """Replies shaped like the catch-up's: plain and HTML parts, threading headers, a quote."""
    out = []
    for n in range(count):
        msg = EmailMessage()
        msg["From"] = "Ian Integration <integration@ft.example>"
        msg["To"] = "approvals@ft.example"
        msg["Subject"] = f"Re: [CR-2000-{n % 1000 + 1:04d}] Triage: loyalty points export"
        msg["Message-ID"] = f"<reply-{n}@ft.example>"
        msg["In-Reply-To"] = f"<cr-2000-{n % 1000 + 1:04d}.ab12cd34@ft.example>"
        msg["References"] = msg["In-Reply-To"]
        msg.set_content(BODY)
        msg.add_alternative(f"<html><body><pre>{BODY}</pre></body></html>", subtype="html")
        out.append(msg.as_bytes())
    return out


def parse_seconds(data: bytes) -> float:
    """The bare parse of one inbound message: what any reader of it must at least do."""
    start = time.perf_counter()
    parsed = mailparser.parse_from_bytes(data)
    _ = parsed.subject, parsed.message_id, parsed.text_plain
    return time.perf_counter() - start


def compose_seconds(composer: Composer, sent: bytes) -> float:
    """The build of one mail like `sent` (its rendered words given): only the build is timed."""
    mail = email.message_from_bytes(sent, policy=default)
    parts = [mail.get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
    text, html = (str(p.get_content()) if p is not None else "" for p in parts)  # type: ignore[attr-defined]
    cr_id = str(mail.get("X-Mailflow-CR", "")) or None
    subject = str(mail["Subject"]).removeprefix(f"[{cr_id}] " if cr_id else "")
    start = time.perf_counter()
    composer.build(
        template=str(mail.get("X-Mailflow-Template", "")),
        context={},
        cr_id=cr_id,
        to=[str(mail["To"])],
        cc=[str(mail["Cc"])] if mail["Cc"] else [],
        in_reply_to=str(mail.get("In-Reply-To", "")) or None,
        references=str(mail.get("References", "")).split(),
        now=datetime.now(UTC),
        reply_address=str(mail.get("Reply-To", "")) or None,
        rendered=(subject, text, html),
    ).as_bytes()
    return time.perf_counter() - start


@contextmanager
def smtp_sink() -> Iterator[smtplib.SMTP]:
    """One connection to an aiosmtpd server that accepts and drops, in its own process."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = _connect(port)
        yield client
        client.quit()
    finally:
        server.terminate()
        server.wait(timeout=10)


def handoff_seconds(mails: Iterable[tuple[list[str], bytes]]) -> tuple[int, float]:
    """(count, seconds) to hand each (recipients, data) over one reused SMTP connection."""
    count, took = 0, 0.0
    with smtp_sink() as client:
        for recipients, data in mails:
            start = time.perf_counter()
            client.sendmail("approvals@ft.example", recipients, data)
            took += time.perf_counter() - start
            count += 1
    return count, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    sample = replies(args.messages)
    parse_s = min(sum(map(parse_seconds, sample)) for _ in range(3)) / len(sample)

    app = build_app(ROOT / "config.example.toml")
    text = BODY.split("On Mon")[0] * 6
    rendered = (
        "[CR-2000-0001] Loyalty points export: in-principle approval",
        text,
        f"<p>{text}</p>",
    )
    now = datetime.now(UTC)

    def build(n: int) -> bytes:
        msg = app.composer.build(
            template="request/in_principle",
            context={},
            cr_id="CR-2000-0001",
            to=["dana@acme.example"],
            cc=["priya@ft.example", "amardeep@ft.example"],
            in_reply_to=f"<reply-{n}@ft.example>",
            references=[f"<cr-2000-0001.{n}@ft.example>"],
            now=now,
            reply_address="approvals@ft.example",
            rendered=rendered,
        )
        return msg.as_bytes()

    numbers = list(range(args.messages))
    build_s = min(_each(numbers, build) for _ in range(3))
    built = [build(n) for n in numbers[:500]]
    recipients = ["dana@acme.example", "priya@ft.example", "amardeep@ft.example"]
    runs = (handoff_seconds((recipients, b) for b in built) for _ in range(3))
    smtp_s = min(t / n for n, t in runs)
    floor = parse_s + build_s + smtp_s
    print(f"per reply, each step alone ({args.messages:,} replies; best of 3):")
    print(f"  parse (mail-parser)            {parse_s * 1000:6.2f} ms   {1 / parse_s:7.0f} msg/s")
    print(f"  compose one answer (Composer)  {build_s * 1000:6.2f} ms")
    print(f"  hand it to SMTP (reused conn)  {smtp_s * 1000:6.2f} ms")
    print(f"  one reply, one answer          {floor * 1000:6.2f} ms   {1 / floor:7.0f} msg/s")
    print("a catch-up's own floor counts its own mail: benchmarks/run_all.py prints it per run")
    return 0


def _each(work: list[int], step: object) -> float:
    start = time.perf_counter()
    for item in work:
        step(item)  # type: ignore[operator]
    return (time.perf_counter() - start) / len(work)


def _connect(port: int) -> smtplib.SMTP:
    """The server takes a moment to listen; try for a few seconds."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=10)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
