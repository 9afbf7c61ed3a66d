"""What is on record about a sender that reading may rely on: confirmed remarks, signatures.

Reading is pure (decide.Known is handed in); this module keeps what it is given:

- A remark a person confirmed beside a decision (they replied CONFIRM to the question
  quoting it) is remembered for that person, by decide.remark_key, and from then on is
  taken as written in their replies; only while `[security] remember_confirmed_remarks`
  is on. Remarks are per person: the same words from someone else are still asked.
- The last lines of each reply a person sends are kept (the last few per person). When
  two of them end in the same block of at least two lines, that block is the person's
  signature, and a later reply ending in it is read without it. The block never holds a
  decision word, a likely one, a field of the workflow or a sentence (see
  signature_blocks.common_tail), so a condition repeated at the end of two mails is
  never learned.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from mailflow.config.security import SecuritySettings
from mailflow.mail import signature_blocks
from mailflow.reading import decide
from mailflow.reading.lines import field_of
from mailflow.reading.normalize import normalize_line
from mailflow.reading.tokens import Kind, phrase_words, pieces
from mailflow.store.sender_tables import ConfirmedRemark, LearnedSignature, SenderTail

KEEP_TAILS = 5  # replies per person whose last lines are kept to compare
KEEP_SIGNATURES = 3  # signatures per person (a new job, a second client)
KEEP_REMARKS = 100  # remarks per person, the oldest forgotten first
_REMARK_CAP = 500  # characters of a remark kept


def known_for(session: Session, address: str, settings: SecuritySettings) -> decide.Known:
    """What reading may rely on for this sender (nothing for an empty address)."""
    if not address:
        return decide.NOTHING_KNOWN
    remarks: frozenset[str] = frozenset()
    if settings.remember_confirmed_remarks:
        remarks = frozenset(_values_for(session, ConfirmedRemark, "key", address))
    blocks = _values_for(session, LearnedSignature, "block", address, newest_first=True)
    return decide.Known(remarks, tuple(blocks))


def _values_for(
    session: Session, table_class: type, column: str, address: str, newest_first: bool = False
) -> list[str]:
    """One column of a person's rows, read without building a table object for each: this
    runs for every reply, before anything of it is written."""
    query = _person_query(table_class, column, newest_first)
    return list(session.connection().execute(query, {"address": address}).scalars())


@cache
def _person_query(table_class: type, column: str, newest_first: bool) -> Select[Any]:
    table = table_class.__table__  # type: ignore[attr-defined]
    order = table.c.id.desc() if newest_first else table.c.id
    where = table.c.address == bindparam("address")
    return core_select(table.c[column]).where(where).order_by(order)


def signatures(session: Session, address: str) -> tuple[str, ...]:
    """The signature blocks learned for this person, newest first."""
    rows = session.exec(
        select(LearnedSignature.block)
        .where(LearnedSignature.address == address)
        .order_by(col(LearnedSignature.id).desc())
    ).all()
    return tuple(rows)


def remarks_as_written(session: Session, address: str) -> list[str]:
    """The remarks this person confirmed, as they wrote them, oldest first."""
    return [r.remark for r in _remarks(session, address)]


def _remarks(session: Session, address: str) -> list[ConfirmedRemark]:
    return list(
        session.exec(
            select(ConfirmedRemark)
            .where(ConfirmedRemark.address == address)
            .order_by(col(ConfirmedRemark.id))
        ).all()
    )


def remember_remark(
    session: Session,
    address: str,
    remark: str,
    settings: SecuritySettings,
    now: datetime,
    *,
    cr_id: str = "",
    ledger_id: int | None = None,
) -> bool:
    """Remember a remark this person confirmed; False when the setting is off or it is known."""
    key = decide.remark_key(remark)[:_REMARK_CAP]
    if not settings.remember_confirmed_remarks or not address or not key:
        return False
    mine = _remarks(session, address)
    if any(r.key == key for r in mine):
        return False
    session.add(
        ConfirmedRemark(
            address=address,
            key=key,
            remark=remark[:_REMARK_CAP],
            cr_id=cr_id,
            ledger_id=ledger_id,
            confirmed_at=now,
        )
    )
    for old in mine[: max(0, len(mine) + 1 - KEEP_REMARKS)]:
        session.delete(old)
    return True


def note_tail(
    session: Session, address: str, text: str, vocabulary: decide.Vocabulary, now: datetime
) -> str:
    """Keep the last lines of this reply's new text; returns a signature learned from it, or "".

    The new reply is compared with the person's kept replies, newest first: the first
    common block of at least two lines is learned as their signature.
    """
    tail = signature_blocks.tail_of(text)
    if not address or len(tail.splitlines()) < signature_blocks.MIN_LINES:
        return ""
    earlier = session.exec(
        select(SenderTail).where(SenderTail.address == address).order_by(col(SenderTail.id).desc())
    ).all()
    session.add(SenderTail(address=address, block=tail, at=now))
    for old in earlier[KEEP_TAILS - 1 :]:
        session.delete(old)

    def allowed(line: str) -> bool:
        return _plain_line(line, vocabulary)

    learned = next(
        (b for b in (signature_blocks.common_tail(r.block, tail, allowed) for r in earlier) if b),
        "",
    )
    if not learned or learned in signatures(session, address):
        return ""
    session.add(LearnedSignature(address=address, block=learned, learned_at=now))
    kept = session.exec(
        select(LearnedSignature)
        .where(LearnedSignature.address == address)
        .order_by(col(LearnedSignature.id).desc())
    ).all()
    for stale in kept[KEEP_SIGNATURES:]:  # the new one is among them (flushed by the query)
        session.delete(stale)
    return learned


def _plain_line(line: str, vocabulary: decide.Vocabulary) -> bool:
    """A line that may sit in a signature: no decision word, likely one, or workflow field."""
    text = normalize_line(line)
    field = field_of(text)
    if field is not None and " ".join(phrase_words(field[0])) in vocabulary.field_names:
        return False
    return not any(p.kind in (Kind.VERB, Kind.LIKELY) for p in pieces(text, vocabulary))
