"""What is learned about how each person writes: remarks they confirmed beside a decision,
the last lines of their replies, and the signatures found there (store/known.py reads them).

Apart from the CR tables because these belong to a person across every CR, and reading
a reply relies on them before it knows which CR the reply is for. Every timestamp is
timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

# imported for its tables: a confirmed remark names the ledger row that carried it,
# and a foreign key is resolved only against tables that are loaded
from mailflow.store import message_tables  # noqa: F401
from mailflow.store.row import Row
from mailflow.store.stamps import utcnow


class ConfirmedRemark(Row, table=True):
    """A remark a person confirmed beside a decision; from them it is taken as written again.

    `key` is the remark as reading compares it (decide.remark_key); `remark` as written.
    """

    __tablename__ = "confirmed_remark"
    __table_args__ = (UniqueConstraint("address", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    key: str
    remark: str
    cr_id: str = ""
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    confirmed_at: datetime = Field(default_factory=utcnow)


class SenderTail(Row, table=True):
    """The last lines of a reply a person sent (the last few per person): where a signature
    they end every mail with is found."""

    __tablename__ = "sender_tail"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    block: str  # up to signature_blocks.TAIL_LINES non-blank lines, spaces folded
    at: datetime = Field(default_factory=utcnow)


class LearnedSignature(Row, table=True):
    """A block that ended two replies of the same person: their signature, not their words."""

    __tablename__ = "learned_signature"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)
    block: str
    learned_at: datetime = Field(default_factory=utcnow)
