"""SIGKILL a real `mailflow run` again and again while it delivers, and count what that costs.

A mail handed to the SMTP server but not yet marked sent when the process dies (the
send-to-commit window) is sent again after the restart: SMTP has no way to ask whether a
message already arrived. So a duplicate is allowed only where a kill landed in that window,
and nothing may be lost. The window is measured from outside: at each kill, a Message-ID
the sink received since the previous kill whose outbox row is not marked sent. Half the
kills come at a random moment of the delivery loop; the other half are made to land in the
window by holding the SQLite write lock (as a busy neighbour would) while one more mail
goes out. The Maildir sink checks for a Message-ID before writing, so there it must be zero
duplicates even after kills in the window.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from mailflow.transport.maildir import deliver
from tests.servers import SmtpServer, smtp_server  # noqa: F401
from tests.service_process import Service, Store, message_ids, new_request, service_config, wait_for

REQUESTS = 80


def _delivered(folder: Path) -> list[Path]:
    """What a Maildir holds: new/ and cur/; tmp/ is where a write that a kill cut short stays."""
    return [*folder.glob("new/*"), *folder.glob("cur/*")]


def _kill_and_restart(
    folder: Path, smtp: SmtpServer | None, kills: int
) -> tuple[Counter[str], Store, list[set[str]]]:
    """Run, kill, restart `kills` times, then let a last run finish; returns what arrived."""
    config = service_config(folder, smtp=smtp, daemon="poll_seconds = 1\nlease_seconds = 30")
    store = Store(f"sqlite:///{folder / 'data' / 'mailflow.db'}")
    mail = folder / "data" / "mail"
    for n in range(REQUESTS):
        deliver(mail, new_request(n, "kill"))
    arrived: Callable[[], Counter[str]] = (
        (lambda: message_ids(g.data for g in smtp.received))
        if smtp is not None
        else (lambda: message_ids(p.read_bytes() for p in _delivered(mail / "sent")))
    )
    count: Callable[[], int] = (  # cheap enough to poll every few milliseconds
        (lambda: len(smtp.received))
        if smtp is not None
        else (lambda: len(_delivered(mail / "sent")))
    )
    rng = random.Random(13)
    windows: list[set[str]] = []
    before: Counter[str] = Counter()

    def unmarked() -> set[str]:
        """Mail delivered since the last kill whose outbox row is not marked sent."""
        now, sent = arrived(), store.sent_ids()
        return {mid for mid in now if now[mid] > before[mid] and mid not in sent}

    try:
        for k in range(kills):
            service = Service(config, folder / f"run-{k}.log").start()
            total = count()
            wait_for("a delivery", lambda: count() > total, 60, service, every=0.002)  # noqa: B023
            if k % 2 == 0:
                time.sleep(rng.uniform(0, 0.03))  # anywhere in the delivery loop
                service.kill()
            else:
                with store.writes_held():  # a mail out now cannot be marked sent: in the window
                    wait_for("a mail out, not marked sent", lambda: bool(unmarked()), 60, service)
                    service.kill()
            time.sleep(0.2)  # a transaction the kill cut short ends at the server
            windows.append(unmarked())
            before = arrived()
        last = Service(config, folder / "last.log").start()
        wait_for(
            "everything handled and delivered",
            lambda: (
                store.ledger_count() >= REQUESTS
                and not list((mail / "inbox").glob("*/*"))
                and all(r.status == "sent" for r in store.outbox())
            ),
            120,
            last,
        )
        assert last.stop() == 0, last.tail()
    finally:
        store.close()
    return arrived(), store, windows


def _check(arrived: Counter[str], store: Store, windows: list[set[str]], kills: int) -> int:
    """Nothing lost; every extra delivery matched by a kill in its window; returns duplicates."""
    ledger = store.ledger()
    assert len(ledger) == REQUESTS and len({e.message_id for e in ledger}) == REQUESTS
    assert not [e for e in ledger if e.outcome == "quarantined"]
    sent = store.sent_ids()
    assert len(sent) == len(store.outbox()), "every queued mail marked sent"
    assert set(arrived) == sent, "nothing lost, nothing unknown delivered"
    for mid, times in arrived.items():
        explained = sum(mid in window for window in windows)
        assert times - 1 <= explained, f"{mid} arrived {times} times, {explained} kill(s) explain"
    duplicates = sum(times - 1 for times in arrived.values())
    in_window = sum(bool(window) for window in windows)
    print(
        f"\nkill test: {kills} SIGKILLs, {in_window} in the send-to-commit window, "
        f"{duplicates} duplicate(s), 0 lost, {len(sent)} mails from {REQUESTS} requests"
    )
    return duplicates


def test_kills_while_sending_by_smtp_cost_at_most_one_duplicate_each_in_the_window(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    kills = 20
    arrived, store, windows = _kill_and_restart(tmp_path, smtp_server, kills)
    duplicates = _check(arrived, store, windows, kills)
    in_window = sum(bool(window) for window in windows)
    assert kills // 2 <= in_window and duplicates <= in_window


def test_kills_while_writing_the_maildir_sink_never_duplicate(tmp_path: Path) -> None:
    kills = 4
    arrived, store, windows = _kill_and_restart(tmp_path, None, kills)
    assert _check(arrived, store, windows, kills) == 0
    assert sum(bool(window) for window in windows) >= kills // 2, "kills did land in the window"
