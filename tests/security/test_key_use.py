"""When a signing key was first used: read once per transaction, never taken from a write
that a message's savepoint undid (the previous key's grace period is counted from it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from mailflow.security import tokens
from mailflow.store.guard_tables import SigningKey
from tests.helpers import make_app

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def app(tmp_path):
    made = make_app(tmp_path)
    yield made
    made.close()


def _selects(app) -> list[str]:
    seen: list[str] = []
    event.listen(
        app.db.engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: (
            seen.append(statement)
            if "signing_key" in statement and statement.startswith("SELECT")
            else None
        ),
    )
    return seen


def test_a_recorded_first_use_is_read_once_per_transaction(app):
    with app.db.transaction() as session:
        session.add(SigningKey(kid="k1", first_used_at=NOW))
    seen = _selects(app)
    with app.db.transaction() as session:
        for later in range(5):
            assert tokens.note_key_use(session, "k1", NOW + timedelta(days=later)) == NOW
    assert len(seen) == 1


def test_a_first_use_whose_savepoint_was_undone_is_not_remembered(app):
    with app.db.transaction() as session:
        undone = session.begin_nested()
        assert tokens.note_key_use(session, "k2", NOW) == NOW
        assert tokens.note_key_use(session, "k2", NOW + timedelta(hours=1)) == NOW
        undone.rollback()
        later = NOW + timedelta(hours=2)
        assert tokens.note_key_use(session, "k2", later) == later
    with app.db.transaction() as session:
        assert session.get(SigningKey, "k2").first_used_at.replace(tzinfo=UTC) == later
