"""Messages per second through the whole pipeline on the embedded default (Maildir + SQLite).

    python benchmarks/pipeline_throughput.py [--crs 200]

Opens CRs by mail, then drives each through triage and in-principle approval with real
replies (parse, route, authorize with reply tokens, decide, transition, outbox, delivery
to the sent Maildir), and prints messages/s and mails sent/s for each phase, with the
peak memory of the process. One message per transaction, as the service runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import email
import resource
import shutil
import sys
import tempfile
import time
from email.policy import default as default_policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, select  # noqa: E402

from mailflow.app import app_from_settings  # noqa: E402
from mailflow.cli.demo import cast_message  # noqa: E402
from mailflow.config.settings import load_settings  # noqa: E402
from mailflow.service.daemon import Daemon  # noqa: E402
from mailflow.store.message_tables import OutboxRow  # noqa: E402
from mailflow.store.tables import ChangeRequest  # noqa: E402
from mailflow.transport.maildir import MaildirSink, MaildirSource, deliver  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crs", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mailflow-throughput-"))
    try:
        settings = load_settings(ROOT / "config.example.toml")
        settings = dataclasses.replace(
            settings,
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'mailflow.db'}",
            maildir_root=folder / "mail",
            # The hourly sending limits would hold most of a bulk run back; lift them here.
            limits=dataclasses.replace(
                settings.limits, per_address_per_hour=10**6, total_per_hour=10**6
            ),
        )
        app = app_from_settings(settings)
        source, sink = MaildirSource(settings.maildir_root), MaildirSink(settings.maildir_root)
        daemon = Daemon(app, source, sink)
        print(f"{args.crs} CRs, one message per transaction, SQLite WAL + Maildir")
        print(f"{'phase':<28}{'messages':>9}{'msg/s':>9}{'mails out':>11}{'out/s':>9}")
        phases = [
            ("open by mail (CSM)", None, ""),
            ("triage: IS CR", "integration@ft.example", "IS CR"),
            ("customer: Approved", "dana@acme.example", "Approved, thanks"),
            ("executive: I approve", "amardeep@ft.example", "I approve."),
        ]
        for name, sender, body in phases:
            batch = []
            for n in range(args.crs):
                if sender is None:
                    msg = cast_message(
                        app,
                        "priya@ft.example",
                        f"Customer: acme\n\nRequest number {n}.",
                        "",
                        "new",
                        None,
                    )
                    msg.replace_header("Subject", f"Change request number {n}")
                else:
                    msg = cast_message(
                        app, sender, body, "", "", latest_to(app, sender, f"CR-2026-{n + 1:04d}")
                    )
                batch.append(msg.as_bytes())
            for data in batch:
                deliver(settings.maildir_root, data)
            sent_before = count_sent(app)
            start = time.perf_counter()
            handled = daemon.process_inbox()
            daemon.deliver_outbox(limit=100_000)
            elapsed = time.perf_counter() - start
            sent = count_sent(app) - sent_before
            print(
                f"{name:<28}{handled:>9}{handled / elapsed:>9.0f}{sent:>11}{sent / elapsed:>9.0f}"
            )
        with app.db.session() as s:
            stages = {cr.stage for cr in s.exec(select(ChangeRequest)).all()}
        print(f"CR stages at the end: {', '.join(sorted(stages))}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS): {peak:.0f} MiB")
        source.close()
        sink.close()
        app.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def latest_to(app, address: str, cr_id: str):
    with app.db.session() as s:
        rows = s.exec(
            select(OutboxRow).where(OutboxRow.cr_id == cr_id).order_by(col(OutboxRow.id).desc())
        ).all()
    for row in rows:
        if address in row.recipients:
            return email.message_from_bytes(row.data, policy=default_policy)
    return None


def count_sent(app) -> int:
    with app.db.session() as s:
        return len(s.exec(select(OutboxRow.id).where(OutboxRow.status == "sent")).all())


if __name__ == "__main__":
    raise SystemExit(main())
