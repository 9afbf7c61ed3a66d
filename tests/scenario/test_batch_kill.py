"""SIGKILL a real `mailflow run` again and again while it handles a backlog in batches.

A kill inside a batch's transaction must leave none of the batch behind; a kill after its
commit but before its messages are filed leaves them in the inbox, to be read again and
found on the ledger. Either way, once a last run has finished: every message has exactly
one outcome (none lost), and no request opened two CRs (none decided twice).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from pathlib import Path

from mailflow.transport.maildir import deliver
from tests.service_process import Service, Store, new_request, service_config, wait_for

REQUESTS = 300
KILLS = 8


def _titles(database: Path) -> Counter[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return Counter(title for (title,) in db.execute("SELECT title FROM change_request"))


def test_kills_while_handling_in_batches_lose_nothing_and_decide_nothing_twice(
    tmp_path: Path,
) -> None:
    config = service_config(tmp_path, daemon="poll_seconds = 1\nlease_seconds = 30")
    store = Store(f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}")
    inbox = tmp_path / "data" / "mail" / "inbox"
    for n in range(REQUESTS):
        deliver(tmp_path / "data" / "mail", new_request(n, "batch"))
    rng = random.Random(21)
    try:
        for k in range(KILLS):
            service = Service(config, tmp_path / f"run-{k}.log").start()
            handled = store.ledger_count()
            if handled >= REQUESTS:
                service.kill()
                break
            wait_for("a batch committed", lambda: store.ledger_count() > handled, 60, service)  # noqa: B023
            time.sleep(rng.uniform(0, 0.6))  # anywhere in the next batch, or between two
            service.kill()
        last = Service(config, tmp_path / "last.log").start()
        wait_for(
            "every request handled and filed",
            lambda: store.ledger_count() >= REQUESTS and not list(inbox.glob("*/*")),
            180,
            last,
        )
        wait_for("the service running", lambda: "is running" in last.tail(), 60, last)
        assert last.stop() == 0, last.tail()
        ledger = store.ledger()
    finally:
        store.close()
    kills = sum(1 for _ in tmp_path.glob("run-*.log"))
    assert kills >= 3, "the backlog outlasted a few kills"
    ids = Counter(entry.message_id for entry in ledger)
    assert len(ledger) == REQUESTS, "exactly one outcome each"
    assert set(ids) == {f"<batch-{n}@ft.example>" for n in range(REQUESTS)}, "none lost"
    assert not [e for e in ledger if e.outcome == "quarantined"]
    titles = _titles(tmp_path / "data" / "mailflow.db")
    assert sum(titles.values()) == REQUESTS and max(titles.values()) == 1, "none decided twice"
