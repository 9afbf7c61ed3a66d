"""One inbound message through the rule table (mailflow.chain.table), in one transaction.

Each message is handled in one transaction that also writes its ledger row, so it is
applied exactly once or not at all. What raises is rolled back, then sorted: a fault of
the store or the network (mailflow.store.faults) raises TransientError and the message
stays at its source; an error the message causes counts one attempt (across restarts)
and raises HandleLater until `quarantine_after_attempts` is used up, then quarantines it.
A lost race with another daemon on the ledger's unique index is a duplicate.

`handle_batch` handles many messages in one transaction, each under a SAVEPOINT of its
own: a message that raises is rolled back to its savepoint alone and handed back to be
handled on its own (with the counting and sorting above) after the batch commits, so one
bad message never undoes or blocks another. The batch's commit runs the reader's fence
check like any transaction, and the caller files the messages only after that commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain.context import Context
from mailflow.chain.outcome import Handled
from mailflow.chain.table import RULES
from mailflow.chain.walk import walk, write_outcome
from mailflow.errors import HandleLater, ParseError, TransientError
from mailflow.mail.parse import Inbound, parse
from mailflow.service import logs
from mailflow.store import attempts, ledger
from mailflow.store.faults import describe, is_lost_race, is_transient
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.session import Database
from mailflow.transport.base import RawMessage

log = logging.getLogger(__name__)
__all__ = ["Handled", "handle", "handle_batch"]
T = TypeVar("T")


def handle(app: App, raw: RawMessage, now: datetime) -> Handled:
    """Handle one message: its outcome, or TransientError / HandleLater (leave it unfiled).

    Parsing is pure and deterministic, so an unreadable message is quarantined at once:
    reading the same bytes again cannot succeed.
    """
    try:
        msg = parse(raw.data)
    except ParseError as exc:
        unreadable = f"unreadable: {exc}"
        return _guard(lambda: _quarantine(app, raw, None, unreadable))
    try:
        with logs.about(msg.message_id), app.db.transaction() as session:
            return walk(Context(app, session, raw, msg, now), RULES)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the daemon
        name = msg.message_id or raw.key
        if is_transient(exc):
            raise TransientError(f"message {name} left in the mailbox: {describe(exc)}") from exc
        if is_lost_race(exc, "message_ledger"):
            log.info("message %s was handled by another process at the same time", name)
            return Handled(LedgerOutcome.IGNORED, "duplicate: handled elsewhere", duplicate=True)
        reason = f"error while handling: {type(exc).__name__}: {exc}"
        tries = _guard(lambda: _count(app, msg.content_hash, reason, now))
        limit = app.settings.quarantine_after_attempts
        if tries < limit:
            log.warning("message %s failed (attempt %d of %d): %s", name, tries, limit, reason)
            raise HandleLater(f"message {name}: attempt {tries} of {limit} failed") from exc
        log.exception("message %s failed %d times; quarantined", name, tries)
        return _guard(lambda: _quarantine(app, raw, msg, reason))


def handle_batch(
    app: App,
    raws: Sequence[RawMessage],
    now: datetime,
    parsed: Sequence[Inbound | None] | None = None,
) -> list[Handled | None]:
    """Handle `raws` in one transaction; None for a message to be handled alone with `handle`
    (it could not be parsed, it raised, or the batch as a whole did not commit). `parsed`:
    the messages already parsed (in the helper process), None where one is not a mail."""
    if parsed is None or len(parsed) != len(raws):
        parsed = [_parsed(raw) for raw in raws]
    try:
        with app.db.transaction() as session:
            _begin_for_savepoints(app.db, session)
            results: list[Handled | None] = []
            for raw, msg in zip(raws, parsed, strict=True):
                results.append(None if msg is None else _in_savepoint(app, session, raw, msg, now))
    except Exception as exc:  # noqa: BLE001 - each message is handled alone instead
        log.info("a batch of %d messages did not commit (%s); handling each alone", len(raws),
                 describe(exc) if is_transient(exc) else type(exc).__name__)  # fmt: skip
        return [None] * len(raws)
    return results


def _parsed(raw: RawMessage) -> Inbound | None:
    try:
        return parse(raw.data)
    except ParseError:
        return None  # quarantined by `handle`, alone


def _in_savepoint(
    app: App, session: Session, raw: RawMessage, msg: Inbound, now: datetime
) -> Handled | None:
    """One message under its own SAVEPOINT: its outcome, or None when it raised (rolled back)."""
    try:
        with logs.about(msg.message_id), session.begin_nested():
            return walk(Context(app, session, raw, msg, now), RULES)
    except Exception as exc:  # noqa: BLE001 - handled alone after the batch commits
        if is_transient(exc):
            raise  # the store itself failed: the whole batch is handled alone, message by message
        log.debug("message %s raised in a batch: %s", msg.message_id or raw.key, exc)
        return None


def _begin_for_savepoints(db: Database, session: Session) -> None:
    """Open the transaction now on SQLite: Python's sqlite3 begins one only before a write,
    and a SAVEPOINT outside one opens its own, which its RELEASE commits, fence unchecked.
    A plain (deferred) BEGIN takes the write lock at the first write, as before batching."""
    if db.engine.dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN")


def _guard(step: Callable[[], T]) -> T:
    """Run a store step; a fault of the store there is transient too."""
    try:
        return step()
    except Exception as exc:
        if is_transient(exc):
            raise TransientError(describe(exc)) from exc
        raise


def _count(app: App, content_hash: str, reason: str, now: datetime) -> int:
    with app.db.transaction() as session:
        return attempts.count_failure(session, content_hash, reason, now)


def _quarantine(app: App, raw: RawMessage, msg: Inbound | None, reason: str) -> Handled:
    digest = msg.content_hash if msg else hashlib.sha256(raw.data).hexdigest()
    with app.db.transaction() as session:
        handling = ledger.next_handling(ledger.latest(session, digest))
        if handling is not None:
            outcome = LedgerOutcome.QUARANTINED
            write_outcome(
                session, raw, msg, outcome, reason, content_hash=digest, handling=handling
            )
    return Handled(LedgerOutcome.QUARANTINED, reason)
