"""The daemon files what it committed in batches, and always before it leaves a pass: at
the end of the mailbox, when asked to stop, and when a fault of the store ends the pass."""

from __future__ import annotations

import pytest

from mailflow.errors import TransientError
from mailflow.service import batches as batches_module
from mailflow.service import pipeline
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest
from mailflow.transport import filing
from tests.scenario.test_imap_faults import Rig
from tests.servers import dovecot, imap_account, smtp_server  # noqa: F401


@pytest.fixture
def rig(tmp_path, imap_account, smtp_server, monkeypatch):  # noqa: F811
    monkeypatch.setattr(filing, "FILE_EVERY", 2)
    r = Rig(tmp_path, imap_account, smtp_server)
    r.batches = []
    real = r.source.ack_many

    def ack_many(items):
        r.batches.append(len(items))
        real(items)

    monkeypatch.setattr(r.source, "ack_many", ack_many)
    yield r
    r.close()


@pytest.fixture
def one_at_a_time(monkeypatch):
    """One message a transaction, so that a stop or a fault falls between two messages (a
    batch commits as a whole: tests/test_batch_handling.py covers that)."""
    monkeypatch.setattr(batches_module, "BATCH", 1)


def _requests(rig, count):
    for n in range(count):
        rig.deliver("priya@ft.example", f"Customer: acme\n\nExport column {n}", kind="new")


def test_committed_messages_are_filed_in_batches_and_at_the_end_of_the_pass(rig):
    _requests(rig, 5)
    rig.cycle()
    assert rig.batches == [2, 2, 1]
    assert rig.account.uids() == []
    assert len(rig.account.uids("Processed")) == 5
    assert len(rig.rows(ChangeRequest)) == 5
    rig.assert_exactly_once()


@pytest.mark.usefixtures("one_at_a_time")
def test_a_stop_mid_pass_files_what_was_committed(rig):
    _requests(rig, 5)
    rig.daemon.on_message = lambda handled: len(rig.rows(LedgerEntry)) == 3 and rig.daemon.stop()
    rig.daemon.process_inbox()
    assert rig.batches == [2, 1]
    assert len(rig.account.uids()) == 2 and len(rig.account.uids("Processed")) == 3
    rig.daemon.stopping = False
    rig.cycle()
    assert rig.account.uids() == [] and len(rig.rows(ChangeRequest)) == 5
    rig.assert_exactly_once()


@pytest.mark.usefixtures("one_at_a_time")
def test_a_fault_of_the_store_mid_pass_still_files_what_was_committed(rig, monkeypatch):
    _requests(rig, 5)
    real, seen = pipeline.handle, []

    def fourth_fails(app, raw, now):
        seen.append(raw.key)
        if len(seen) == 4:
            raise TransientError("database is locked")
        return real(app, raw, now)

    monkeypatch.setattr(pipeline, "handle", fourth_fails)
    rig.daemon.process_inbox()
    assert rig.batches == [2, 1]
    assert len(rig.account.uids()) == 2, "the failed message and the one after it wait"
    monkeypatch.setattr(pipeline, "handle", real)
    rig.daemon.pauses.blocked_until = 0.0  # the pause after the fault is over
    rig.cycle()
    assert rig.account.uids() == [] and len(rig.rows(ChangeRequest)) == 5
    rig.assert_exactly_once()


@pytest.mark.usefixtures("one_at_a_time")
def test_a_failed_filing_leaves_the_messages_to_be_read_again_as_no_ops(rig, monkeypatch):
    _requests(rig, 3)

    def lost(items):
        raise ConnectionError("connection lost while filing")

    with monkeypatch.context() as fault:
        fault.setattr(rig.source, "ack_many", lost)
        rig.cycle()  # the first batch fails: the pass ends, the job's error is logged
    assert len(rig.account.uids()) == 3 and len(rig.rows(LedgerEntry)) == 2
    rig.cycle()
    assert rig.account.uids() == [] and len(rig.account.uids("Processed")) == 3
    assert len(rig.rows(ChangeRequest)) == 3
    rig.assert_exactly_once()
