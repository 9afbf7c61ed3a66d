"""The least a catch-up can cost per reply, measured step by step on this machine.

    python benchmarks/catch_up_floor.py [--messages 2000]

Every reply the service handles must be parsed (mail-parser, the same parse the catch-up
compares against), and a reply that moves a CR or is answered makes at least one mail
that must be composed (the standard library's email package, through mailflow's
Composer) and handed to an SMTP server. Each step is timed alone, with nothing else of
mailflow around it: the parse of realistic replies, the build of one answer, and its
delivery over one reused SMTP connection to an aiosmtpd server in a process of its own.
Their sum is a floor under the time per reply, whatever the database, the rules or the
batching do, and it bounds the catch-up rate, and so its ratio to the bare parse rate,
from above. Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mailparser  # noqa: E402

from mailflow.app import build_app  # noqa: E402
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


def per_message(work: list[object], step: object) -> float:
    start = time.perf_counter()
    for item in work:
        step(item)  # type: ignore[operator]
    return (time.perf_counter() - start) / len(work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    sample = replies(args.messages)

    def parse(data: object) -> None:
        parsed = mailparser.parse_from_bytes(data)
        _ = parsed.subject, parsed.message_id, parsed.text_plain

    parse_s = min(per_message(list(sample), parse) for _ in range(3))

    app = build_app(ROOT / "config.example.toml")
    text = BODY.split("On Mon")[0] * 6
    rendered = (
        "[CR-2000-0001] Loyalty points export: in-principle approval",
        text,
        f"<p>{text}</p>",
    )
    now = datetime.now(UTC)

    def build(n: object) -> bytes:
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
    build_s = min(per_message(list(numbers), build) for _ in range(3))
    built = [build(n) for n in numbers[:500]]

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = _connect(port)
        recipients = ["dana@acme.example", "priya@ft.example", "amardeep@ft.example"]

        def send(data: object) -> None:
            client.sendmail("approvals@ft.example", recipients, data)  # type: ignore[arg-type]

        smtp_s = min(per_message(list(built), send) for _ in range(3))
        client.quit()
    finally:
        server.terminate()
        server.wait(timeout=10)
    floor = parse_s + build_s + smtp_s
    print(f"per reply, each step alone ({args.messages:,} replies; best of 3):")
    print(f"  parse (mail-parser)            {parse_s * 1000:6.2f} ms   {1 / parse_s:7.0f} msg/s")
    print(f"  compose one answer (Composer)  {build_s * 1000:6.2f} ms")
    print(f"  hand it to SMTP (reused conn)  {smtp_s * 1000:6.2f} ms")
    print(f"  floor: the three together      {floor * 1000:6.2f} ms   {1 / floor:7.0f} msg/s")
    print(f"highest catch-up ratio these steps allow: {parse_s / floor:.0%} of the bare parse rate")
    return 0


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
