"""The status page on a real port with real CRs behind it, for the browser and HTTP tests.

CRs are made the way production makes them: the demo's cast mails the daemon, which
handles each message through the whole pipeline. Only the CR of the second account is
written straight into the store, because no one in the example cast serves it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import uvicorn

from mailflow.app import App
from mailflow.config import Account, Settings
from mailflow.daemon import Daemon
from mailflow.demo import SCRIPT, _latest_cr, _latest_to, cast_message
from mailflow.store.tables import ChangeRequest
from mailflow.transport.maildir import MaildirSink, MaildirSource, deliver
from mailflow.web.app import create_app
from tests.dovecot_server import free_port
from tests.helpers import make_app

# the year the daemon gives the other CRs: it reads the real clock, as this does
OTHER_CR = f"CR-{datetime.now(UTC).year}-9001"


def with_second_account(settings: Settings, port: int) -> Settings:
    globex = Account("globex", "Globex", ("globex.example",), Decimal(100), "USD")
    web = settings.web.model_copy(
        update={"cookie_secure": False, "base_url": f"http://127.0.0.1:{port}"}
    )
    return dataclasses.replace(settings, accounts=(*settings.accounts, globex), web=web)


def play(app: App, steps: int, daemon: Daemon | None = None) -> str:
    """A new CR taken through the first `steps` of the demo's script; its id."""
    root = app.settings.maildir_root
    source, sink = MaildirSource(root), MaildirSink(root)
    daemon, cr_id = daemon or Daemon(app, source, sink), ""
    try:
        for sender, body, attachment, kind in SCRIPT[:steps]:
            parent = _latest_to(app, sender, cr_id) if cr_id else None
            deliver(root, cast_message(app, sender, body, attachment, kind, parent).as_bytes())
            daemon.run(once=True)
            cr_id = cr_id or _latest_cr(app)
    finally:
        source.close()
        sink.close()
    return cr_id


def seeded_app(folder: Path, port: int) -> tuple[App, list[str]]:
    app = make_app(folder, adjust=lambda s: with_second_account(s, port))
    crs = [play(app, 6), play(app, 3), play(app, 1)]
    with app.db.transaction() as session:
        session.add(
            ChangeRequest(
                id=OTHER_CR,
                account="globex",
                title="Globex warehouse feed",
                stage=app.workflow.start,
                opened_by="someone@globex.example",
            )
        )
    return app, crs


@contextmanager
def serving(app: App) -> Iterator[str]:
    """The status page on a free loopback port in a thread; yields its base URL."""
    base = app.settings.web.base_url
    port = int(base.rsplit(":", 1)[1])
    config = uvicorn.Config(
        create_app(app), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the status page did not start"
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


__all__ = ["OTHER_CR", "free_port", "play", "seeded_app", "serving"]
