"""SIGKILL a real `mailflow run` reading IMAP after messages committed but before their
batch was filed by MOVE, and show that the restart turns them into no-ops.

The daemon files committed messages in batches (mailflow.transport.filing), so for a while
a message can be in the ledger and still in the inbox. The kill is made to land there: the
test waits until the ledger holds at least three messages more than the Processed folder
(which a daemon filing one at a time never shows) and kills. After the restart every
message has exactly one ledger entry and one CR, and the inbox is empty.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from mailflow.store.tables import ChangeRequest
from tests.servers import ImapAccount, dovecot, imap_account  # noqa: F401
from tests.service_process import Service, Store, new_request, service_config, wait_for

BACKLOG = 60


def test_a_kill_between_commit_and_filing_is_read_again_as_a_no_op(
    tmp_path: Path,
    imap_account: ImapAccount,  # noqa: F811
) -> None:
    config = service_config(tmp_path, imap=imap_account, daemon="poll_seconds = 1")
    store = Store(f"sqlite:///{tmp_path / 'data' / 'mailflow.db'}")
    imap_account.append(new_request(n, "filing", b"\r\n") for n in range(BACKLOG))

    def unfiled() -> int:
        """Committed messages the Processed folder does not hold yet."""
        committed = store.ledger_count()  # first: a batch filed meanwhile only lowers it
        return committed - len(imap_account.uids("Processed"))

    first = Service(config, tmp_path / "first.log")
    last = Service(config, tmp_path / "last.log")
    try:
        first.start()
        wait_for("committed messages not yet filed", lambda: unfiled() >= 3, 60, first, every=0.01)
        first.kill()
        filed = len(imap_account.uids("Processed"))
        assert store.ledger_count() > filed, "the kill landed between commit and filing"
        assert len(imap_account.uids("INBOX")) == BACKLOG - filed

        last.start()
        wait_for("every message filed", lambda: imap_account.uids("INBOX") == [], 120, last)
        assert last.stop() == 0, last.tail()

        ledger = store.ledger()
        assert len(ledger) == BACKLOG, "one outcome per message, none twice"
        assert {e.message_id for e in ledger} == {
            f"<filing-{n}@ft.example>" for n in range(BACKLOG)
        }
        assert {e.outcome for e in ledger} == {"applied"}
        with Session(store.engine) as session:
            crs = session.exec(select(func.count()).select_from(ChangeRequest)).one()
        assert crs == BACKLOG, "a message read again opened no second CR"
        assert len(imap_account.uids("Processed")) == BACKLOG
    finally:
        first.kill()
        last.kill()
        store.close()
