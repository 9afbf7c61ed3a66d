"""Ledger rows are written once: every ruling is final before its row is written.

The statements the store runs are watched with a SQLAlchemy event listener: an UPDATE of
the message ledger would mean a row was written and then changed (as the answer cap, an
opened CR and a release from quarantine all used to do).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from mailflow.chain import post
from mailflow.service import quarantine
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest
from tests.helpers import Desk
from tests.test_pipeline import _dsn_for

DANA = "dana@acme.example"
_LEDGER_UPDATE = re.compile(r"^\s*UPDATE\s+message_ledger\b", re.IGNORECASE)


@pytest.fixture
def desk(tmp_path) -> Iterator[Desk]:
    d = Desk(tmp_path, adjust=lambda s: dataclasses.replace(s, quarantine_after_attempts=1))
    yield d
    d.close()


@pytest.fixture
def ledger_updates(desk: Desk) -> Iterator[list[str]]:
    """Every UPDATE of the message ledger the store runs while the test does."""
    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if _LEDGER_UPDATE.match(statement):
            seen.append(statement)

    event.listen(desk.app.db.engine, "before_cursor_execute", watch)
    yield seen
    event.remove(desk.app.db.engine, "before_cursor_execute", watch)


def _row(desk: Desk, entry_id: int) -> dict[str, object]:
    with desk.app.db.session() as s:
        entry = s.get(LedgerEntry, entry_id)
        assert entry is not None
        return entry.model_dump()


def test_a_capped_answer_is_written_once_with_its_final_outcome(desk, ledger_updates):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "IS CR")
    cap = desk.app.settings.security.max_answers_per_cr_per_day
    for n in range(cap + 3):
        desk.clock.advance(minutes=1)
        desk.say(DANA, cr_id, f"Thank you for your mail (ticket {n}).")
    desk.clock.advance(minutes=1)
    desk.say(DANA, cr_id, "Thank you for your mail (ticket 0).")
    assert ledger_updates == []
    rows = [e for e in desk.ledger() if e.sender == DANA]
    outcomes = [e.outcome for e in rows]
    assert outcomes == [LedgerOutcome.ANSWERED] * (cap + 1) + [LedgerOutcome.IGNORED] * 3
    assert rows[cap].reason.startswith("answer_limit: the last note of the day")
    assert all(e.reason.startswith("answer_limit:") for e in rows[cap + 1 : -1])
    assert rows[-1].reason.startswith("repeat:")
    assert all(e.cr_id == cr_id for e in rows)
    assert all(e.text_digest for e in rows[: cap + 1]), "an answer keeps what it is compared as"


def test_an_opened_cr_and_a_bounce_are_named_on_the_row_as_it_is_written(desk, ledger_updates):
    cr_id = desk.open_cr()
    opened = desk.ledger()[-1]
    assert (opened.outcome, opened.cr_id, opened.reason) == ("applied", cr_id, f"opened {cr_id}")
    row = next(r for r in desk.outbox(cr_id) if r.template == "request/triage")
    desk.send(_dsn_for(row.message_id, row.recipients[0], cr_id))
    bounce = desk.ledger()[-1]
    assert (bounce.outcome, bounce.cr_id) == ("ignored", cr_id)
    assert ledger_updates == []


def test_release_writes_a_row_that_points_to_the_quarantined_one(desk, ledger_updates,
                                                                 monkeypatch):  # fmt: skip
    cr_id = desk.open_cr()
    real = post.queue_mail

    def broken(*args, **kwargs):
        raise RuntimeError("template bug")

    monkeypatch.setattr(post, "queue_mail", broken)
    desk.say("integration@ft.example", cr_id, "IS CR")
    quarantined = desk.ledger()[-1]
    assert quarantined.outcome == LedgerOutcome.QUARANTINED
    assert quarantined.id is not None
    before = _row(desk, quarantined.id)

    monkeypatch.setattr(post, "queue_mail", real)
    now = desk.clock() + timedelta(minutes=5)
    with desk.app.db.transaction() as session:
        quarantine.release(session, desk.source, quarantined.id, now)
    assert _row(desk, quarantined.id) == before, "the quarantined row stays as it was"
    released = desk.ledger()[-1]
    assert released.outcome == LedgerOutcome.RELEASED and released.follows == quarantined.id
    assert released.handling == quarantined.handling + 1
    with desk.app.db.session() as s:
        assert quarantine.waiting(s) == []

    desk.daemon.run(once=True)
    assert desk.stage(cr_id) == "in_principle"
    handled = desk.ledger()[-1]
    assert handled.outcome == LedgerOutcome.APPLIED
    assert handled.content_hash == quarantined.content_hash
    assert handled.handling == released.handling
    assert _row(desk, quarantined.id) == before
    assert ledger_updates == []

    desk.source.put_back(quarantined.source_key, before["raw"])  # the same bytes once more
    desk.daemon.run(once=True)
    assert desk.ledger()[-1].id == handled.id, "read again after its release: a duplicate"
    with pytest.raises(Exception, match="already released"), desk.app.db.transaction() as s:
        quarantine.release(s, desk.source, quarantined.id, now)


def test_one_outcome_per_handling_is_held_by_the_database(desk):
    """Two daemons handling the same mail at once: the second row is refused."""
    desk.open_cr()
    first = desk.ledger()[-1]
    with pytest.raises(Exception, match="message_ledger"), desk.app.db.transaction() as s:
        twin = first.model_copy(update={"id": None, "message_id": "<twin@example.com>"})
        s.add(LedgerEntry.model_validate(twin.model_dump()))
    with desk.app.db.session() as s:
        assert len(s.exec(select(ChangeRequest)).all()) == 1
